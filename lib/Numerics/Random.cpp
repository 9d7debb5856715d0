//===- Random.cpp - Philox4x32-10 and the stochastic-rounding uniform -----===//
//
// Part of the fp4 project.
//
//===----------------------------------------------------------------------===//
//
// SPEC-numerics.md section 5: Philox4x32-10 exactly as in Random123
// (Salmon et al., SC'11), and the mapping of a tensor element to its uniform
// number.
//
//===----------------------------------------------------------------------===//

#include "fp4/Numerics/Numerics.h"

using namespace fp4::numerics;

namespace {

constexpr uint32_t kPhiloxM0 = 0xD2511F53u;
constexpr uint32_t kPhiloxM1 = 0xCD9E8D57u;
constexpr uint32_t kPhiloxW0 = 0x9E3779B9u;
constexpr uint32_t kPhiloxW1 = 0xBB67AE85u;

/// One Philox4x32 round: (hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0).
inline std::array<uint32_t, 4> philoxRound(const std::array<uint32_t, 4> &c,
                                           const std::array<uint32_t, 2> &k) {
  uint64_t p0 = static_cast<uint64_t>(kPhiloxM0) * c[0];
  uint64_t p1 = static_cast<uint64_t>(kPhiloxM1) * c[2];
  uint32_t hi0 = static_cast<uint32_t>(p0 >> 32);
  uint32_t lo0 = static_cast<uint32_t>(p0);
  uint32_t hi1 = static_cast<uint32_t>(p1 >> 32);
  uint32_t lo1 = static_cast<uint32_t>(p1);
  return {hi1 ^ c[1] ^ k[0], lo1, hi0 ^ c[3] ^ k[1], lo0};
}

} // namespace

std::array<uint32_t, 4>
fp4::numerics::philox4x32_10(std::array<uint32_t, 4> ctr,
                             std::array<uint32_t, 2> key) {
  for (int round = 0; round < 10; ++round) {
    if (round > 0) {
      key[0] += kPhiloxW0;
      key[1] += kPhiloxW1;
    }
    ctr = philoxRound(ctr, key);
  }
  return ctr;
}

float fp4::numerics::stochasticUniform(uint64_t seed, uint32_t stream,
                                       uint64_t index) {
  uint64_t g = index >> 2;
  std::array<uint32_t, 4> r = philox4x32_10(
      {static_cast<uint32_t>(g), static_cast<uint32_t>(g >> 32), stream, 0},
      {static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32)});
  return static_cast<float>(r[index & 3] >> 8) * 0x1p-24f;
}
