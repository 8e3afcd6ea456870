// The task generator and the normal transform against outside references: xoshiro256++
// and SplitMix64 against their authors' published outputs, TaskRng against its definition
// in docs/science.md section 5 (lanes, seeding, interleaving), and ZigguratNormal::Fill
// (AVX2 where compiled in) against a plain scalar transcription of the same section.
#include <bit>
#include <cmath>
#include <cstdint>
#include <vector>

#include <gtest/gtest.h>

#include "worker/numerics/normal.h"
#include "worker/numerics/rng.h"

namespace sweep::numerics {
namespace {

constexpr uint64_t kGolden = 0x9e3779b97f4a7c15ULL;

TEST(Xoshiro256ppTest, MatchesTheAuthorsReferenceOutputs) {
  // xoshiro256plusplus.c from state {1, 2, 3, 4}; the same vector is the reference test of
  // rust-random's rand_xoshiro (src/xoshiro256plusplus.rs).
  Xoshiro256pp g(1, 2, 3, 4);
  const uint64_t expected[] = {41943041ULL,
                               58720359ULL,
                               3588806011781223ULL,
                               3591011842654386ULL,
                               9228616714210784205ULL,
                               9973669472204895162ULL,
                               14011001112246962877ULL,
                               12406186145184390807ULL,
                               15849039046786891736ULL,
                               10450023813501588000ULL};
  for (uint64_t e : expected) EXPECT_EQ(g(), e);
}

TEST(SplitMix64Test, MatchesTheReferenceSequenceForSeed1234567) {
  // splitmix64.c seeded with 1234567: its k-th output is SplitMix64(1234567 + k * golden).
  EXPECT_EQ(SplitMix64(1234567), 6457827717110365317ULL);
  EXPECT_EQ(SplitMix64(1234567 + kGolden), 3203168211198807973ULL);
  EXPECT_EQ(SplitMix64(1234567 + 2 * kGolden), 9817491932198370423ULL);
  EXPECT_EQ(SplitMix64(1234567 + 3 * kGolden), 4593380528125082431ULL);
  EXPECT_EQ(SplitMix64(1234567 + 4 * kGolden), 16408922859458223821ULL);
}

// TaskRng as docs/science.md defines it, built from eight scalar reference generators.
std::vector<uint64_t> ReferenceTaskStream(uint64_t seed, int count) {
  std::vector<Xoshiro256pp> lanes;
  for (uint64_t l = 0; l < 8; ++l) {
    uint64_t z[4];
    for (uint64_t w = 0; w < 4; ++w) z[w] = SplitMix64(seed + (4 * l + w) * kGolden);
    lanes.emplace_back(z[0], z[1], z[2], z[3]);
  }
  std::vector<uint64_t> out;
  while (int(out.size()) < count) {
    for (Xoshiro256pp& lane : lanes) out.push_back(lane());
  }
  out.resize(count);
  return out;
}

TEST(TaskRngTest, IsEightInterleavedXoshiroLanesWhateverTheCallPattern) {
  const std::vector<uint64_t> ref = ReferenceTaskStream(42, 4000);
  TaskRng rng(42);
  std::vector<uint64_t> got;
  // Single words and blocks of awkward sizes, so buffered words cross block boundaries.
  const int pattern[] = {1, 3, 8, 13, 1, 64, 7, 256, 5, 9};
  for (int i = 0; int(got.size()) < 4000; ++i) {
    const int n = std::min(pattern[i % 10], 4000 - int(got.size()));
    if (n == 1) {
      got.push_back(rng());
    } else {
      std::vector<uint64_t> block(n);
      rng.Fill(block.data(), block.size());
      got.insert(got.end(), block.begin(), block.end());
    }
  }
  EXPECT_EQ(got, ref);
}

TEST(TaskRngTest, StreamsOfAJobAreDistinctAndPinned) {
  TaskRng train = MakeTaskStream(0, Stream::kTrain), eval = MakeTaskStream(0, Stream::kEval);
  EXPECT_NE(train(), eval());
  // The first word of seed 0's training stream, by the definition above: a change here
  // is a new results version and must be documented as one.
  TaskRng again = MakeTaskStream(0, Stream::kTrain);
  EXPECT_EQ(again(), ReferenceTaskStream(StreamSeed(0, Stream::kTrain), 1)[0]);
  EXPECT_EQ(StreamSeed(0, Stream::kTrain), SplitMix64(SplitMix64(0) ^ 2));
}

// The ziggurat of docs/science.md section 5, transcribed without the vector fast path.
class ReferenceZiggurat {
 public:
  ReferenceZiggurat() {
    const double r = 3.654152885361008796, v = 0.00492867323399;
    auto pdf = [](double t) { return std::exp(-0.5 * t * t); };
    x_[0] = v / pdf(r);
    x_[1] = r;
    for (int i = 2; i < 256; ++i)
      x_[i] = std::sqrt(-2.0 * std::log(v / x_[i - 1] + pdf(x_[i - 1])));
    x_[256] = 0;
    for (int i = 0; i < 257; ++i) f_[i] = pdf(x_[i]);
  }
  void Fill(TaskRng& rng, double* out, int count) const {
    for (int start = 0; start < count; start += 256) {
      const int m = std::min(256, count - start);
      std::vector<uint64_t> words(m);
      for (uint64_t& w : words) w = rng();
      for (int k = 0; k < m; ++k) out[start + k] = FromWord(words[k], rng);
    }
  }

 private:
  double FromWord(uint64_t w, TaskRng& rng) const {
    for (;;) {
      const int i = int(w & 0xff);
      const double u = 2.0 * std::bit_cast<double>((w >> 12) | 0x3ff0000000000000ULL) - 3.0;
      const double x = u * x_[i];
      if (std::abs(x) < x_[i + 1]) return x;
      if (i == 0) {
        for (;;) {
          const double a = std::log(((rng() >> 11) + 0.5) * 0x1.0p-53) / x_[1];
          const double b = std::log(((rng() >> 11) + 0.5) * 0x1.0p-53);
          if (-2.0 * b >= a * a) return x < 0 ? a - x_[1] : x_[1] - a;
        }
      }
      const double u01 = ((rng() >> 11) + 0.5) * 0x1.0p-53;
      if (f_[i + 1] + (f_[i] - f_[i + 1]) * u01 < std::exp(-0.5 * x * x)) return x;
      w = rng();
    }
  }
  double x_[257], f_[257];
};

TEST(ZigguratFillTest, VectorFastPathGivesTheDocumentedNumbersBitForBit) {
  constexpr int kCount = 200003;  // not a multiple of the block or the vector width
  TaskRng a(5), b(5);
  std::vector<double> got(kCount), want(kCount);
  ZigguratNormal().Fill(a, got.data(), kCount);
  ReferenceZiggurat().Fill(b, want.data(), kCount);
  int differ = 0;
  for (int k = 0; k < kCount; ++k)
    differ += std::bit_cast<uint64_t>(got[k]) != std::bit_cast<uint64_t>(want[k]);
  EXPECT_EQ(differ, 0);
  EXPECT_EQ(a(), b());  // and both consumed the same number of words
}

TEST(ZigguratFillTest, TwoSidedFivePercentTailOverAMillionDraws) {
  constexpr int kDraws = 1000000;
  TaskRng rng(17);
  std::vector<double> z(kDraws);
  ZigguratNormal().Fill(rng, z.data(), kDraws);
  int beyond = 0;
  for (double v : z) beyond += std::abs(v) > 1.959963984540054;
  // Binomial(10^6, 0.05): sd 218; 5 sd.
  EXPECT_NEAR(beyond, 50000, 5 * 218);
}

}  // namespace
}  // namespace sweep::numerics
