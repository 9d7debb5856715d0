//===- Matmul.cpp - Low-precision matmul reference ------------------------===//
//
// Part of the fp4 project.
//
//===----------------------------------------------------------------------===//
//
// SPEC-numerics.md section 7: f32 accumulation in index order and IBM-style
// chunk-based f16 accumulation.
//
//===----------------------------------------------------------------------===//

#include "fp4/Numerics/Numerics.h"

using namespace fp4::numerics;

float fp4::numerics::dotF32(const float *a, size_t strideA, const float *b,
                            size_t strideB, size_t K) {
  float acc = 0.0f;
  for (size_t k = 0; k < K; ++k) {
    float p = a[k * strideA] * b[k * strideB];
    acc = acc + p;
  }
  return acc;
}

float fp4::numerics::dotF16Chunk(const float *a, size_t strideA,
                                 const float *b, size_t strideB, size_t K,
                                 size_t chunk) {
  if (chunk == 0)
    chunk = K;
  float total = 0.0f;
  for (size_t k0 = 0; k0 < K; k0 += chunk) {
    size_t k1 = k0 + chunk < K ? k0 + chunk : K;
    // The f16 accumulator, held as its exact value. h + p is exact in double
    // whenever it matters (h has 11 significant bits in [2^-24, 2^16], p 24);
    // when it is not, |p| is far below half an f16 ulp of h (or h overflowed)
    // and the single f16 rounding gives the same result.
    double h = 0.0;
    for (size_t k = k0; k < k1; ++k) {
      float p = a[k * strideA] * b[k * strideB];
      h = f16BitsToFloat(doubleToF16Bits(h + static_cast<double>(p)));
    }
    total = total + static_cast<float>(h);
  }
  return total;
}

namespace {

template <typename DotFn>
void matmulImpl(const float *A, const float *B, float *C,
                const MatmulShape &s, float scaleA, float scaleB, DotFn dot) {
  const float denom = scaleA * scaleB;
  // Element (i,k) of op(A) and (k,j) of op(B) and their k strides.
  const size_t strideA = s.transA ? s.M : 1;
  const size_t strideB = s.transB ? 1 : s.N;
  for (size_t i = 0; i < s.M; ++i) {
    const float *a = s.transA ? A + i : A + i * s.K;
    for (size_t j = 0; j < s.N; ++j) {
      const float *b = s.transB ? B + j * s.K : B + j;
      float acc = dot(a, strideA, b, strideB, s.K);
      C[i * s.N + j] = acc / denom;
    }
  }
}

} // namespace

void fp4::numerics::lowpMatmulF32(const float *A, const float *B, float *C,
                                  const MatmulShape &shape, float scaleA,
                                  float scaleB) {
  matmulImpl(A, B, C, shape, scaleA, scaleB, dotF32);
}

void fp4::numerics::lowpMatmulF16Chunk(const float *A, const float *B,
                                       float *C, const MatmulShape &shape,
                                       size_t chunk, float scaleA,
                                       float scaleB) {
  matmulImpl(A, B, C, shape, scaleA, scaleB,
             [chunk](const float *a, size_t sa, const float *b, size_t sb,
                     size_t K) { return dotF16Chunk(a, sa, b, sb, K, chunk); });
}
