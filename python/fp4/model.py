"""Training steps compiled from ONNX models (lib/Train through the C API).

`fp4.compile(model, recipe, batch, ...)` does what fp4-train does before its
training loop: imports the model with the batch fixed, generates
@train_step, @eval_step and @grad_step (fp4-build-training-step), applies
the recipe (fp4-apply-recipe), JIT-compiles the three functions and binds
their arguments and results by role and name (docs/training.md).
"""

import ctypes
import os
import shutil
import tempfile
from collections import namedtuple

import numpy as np

from . import _capi
from ._capi import lib, check, encode_str, take_string, FP4Error

_DTYPES = {0: np.float32, 1: np.float16, 2: np.int8, 3: np.uint8,
           4: np.int32, 5: np.int64, 6: np.float64}
_DTYPE_CODES = {np.dtype(v): k for k, v in _DTYPES.items()}

_STEP_TRAIN, _STEP_EVAL, _STEP_GRAD = 0, 1, 2

# State roles that are not recipe state.
_MODEL_ROLES = ("param", "momentum", "running_mean", "running_var")

EvalResult = namedtuple("EvalResult", ["loss", "accuracy", "correct", "count"])
EvalResult.__doc__ = ("Mean softmax cross-entropy, accuracy in percent, "
                      "number of correct predictions and of samples.")


def _array_from(dtype, rank, shape, data, nbytes):
    shape = tuple(shape[i] for i in range(rank.value))
    np_dtype = np.dtype(_DTYPES[dtype.value])
    buf = (ctypes.c_char * nbytes.value).from_address(data.value) \
        if nbytes.value else b""
    return np.frombuffer(bytes(buf), dtype=np_dtype).reshape(shape).copy()


def _write_model(model, tmpdir):
    """A path for `model`: a path as it is, bytes / ModelProto written to
    `tmpdir`."""
    if isinstance(model, (str, os.PathLike)):
        path = os.fspath(model)
        if not os.path.exists(path):
            raise ValueError("%s: no such file" % path)
        if not path.endswith((".onnx", ".mlir")):
            raise ValueError("%s: expected an .onnx or .mlir model" % path)
        return path
    if isinstance(model, (bytes, bytearray, memoryview)):
        data = bytes(model)
    elif hasattr(model, "SerializeToString"):
        data = model.SerializeToString()
    else:
        raise TypeError("model must be a path, the bytes of an ONNX model or "
                        "an onnx.ModelProto, not %s" % type(model).__name__)
    path = os.path.join(tmpdir, "model.onnx")
    with open(path, "wb") as f:
        f.write(data)
    return path


class TrainingStep:
    """A model compiled for training with a recipe. Create with
    `fp4.compile`. Methods take numpy arrays: x float32 (any number of
    samples for evaluate/forward, exactly `batch` for step/gradients), y
    integer class labels."""

    def __init__(self, model, recipe="ibm-fp4", batch=128, lr=0.05,
                 momentum=0.9, weight_decay=0.0, threads=0, opt_level=3):
        self._handle = None
        self._tmpdir = None
        if not isinstance(recipe, str):
            raise TypeError("recipe must be a string, not %s"
                            % type(recipe).__name__)
        if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
            raise ValueError("batch must be a positive integer, not %r"
                             % (batch,))
        for name, value in (("lr", lr), ("momentum", momentum),
                            ("weight_decay", weight_decay)):
            if isinstance(value, bool) or not isinstance(
                    value, (int, float, np.floating, np.integer)):
                raise TypeError("%s must be a number, not %s"
                                % (name, type(value).__name__))
        if not isinstance(threads, int) or threads < 0:
            raise ValueError("threads must be an integer >= 0, not %r"
                             % (threads,))
        if not isinstance(opt_level, int) or not 0 <= opt_level <= 3:
            raise ValueError("opt_level must be 0, 1, 2 or 3, not %r"
                             % (opt_level,))
        self._tmpdir = tempfile.mkdtemp(prefix="fp4-")
        try:
            path = _write_model(model, self._tmpdir)
            options = _capi.ModelOptions(encode_str(recipe), batch,
                                         float(momentum), float(weight_decay),
                                         opt_level, threads)
            handle = ctypes.c_void_p()
            check(lib.fp4_model_create(encode_str(path),
                                       ctypes.byref(options),
                                       ctypes.byref(handle)))
        except BaseException:
            shutil.rmtree(self._tmpdir, ignore_errors=True)
            self._tmpdir = None
            raise
        self._handle = handle
        self.recipe = recipe
        self.lr = float(lr)
        self.momentum = float(momentum)
        self.weight_decay = float(weight_decay)
        rank = ctypes.c_int64()
        shape = ctypes.POINTER(ctypes.c_int64)()
        lib.fp4_model_input_shape(handle, ctypes.byref(rank),
                                  ctypes.byref(shape))
        self.input_shape = tuple(shape[i] for i in range(rank.value))
        self.batch = self.input_shape[0]
        self.num_classes = int(lib.fp4_model_num_classes(handle))
        self.last_loss = None

    def __del__(self):
        self.close()

    def close(self):
        """Frees the compiled model (also done when it is collected)."""
        if getattr(self, "_handle", None):
            lib.fp4_model_destroy(self._handle)
            self._handle = None
        if getattr(self, "_tmpdir", None):
            shutil.rmtree(self._tmpdir, ignore_errors=True)
            self._tmpdir = None

    def _live(self):
        if not self._handle:
            raise ValueError("the TrainingStep is closed")
        return self._handle

    def __repr__(self):
        return ("<fp4.TrainingStep recipe=%r input=%s classes=%d>"
                % (self.recipe, list(self.input_shape), self.num_classes))

    # -- inputs ---------------------------------------------------------
    def _inputs(self, x, what="x"):
        """x as float32 [n, *input_shape[1:]] (a flat [n, features] array of
        the same size is reshaped)."""
        arr = np.asarray(x)
        if arr.dtype.kind not in "fiu":
            raise TypeError("%s must be a float array, not dtype %s"
                            % (what, arr.dtype))
        sample = self.input_shape[1:]
        if arr.ndim == 0:
            raise ValueError("%s must be a batch of samples %s, not a scalar"
                             % (what, list(sample)))
        size = int(np.prod(sample, dtype=np.int64))
        if tuple(arr.shape[1:]) != tuple(sample) and \
                int(np.prod(arr.shape[1:], dtype=np.int64)) != size:
            raise ValueError("%s has shape %s but the model takes samples of "
                             "shape %s" % (what, list(arr.shape), list(sample)))
        return np.ascontiguousarray(arr, dtype=np.float32).reshape(
            (arr.shape[0],) + tuple(sample))

    def _labels(self, y, n):
        arr = np.asarray(y)
        if arr.dtype.kind not in "iu":
            raise TypeError("y must be an integer array of class labels, not "
                            "dtype %s" % arr.dtype)
        arr = arr.reshape(-1)
        if arr.size != n:
            raise ValueError("y has %d labels but x has %d samples"
                             % (arr.size, n))
        if arr.size and (arr.min() < 0 or arr.max() >= self.num_classes):
            bad = arr[(arr < 0) | (arr >= self.num_classes)][0]
            raise ValueError("label %d is not a class of the model (%d "
                             "classes)" % (bad, self.num_classes))
        return np.ascontiguousarray(arr, dtype=np.int64)

    def _batch(self, x, y):
        x = self._inputs(x)
        if x.shape[0] != self.batch:
            raise ValueError("x has %d samples but the step is compiled for "
                             "batch %d" % (x.shape[0], self.batch))
        return x, self._labels(y, x.shape[0])

    def _run(self, step, x, y, lr=0.0):
        loss = ctypes.c_double()
        correct = ctypes.c_int64()
        check(lib.fp4_model_run(self._live(), step,
                                x.ctypes.data_as(ctypes.c_void_p), x.size,
                                y.ctypes.data_as(ctypes.c_void_p), y.size,
                                float(lr), ctypes.byref(loss),
                                ctypes.byref(correct)), FP4Error)
        return loss.value, correct.value

    def _results(self, step):
        h = self._live()
        out = []
        for i in range(lib.fp4_model_num_results(h, step)):
            role, name = ctypes.c_char_p(), ctypes.c_char_p()
            dtype, rank, nbytes = ctypes.c_int(), ctypes.c_int64(), \
                ctypes.c_int64()
            shape = ctypes.POINTER(ctypes.c_int64)()
            data = ctypes.c_void_p()
            check(lib.fp4_model_result(h, step, i, ctypes.byref(role),
                                       ctypes.byref(name), ctypes.byref(dtype),
                                       ctypes.byref(rank), ctypes.byref(shape),
                                       ctypes.byref(data),
                                       ctypes.byref(nbytes)), FP4Error)
            out.append((role.value.decode(), name.value.decode(),
                        _array_from(dtype, rank, shape, data, nbytes)))
        return out

    # -- training -------------------------------------------------------
    def step(self, x, y, lr=None):
        """One training step on a batch (SGD with momentum and the recipe);
        updates the parameters and the recipe state. Returns the batch's
        mean loss (computed before the update)."""
        x, y = self._batch(x, y)
        lr = self.lr if lr is None else float(lr)
        loss, _ = self._run(_STEP_TRAIN, x, y, lr)
        self.last_loss = loss
        return loss

    def gradients(self, x, y):
        """The loss gradient of every parameter on a batch, by ONNX name
        (@grad_step: the recipe's quantized backward pass, no update). The
        loss is in `last_loss`."""
        x, y = self._batch(x, y)
        loss, _ = self._run(_STEP_GRAD, x, y)
        self.last_loss = loss
        return {name: value for role, name, value in self._results(_STEP_GRAD)
                if role == "grad"}

    def _eval_batches(self, x, y):
        """Yields (count, loss, correct, logits) per batch of @eval_step;
        the last partial batch is padded with zeros (label 0)."""
        n = x.shape[0]
        for first in range(0, n, self.batch):
            count = min(self.batch, n - first)
            xb, yb = x[first:first + count], y[first:first + count]
            if count < self.batch:
                pad = self.batch - count
                xb = np.concatenate([xb, np.zeros((pad,) + xb.shape[1:],
                                                  np.float32)])
                yb = np.concatenate([yb, np.zeros(pad, np.int64)])
            loss, correct = self._run(_STEP_EVAL, np.ascontiguousarray(xb),
                                      np.ascontiguousarray(yb))
            logits = [v for role, _, v in self._results(_STEP_EVAL)
                      if role == "logits"][0]
            yield count, loss, correct, logits

    def evaluate(self, x, y):
        """Mean loss and accuracy (percent) of @eval_step (the recipe's
        quantized forward pass, running statistics for BatchNormalization)
        on any number of samples, like fp4-train's evaluation."""
        x = self._inputs(x)
        y = self._labels(y, x.shape[0])
        if x.shape[0] == 0:
            raise ValueError("x holds no samples")
        loss_sum, correct = 0.0, 0
        for (count, loss, batch_correct, logits), first in zip(
                self._eval_batches(x, y), range(0, x.shape[0], self.batch)):
            if count == self.batch:
                loss_sum += loss * count
                correct += batch_correct
            else:
                rows = logits[:count].astype(np.float64)
                labels = y[first:first + count]
                m = rows.max(axis=1)
                lse = np.log(np.exp(rows - m[:, None]).sum(axis=1)) + m
                loss_sum += float((lse - rows[np.arange(count), labels]).sum())
                correct += int((logits[:count].argmax(axis=1) == labels).sum())
        n = x.shape[0]
        return EvalResult(loss_sum / n, 100.0 * correct / n, correct, n)

    def forward(self, x):
        """The logits [n, classes] of @eval_step on any number of samples."""
        x = self._inputs(x)
        y = np.zeros(x.shape[0], np.int64)
        parts = [logits[:count] for count, _, _, logits in
                 self._eval_batches(x, y)]
        if not parts:
            return np.zeros((0, self.num_classes), np.float32)
        return np.concatenate(parts)

    # -- state ----------------------------------------------------------
    def state(self):
        """Every state tensor, {(role, name): array} (copies)."""
        h = self._live()
        out = {}
        for i in range(lib.fp4_model_num_state(h)):
            role, name = ctypes.c_char_p(), ctypes.c_char_p()
            dtype, rank, nbytes = ctypes.c_int(), ctypes.c_int64(), \
                ctypes.c_int64()
            shape = ctypes.POINTER(ctypes.c_int64)()
            data = ctypes.c_void_p()
            check(lib.fp4_model_state(h, i, ctypes.byref(role),
                                      ctypes.byref(name), ctypes.byref(dtype),
                                      ctypes.byref(rank), ctypes.byref(shape),
                                      ctypes.byref(data), ctypes.byref(nbytes)),
                  FP4Error)
            out[(role.value.decode(), name.value.decode())] = _array_from(
                dtype, rank, shape, data, nbytes)
        return out

    def parameters(self):
        """The parameters by ONNX initializer name (copies)."""
        return {name: v for (role, name), v in self.state().items()
                if role == "param"}

    def load_parameters(self, values):
        """Sets parameters (and BatchNormalization running statistics) by
        ONNX name from a dict of arrays; shapes must match."""
        if not hasattr(values, "items"):
            raise TypeError("load_parameters takes a dict {name: array}, not %s"
                            % type(values).__name__)
        state = self.state()
        by_name = {}
        for (role, name), v in state.items():
            if role in ("param", "running_mean", "running_var"):
                by_name[name] = (role, v)
        for name in values:
            if name not in by_name:
                raise ValueError("%r is not a parameter or running statistic "
                                 "of the model" % (name,))
        for name, value in values.items():
            role, current = by_name[name]
            arr = np.asarray(value)
            if arr.dtype.kind not in "fiu":
                raise TypeError("%r: expected a float array, not dtype %s"
                                % (name, arr.dtype))
            if arr.shape != current.shape:
                raise ValueError("%r has shape %s but the model's is %s"
                                 % (name, list(arr.shape),
                                    list(current.shape)))
            arr = np.ascontiguousarray(arr, dtype=current.dtype)
            check(lib.fp4_model_set_state(
                self._live(), encode_str(role), encode_str(name),
                _DTYPE_CODES[arr.dtype], arr.ctypes.data_as(ctypes.c_void_p),
                arr.nbytes))

    def recipe_state(self):
        """The recipe's per-layer state: {layer: {role: value}} with the
        GradScale scales (`gradscale`), PACT clips (`pact_alpha`), step
        counters and the quantizers' counters summed over the training steps
        (`counters_total`: saturated, flushed, non-finite of the dX then the
        dW quantizer). Scalars are Python numbers. Empty for fp32."""
        entries = []
        for (role, name), v in self.state().items():
            if role in _MODEL_ROLES:
                continue
            # A tensor named LAYER.ROLE belongs to LAYER (docs/training.md).
            layer = name[:-len(role) - 1] if name.endswith("." + role) \
                else name
            entries.append((role, layer, v))
        layers = set(layer for _, layer, _ in entries)
        out = {}
        for role, layer, v in entries:
            # The momentum of LAYER.pact_alpha (role pact_momentum).
            if "." in layer:
                prefix = layer.rsplit(".", 1)[0]
                if prefix in layers:
                    layer = prefix
            value = v.item() if v.ndim == 0 else v
            out.setdefault(layer, {})[role] = value
        return out

    def save_onnx(self, path):
        """Writes the ONNX model with the trained parameters and running
        statistics (fp4-train --export)."""
        path = os.fspath(path)
        check(lib.fp4_model_export_onnx(self._live(), encode_str(path)))


def compile(model, recipe="ibm-fp4", batch=128, *, lr=0.05, momentum=0.9,
            weight_decay=0.0, threads=0, opt_level=3):
    """Compiles the training step of `model` (a path to an .onnx or .mlir
    model, the bytes of an ONNX model, or an onnx.ModelProto).

    recipe: "fp32", a built-in recipe of fp4-apply-recipe ("ibm-fp4" and its
    ablations, docs/recipes.md) or a JSON recipe file. batch: the batch size
    the step functions are compiled for. lr: the default learning rate of
    `step`; momentum, weight_decay: SGD options; threads: threads of the
    compiled code (0: every core); opt_level: LLVM -O level.
    """
    return TrainingStep(model, recipe=recipe, batch=batch, lr=lr,
                        momentum=momentum, weight_decay=weight_decay,
                        threads=threads, opt_level=opt_level)


def from_torch(module, example_input, recipe="ibm-fp4", batch=None, **kw):
    """Exports a torch.nn.Module through torch.onnx (training mode, so
    BatchNormalization and PyTorch's parameter names are kept; opset 13)
    and compiles it. `example_input` is a tensor of one batch; `batch`
    defaults to its first dimension. Other keywords go to `compile`."""
    try:
        import torch
    except ImportError:
        raise ImportError("fp4.from_torch needs PyTorch (python3-torch)") \
            from None
    import io
    import copy
    import warnings
    if not isinstance(module, torch.nn.Module):
        raise TypeError("module must be a torch.nn.Module, not %s"
                        % type(module).__name__)
    if not isinstance(example_input, torch.Tensor):
        raise TypeError("example_input must be a torch.Tensor, not %s"
                        % type(example_input).__name__)
    if batch is None:
        batch = int(example_input.shape[0])
    state = copy.deepcopy(module.state_dict())
    was_training = module.training
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(module, example_input, buf,
                          training=torch.onnx.TrainingMode.TRAINING,
                          do_constant_folding=False, opset_version=13,
                          input_names=["input"], output_names=["logits"],
                          dynamic_axes={"input": {0: "batch"},
                                        "logits": {0: "batch"}})
    # Tracing in training mode updates BatchNorm running statistics: restore
    # them, and give the exported model the values from before the export.
    module.load_state_dict(state)
    module.train(was_training)
    data = buf.getvalue()
    step = compile(data, recipe=recipe, batch=batch, **kw)
    values = {}
    names = set(n for (role, n) in step.state()
                if role in ("param", "running_mean", "running_var"))
    for name, tensor in state.items():
        if name in names:
            values[name] = tensor.detach().cpu().numpy()
    step.load_parameters(values)
    return step
