#!/usr/bin/env python3
"""Generates the example ONNX models of fp4-train (docs/training.md).

    /usr/bin/python3 examples/models/make_models.py [--out DIR] [--seed S]
        [--batch N] [MODEL ...]

MODEL is any of mlp, cnn, resnet_small, resnet18, basic_block (default: mlp
cnn, the two models committed next to this script). Every model takes a
Fashion-MNIST batch `input` [N, 1, 28, 28] f32 and returns `logits` [N, 10].

- The weights are PyTorch's default initialization after
  `torch.manual_seed(seed)` (default 0), so the files are reproducible.
- The batch dimension is symbolic (`batch`) unless --batch fixes it; the
  importer fixes it at import time (fp4-train --batch).
- Models with BatchNormalization are exported in training mode
  (`TrainingMode.TRAINING`, `do_constant_folding=False`, opset 13), which keeps
  BatchNormalization nodes and PyTorch's parameter names (torch 1.13 folds BN
  into the convolution in eval mode). Exporting traces one forward pass in
  training mode, which updates the running statistics; the initializers are
  therefore rewritten with the values from before the export (mean 0, var 1).
- resnet18 is torchvision's, num_classes=10, with a 1-channel stem
  (conv1 = Conv2d(1, 64, 7, 2, 3)); on 28x28 inputs layer4 is 1x1.
"""

import argparse
import copy
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

MODELS = ("mlp", "cnn", "resnet_small", "resnet18", "basic_block")
DEFAULT_MODELS = ("mlp", "cnn")


class MLP(nn.Module):
    """784-256-10 with ReLU."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 256)
        self.fc2 = nn.Linear(256, 10)

    def forward(self, x):
        x = torch.flatten(x, 1)
        return self.fc2(F.relu(self.fc1(x)))


class CNN(nn.Module):
    """The default model of fp4-train: two conv3x3+BN+ReLU+maxpool stages and
    two fully connected layers."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(32)
        self.conv2 = nn.Conv2d(32, 64, 3, padding=1)
        self.bn2 = nn.BatchNorm2d(64)
        self.fc1 = nn.Linear(64 * 7 * 7, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 2)
        x = F.max_pool2d(F.relu(self.bn2(self.conv2(x))), 2)
        x = torch.flatten(x, 1)
        return self.fc2(F.relu(self.fc1(x)))


class BasicBlock(nn.Module):
    """torchvision's ResNet basic block (conv3x3-BN-ReLU-conv3x3-BN + shortcut,
    ReLU), with a 1x1 conv+BN shortcut when the shape changes."""

    def __init__(self, cin, cout, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(
                nn.Conv2d(cin, cout, 1, stride, bias=False),
                nn.BatchNorm2d(cout))

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + identity)


class ResNetSmall(nn.Module):
    """ResNet-18-style network sized for 28x28: a conv3x3(1->16) stem and
    three stages of two basic blocks (16, 32, 64 channels; 28, 14, 7 pixels),
    global average pooling and fc(64->10)."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        blocks, cin = [], 16
        for cout, stride in ((16, 1), (32, 2), (64, 2)):
            blocks += [BasicBlock(cin, cout, stride), BasicBlock(cout, cout)]
            cin = cout
        self.layers = nn.Sequential(*blocks)
        self.fc = nn.Linear(64, 10)

    def forward(self, x):
        x = self.layers(F.relu(self.bn1(self.conv1(x))))
        x = F.adaptive_avg_pool2d(x, 1)
        return self.fc(torch.flatten(x, 1))


class BlockNet(nn.Module):
    """One downsampling basic block between a conv stem and a linear head:
    the smallest model with every piece of a ResNet (the gradient oracle's
    third model)."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, 2, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(8)
        self.block = BasicBlock(8, 16, 2)
        self.fc = nn.Linear(16 * 7 * 7, 10)

    def forward(self, x):
        x = self.block(F.relu(self.bn1(self.conv1(x))))
        return self.fc(torch.flatten(x, 1))


def build(name, seed=0):
    """Returns the PyTorch module `name`, initialized after manual_seed(seed),
    in training mode."""
    torch.manual_seed(seed)
    if name == "mlp":
        model = MLP()
    elif name == "cnn":
        model = CNN()
    elif name == "resnet_small":
        model = ResNetSmall()
    elif name == "basic_block":
        model = BlockNet()
    elif name == "resnet18":
        import torchvision
        model = torchvision.models.resnet18(num_classes=10)
        model.conv1 = nn.Conv2d(1, 64, 7, 2, 3, bias=False)
    else:
        raise ValueError("unknown model '%s' (models: %s)" %
                         (name, ", ".join(MODELS)))
    return model.train()


def export(model, path, batch=None):
    """Exports `model` to `path` (ONNX opset 13, BatchNormalization kept in
    training mode, the initializers as they were before the export)."""
    import onnx
    from onnx import numpy_helper

    state = copy.deepcopy(model.state_dict())
    example = torch.zeros(batch or 2, 1, 28, 28)
    dynamic = None if batch else {"input": {0: "batch"}, "logits": {0: "batch"}}
    tmp = path + ".tmp"
    torch.onnx.export(model, example, tmp,
                      training=torch.onnx.TrainingMode.TRAINING,
                      do_constant_folding=False, opset_version=13,
                      input_names=["input"], output_names=["logits"],
                      dynamic_axes=dynamic)
    model.load_state_dict(state)
    proto = onnx.load(tmp)
    for init in proto.graph.initializer:
        if init.name in state:
            value = state[init.name].detach().cpu().numpy()
            init.CopyFrom(numpy_helper.from_array(value, init.name))
    proto.producer_name = "fp4 examples/models/make_models.py"
    onnx.checker.check_model(proto)
    onnx.save(proto, tmp)
    os.replace(tmp, path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("models", nargs="*", default=list(DEFAULT_MODELS),
                        metavar="MODEL", help="|".join(MODELS))
    parser.add_argument("--out", default=os.path.dirname(os.path.abspath(__file__)))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--batch", type=int, default=None,
                        help="fix the batch dimension (default: symbolic)")
    args = parser.parse_args()
    for name in args.models:
        if name not in MODELS:
            sys.exit("make_models.py: error: unknown model '%s' (models: %s)" %
                     (name, ", ".join(MODELS)))
    os.makedirs(args.out, exist_ok=True)
    torch.use_deterministic_algorithms(True)
    for name in args.models:
        path = os.path.join(args.out, name + ".onnx")
        export(build(name, args.seed), path, args.batch)
        print("%s: %d bytes" % (path, os.path.getsize(path)))


if __name__ == "__main__":
    import warnings
    warnings.filterwarnings("ignore")  # torch.onnx's notes on BN in training mode
    main()
