//===- MatmulTest.cpp - Low-precision matmul reference --------------------===//
//
// Part of the fp4 project.
//
//===----------------------------------------------------------------------===//

#include "Oracle.h"

#include "gtest/gtest.h"

#include <random>

using namespace fp4::numerics;
using namespace fp4::test;

namespace {

/// Random values on a 4-bit grid (format units).
std::vector<float> randomGridValues(Format f, size_t n, std::mt19937 &rng) {
  std::vector<float> v(n);
  for (auto &x : v) {
    uint16_t code = static_cast<uint16_t>(rng() & 15);
    x = decode(code, f);
    if (std::isnan(x))
      x = 0.0f;
  }
  return v;
}

std::vector<float> transpose(const std::vector<float> &a, size_t rows,
                             size_t cols) {
  std::vector<float> t(a.size());
  for (size_t i = 0; i < rows; ++i)
    for (size_t j = 0; j < cols; ++j)
      t[j * rows + i] = a[i * cols + j];
  return t;
}

TEST(Matmul, F32EqualsExactProductWhenSumsAreExact) {
  std::mt19937 rng(5);
  const size_t M = 5, N = 3, K = 37;
  for (Format f : {Format::E2M1, Format::Int4, Format::Radix4Even}) {
    std::vector<float> A = randomGridValues(f, M * K, rng);
    std::vector<float> B = randomGridValues(f, K * N, rng);
    const float sa = 4.0f, sb = 0.125f; // product 0.5: exact scaling
    std::vector<float> C(M * N), Ct(M * N);
    MatmulShape shape{M, N, K};
    lowpMatmulF32(A.data(), B.data(), C.data(), shape, sa, sb);
    std::vector<float> At = transpose(A, M, K), Bt = transpose(B, K, N);
    MatmulShape tshape{M, N, K, true, true};
    lowpMatmulF32(At.data(), Bt.data(), Ct.data(), tshape, sa, sb);
    for (size_t i = 0; i < M; ++i)
      for (size_t j = 0; j < N; ++j) {
        double acc = 0;
        for (size_t k = 0; k < K; ++k)
          acc += static_cast<double>(A[i * K + k]) * B[k * N + j];
        float want = static_cast<float>(acc / 0.5);
        EXPECT_EQ(C[i * N + j], want) << formatName(f) << " " << i << "," << j;
        EXPECT_EQ(Ct[i * N + j], want);
      }
  }
}

TEST(Matmul, F32SequentialOrder) {
  // (2^24 + 1) rounds to 2^24 (tie to even) before -2^24 is added: 0, not 1.
  const float A[] = {0x1p24f, 1.0f, -0x1p24f};
  const float B[] = {1.0f, 1.0f, 1.0f};
  float C;
  lowpMatmulF32(A, B, &C, MatmulShape{1, 1, 3});
  EXPECT_EQ(C, 0.0f);
  const float A2[] = {1.0f, -0x1p24f, 0x1p24f}; // 1 - 2^24 is exact
  lowpMatmulF32(A2, B, &C, MatmulShape{1, 1, 3});
  EXPECT_EQ(C, 1.0f);
  // Non-power-of-two scales: fl32(acc / fl32(sa * sb)).
  const float A3[] = {1.0f};
  lowpMatmulF32(A3, B, &C, MatmulShape{1, 1, 1}, 3.0f, 0.1f);
  volatile float denom = 3.0f * 0.1f;
  EXPECT_EQ(C, 1.0f / denom);
  // K = 0 gives zero.
  lowpMatmulF32(A3, B, &C, MatmulShape{1, 1, 0}, 2.0f, 2.0f);
  EXPECT_EQ(C, 0.0f);
}

float dot16(std::vector<float> a, size_t chunk) {
  std::vector<float> ones(a.size(), 1.0f);
  float c;
  lowpMatmulF16Chunk(a.data(), ones.data(), &c, MatmulShape{1, 1, a.size()},
                     chunk);
  return c;
}

TEST(Matmul, F16ChunkRounding) {
  // f16 ulp at 2048 is 2: 2048 + 1 is a tie and rounds to even 2048.
  const std::vector<float> a = {2048, 1, 1, 1};
  EXPECT_EQ(dot16(a, 4), 2048.0f); // one chunk: every +1 is lost
  EXPECT_EQ(dot16(a, 0), 2048.0f); // chunk 0 = one chunk of K
  EXPECT_EQ(dot16(a, 2), 2050.0f); // {2048,1} -> 2048, {1,1} -> 2
  EXPECT_EQ(dot16(a, 3), 2049.0f); // last chunk shorter: {2048,1,1}, {1}
  EXPECT_EQ(dot16(a, 1), 2051.0f); // chunks summed in f32
  EXPECT_EQ(dot16(a, 100), 2048.0f);
  // Non-tie: 1 + 3 * 2^-11 = 1 + 1.5 ulp -> tie between 1+2^-10 (odd) and
  // 1+2^-9 (even): rounds to 1 + 2^-9.
  EXPECT_EQ(dot16({1.0f, 0x3p-11f}, 2), 1.0f + 0x1p-9f);
  EXPECT_EQ(dot16({1.0f, 0x1p-11f}, 2), 1.0f);         // tie to even 1
  EXPECT_EQ(dot16({1.0f, 0x1.0001p-11f}, 2), 1.0f + 0x1p-10f);
  // The product itself is f32 and exact; the f16 rounding is of the sum.
  EXPECT_EQ(dot16({0x1.004p0f}, 1), 0x1.004p0f);     // exactly an f16
  EXPECT_EQ(dot16({0x1.0028p0f}, 1), 0x1.004p0f);    // rounded to f16
  // f16 overflow inside a chunk gives Inf (IEEE), also after f32 summation.
  EXPECT_EQ(dot16({60000, 60000}, 2), INFINITY);
  EXPECT_EQ(dot16({60000, 60000, -60000}, 3), INFINITY);
  EXPECT_EQ(dot16({60000, 60000}, 1), 120000.0f); // in f32 it fits
  // Scaling after accumulation.
  const float A[] = {2048, 1, 1, 1};
  const float B[] = {1, 1, 1, 1};
  float C;
  lowpMatmulF16Chunk(A, B, &C, MatmulShape{1, 1, 4}, 2, 4.0f, 0.5f);
  EXPECT_EQ(C, 1025.0f);
}

TEST(Matmul, F16ChunkMatchesHandModel) {
  // Independent model: APFloat half arithmetic, one rounding per addition.
  std::mt19937 rng(9);
  const size_t M = 4, N = 5, K = 70;
  std::vector<float> A = randomGridValues(Format::E2M1, M * K, rng);
  std::vector<float> B = randomGridValues(Format::Radix4Even, K * N, rng);
  for (size_t chunk : {1u, 7u, 16u, 64u, 70u}) {
    std::vector<float> C(M * N);
    lowpMatmulF16Chunk(A.data(), B.data(), C.data(), MatmulShape{M, N, K},
                       chunk, 1.0f, 2.0f);
    for (size_t i = 0; i < M; ++i)
      for (size_t j = 0; j < N; ++j) {
        float total = 0.0f;
        for (size_t k0 = 0; k0 < K; k0 += chunk) {
          llvm::APFloat h(llvm::APFloat::IEEEhalf(), "0");
          for (size_t k = k0; k < std::min(K, k0 + chunk); ++k) {
            float p = A[i * K + k] * B[k * N + j];
            llvm::APFloat pp(p);
            bool loses;
            // Exact in f16? Add in f32 semantics first would double round;
            // add in double (exact) and convert once.
            llvm::APFloat hd = h;
            hd.convert(llvm::APFloat::IEEEdouble(),
                       llvm::RoundingMode::NearestTiesToEven, &loses);
            pp.convert(llvm::APFloat::IEEEdouble(),
                       llvm::RoundingMode::NearestTiesToEven, &loses);
            hd.add(pp, llvm::RoundingMode::NearestTiesToEven);
            hd.convert(llvm::APFloat::IEEEhalf(),
                       llvm::RoundingMode::NearestTiesToEven, &loses);
            h = hd;
          }
          bool loses;
          h.convert(llvm::APFloat::IEEEsingle(),
                    llvm::RoundingMode::NearestTiesToEven, &loses);
          volatile float hv = h.convertToFloat();
          total = total + hv;
        }
        volatile float want = total / 2.0f;
        EXPECT_EQ(C[i * N + j], want) << chunk << " " << i << "," << j;
      }
  }
}

} // namespace
