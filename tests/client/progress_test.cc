#include "client/progress.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace sweep::client {
namespace {

using ::testing::HasSubstr;

SweepSummary Summary() {
  SweepSummary s;
  s.sweep_id = 3;
  s.name = "tiny";
  s.created_at = FromUnixMillis(1'000'000);
  s.total = 40;
  s.succeeded = 12;  // 2 of them cached
  s.cached = 2;
  s.failed = 0;
  s.running = 4;
  s.queued = 24;
  return s;
}

TEST(ProgressTest, RateCountsComputedJobsOnlyAndEtaFollows) {
  const auto now = FromUnixMillis(1'000'000 + 5'000);  // 10 computed jobs in 5 s
  EXPECT_DOUBLE_EQ(JobRate(Summary(), now), 2.0);
  const std::string line = FormatProgress(Summary(), now, 20);
  EXPECT_THAT(line, HasSubstr("#3 tiny [######--------------] 12/40"));
  EXPECT_THAT(line, HasSubstr("running=4 queued=24 failed=0 cached=2"));
  EXPECT_THAT(line, HasSubstr("rate=2.00/s eta=14s"));  // 28 left at 2/s
}

TEST(ProgressTest, NoRateBeforeTheFirstComputedJob) {
  SweepSummary s = Summary();
  s.succeeded = s.cached;
  EXPECT_EQ(JobRate(s, FromUnixMillis(2'000'000)), 0);
  EXPECT_THAT(FormatProgress(s, FromUnixMillis(2'000'000)), HasSubstr("eta=-"));
}

TEST(ProgressTest, FinishedSweepIsDoneWithFullBar) {
  SweepSummary s = Summary();
  s.queued = s.running = 0;
  s.succeeded = 38;
  s.failed = 2;
  s.last_finished_at = FromUnixMillis(1'000'000 + 19'000);
  EXPECT_TRUE(SweepDone(s));
  EXPECT_EQ(FinishedJobs(s), 40);
  // The rate of a finished sweep stops at its last job, not at `now`.
  EXPECT_DOUBLE_EQ(JobRate(s, FromUnixMillis(9'000'000)), 38.0 / 19.0);
  EXPECT_THAT(FormatProgress(s, FromUnixMillis(9'000'000), 10), HasSubstr("[##########] 40/40"));
  EXPECT_THAT(FormatProgress(s, FromUnixMillis(9'000'000), 10), HasSubstr("eta=0s"));
}

}  // namespace
}  // namespace sweep::client
