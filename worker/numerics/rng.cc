#include "worker/numerics/rng.h"

namespace sweep::numerics {

uint64_t SplitMix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

std::mt19937_64 MakeStream(uint64_t seed, Stream stream) {
  // Mixing twice keeps (seed, stream) and (seed', stream') with seed ^ stream equal apart.
  const uint64_t s = SplitMix64(SplitMix64(seed) ^ static_cast<uint64_t>(stream));
  return std::mt19937_64(s);
}

}  // namespace sweep::numerics
