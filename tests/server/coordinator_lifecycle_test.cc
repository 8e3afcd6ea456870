// The lifecycle verbs of a sweep (docs/design.md section 4.7): pause / resume, stop and
// --fail-fast, and the first failure in the sweep's summary.
#include "tests/server/coordinator_fixture.h"

namespace sweep::server {
namespace {

using ::sweep::testing::IsOk;
using ::sweep::testing::OkReport;
using ::sweep::testing::StatusIs;
using ::testing::HasSubstr;

JobReport ErrorReport(const std::string& worker, const std::string& error) {
  JobReport r;
  r.ok = false, r.error = error, r.worker_id = worker;
  return r;
}

class LifecycleTest : public CoordinatorTest {
 protected:
  SweepSummary Summary(int64_t sweep_id) {
    auto s = coord_->GetSweep(sweep_id);
    EXPECT_THAT(s, IsOk());
    return s.ok() ? *s : SweepSummary{};
  }
  int64_t SubmitFailFast(int n, const std::string& request_id) {
    NewSweep s = ::sweep::testing::Meta(request_id, /*use_cache=*/false, 3);
    s.fail_fast = true;
    for (int i = 0; i < n; ++i) s.jobs.push_back(Config(i));
    auto out = coord_->Submit(s);
    EXPECT_THAT(out, IsOk());
    return out.ok() ? out->sweep_id : -1;
  }
};

TEST_F(LifecycleTest, PauseStopsNewLeasesNotRunningJobsAndResumeGoesOn) {
  const int64_t sweep = Submit(3, "p");
  const sweep::Lease running = MustLease("w1");
  ASSERT_THAT(coord_->Control(sweep, SweepAction::kPause), IsOk());
  EXPECT_TRUE(Summary(sweep).paused);
  EXPECT_TRUE(NothingToLease("w1"));  // queued jobs wait
  // The running job is not touched: its heartbeat carries no cancel, its result is kept.
  auto beat = coord_->Heartbeat(running.job_id, 1, "w1", 1, 2);
  ASSERT_THAT(beat, IsOk());
  EXPECT_FALSE(beat->cancel_requested);
  ASSERT_THAT(coord_->Report(running.job_id, 1, OkReport("w1", 1.0, 0.5)), IsOk());
  // A paused sweep does not hold back the others.
  const int64_t other = Submit(1, "other");
  EXPECT_EQ(MustLease("w1").sweep_id, other);

  ASSERT_THAT(coord_->Control(sweep, SweepAction::kResume), IsOk());
  EXPECT_FALSE(Summary(sweep).paused);
  EXPECT_EQ(MustLease("w1").sweep_id, sweep);
  EXPECT_EQ(Count("SELECT count(*) FROM events WHERE kind IN ('paused', 'resumed')"), 2);
}

TEST_F(LifecycleTest, StopCancelsQueuedJobsLetsRunningOnesFinishAndRequeuesNone) {
  const int64_t sweep = Submit(5, "s", /*use_cache=*/false, /*max_attempts=*/3);
  const sweep::Lease finishes = MustLease("w1"), expires = MustLease("w1"),
                     handed_back = MustLease("w1");
  auto cancelled = coord_->Control(sweep, SweepAction::kStop);
  ASSERT_THAT(cancelled, IsOk());
  EXPECT_EQ(*cancelled, 2);  // the two queued jobs
  EXPECT_TRUE(NothingToLease("w2"));
  // Running jobs are not told to stop, and their results are stored.
  auto beat = coord_->Heartbeat(finishes.job_id, 1, "w1", 5, 10);
  ASSERT_THAT(beat, IsOk());
  EXPECT_FALSE(beat->cancel_requested);
  ASSERT_THAT(coord_->Report(finishes.job_id, 1, OkReport("w1", 1.0, 0.5)), IsOk());
  EXPECT_EQ(Job(sweep, finishes.job_id).state, JobState::kSucceeded);
  // A job handed back, or whose lease expires, ends cancelled instead of going back.
  ASSERT_THAT(coord_->Release(handed_back.job_id, 1, "w1"), IsOk());
  EXPECT_EQ(Job(sweep, handed_back.job_id).state, JobState::kCancelled);
  clock_.Advance(kTtl);
  ASSERT_THAT(coord_->ReapExpired(), IsOk());
  EXPECT_EQ(Job(sweep, expires.job_id).state, JobState::kCancelled);
  const SweepSummary s = Summary(sweep);
  EXPECT_TRUE(s.stop_requested);
  EXPECT_FALSE(s.cancel_requested);
  EXPECT_EQ(s.succeeded, 1);
  EXPECT_EQ(s.cancelled, 4);
  EXPECT_EQ(s.queued + s.running, 0);
}

TEST_F(LifecycleTest, RetryAfterStopRunsTheRequeuedJobs) {
  const int64_t sweep = Submit(2, "r", /*use_cache=*/false, /*max_attempts=*/1);
  const sweep::Lease bad = MustLease("w1");
  ASSERT_THAT(coord_->Control(sweep, SweepAction::kStop), IsOk());
  ASSERT_THAT(coord_->Report(bad.job_id, 1, ErrorReport("w1", "boom")), IsOk());
  auto requeued = coord_->Retry(sweep, {FailureKind::kError});
  ASSERT_THAT(requeued, IsOk());
  EXPECT_EQ(*requeued, 1);
  EXPECT_FALSE(Summary(sweep).stop_requested);  // a retry is a decision to run again
  EXPECT_EQ(MustLease("w1").job_id, bad.job_id);
}

TEST_F(LifecycleTest, UnknownSweepIsNotFound) {
  for (SweepAction a : {SweepAction::kPause, SweepAction::kResume, SweepAction::kStop}) {
    EXPECT_THAT(coord_->Control(42, a),
                StatusIs(absl::StatusCode::kNotFound, HasSubstr("sweep 42")));
  }
}

TEST_F(LifecycleTest, FailFastCancelsTheRestAtTheFirstErrorAndStatusShowsIt) {
  const int64_t sweep = SubmitFailFast(4, "ff");
  const sweep::Lease first = MustLease("w1"), other = MustLease("w2");
  clock_.Advance(std::chrono::seconds(1));
  ASSERT_THAT(coord_->Report(first.job_id, 1, ErrorReport("w1", "config: bad link")), IsOk());
  SweepSummary s = Summary(sweep);
  EXPECT_TRUE(s.fail_fast);
  EXPECT_TRUE(s.cancel_requested);
  EXPECT_EQ(s.queued, 0);
  EXPECT_EQ(s.cancelled, 2);
  ASSERT_TRUE(s.first_failed_job_id.has_value());
  EXPECT_EQ(*s.first_failed_job_id, first.job_id);
  EXPECT_EQ(s.first_failure, FailureKind::kError);
  EXPECT_EQ(s.first_failure_error, "config: bad link");
  // The other running job learns it at its next heartbeat, as with `sweep cancel`.
  auto beat = coord_->Heartbeat(other.job_id, 1, "w2", 1, 2);
  ASSERT_THAT(beat, IsOk());
  EXPECT_TRUE(beat->cancel_requested);
  EXPECT_EQ(Count("SELECT count(*) FROM events WHERE kind = 'cancel_requested'"
                  " AND detail LIKE 'fail-fast: job " + std::to_string(first.job_id) + "%'"),
            1);
}

TEST_F(LifecycleTest, FailFastAlsoStopsAtALostJobAndWithoutItFailuresDoNot) {
  const int64_t plain = Submit(3, "plain", /*use_cache=*/false, /*max_attempts=*/1);
  const sweep::Lease a = MustLease("w1");
  ASSERT_THAT(coord_->Report(a.job_id, 1, ErrorReport("w1", "boom")), IsOk());
  SweepSummary s = Summary(plain);
  EXPECT_EQ(s.queued, 2);  // no --fail-fast: the rest goes on
  EXPECT_FALSE(s.cancel_requested);
  EXPECT_EQ(s.first_failed_job_id, std::optional<int64_t>(a.job_id));  // shown anyway
  ASSERT_THAT(coord_->Cancel(plain), IsOk());

  NewSweep lost = ::sweep::testing::Meta("lost", /*use_cache=*/false, /*max_attempts=*/1);
  lost.fail_fast = true;
  for (int i = 10; i < 13; ++i) lost.jobs.push_back(Config(i));
  auto out = coord_->Submit(lost);
  ASSERT_THAT(out, IsOk());
  MustLease("w1");
  clock_.Advance(kTtl);
  ASSERT_THAT(coord_->ReapExpired(), IsOk());  // lost at its only attempt: failed
  s = Summary(out->sweep_id);
  EXPECT_EQ(s.failed, 1);
  EXPECT_EQ(s.cancelled, 2);
  EXPECT_EQ(s.first_failure, FailureKind::kLost);
}

}  // namespace
}  // namespace sweep::server
