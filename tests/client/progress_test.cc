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

JobRecord Running(int64_t id, int64_t leased_ms, int64_t step, int64_t total) {
  JobRecord j;
  j.job_id = id;
  j.state = JobState::kRunning;
  j.worker_id = "w1";
  j.leased_at = FromUnixMillis(leased_ms);
  j.progress_step = step;
  j.progress_total = total;
  return j;
}

TEST(ProgressTest, JobSecondsLeftExtrapolatesItsSteps) {
  // 1500 of 6000 steps in 60 s: 180 s to go.
  const JobRecord j = Running(7, 1'000'000, 1500, 6000);
  EXPECT_DOUBLE_EQ(*JobSecondsLeft(j, FromUnixMillis(1'060'000)), 180.0);
  EXPECT_EQ(FormatRunningJob(j, FromUnixMillis(1'060'000)),
            "  job 7 on w1: step 1500/6000 (25%), 1m00s elapsed, ~3m00s left");
  // Before its first report a job has no estimate, only its elapsed time.
  const JobRecord fresh = Running(8, 1'000'000, 0, 0);
  EXPECT_FALSE(JobSecondsLeft(fresh, FromUnixMillis(1'060'000)));
  EXPECT_EQ(FormatRunningJob(fresh, FromUnixMillis(1'060'000)), "  job 8 on w1: 1m00s elapsed");
}

TEST(ProgressTest, StepEtaSharesQueuedWorkAmongRunningJobs) {
  SweepSummary s = Summary();
  s.running = 2;
  s.queued = 2;
  const TimePoint now = FromUnixMillis(1'100'000);
  // Two jobs projected to 200 s each (100 s left each); two queued jobs of 200 s each;
  // two workers: (100 + 100 + 200 + 200) / 2 = 300 s.
  const std::vector<JobRecord> running = {Running(1, 1'000'000, 500, 1000),
                                          Running(2, 1'000'000, 500, 1000)};
  EXPECT_DOUBLE_EQ(*StepEtaSeconds(s, running, now), 300.0);
  EXPECT_THAT(FormatProgress(s, now, 24, StepEtaSeconds(s, running, now)), HasSubstr("eta=5m00s"));
  // Never shorter than the longest running job: one job with 900 s left, nothing queued.
  s.queued = 0;
  s.running = 2;
  const std::vector<JobRecord> uneven = {Running(1, 1'000'000, 100, 1000),
                                         Running(2, 1'090'000, 900, 1000)};
  EXPECT_DOUBLE_EQ(*StepEtaSeconds(s, uneven, now), 900.0);
  // No progress anywhere: no step-based ETA (the rate-based one applies).
  EXPECT_FALSE(StepEtaSeconds(s, {Running(3, 1'000'000, 0, 0)}, now));
}

TEST(ProgressTest, FormatSecondsPicksUnits) {
  EXPECT_EQ(FormatSeconds(59.2), "1m00s");
  EXPECT_EQ(FormatSeconds(42), "42s");
  EXPECT_EQ(FormatSeconds(3725), "1h02m05s");
}

}  // namespace
}  // namespace sweep::client
