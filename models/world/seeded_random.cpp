#include "world/seeded_random.h"

#include <cmath>

namespace refseg::world {

uint64_t mix_seed(uint64_t seed, uint64_t stream) {
  uint64_t z = seed + 0x9E3779B97F4A7C15ull * (stream + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

int64_t SeededRandom::uniform_int(int64_t lo, int64_t hi) {
  if (hi <= lo) return lo;
  const uint64_t range = static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo);
  if (range == UINT64_MAX) return static_cast<int64_t>(bits());
  const uint64_t n = range + 1;
  // 2^64 mod n: draws in the top r values would favour small residues.
  const uint64_t r = (UINT64_MAX % n + 1) % n;
  uint64_t x;
  do {
    x = bits();
  } while (r != 0 && x > UINT64_MAX - r);
  return lo + static_cast<int64_t>(x % n);
}

double SeededRandom::uniform01() {
  return static_cast<double>(bits() >> 11) * 0x1.0p-53;
}

double SeededRandom::normal() {
  const double u1 = 1.0 - uniform01();  // (0, 1]: log is finite
  const double u2 = uniform01();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
}

}  // namespace refseg::world
