// Portable seeded randomness. std::uniform_int_distribution and friends are
// implementation-defined (libstdc++ and libc++ give different numbers for
// the same engine state), so the world draws through these helpers, whose
// output depends only on std::mt19937_64, which the standard fixes exactly.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

namespace refseg::world {

// SplitMix64 finaliser: turns (seed, stream) into well-mixed engine seeds so
// that independent parts of a scene (layout, background, noise, wording)
// draw from independent streams and changing one leaves the others intact.
uint64_t mix_seed(uint64_t seed, uint64_t stream);

class SeededRandom {
 public:
  SeededRandom(uint64_t seed, uint64_t stream) : engine_(mix_seed(seed, stream)) {}

  uint64_t bits() { return engine_(); }
  // Uniform integer in [lo, hi] (inclusive), by rejection: no modulo bias.
  int64_t uniform_int(int64_t lo, int64_t hi);
  // Uniform double in [0, 1) from the top 53 bits.
  double uniform01();
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform01(); }
  bool bernoulli(double p) { return uniform01() < p; }
  // Standard normal by Box-Muller (one value per call; the pair's second
  // value is dropped to keep the helper stateless beyond the engine).
  double normal();

  template <typename T>
  const T &pick(const std::vector<T> &items) {
    return items[static_cast<size_t>(uniform_int(0, static_cast<int64_t>(items.size()) - 1))];
  }

 private:
  std::mt19937_64 engine_;
};

}  // namespace refseg::world
