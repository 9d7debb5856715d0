"""fp4.compile: training steps over lib/Train, checked against fp4-train,
PyTorch and numpy."""

import os
import re
import subprocess
import sys

import numpy as np
import pytest

import fp4
from conftest import tool


def batch_of(n, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 1, (n, 1, 28, 28)).astype(np.float32)
    y = rng.integers(0, 10, n).astype(np.int64)
    return x, y


@pytest.fixture(scope="module")
def mlp3_ibm(mlp3_path):
    return fp4.compile(mlp3_path, recipe="ibm-fp4", batch=32, opt_level=1)


@pytest.mark.parametrize("model,recipe", [("mlp2", "fp32"), ("mlp3", "fp32"),
                                          ("mlp3", "ibm-fp4")])
def test_gradients_equal_fp4_train(tmp_path, mlp2_path, mlp3_path, model,
                                   recipe):
    """step.gradients equals `fp4-train --dump-gradients` on the same batch,
    bit for bit (the same library compiles the same @grad_step)."""
    train = tool("fp4-train")
    path = mlp2_path if model == "mlp2" else mlp3_path
    x, y = batch_of(16, seed=4)
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", y)
    out = subprocess.run([train, path, "--recipe", recipe, "--input",
                          str(tmp_path / "x.npy"), "--labels",
                          str(tmp_path / "y.npy"), "--dump-gradients",
                          str(tmp_path / "g.npz")],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    tool_loss = float(re.search(r"loss (\S+)", out.stdout).group(1))
    want = dict(np.load(tmp_path / "g.npz"))

    step = fp4.compile(path, recipe=recipe, batch=16)
    got = step.gradients(x, y)
    assert sorted(got) == sorted(want)
    for name in want:
        assert got[name].dtype == np.float32
        assert np.array_equal(got[name], want[name]), name
    assert abs(step.last_loss - tool_loss) <= 5e-5
    # Gradients do not change the parameters.
    before = step.parameters()
    step.gradients(x, y)
    after = step.parameters()
    assert all(np.array_equal(before[k], after[k]) for k in before)


def test_training_loss_falls(mlp3_path, fashion):
    (x, y), (xt, yt) = fashion
    step = fp4.compile(mlp3_path, recipe="ibm-fp4", batch=64, lr=0.05,
                       opt_level=1)
    before = step.evaluate(xt, yt)
    losses = [step.step(x[i:i + 64], y[i:i + 64])
              for i in range(0, 6400, 64)]
    assert all(np.isfinite(losses))
    assert np.mean(losses[:10]) > np.mean(losses[-10:]) + 0.5, losses
    after = step.evaluate(xt, yt)
    assert after.count == 1000
    assert after.loss < before.loss - 0.5
    assert after.accuracy > 65.0, after
    # The recipe's state: the middle layer (fc2) is quantized, with a
    # power-of-two GradScale and the quantizers' counters summed over the
    # 100 steps (the first and last GEMM stay f32).
    state = step.recipe_state()
    assert list(state) == ["/fc2/Gemm"], state
    layer = state["/fc2/Gemm"]
    gs = layer["gradscale"]
    assert gs > 0 and np.log2(gs) == int(np.log2(gs))
    assert layer["pact_alpha"] != 10.0  # trained
    assert "pact_momentum" in layer
    totals = layer["counters_total"]
    assert totals.shape == (6,) and totals.dtype == np.int64
    assert totals[1] > 0 and totals[4] > 0  # flushed in dX and dW
    # One more step adds its counters.
    step.step(x[:64], y[:64])
    assert step.recipe_state()["/fc2/Gemm"]["counters_total"].sum() > \
        totals.sum()


def test_evaluate_and_forward_any_size(mlp3_ibm):
    step = mlp3_ibm
    x, y = batch_of(100, seed=7)  # 3 full batches of 32 and 4 padded rows
    logits = step.forward(x)
    assert logits.shape == (100, 10) and logits.dtype == np.float32
    # Rows do not depend on their batch or position.
    assert np.array_equal(step.forward(x[64:96]), logits[64:96])
    assert np.array_equal(step.forward(x[96:]), logits[96:])
    res = step.evaluate(x, y)
    z = logits.astype(np.float64)
    lse = np.log(np.exp(z - z.max(1, keepdims=True)).sum(1)) + z.max(1)
    want_loss = float(np.mean(lse - z[np.arange(100), y]))
    assert abs(res.loss - want_loss) < 1e-5
    assert res.correct == int((logits.argmax(1) == y).sum())
    assert res.accuracy == 100.0 * res.correct / 100
    # Flat samples are accepted.
    assert np.array_equal(step.forward(x.reshape(100, 784)), logits)


def test_parameters_roundtrip(mlp3_path, mlp3_ibm):
    step = mlp3_ibm
    params = step.parameters()
    assert sorted(params) == ["fc1.bias", "fc1.weight", "fc2.bias",
                              "fc2.weight", "fc3.bias", "fc3.weight"]
    assert params["fc1.weight"].shape == (64, 784)
    import onnx
    from onnx import numpy_helper
    inits = {i.name: numpy_helper.to_array(i)
             for i in onnx.load(mlp3_path).graph.initializer}
    fresh = fp4.compile(mlp3_path, recipe="ibm-fp4", batch=32, opt_level=1)
    for k, v in fresh.parameters().items():
        assert np.array_equal(v, inits[k])
    x, _ = batch_of(32, seed=8)
    base = fresh.forward(x)
    changed = dict(params)
    changed["fc3.bias"] = params["fc3.bias"] + 1.0
    fresh.load_parameters(changed)
    assert np.array_equal(fresh.parameters()["fc3.bias"],
                          changed["fc3.bias"])
    fresh.load_parameters({k: inits[k] for k in inits})
    assert np.array_equal(fresh.forward(x), base)


def test_save_onnx_and_sources(tmp_path, mlp3_path, fashion):
    import onnx
    from onnx import numpy_helper
    (x, y), _ = fashion
    step = fp4.compile(mlp3_path, recipe="fp32", batch=64, opt_level=1)
    for i in range(0, 640, 64):
        step.step(x[i:i + 64], y[i:i + 64])
    out = tmp_path / "trained.onnx"
    step.save_onnx(out)
    proto = onnx.load(str(out))
    onnx.checker.check_model(proto)
    saved = {i.name: numpy_helper.to_array(i) for i in proto.graph.initializer}
    for k, v in step.parameters().items():
        assert np.array_equal(saved[k], v), k
    # Bytes and ModelProto sources compile the same model.
    again = fp4.compile(proto, recipe="fp32", batch=64, opt_level=1)
    from_bytes = fp4.compile(out.read_bytes(), recipe="fp32", batch=64,
                             opt_level=1)
    logits = step.forward(x[:64])
    assert np.array_equal(again.forward(x[:64]), logits)
    assert np.array_equal(from_bytes.forward(x[:64]), logits)


def test_errors(tmp_path, mlp3_path, mlp3_ibm):
    with pytest.raises(ValueError, match="no such file"):
        fp4.compile(str(tmp_path / "missing.onnx"))
    with pytest.raises(TypeError, match="model must be a path"):
        fp4.compile(42)
    with pytest.raises(ValueError, match="recipe 'ibm-fp5'"):
        fp4.compile(mlp3_path, recipe="ibm-fp5", batch=8)
    with pytest.raises(ValueError, match="batch must be a positive"):
        fp4.compile(mlp3_path, batch=0)
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"not a model")
    with pytest.raises(ValueError, match="bad.onnx"):
        fp4.compile(str(bad), batch=8)
    step = mlp3_ibm
    x, y = batch_of(32, seed=1)
    with pytest.raises(ValueError, match="compiled for batch 32"):
        step.step(x[:16], y[:16])
    with pytest.raises(ValueError, match="samples of shape"):
        step.step(np.zeros((32, 3, 28, 28), np.float32), y)
    with pytest.raises(ValueError, match="label 10 is not a class"):
        step.step(x, np.full(32, 10))
    with pytest.raises(TypeError, match="integer array"):
        step.step(x, y.astype(np.float32))
    with pytest.raises(ValueError, match="31 labels but x has 32"):
        step.gradients(x, y[:31])
    with pytest.raises(ValueError, match="not a parameter"):
        step.load_parameters({"fc9.weight": np.zeros(3)})
    with pytest.raises(ValueError, match=r"shape \[3\] but the model's is"):
        step.load_parameters({"fc1.bias": np.zeros(3)})


def test_from_torch():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 32),
                              torch.nn.ReLU(), torch.nn.Linear(32, 16),
                              torch.nn.ReLU(), torch.nn.Linear(16, 10))
    x, y = batch_of(8, seed=2)
    step = fp4.from_torch(net, torch.zeros(8, 1, 28, 28), recipe="fp32",
                          opt_level=1)
    assert step.batch == 8
    params = step.parameters()
    assert sorted(params) == sorted(n for n, _ in net.named_parameters())
    grads = step.gradients(x, y)
    ref = [p.detach().double().requires_grad_() for p in net.parameters()]
    ref_net = torch.nn.Sequential(*[m for m in net]).double()
    loss = torch.nn.functional.cross_entropy(
        ref_net(torch.from_numpy(x).double()), torch.from_numpy(y))
    loss.backward()
    g_max = max(p.grad.abs().max().item() for p in ref_net.parameters())
    for name, p in ref_net.named_parameters():
        err = np.abs(grads[name] - p.grad.numpy()).max()
        assert err <= 1e-4 * max(p.grad.abs().max().item(), 0.01 * g_max), name
    assert abs(step.last_loss - loss.item()) < 1e-5


def test_opt():
    text = """
func.func @f(%x: tensor<8xf32>, %s: f32) -> tensor<8xf32> {
  %q = fp4.quantize %x, %s : tensor<8xf32> -> !fp4.qtensor<8x#fp4.format<int4>>
  %y = fp4.dequantize %q : !fp4.qtensor<8x#fp4.format<int4>> -> tensor<8xf32>
  return %y : tensor<8xf32>
}"""
    out = fp4.opt(text, "convert-fp4-to-standard, canonicalize")
    assert "func.func @f" in out and "fp4." not in out
    assert fp4.opt(text, "builtin.module(canonicalize)") == \
        fp4.opt(text, "canonicalize")
    llvm = fp4.opt(text, "fp4-to-llvm")
    assert "llvm.func @f" in llvm
    with pytest.raises(ValueError, match="invalid pass pipeline"):
        fp4.opt(text, "no-such-pass")
    with pytest.raises(ValueError, match="cannot parse"):
        fp4.opt("func.func @f(", "canonicalize")
    with pytest.raises(TypeError):
        fp4.opt(text, None)


def test_openmp_runtime_stays_local(mlp2_path):
    """The library is loaded RTLD_LOCAL: after a 2-thread step, LLVM's
    libomp (which the JIT-compiled code calls) is not in the process's
    global scope, where it would take over the GOMP_* entry points of a
    PyTorch (GNU libgomp) imported later. Run in a fresh interpreter."""
    code = """
import ctypes, sys
import numpy as np
import fp4
step = fp4.compile(sys.argv[1], recipe="fp32", batch=16, threads=2,
                   opt_level=1)
rng = np.random.default_rng(0)
x = rng.normal(0, 1, (16, 1, 28, 28)).astype(np.float32)
y = rng.integers(0, 10, 16).astype(np.int64)
step.gradients(x, y)
assert np.isfinite(step.last_loss)
glob = ctypes.CDLL(None)
for name in ("__kmpc_fork_call", "__kmpc_global_thread_num"):
    assert not hasattr(glob, name), name + " is in the global scope"
print("local ok")
"""
    out = subprocess.run([sys.executable, "-c", code, mlp2_path],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "local ok" in out.stdout
