#include "worker/numerics/rng.h"

#include <algorithm>

#if defined(__AVX2__)
#include <immintrin.h>
#endif

namespace sweep::numerics {
namespace {

constexpr uint64_t kGolden = 0x9e3779b97f4a7c15ULL;

}  // namespace

uint64_t SplitMix64(uint64_t x) {
  x += kGolden;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

uint64_t StreamSeed(uint64_t seed, Stream stream) {
  return SplitMix64(SplitMix64(seed) ^ static_cast<uint64_t>(stream));
}

TaskRng::TaskRng(uint64_t seed) {
  // SplitMix64 is a bijection, so four distinct inputs never all map to 0: no lane can
  // start in xoshiro's forbidden all-zero state.
  for (int l = 0; l < kLanes; ++l) {
    for (int w = 0; w < 4; ++w) {
      s_[w][l] = SplitMix64(seed + uint64_t(4 * l + w) * kGolden);
    }
  }
}

#if defined(__AVX2__)
namespace {

template <int K>
__m256i Rotl(__m256i x) {
  return _mm256_or_si256(_mm256_slli_epi64(x, K), _mm256_srli_epi64(x, 64 - K));
}

}  // namespace
#endif

void TaskRng::Rounds(uint64_t* out, std::size_t rounds) {
#if defined(__AVX2__)
  // Xoshiro256pp::operator() on lanes 0-3 (h = 0) and 4-7 (h = 1), state in registers
  // for the whole call.
  __m256i s[4][2];
  for (int w = 0; w < 4; ++w) {
    for (int h = 0; h < 2; ++h)
      s[w][h] = _mm256_load_si256(reinterpret_cast<const __m256i*>(&s_[w][4 * h]));
  }
  for (std::size_t r = 0; r < rounds; ++r, out += kLanes) {
    for (int h = 0; h < 2; ++h) {
      const __m256i result =
          _mm256_add_epi64(Rotl<23>(_mm256_add_epi64(s[0][h], s[3][h])), s[0][h]);
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + 4 * h), result);
      const __m256i t = _mm256_slli_epi64(s[1][h], 17);
      s[2][h] = _mm256_xor_si256(s[2][h], s[0][h]);
      s[3][h] = _mm256_xor_si256(s[3][h], s[1][h]);
      s[1][h] = _mm256_xor_si256(s[1][h], s[2][h]);
      s[0][h] = _mm256_xor_si256(s[0][h], s[3][h]);
      s[2][h] = _mm256_xor_si256(s[2][h], t);
      s[3][h] = Rotl<45>(s[3][h]);
    }
  }
  for (int w = 0; w < 4; ++w) {
    for (int h = 0; h < 2; ++h)
      _mm256_store_si256(reinterpret_cast<__m256i*>(&s_[w][4 * h]), s[w][h]);
  }
#else
  for (std::size_t r = 0; r < rounds; ++r, out += kLanes) {
    for (int l = 0; l < kLanes; ++l) {
      Xoshiro256pp lane(s_[0][l], s_[1][l], s_[2][l], s_[3][l]);
      out[l] = lane();
      lane.State(s_[0][l], s_[1][l], s_[2][l], s_[3][l]);
    }
  }
#endif
}

void TaskRng::Fill(uint64_t* out, std::size_t count) {
  while (count > 0 && pos_ < kLanes) *out++ = buf_[pos_++], --count;
  const std::size_t rounds = count / kLanes;
  Rounds(out, rounds);
  out += rounds * kLanes, count -= rounds * kLanes;
  if (count > 0) {
    Rounds(buf_, 1);
    std::copy(buf_, buf_ + count, out);
    pos_ = int(count);
  }
}

TaskRng MakeTaskStream(uint64_t seed, Stream stream) { return TaskRng(StreamSeed(seed, stream)); }

std::mt19937_64 MakeStream(uint64_t seed, Stream stream) {
  return std::mt19937_64(StreamSeed(seed, stream));
}

}  // namespace sweep::numerics
