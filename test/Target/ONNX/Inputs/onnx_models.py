#!/usr/bin/env python3
"""Builds the small ONNX models of the importer tests with onnx.helper.

    onnx_models.py OUTDIR GROUP...

writes OUTDIR/<name>.onnx for every model of each GROUP (see MODELS). Every
model passes onnx.checker unless its name starts with "bad_".
"""

import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

F = TensorProto.FLOAT


def T(name, shape, elem=F):
    return helper.make_tensor_value_info(name, elem, shape)


def init(name, array):
    return numpy_helper.from_array(np.asarray(array), name)


def model(nodes, inputs, outputs, inits=(), opset=13, graph_inputs_extra=()):
    graph = helper.make_graph(nodes, "g", inputs + list(graph_inputs_extra),
                              outputs, initializer=list(inits))
    m = helper.make_model(graph, producer_name="fp4-tests",
                          opset_imports=[helper.make_opsetid("", opset)])
    return m


def node(op, inputs, outputs, name=None, **attrs):
    return helper.make_node(op, inputs, outputs, name=name or op, **attrs)


def rnd(*shape):
    return np.random.RandomState(len(shape)).randn(*shape).astype(np.float32)


MODELS = {}


def group(name):
    def register(fn):
        MODELS[name] = fn
        return fn
    return register


@group("signature")
def signature():
    # x -> Gemm(W, b) -> Relu -> Reshape(shape) -> y; shape is an INT64
    # initializer (a constant), W and b float initializers (arguments).
    nodes = [node("Gemm", ["x", "W", "b"], ["h"], name="fc", transB=1),
             node("Relu", ["h"], ["r"], name="act"),
             node("Reshape", ["r", "shape"], ["y"], name="flat")]
    inits = [init("W", rnd(4, 3)), init("b", rnd(4)),
             init("shape", np.array([2, 2, 2], np.int64))]
    yield "mlp", model(nodes, [T("x", [2, 3])], [T("y", [2, 2, 2])], inits)
    # IR version 3 style: initializers are also listed as graph inputs.
    m = model(nodes, [T("x", [2, 3])], [T("y", [2, 2, 2])], inits,
              graph_inputs_extra=[T("W", [4, 3]), T("b", [4]),
                                  T("shape", [3], TensorProto.INT64)])
    yield "mlp_ir3", m
    # Two graph inputs and two outputs, one of them a graph input itself.
    nodes = [helper.make_node("Add", ["a", "b"], ["s"])]
    yield "unnamed", model(nodes, [T("a", [3]), T("b", [3])],
                           [T("s", [3]), T("a", [3])])
    # A symbolic batch dimension.
    nodes = [node("Relu", ["x"], ["y"])]
    yield "dynamic", model(nodes, [T("x", ["N", 4])], [T("y", ["N", 4])])


@group("gemm")
def gemm():
    yield "gemm_bias", model([node("Gemm", ["a", "b", "c"], ["y"])],
                             [T("a", [2, 3]), T("b", [3, 4]), T("c", [4])],
                             [T("y", [2, 4])])
    yield "gemm_all", model(
        [node("Gemm", ["a", "b", "c"], ["y"], alpha=0.5, beta=2.0, transA=1,
              transB=1)],
        [T("a", [3, 2]), T("b", [4, 3]), T("c", [2, 1])], [T("y", [2, 4])])
    yield "gemm_noc", model([node("Gemm", ["a", "b"], ["y"], alpha=3.0)],
                            [T("a", [2, 3]), T("b", [3, 4])], [T("y", [2, 4])],
                            opset=11)
    yield "gemm_opset9", model([node("Gemm", ["a", "b", "c"], ["y"])],
                               [T("a", [2, 3]), T("b", [3, 4]), T("c", [])],
                               [T("y", [2, 4])], opset=9)
    yield "matmul_2d", model([node("MatMul", ["a", "b"], ["y"])],
                             [T("a", [2, 3]), T("b", [3, 4])], [T("y", [2, 4])])
    yield "matmul_batch", model([node("MatMul", ["a", "b"], ["y"])],
                                [T("a", [5, 2, 3]), T("b", [1, 3, 4])],
                                [T("y", [5, 2, 4])])
    yield "matmul_nd_2d", model([node("MatMul", ["a", "b"], ["y"])],
                                [T("a", [2, 5, 2, 3]), T("b", [3, 4])],
                                [T("y", [2, 5, 2, 4])])
    yield "matmul_vec", model([node("MatMul", ["a", "b"], ["y"])],
                              [T("a", [3]), T("b", [3, 4])], [T("y", [4])])


@group("conv")
def conv():
    yield "conv_pads", model(
        [node("Conv", ["x", "w", "b"], ["y"], pads=[1, 0, 2, 1],
              strides=[2, 1], dilations=[1, 2])],
        [T("x", [1, 2, 7, 8])], [T("y", [1, 4, 4, 5])],
        [init("w", rnd(4, 2, 3, 3)), init("b", rnd(4))])
    yield "conv_groups", model(
        [node("Conv", ["x", "w"], ["y"], group=2, kernel_shape=[3, 3])],
        [T("x", [1, 4, 5, 5])], [T("y", [1, 6, 3, 3])],
        [init("w", rnd(6, 2, 3, 3))])
    yield "conv_depthwise", model(
        [node("Conv", ["x", "w"], ["y"], group=3, auto_pad="SAME_UPPER",
              strides=[2, 2])],
        [T("x", [2, 3, 6, 5])], [T("y", [2, 3, 3, 3])],
        [init("w", rnd(3, 1, 3, 3))])
    yield "conv_same_lower", model(
        [node("Conv", ["x", "w"], ["y"], auto_pad="SAME_LOWER")],
        [T("x", [1, 1, 4, 4])], [T("y", [1, 1, 4, 4])],
        [init("w", rnd(1, 1, 2, 2))], opset=11)
    yield "conv_valid", model(
        [node("Conv", ["x", "w"], ["y"], auto_pad="VALID", strides=[2, 2])],
        [T("x", [1, 1, 5, 5])], [T("y", [1, 1, 2, 2])],
        [init("w", rnd(1, 1, 2, 2))], opset=7)
    yield "conv_1d", model(
        [node("Conv", ["x", "w", "b"], ["y"], pads=[1, 1])],
        [T("x", [2, 3, 8])], [T("y", [2, 4, 8])],
        [init("w", rnd(4, 3, 3)), init("b", rnd(4))])


@group("pool")
def pool():
    yield "maxpool", model(
        [node("MaxPool", ["x"], ["y"], kernel_shape=[3, 3], pads=[1, 1, 1, 1],
              strides=[2, 2])],
        [T("x", [1, 2, 8, 8])], [T("y", [1, 2, 4, 4])], opset=12)
    yield "maxpool_ceil_dil", model(
        [node("MaxPool", ["x"], ["y"], kernel_shape=[2, 2], strides=[2, 2],
              dilations=[2, 1], ceil_mode=1)],
        [T("x", [1, 1, 7, 7])], [T("y", [1, 1, 3, 4])], opset=10)
    yield "maxpool_opset8", model(
        [node("MaxPool", ["x"], ["y"], kernel_shape=[2, 2])],
        [T("x", [1, 1, 4, 4])], [T("y", [1, 1, 3, 3])], opset=8)
    yield "maxpool_1d", model(
        [node("MaxPool", ["x"], ["y"], kernel_shape=[3], strides=[2])],
        [T("x", [1, 2, 9])], [T("y", [1, 2, 4])], opset=12)
    yield "avgpool_exclude", model(
        [node("AveragePool", ["x"], ["y"], kernel_shape=[3, 3],
              pads=[1, 1, 1, 1])],
        [T("x", [1, 1, 4, 4])], [T("y", [1, 1, 4, 4])], opset=11)
    yield "avgpool_include", model(
        [node("AveragePool", ["x"], ["y"], kernel_shape=[3, 3],
              pads=[1, 1, 1, 1], count_include_pad=1)],
        [T("x", [1, 1, 4, 4])], [T("y", [1, 1, 4, 4])], opset=7)
    yield "globalavgpool", model(
        [node("GlobalAveragePool", ["x"], ["y"])],
        [T("x", [2, 3, 5, 6])], [T("y", [2, 3, 1, 1])])
    yield "globalavgpool_1d", model(
        [node("GlobalAveragePool", ["x"], ["y"])],
        [T("x", [2, 3, 5])], [T("y", [2, 3, 1])])
    # What torch.onnx.export emits for nn.AvgPool2d(2, padding=1).
    yield "torch_avgpool", model(
        [node("Constant", [], ["pads"], value=helper.make_tensor(
            "p", TensorProto.INT64, [8], [0, 0, 1, 1, 0, 0, 1, 1])),
         node("Pad", ["x", "pads"], ["p"], mode="constant"),
         node("AveragePool", ["p"], ["y"], kernel_shape=[2, 2],
              strides=[2, 2])],
        [T("x", [1, 1, 4, 4])], [T("y", [1, 1, 3, 3])])


def bn_model(opset, outputs, train_attr=None, stats_as_inputs=False):
    attrs = {"epsilon": 1e-3}
    if opset >= 14:
        attrs["momentum"] = 0.8
        if train_attr is not None:
            attrs["training_mode"] = train_attr
    elif opset >= 7:
        attrs["momentum"] = 0.8
    names = ["y", "rm_out", "rv_out", "saved_mean", "saved_var"][:outputs]
    n = node("BatchNormalization", ["x", "s", "b", "rm", "rv"], names,
             name="bn", **attrs)
    inits = [init("s", rnd(3)), init("b", rnd(3))]
    stats = [init("rm", rnd(3)), init("rv", np.abs(rnd(3)) + 0.5)]
    ins = [T("x", [2, 3, 4, 5])]
    if stats_as_inputs:
        ins += [T("rm", [3]), T("rv", [3])]
    else:
        inits += stats
    outs = [T("y", [2, 3, 4, 5])] + [T(o, [3]) for o in names[1:]]
    return model([n, node("Relu", ["y"], ["r"])] if outputs == 1 else [n],
                 ins, [T("r", [2, 3, 4, 5])] if outputs == 1 else outs, inits,
                 opset=opset)


@group("batchnorm")
def batchnorm():
    yield "bn15", bn_model(15, 1)
    yield "bn15_train3", bn_model(15, 3, train_attr=1)
    yield "bn9", bn_model(9, 1)
    yield "bn7_outputs5", bn_model(7, 5)
    yield "bn14_stat_inputs", bn_model(14, 1, stats_as_inputs=True)


@group("elementwise")
def elementwise():
    nodes = [node("Relu", ["x"], ["a"]),
             node("LeakyRelu", ["a"], ["b"], alpha=0.2),
             node("Sigmoid", ["b"], ["c"]),
             node("Tanh", ["c"], ["y"])]
    yield "unary", model(nodes, [T("x", [2, 3])], [T("y", [2, 3])])
    yield "leakyrelu_default", model([node("LeakyRelu", ["x"], ["y"])],
                                     [T("x", [4])], [T("y", [4])], opset=16)
    nodes = [node("Add", ["x", "row"], ["a"]),
             node("Sub", ["a", "col"], ["b"]),
             node("Mul", ["b", "scalar"], ["c"]),
             node("Div", ["c", "x"], ["y"])]
    yield "binary", model(nodes, [T("x", [2, 3, 4]), T("row", [4]),
                                  T("col", [3, 1]), T("scalar", [])],
                          [T("y", [2, 3, 4])], opset=14)
    # Constant operands become arith.constant tensors.
    nodes = [node("Constant", [], ["k"], value=helper.make_tensor(
        "k", F, [3], [1.0, 2.0, 3.0])), node("Mul", ["x", "k"], ["y"])]
    yield "constant_operand", model(nodes, [T("x", [2, 3])], [T("y", [2, 3])],
                                    opset=7)


@group("softmax")
def softmax():
    for op in ["Softmax", "LogSoftmax"]:
        lower = op.lower()
        yield lower + "13", model([node(op, ["x"], ["y"])],
                                  [T("x", [2, 3, 4])], [T("y", [2, 3, 4])])
        yield lower + "11", model([node(op, ["x"], ["y"])],
                                  [T("x", [2, 3, 4])], [T("y", [2, 3, 4])],
                                  opset=11)
        yield lower + "13_axis0", model([node(op, ["x"], ["y"], axis=0)],
                                        [T("x", [2, 3, 4])],
                                        [T("y", [2, 3, 4])])


@group("shapes")
def shapes():
    yield "flatten", model([node("Flatten", ["x"], ["y"], axis=2)],
                           [T("x", [2, 3, 4, 5])], [T("y", [6, 20])])
    yield "flatten0", model([node("Flatten", ["x"], ["y"], axis=0)],
                            [T("x", [2, 3])], [T("y", [1, 6])], opset=9)
    shape = init("shape", np.array([0, -1, 2], np.int64))
    yield "reshape", model([node("Reshape", ["x", "shape"], ["y"])],
                           [T("x", [2, 3, 4])], [T("y", [2, 6, 2])], [shape])
    shape = init("shape", np.array([3, 4, 0], np.int64))
    yield "reshape_allowzero", model(
        [node("Reshape", ["x", "shape"], ["y"], allowzero=1)],
        [T("x", [0, 3, 4])], [T("y", [3, 4, 0])], [shape], opset=14)
    shape = init("shape", np.array([3, 2], np.int64))
    yield "reshape_permuted", model([node("Reshape", ["x", "shape"], ["y"])],
                                    [T("x", [2, 3])], [T("y", [3, 2])], [shape])
    yield "unsqueeze11", model([node("Unsqueeze", ["x"], ["y"], axes=[0, 3])],
                               [T("x", [2, 3])], [T("y", [1, 2, 3, 1])],
                               opset=11)
    axes = init("axes", np.array([-1], np.int64))
    yield "unsqueeze13", model([node("Unsqueeze", ["x", "axes"], ["y"])],
                               [T("x", [2, 3])], [T("y", [2, 3, 1])], [axes])
    yield "squeeze11", model([node("Squeeze", ["x"], ["y"])],
                             [T("x", [1, 2, 1, 3])], [T("y", [2, 3])],
                             opset=11)
    axes = init("axes", np.array([2], np.int64))
    yield "squeeze13", model([node("Squeeze", ["x", "axes"], ["y"])],
                             [T("x", [1, 2, 1, 3])], [T("y", [1, 2, 3])],
                             [axes])
    yield "transpose", model([node("Transpose", ["x"], ["y"], perm=[1, 2, 0])],
                             [T("x", [2, 3, 4])], [T("y", [3, 4, 2])])
    yield "transpose_default", model([node("Transpose", ["x"], ["y"])],
                                     [T("x", [2, 3, 4])], [T("y", [4, 3, 2])])
    yield "transpose_scalar", model([node("Transpose", ["x"], ["y"])],
                                    [T("x", [])], [T("y", [])])
    yield "concat", model([node("Concat", ["a", "b"], ["y"], axis=-1)],
                          [T("a", [2, 3]), T("b", [2, 1])], [T("y", [2, 4])])
    nodes = [node("Identity", ["x"], ["i"]),
             node("Dropout", ["i"], ["d"], ratio=0.5),
             node("Relu", ["d"], ["y"])]
    yield "dropout7", model(nodes, [T("x", [3])], [T("y", [3])], opset=7)
    nodes = [node("Constant", [], ["r"], value_float=0.3),
             node("Constant", [], ["t"], value=helper.make_tensor(
                 "t", TensorProto.BOOL, [], [True])),
             node("Dropout", ["x", "r", "t"], ["d", "mask"]),
             node("Relu", ["d"], ["y"])]
    yield "dropout13", model(nodes, [T("x", [3])], [T("y", [3])])
    pads = init("pads", np.array([0, 1, 0, 2], np.int64))
    value = init("value", np.array(1.5, np.float32))
    yield "pad13", model([node("Pad", ["x", "pads", "value"], ["y"])],
                         [T("x", [2, 3])], [T("y", [2, 6])], [pads, value])
    yield "pad2", model([node("Pad", ["x"], ["y"], pads=[1, 0, 0, 0],
                              value=-2.0)],
                        [T("x", [2, 3])], [T("y", [3, 3])], opset=2)


@group("folding")
def folding():
    # The chain torch.onnx.export emits for x.view(x.size(0), -1) with a
    # dynamic batch axis.
    nodes = [
        node("Shape", ["x"], ["s"]),
        node("Constant", [], ["zero"], value=helper.make_tensor(
            "z", TensorProto.INT64, [], [0])),
        node("Gather", ["s", "zero"], ["n"], axis=0),
        node("Constant", [], ["ax"], value=helper.make_tensor(
            "a", TensorProto.INT64, [1], [0])),
        node("Unsqueeze", ["n", "ax"], ["n1"]),
        node("Constant", [], ["m1"], value=helper.make_tensor(
            "m", TensorProto.INT64, [1], [-1])),
        node("Concat", ["n1", "m1"], ["shape"], axis=0),
        node("Reshape", ["x", "shape"], ["y"]),
    ]
    yield "view_chain", model(nodes, [T("x", ["N", 3, 2, 2])], [T("y", ["N", 12])])
    # Opset 11: Unsqueeze axes as an attribute; Cast, Slice, Mul on shapes;
    # ConstantOfShape.
    nodes = [
        node("Shape", ["x"], ["s"]),
        node("Slice", ["s", "st", "en"], ["tail"]),
        node("Constant", [], ["two"], value=helper.make_tensor(
            "t", TensorProto.INT64, [1], [2])),
        node("Mul", ["tail", "two"], ["dbl"]),
        node("Cast", ["dbl"], ["dblf"], to=TensorProto.FLOAT),
        node("Cast", ["dblf"], ["dbli"], to=TensorProto.INT64),
        node("ConstantOfShape", ["dbli"], ["ones"], value=helper.make_tensor(
            "o", F, [1], [1.0])),
        node("Add", ["ones", "bias"], ["y"]),
    ]
    inits = [init("st", np.array([1], np.int64)),
             init("en", np.array([2], np.int64))]
    yield "shape_math", model(nodes, [T("x", [4, 3]), T("bias", [6])],
                              [T("y", [6])], inits, opset=11)
    # Split of a shape: sizes as an attribute (opset 11), as an input (13).
    for opset in (11, 13):
        split = ([node("Split", ["s"], ["a", "b"], split=[1, 2])] if opset == 11
                 else [node("Split", ["s", "sizes"], ["a", "b"])])
        inits = [init("sizes", np.array([1, 2], np.int64))] if opset == 13 else []
        nodes = [node("Shape", ["x"], ["s"])] + split + [
            node("Concat", ["b", "a"], ["shape"], axis=0),
            node("Reshape", ["x", "shape"], ["y"])]
        yield "split%d" % opset, model(nodes, [T("x", [2, 3, 4])],
                                       [T("y", [3, 4, 2])], inits,
                                       opset=opset)
    # Outputs known at import time: a shape (INT64) and a float constant.
    nodes = [node("Shape", ["x"], ["s"]),
             node("Constant", [], ["c"], value=helper.make_tensor(
                 "c", F, [2], [0.5, -1.0]))]
    yield "const_outputs", model(nodes, [T("x", [4, 3])],
                                 [T("s", [2], TensorProto.INT64), T("c", [2])],
                                 opset=15)


@group("errors")
def errors():
    yield "unsupported_op", model(
        [node("Conv", ["x", "w"], ["c"], name="Conv_3"),
         node("Resize", ["c", "", "scales"], ["y"], name="resize_1")],
        [T("x", [1, 1, 4, 4])], [T("y", [1, 1, 4, 4])],
        [init("w", rnd(1, 1, 1, 1)), init("scales", np.ones(4, np.float32))])
    m = model([helper.make_node("Foo", ["x"], ["y"], domain="com.example",
                                name="foo")],
              [T("x", [2])], [T("y", [2])])
    m.opset_import.append(helper.make_opsetid("com.example", 1))
    yield "unsupported_domain", m
    yield "old_add", model([node("Add", ["x", "x"], ["y"], name="add6")],
                           [T("x", [2])], [T("y", [2])], opset=6)
    yield "dynamic", model([node("Relu", ["x"], ["y"])],
                           [T("x", ["N", 4])], [T("y", ["N", 4])])
    yield "dynamic_inner", model([node("Relu", ["x"], ["y"])],
                                 [T("x", [2, "seq"])], [T("y", [2, "seq"])])
    yield "static_batch", model([node("Relu", ["x"], ["y"])],
                                [T("x", [2, 4])], [T("y", [2, 4])])
    yield "fp16_input", model([node("Relu", ["x"], ["y"])],
                              [T("x", [2], TensorProto.FLOAT16)],
                              [T("y", [2], TensorProto.FLOAT16)])
    yield "double_init", model([node("Relu", ["x"], ["y"])],
                               [T("x", [2])], [T("y", [2])],
                               [init("w", np.ones(2, np.float64))])
    yield "int_input", model([node("Reshape", ["x", "shape"], ["y"])],
                             [T("x", [2, 3]), T("shape", [2], TensorProto.INT64)],
                             [T("y", [3, 2])])
    yield "reflect_pad", model(
        [node("Pad", ["x", "pads"], ["y"], name="pad", mode="reflect")],
        [T("x", [2, 3])], [T("y", [2, 5])],
        [init("pads", np.array([0, 1, 0, 1], np.int64))])
    yield "conv3d", model(
        [node("Conv", ["x", "w"], ["y"], name="conv")],
        [T("x", [1, 1, 3, 3, 3])], [T("y", [1, 1, 3, 3, 3])],
        [init("w", rnd(1, 1, 1, 1, 1))])
    yield "runtime_gather", model(
        [node("Gather", ["x", "idx"], ["y"], name="gather")],
        [T("x", [3, 2])], [T("y", [2, 2])],
        [init("idx", np.array([0, 2], np.int64))])
    yield "maxpool_indices", model(
        [node("MaxPool", ["x"], ["y", "idx"], name="pool", kernel_shape=[2, 2])],
        [T("x", [1, 1, 4, 4])],
        [T("y", [1, 1, 3, 3]), T("idx", [1, 1, 3, 3], TensorProto.INT64)])
    yield "dropout_mask", model(
        [node("Dropout", ["x"], ["y", "mask"], name="drop")],
        [T("x", [3])], [T("y", [3]), T("mask", [3], TensorProto.BOOL)])
    # libonnx 1.12's shape inference divides by strides and group unchecked.
    yield "stride0", model(
        [node("MaxPool", ["x"], ["y"], name="pool", kernel_shape=[2, 2],
              strides=[0, 1])],
        [T("x", [1, 1, 4, 4])], [T("y", [1, 1, 4, 4])])
    yield "group0", model(
        [node("Conv", ["x", "w"], ["y"], name="conv", group=0)],
        [T("x", [1, 2, 4, 4])], [T("y", [1, 2, 4, 4])],
        [init("w", rnd(2, 2, 1, 1))])
    yield "huge_pads", model(
        [node("Pad", ["x", "pads"], ["y"], name="pad")],
        [T("x", [2, 3])], [T("y", ["a", "b"])],
        [init("pads", np.array([0, 1 << 40, 0, 0], np.int64))])
    # The checker rejects a node whose input is never defined.
    yield "bad_checker", model([node("Relu", ["nowhere"], ["y"])],
                               [T("x", [2])], [T("y", [2])])
    # Shape inference rejects a MatMul with mismatched inner dimensions.
    yield "bad_shapes", model([node("MatMul", ["a", "b"], ["y"])],
                              [T("a", [2, 3]), T("b", [4, 5])],
                              [T("y", [2, 5])])


def main():
    outdir = sys.argv[1]
    os.makedirs(outdir, exist_ok=True)
    for name in sys.argv[2:]:
        for model_name, m in MODELS[name]():
            if not model_name.startswith("bad_"):
                onnx.checker.check_model(m)
            onnx.save(m, os.path.join(outdir, model_name + ".onnx"))


if __name__ == "__main__":
    main()
