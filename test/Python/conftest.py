"""Fixtures of the fp4 Python tests (run by test/Python/pytest.test, which
sets PYTHONPATH, FP4_LIBRARY, FP4_TOOLS_DIR and FP4_SRC_ROOT)."""

import os

import numpy as np
import pytest

SRC_ROOT = os.environ.get(
    "FP4_SRC_ROOT",
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def tool(name):
    """Path of an fp4 tool of the build under test."""
    tools = os.environ.get("FP4_TOOLS_DIR")
    if not tools:
        pytest.skip("FP4_TOOLS_DIR is not set (run through lit)")
    path = os.path.join(tools, name)
    if not os.path.exists(path):
        pytest.skip("%s is not built" % name)
    return path


def mlp_onnx(path, sizes, seed):
    """Writes an ONNX MLP [N,1,28,28] -> Flatten -> (Gemm, Relu)* -> Gemm
    with parameters fc{i}.weight [out, in] / fc{i}.bias, opset 13."""
    import onnx
    from onnx import helper, numpy_helper, TensorProto
    rng = np.random.default_rng(seed)
    nodes = [helper.make_node("Flatten", ["input"], ["flat"], axis=1)]
    inits = []
    prev = "flat"
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:]), 1):
        bound = 1.0 / np.sqrt(n_in)
        w = rng.uniform(-bound, bound, (n_out, n_in)).astype(np.float32)
        b = rng.uniform(-bound, bound, n_out).astype(np.float32)
        inits += [numpy_helper.from_array(w, "fc%d.weight" % i),
                  numpy_helper.from_array(b, "fc%d.bias" % i)]
        last = i == len(sizes) - 1
        out = "logits" if last else "fc%d" % i
        nodes.append(helper.make_node(
            "Gemm", [prev, "fc%d.weight" % i, "fc%d.bias" % i], [out],
            name="/fc%d/Gemm" % i, transB=1))
        if not last:
            nodes.append(helper.make_node("Relu", [out], ["relu%d" % i],
                                          name="/relu%d/Relu" % i))
            out = "relu%d" % i
        prev = out
    graph = helper.make_graph(
        nodes, "mlp",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT,
                                       ["batch", 1, 28, 28])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT,
                                       ["batch", sizes[-1]])],
        inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    onnx.checker.check_model(model)
    onnx.save(model, path)
    return path


@pytest.fixture(scope="session")
def mlp3_path(tmp_path_factory):
    """A 784-64-32-10 MLP: ibm-fp4 quantizes its middle layer (the first
    and the last GEMM stay f32)."""
    return mlp_onnx(str(tmp_path_factory.mktemp("models") / "mlp3.onnx"),
                    [784, 64, 32, 10], seed=3)


@pytest.fixture(scope="session")
def mlp2_path():
    """The committed examples/models/mlp.onnx (784-256-10)."""
    return os.path.join(SRC_ROOT, "examples", "models", "mlp.onnx")


@pytest.fixture(scope="session")
def fashion():
    """The first 6400 training and 1000 test images of Fashion-MNIST."""
    import fp4
    try:
        train = fp4.datasets.fashion_mnist("train", limit=6400)
        test = fp4.datasets.fashion_mnist("test", limit=1000)
    except FileNotFoundError as e:
        pytest.skip(str(e))
    return train, test
