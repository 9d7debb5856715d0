//===- Random.h - Deterministic random numbers for training -----*- C++ -*-===//
//
// Part of the fp4 project.
//
//===----------------------------------------------------------------------===//
//
// The training driver's only source of randomness: SplitMix64 (Steele, Lea
// and Flood, "Fast splittable pseudorandom number generators", 2014), an
// unbiased bounded draw by rejection, and a Fisher-Yates shuffle written out
// here. Nothing depends on the C++ library's engines or distributions, whose
// algorithms (std::shuffle, std::uniform_int_distribution) are
// implementation-defined: the same seed gives the same order everywhere.
//
//===----------------------------------------------------------------------===//

#ifndef FP4_TRAIN_RANDOM_H
#define FP4_TRAIN_RANDOM_H

#include "llvm/ADT/ArrayRef.h"

#include <cstdint>
#include <utility>

namespace fp4 {

/// SplitMix64: a 64-bit state advanced by the golden-ratio increment and
/// mixed by two multiply-xorshift rounds. The whole state is `getState()`, so
/// a checkpoint resumes the exact sequence.
class SplitMix64 {
public:
  explicit SplitMix64(uint64_t seed) : state(seed) {}

  uint64_t next() {
    state += 0x9E3779B97F4A7C15ull;
    uint64_t z = state;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }

  /// A uniform integer in [0, bound), bound > 0, without modulo bias: draws
  /// below 2^64 mod bound are rejected.
  uint64_t below(uint64_t bound) {
    uint64_t threshold = (0 - bound) % bound;
    for (;;) {
      uint64_t r = next();
      if (r >= threshold)
        return r % bound;
    }
  }

  uint64_t getState() const { return state; }
  void setState(uint64_t newState) { state = newState; }

private:
  uint64_t state;
};

/// Shuffles `values` in place (Fisher-Yates, from the last element down:
/// element i swaps with a uniform j in [0, i]).
template <typename T>
void shuffle(llvm::MutableArrayRef<T> values, SplitMix64 &rng) {
  for (size_t i = values.size(); i > 1; --i) {
    size_t j = static_cast<size_t>(rng.below(i));
    std::swap(values[i - 1], values[j]);
  }
}

} // namespace fp4

#endif // FP4_TRAIN_RANDOM_H
