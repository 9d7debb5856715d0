"""fp4.quantize / encode / decode / sawb_scale / gradscale_next (compiled
kernels) against the SPEC's worked values, hand-derived edge cases, the C++
reference library (fp4.reference) and the fp4-numerics-check tool."""

import math
import os
import re
import subprocess

import numpy as np
import pytest

import fp4
from conftest import tool


def f32_bits(a):
    return np.ascontiguousarray(a, dtype=np.float32).view(np.uint32)


def assert_same_floats(got, want):
    """Bit-identical, except that any NaN equals any NaN."""
    got = np.asarray(got)
    want = np.asarray(want, dtype=np.float32)
    assert got.dtype == np.float32
    assert got.shape == want.shape
    nan = np.isnan(want)
    assert np.array_equal(np.isnan(got), nan)
    mismatch = np.flatnonzero(f32_bits(got)[~nan] != f32_bits(want)[~nan])
    assert mismatch.size == 0, "first mismatch at %d: %r vs %r" % (
        mismatch[0], got[~nan][mismatch[0]], want[~nan][mismatch[0]])


# --- SPEC worked values -----------------------------------------------------

SPEC_WORKED = {
    "radix4_even": [(0.009, 0), (0.0098, 1 / 64), (0.15, 1 / 16), (0.16, 1 / 4),
                    (0.6, 1 / 4), (0.625, 1), (2.4, 1), (2.5, 4), (9.9, 4),
                    (10, 16), (39.9, 16), (40, 64), (-0.7, -1), (-3, -4),
                    (1000, 64)],
    "radix4_odd": [(0.009, 1 / 128), (0.1, 1 / 8), (0.6, 1 / 2), (1.0, 1 / 2),
                   (2.4, 2), (9.9, 8), (10, 8), (40, 32), (-0.7, -1 / 2),
                   (-3, -2)],
    "e2m1": [(0.25, 0), (0.26, 0.5), (0.75, 1), (1.25, 1), (1.75, 2), (2.5, 2),
             (3.5, 4), (5.0, 4), (5.1, 6), (7, 6), (-0.3, -0.5)],
}


@pytest.mark.parametrize("fmt", sorted(SPEC_WORKED))
def test_spec_worked_values(fmt):
    x = np.array([v for v, _ in SPEC_WORKED[fmt]], dtype=np.float32)
    want = np.array([q for _, q in SPEC_WORKED[fmt]], dtype=np.float32)
    assert_same_floats(fp4.quantize(x, fmt), want)
    # With a power-of-two scale the result is the same grid, scaled back.
    assert_same_floats(fp4.quantize(x / 8, fmt, scale=8.0), want / 8)


# --- Edge cases derived by hand from the SPEC ---------------------------------

HAND = [
    # int4: round half to even, saturate at 7 (code -8 unused).
    ("int4", [0.5, 1.5, 2.5, -2.5, 3.49, 7.4, 7.5, 8, -100, -0.4],
     [0, 2, 2, -2, 3, 7, 7, 7, -7, 0]),  # int4 has no -0
    # uint4: negatives -> 0, ties to even, saturate at 15.
    ("uint4", [-3, 0.5, 14.5, 15.5, 100, 3.7], [0, 0, 14, 15, 15, 4]),
    # e2m1: the largest tie 5.0 goes to the even mantissa (4), not 6.
    ("e2m1", [0.25, 0.75, 2.5, 5.0, 6.0, 1e30, -1e30], [0, 1, 2, 4, 6, 6, -6]),
    # e4m3: max 448, 464 is the tie above max -> saturates; subnormal quantum
    # 2^-9, 2^-10 is a tie -> 0 (even), 1.5 * 2^-10 -> 2^-9.
    ("e4m3", [448, 464, 1e6, 2.0 ** -10, 1.5 * 2.0 ** -10, -2.0 ** -9],
     [448, 448, 448, 0, 2.0 ** -9, -2.0 ** -9]),
    # e5m2: max 57344, saturating.
    ("e5m2", [57344, 1e6, -1e9, 1.25], [57344, 57344, -57344, 1.25]),
    # f16: max 65504, smallest subnormal 2^-24 (a tie at 2^-25 -> 0).
    ("f16", [65504, 2.0 ** -25, 3 * 2.0 ** -26, 1.0 + 2.0 ** -11],
     [65504, 0, 2.0 ** -24, 1.0]),
    # bf16: 8 mantissa bits, round half to even.
    ("bf16", [1.0 + 2.0 ** -8, 1.0 + 3 * 2.0 ** -8], [1.0, 1.0 + 2.0 ** -6]),
]


@pytest.mark.parametrize("fmt,x,want", HAND, ids=[h[0] for h in HAND])
def test_hand_edge_cases(fmt, x, want):
    assert_same_floats(fp4.quantize(np.array(x, np.float32), fmt),
                       np.array(want, np.float32))


def test_non_finite_and_counters():
    x = np.array([1000, -1000, 0.001, 0, np.nan, np.inf, -np.inf, 1.0],
                 np.float32)
    y, c = fp4.quantize(x, "radix4_even", return_counters=True)
    assert_same_floats(y, [64, -64, 0, 0, np.nan, 64, -64, 1])
    assert c == {"saturated": 2, "flushed": 1, "nonfinite": 3}
    # radix4 NaN code is 0b1000; E2M1 has no NaN: NaN encodes to +6 (0b0111).
    codes = fp4.encode(np.array([np.nan, 1.0], np.float32), "radix4_even")
    assert codes.tolist() == [0x48]  # low nibble NaN (8), high nibble 1 (4)
    codes = fp4.encode(np.array([np.nan, np.inf], np.float32), "e2m1")
    assert codes.tolist() == [0x77]
    y, c = fp4.quantize(np.array([np.nan], np.float32), "e2m1",
                        return_counters=True)
    assert y.tolist() == [6.0] and c["nonfinite"] == 1
    # e4m3 keeps NaN; f16 overflow of a finite value saturates to Inf and is
    # counted (docs/numerics.md).
    assert np.isnan(fp4.quantize(np.array([np.nan], np.float32), "e4m3")[0])
    y, c = fp4.quantize(np.array([1e6, 70000], np.float32), "f16",
                        return_counters=True)
    assert np.isinf(y).all() and c["saturated"] == 2


def test_packing_layout():
    # Element 2i in the low nibble; an odd count pads with a 0 high nibble.
    codes = fp4.encode(np.array([1, 2, 3], np.float32), "int4")
    assert codes.dtype == np.uint8 and codes.tolist() == [0x21, 0x03]
    codes = fp4.encode(np.array([-1, -7], np.float32), "int4")
    assert codes.tolist() == [0x9F]  # two's complement nibbles F, 9
    assert fp4.decode(codes, "int4").tolist() == [-1, -7]
    assert fp4.decode(np.array([0x21, 0x03], np.uint8), "int4",
                      shape=3).tolist() == [1, 2, 3]
    # 16-bit codes little-endian.
    codes = fp4.encode(np.array([1.0], np.float32), "f16")
    assert codes.tolist() == [0x00, 0x3C]
    assert fp4.storage_bytes("e2m1", 7) == 4
    assert fp4.storage_bytes("e4m3", 7) == 7
    assert fp4.storage_bytes("bf16", 7) == 14


# --- Against the C++ reference library -------------------------------------------

def special_values(fmt):
    """Every grid value of `fmt`, the midpoints (ties) between neighbours and
    the f32 neighbours of both, +-0, +-Inf, NaN, f32 subnormals and
    extremes."""
    bits = {4: 4, 8: 8, 16: 16}[fp4.numerics._BITS[fmt]]
    n = 1 << bits
    if bits == 16:
        codes = np.arange(n, dtype=np.uint16).view(np.uint8)
    elif bits == 8:
        codes = np.arange(n, dtype=np.uint8)
    else:
        codes = (np.arange(0, 16, 2, dtype=np.uint8) |
                 (np.arange(1, 16, 2, dtype=np.uint8) << 4))
    grid = fp4.reference.decode(codes, fmt)
    grid = np.unique(np.abs(grid[np.isfinite(grid)]))
    if bits == 16:  # keep the sample small: every 17th grid value
        grid = grid[::17]
    mids = ((grid[:-1].astype(np.float64) + grid[1:]) / 2).astype(np.float32)
    base = np.concatenate([grid, mids, [grid.max() * 1.5, grid.max() * 4]])
    with np.errstate(over="ignore"):  # bf16's 4 * max is +Inf on purpose
        base = base.astype(np.float32)
    up = np.nextafter(base, np.float32(np.inf))
    down = np.nextafter(base, np.float32(0))
    extra = np.array([0.0, np.inf, np.nan, 1e-45, 1e-40, 1.17e-38, 3.4e38,
                      1e-30, 1e30], np.float32)
    values = np.concatenate([base, up, down, extra])
    return np.concatenate([values, -values]).astype(np.float32)


def random_values(n, seed):
    rng = np.random.default_rng(seed)
    raw = rng.integers(0, 2 ** 32, n // 2, dtype=np.uint64).astype(
        np.uint32).view(np.float32)
    mags = np.exp2(rng.uniform(-40, 20, n - n // 2)).astype(np.float32)
    signs = np.where(rng.random(n - n // 2) < 0.5, -1, 1).astype(np.float32)
    return np.concatenate([raw, mags * signs]).astype(np.float32)


@pytest.mark.parametrize("fmt", fp4.FORMATS)
@pytest.mark.parametrize("scale", [1.0, 0.125, 3.7])
def test_specials_match_reference(fmt, scale):
    with np.errstate(over="ignore"):
        x = special_values(fmt) / np.float32(scale)
    for rounding in ("nearest", "stochastic"):
        kw = dict(rounding=rounding, seed=0x0123456789ABCDEF, stream=7)
        got, gc = fp4.encode(x, fmt, scale, return_counters=True, **kw)
        want, wc = fp4.reference.encode(x, fmt, scale, return_counters=True,
                                        **kw)
        assert np.array_equal(got, want), (fmt, rounding)
        assert gc == wc
        assert_same_floats(fp4.quantize(x, fmt, scale, **kw),
                           fp4.reference.quantize(x, fmt, scale, **kw))


@pytest.mark.parametrize("fmt", fp4.FORMATS)
def test_random_bit_exact(fmt):
    x = random_values(100003, seed=fp4.FORMATS.index(fmt))
    for rounding, scale in (("nearest", 1.0), ("nearest", 0.3),
                            ("stochastic", 1.0), ("stochastic", 0.3)):
        kw = dict(rounding=rounding, seed=20260601 + len(fmt), stream=11)
        got, gc = fp4.encode(x, fmt, scale, return_counters=True, **kw)
        want, wc = fp4.reference.encode(x, fmt, scale, return_counters=True,
                                        **kw)
        assert np.array_equal(got, want), (fmt, rounding, scale)
        assert gc == wc
        assert_same_floats(fp4.quantize(x, fmt, scale, **kw),
                           fp4.reference.quantize(x, fmt, scale, **kw))
    # Decode of arbitrary bytes (every code, including NaN markers).
    raw = np.random.default_rng(5).integers(0, 256, 20000, dtype=np.uint8)
    for scale in (1.0, 0.3):
        assert_same_floats(fp4.decode(raw, fmt, scale=scale),
                           fp4.reference.decode(raw, fmt, scale=scale))


def test_stochastic_rounding_properties():
    x = np.full(100000, 0.3, np.float32)
    a = fp4.quantize(x, "radix4_even", rounding="stochastic", seed=1, stream=3)
    b = fp4.quantize(x, "radix4_even", rounding="stochastic", seed=1, stream=3)
    c = fp4.quantize(x, "radix4_even", rounding="stochastic", seed=2, stream=3)
    d = fp4.quantize(x, "radix4_even", rounding="stochastic", seed=1, stream=4)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c) and not np.array_equal(a, d)
    assert set(np.unique(a).tolist()) == {0.25, 1.0}
    # Unbiased: p = (0.3 - 0.25) / 0.75, mean within 5 sigma of 0.3.
    p = (0.3 - 0.25) / 0.75
    sigma = 0.75 * math.sqrt(p * (1 - p) / x.size)
    assert abs(a.mean(dtype=np.float64) - 0.3) < 5 * sigma
    # Element i uses the i-th uniform: a prefix of the tensor is rounded like
    # the whole tensor's prefix.
    assert np.array_equal(
        fp4.quantize(x[:1001], "radix4_even", rounding="stochastic", seed=1,
                     stream=3), a[:1001])


@pytest.mark.parametrize("fmt", ["e2m1", "radix4_odd", "int4", "e4m3"])
def test_against_fp4_numerics_check(tmp_path, fmt):
    """The compiled codes checked by the C++ tool of the integration tests."""
    checker = tool("fp4-numerics-check")
    x = random_values(4099, seed=9)
    codes, counters = fp4.encode(x, fmt, 0.3, return_counters=True)
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "c.npy", codes.view(np.int8))
    np.save(tmp_path / "n.npy", np.array([counters["saturated"],
                                          counters["flushed"],
                                          counters["nonfinite"]], np.int64))
    out = subprocess.run(
        [checker, "quantize", "--format", fmt, "--input",
         str(tmp_path / "x.npy"), "--scale", "0.3", "--codes",
         str(tmp_path / "c.npy"), "--counters", str(tmp_path / "n.npy")],
        capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert re.search(r"4099 elements, 0 mismatches", out.stdout), out.stdout


def test_shapes_and_layout_kept():
    x = np.arange(24, dtype=np.float64).reshape(2, 3, 4)[:, ::2, :] / 7
    y = fp4.quantize(x, "int4", scale=2.0)
    assert y.shape == (2, 2, 4) and y.dtype == np.float32
    assert_same_floats(y, fp4.reference.quantize(
        np.ascontiguousarray(x, np.float32), "int4", scale=2.0))
    assert fp4.quantize([1.2, 3.9], "e2m1").tolist() == [1.0, 4.0]
    assert fp4.quantize(np.zeros((0, 3), np.float32), "e2m1").shape == (0, 3)


def test_kernels_are_cached():
    x = np.linspace(-3, 3, 777, dtype=np.float32)
    fp4.quantize(x, "e5m2")
    n = fp4.kernel_cache_size()
    fp4.quantize(x * 2, "e5m2", scale=0.5)  # same kernel: scale is an operand
    assert fp4.kernel_cache_size() == n


# --- Scaling rules -----------------------------------------------------------------

def test_sawb_scale():
    rng = np.random.default_rng(1)
    for w in (rng.normal(0, 0.05, (256, 784)).astype(np.float32),
              rng.uniform(-0.1, 0.1, 1001).astype(np.float32),
              np.exp2(rng.uniform(-20, 0, 5000)).astype(np.float32)):
        assert fp4.sawb_scale(w) == fp4.reference.sawb_scale(w)
    # Constant weights: alpha = 12.1 c - 12.2 c <= 0 -> max|w| = 0.25: 7/0.25.
    assert fp4.sawb_scale(np.full(100, -0.25, np.float32)) == 28.0
    assert fp4.sawb_scale(np.zeros(10, np.float32)) == 1.0
    w = np.ones(10, np.float32)
    w[3] = np.nan
    assert fp4.sawb_scale(w) == 1.0


def test_gradscale_next():
    g = np.linspace(-1, 1, 1280, dtype=np.float32).reshape(128, 10)
    # radix4: MAX = 64. m = max|g * s|.
    assert fp4.gradscale_next(1.0, g * 100) == 0.5      # m = 100 > 64
    assert fp4.gradscale_next(1.0, g * 20) == 2.0       # m = 20 <= 32
    assert fp4.gradscale_next(1.0, g * 40) == 1.0       # 32 < m <= 64
    assert fp4.gradscale_next(4.0, g * 10) == 4.0       # m = 40
    # Not initialized: 2^floor(log2(64 / 0.003)) = 2^14.
    assert fp4.gradscale_next(0.0, g * 0.003) == 16384.0
    assert fp4.gradscale_next(4.0, g * 0.003, mode="current") == 16384.0
    # e2m1: MAX = 6.
    assert fp4.gradscale_next(1.0, g * 2.5, fmt="e2m1") == 2.0
    # NaN/Inf halve the scale; an all-zero gradient keeps it.
    bad = g.copy()
    bad[5, 5] = np.nan
    assert fp4.gradscale_next(8.0, bad) == 4.0
    assert fp4.gradscale_next(8.0, np.zeros(10, np.float32)) == 8.0
    # Against the reference library.
    rng = np.random.default_rng(2)
    for fmt in ("radix4_even", "radix4_odd", "e2m1", "e4m3", "e5m2"):
        for mode in ("delayed", "current"):
            for s in (0.0, 0.5, 1.0, 1024.0):
                gg = (rng.normal(0, 1, 999) *
                      10.0 ** rng.uniform(-6, 4)).astype(np.float32)
                first = s == 0.0
                m = np.abs(gg * np.float32(1.0 if first else s)).max()
                want = fp4.reference.gradscale_next_from_max(
                    1.0 if first else s, m, fmt, mode, first_step=first)
                assert fp4.gradscale_next(s, gg, fmt, mode) == want, \
                    (fmt, mode, s)


# --- Argument errors -----------------------------------------------------------------

def test_errors():
    x = np.ones(4, np.float32)
    with pytest.raises(ValueError, match="unknown format 'fp3'"):
        fp4.quantize(x, "fp3")
    with pytest.raises(TypeError, match="format must be a string"):
        fp4.quantize(x, 4)
    with pytest.raises(ValueError, match="unknown rounding 'up'"):
        fp4.quantize(x, "e2m1", rounding="up")
    with pytest.raises(ValueError, match="scale must be a positive finite"):
        fp4.quantize(x, "e2m1", scale=0.0)
    with pytest.raises(ValueError, match="scale must be a positive finite"):
        fp4.quantize(x, "e2m1", scale=float("nan"))
    with pytest.raises(TypeError, match="scale must be a real number"):
        fp4.quantize(x, "e2m1", scale="1")
    with pytest.raises(TypeError, match="real numbers"):
        fp4.quantize(np.array(["a"]), "e2m1")
    with pytest.raises(TypeError, match="real numbers"):
        fp4.quantize(np.ones(3, np.complex64), "e2m1")
    with pytest.raises(ValueError, match="seed must be in"):
        fp4.quantize(x, "e2m1", rounding="stochastic", seed=-1)
    with pytest.raises(ValueError, match="stream must be in"):
        fp4.quantize(x, "e2m1", rounding="stochastic", stream=2 ** 32)
    with pytest.raises(TypeError, match="seed must be an integer"):
        fp4.quantize(x, "e2m1", rounding="stochastic", seed=1.5)
    with pytest.raises(ValueError, match="take 2 bytes, but codes has 3"):
        fp4.decode(np.zeros(3, np.uint8), "e2m1", shape=4)
    with pytest.raises(ValueError, match="not a whole number"):
        fp4.decode(np.zeros(3, np.uint8), "f16")
    with pytest.raises(TypeError, match="uint8"):
        fp4.decode(np.zeros(3, np.float32), "e4m3")
    with pytest.raises(ValueError, match="unknown mode 'later'"):
        fp4.gradscale_next(1.0, x, mode="later")
    with pytest.raises(ValueError, match=">= 0"):
        fp4.gradscale_next(-1.0, x)
