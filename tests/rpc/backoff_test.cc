#include "rpc/backoff.h"

#include <gtest/gtest.h>

namespace sweep::rpc {
namespace {

using std::chrono::milliseconds;

TEST(BackoffTest, CeilingDoublesFromBaseUpToCap) {
  Backoff b(BackoffOptions{milliseconds(100), milliseconds(30'000)}, 1);
  std::vector<int64_t> ceilings;
  for (int i = 0; i < 12; ++i) {
    ceilings.push_back(b.NextCeiling().count());
    b.Next();
  }
  EXPECT_EQ(ceilings, (std::vector<int64_t>{100, 200, 400, 800, 1600, 3200, 6400, 12800, 25600,
                                            30000, 30000, 30000}));
}

TEST(BackoffTest, FullJitterStaysWithinCeilingAndSpreads) {
  Backoff b(BackoffOptions{milliseconds(1000), milliseconds(1000)}, 7);
  int64_t lo = 1'000'000, hi = -1;
  for (int i = 0; i < 2000; ++i) {
    const int64_t d = b.Next().count();
    ASSERT_GE(d, 0);
    ASSERT_LE(d, 1000);
    lo = std::min(lo, d);
    hi = std::max(hi, d);
  }
  // Full jitter covers [0, ceiling], not a band around it.
  EXPECT_LT(lo, 50);
  EXPECT_GT(hi, 950);
}

TEST(BackoffTest, ResetStartsOverFromBase) {
  Backoff b(BackoffOptions{milliseconds(100), milliseconds(30'000)}, 3);
  for (int i = 0; i < 5; ++i) b.Next();
  EXPECT_EQ(b.NextCeiling().count(), 3200);
  b.Reset();
  EXPECT_EQ(b.NextCeiling().count(), 100);
  EXPECT_EQ(b.attempts(), 0);
}

TEST(BackoffTest, HugeAttemptCountDoesNotOverflow) {
  Backoff b(BackoffOptions{milliseconds(100), milliseconds(30'000)}, 3);
  for (int i = 0; i < 200; ++i) b.Next();
  EXPECT_EQ(b.NextCeiling().count(), 30'000);
}

}  // namespace
}  // namespace sweep::rpc
