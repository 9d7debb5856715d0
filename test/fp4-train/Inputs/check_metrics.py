#!/usr/bin/env python3
"""Checks an fp4-train metrics file and summarizes it on one line per
layer: check_metrics.py FILE [--epochs N] [--falls] [--layers N]."""
import argparse
import json

p = argparse.ArgumentParser()
p.add_argument("file")
p.add_argument("--epochs", type=int)
p.add_argument("--falls", action="store_true")
p.add_argument("--layers", type=int)
p.add_argument("--timed", action="store_true",
               help="the run trained and evaluated: both timing figures set")
a = p.parse_args()
m = json.load(open(a.file))
for key in ("recipe", "model", "epochs", "layers"):
    assert key in m, key
epochs = m["epochs"]
for i, e in enumerate(epochs):
    assert e["epoch"] == i + 1
    for key in ("train_loss", "test_loss", "test_accuracy", "seconds",
                "images_per_second"):
        assert isinstance(e[key], (int, float)), (key, e[key])
    assert 0 <= e["test_accuracy"] <= 100
timing = m["timing"]
for key in ("to_first_step_seconds", "eval_compile_seconds"):
    value = timing[key]
    assert value is None or (isinstance(value, (int, float)) and value > 0), \
        (key, value)
    assert not a.timed or value is not None, (key, value)
if a.epochs is not None:
    assert len(epochs) == a.epochs, len(epochs)
falls = ""
if a.falls:
    assert epochs[-1]["train_loss"] < epochs[0]["train_loss"], epochs
    assert epochs[-1]["test_loss"] < epochs[0]["test_loss"], epochs
    falls = ", loss falls"
if a.layers is not None:
    assert len(m["layers"]) == a.layers, m["layers"]
print("recipe %s, model %s, %d epochs%s, %d layers" %
      (m["recipe"], m["model"], len(epochs), falls, len(m["layers"])))
for name, layer in sorted(m["layers"].items()):
    print("layer %s: gradscale %s, pact_alpha %s, saturated %d, flushed %d, "
          "nonfinite %d, counters %d" %
          (name, layer["gradscale"], layer["pact_alpha"], layer["saturated"],
           layer["flushed"], layer["nonfinite"], len(layer["counters"])))
