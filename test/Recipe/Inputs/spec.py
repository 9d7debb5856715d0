"""SPEC-numerics quantizers in numpy, written from shared/SPEC-numerics.md
for the recipe tests (an oracle independent of the C++ numerics library)."""
import numpy as np

F32 = np.float32


def f32(x):
    return np.asarray(x, dtype=np.float32)


def _exp_field(a):
    """Biased binary exponent field of non-negative f32 values."""
    return (f32(a).view(np.uint32) >> 23).astype(np.int64)


def radix4(x, phase):
    """SPEC 2.1: values of Q_even / Q_odd (x in format units), as f32."""
    x = f32(x)
    if phase == "odd":
        return f32(0.5) * radix4(f32(2.0) * x, "even")
    a = f32(1.6) * np.abs(x)
    e_field = _exp_field(a)
    e = np.floor_divide(e_field - 127, 2)
    mag = np.where(e_field == 0, 0.0, np.where(e >= 3, 64.0,
                   np.where(e < -3, 0.0, np.power(4.0, np.clip(e, -3, 3)))))
    out = np.where(np.isnan(x), np.nan, np.sign(x) * mag)
    return f32(out)


def radix4_code_stats(x, phase):
    """(saturated, flushed, nonfinite) counts of SPEC section 6."""
    x = f32(x)
    mx = 64.0 if phase == "even" else 32.0
    finite = np.isfinite(x)
    q = radix4(x, phase)
    sat = int(np.sum(finite & (np.abs(x) > mx)))
    flushed = int(np.sum(finite & (x != 0) & (q == 0)))
    return sat, flushed, int(np.sum(~finite))


def rne(x):
    return np.round(x)  # numpy rounds half to even


def int4(x):
    return f32(np.clip(rne(np.where(np.isnan(x), 0.0, x)), -7, 7))


def uint4(x):
    x = np.where(np.isnan(x) | (x < 0), 0.0, x)
    return f32(np.clip(rne(x), 0, 15))


def sawb_scale(w):
    """SPEC 4.2, means in f64 in index order."""
    w = np.abs(f32(w).astype(np.float64).ravel())
    s1 = 0.0
    s2 = 0.0
    for v in w:  # sequential f64 sums, as the SPEC's reference
        s1 += v
        s2 += v * v
    n = float(w.size)
    alpha = 12.1 * np.sqrt(s2 / n) - 12.2 * (s1 / n)
    if not alpha > 0 or alpha > w.max():
        alpha = float(w.max())
    return f32(7.0 / alpha)


def pow2_from_max(m, mx):
    """Largest 2^k with m * 2^k <= mx (SPEC 4.1, exact)."""
    k = int(np.floor(np.log2(mx / float(m))))
    while float(m) * 2.0 ** (k + 1) <= mx:
        k += 1
    while float(m) * 2.0 ** k > mx:
        k -= 1
    return f32(2.0 ** k)


def gradscale(g, s, mx=64.0):
    """Delayed GradScale: returns (scale used this step, next scale)."""
    m0 = float(np.max(np.abs(f32(g))))
    if s == 0:
        used = f32(1.0) if (m0 == 0 or not np.isfinite(m0)) else pow2_from_max(m0, mx)
    else:
        used = f32(s)
    m = float(f32(m0) * used)
    if not np.isfinite(m):
        nxt = used * f32(0.5)
    elif m > mx:
        nxt = used * f32(0.5)
    elif m != 0 and m <= mx / 2:
        nxt = used * f32(2.0)
    else:
        nxt = used
    return used, f32(nxt)


def matmul_seq(a, b):
    """f32 matmul summing over k in increasing order (one rounding per op)."""
    a, b = f32(a), f32(b)
    acc = np.zeros((a.shape[0], b.shape[1]), np.float32)
    for k in range(a.shape[1]):
        acc = f32(acc + f32(a[:, k:k + 1] * b[k:k + 1, :]))
    return acc
