// The lease state machine with a FakeClock: grants, expiry, fencing, idempotent reports,
// retries and failure kinds (docs/design.md sections 4.1-4.4).
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "tests/server/coordinator_fixture.h"

namespace sweep::server {
namespace {

using std::chrono::milliseconds;
using ::sweep::testing::IsOk;
using ::sweep::testing::OkReport;
using ::sweep::testing::StatusIs;
using ::testing::HasSubstr;

TEST_F(CoordinatorTest, LeaseGrantsAttemptOneUntilTtl) {
  const int64_t sweep = Submit(1, "r1");
  const TimePoint now = clock_.Now();
  sweep::Lease lease = MustLease("w1");
  EXPECT_EQ(lease.sweep_id, sweep);
  EXPECT_EQ(lease.attempt, 1);
  EXPECT_EQ(lease.expires_at, now + kTtl);
  EXPECT_TRUE(NothingToLease("w2"));
  JobRecord job = Job(sweep, lease.job_id);
  EXPECT_EQ(job.state, JobState::kRunning);
  EXPECT_EQ(job.worker_id, "w1");
}

TEST_F(CoordinatorTest, ExpiredLeaseRequeuesWithAttemptPlusOne) {
  Submit(1, "r1");
  sweep::Lease first = MustLease("w1");
  clock_.Advance(kTtl - milliseconds(1));
  EXPECT_TRUE(NothingToLease("w2"));  // not expired yet
  clock_.Advance(milliseconds(1));
  sweep::Lease second = MustLease("w2");
  EXPECT_EQ(second.job_id, first.job_id);
  EXPECT_EQ(second.attempt, 2);
}

TEST_F(CoordinatorTest, HeartbeatExtendsTheLease) {
  Submit(1, "r1");
  const TimePoint leased_at = clock_.Now();
  sweep::Lease lease = MustLease("w1");
  // `sweep status` computes a running job's ETA from when its attempt was leased.
  EXPECT_EQ(Job(lease.sweep_id, lease.job_id).leased_at, leased_at);
  clock_.Advance(kTtl - milliseconds(100));
  auto reply = coord_->Heartbeat(lease.job_id, 1, "w1", 5, 10);
  ASSERT_THAT(reply, IsOk());
  EXPECT_FALSE(reply->cancel_requested);
  EXPECT_EQ(reply->lease_expires_at, clock_.Now() + kTtl);
  clock_.Advance(milliseconds(200));  // past the first expiry, within the extended one
  ASSERT_THAT(coord_->ReapExpired(), IsOk());
  EXPECT_TRUE(NothingToLease("w2"));
  ASSERT_THAT(coord_->FlushHeartbeats(), IsOk());  // progress reaches the file in batches
  EXPECT_EQ(Job(lease.sweep_id, lease.job_id).progress_step, 5);
}

TEST_F(CoordinatorTest, StaleAttemptIsAbortedAndWritesNothing) {
  Submit(1, "r1");
  sweep::Lease first = MustLease("w1");
  clock_.Advance(kTtl);
  sweep::Lease second = MustLease("w2");
  const int64_t events = Count("SELECT count(*) FROM events");
  EXPECT_THAT(coord_->Heartbeat(first.job_id, 1, "w1", 1, 2),
              StatusIs(absl::StatusCode::kAborted, HasSubstr("attempt 1 superseded by 2")));
  EXPECT_THAT(coord_->Report(first.job_id, 1, OkReport("w1", 1.0, 0.5)),
              StatusIs(absl::StatusCode::kAborted, HasSubstr("attempt 1 superseded by 2")));
  EXPECT_EQ(Count("SELECT count(*) FROM results"), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM events"), events);
  EXPECT_EQ(Job(second.sweep_id, second.job_id).state, JobState::kRunning);
  // The current attempt still reports normally, and the stored row is attempt 2's.
  EXPECT_THAT(coord_->Report(second.job_id, 2, OkReport("w2", 2.0, 1.0)), IsOk());
  EXPECT_EQ(Count("SELECT attempt FROM results"), 2);
}

TEST_F(CoordinatorTest, HeartbeatFromAnotherWorkerIsAborted) {
  Submit(1, "r1");
  sweep::Lease lease = MustLease("w1");
  EXPECT_THAT(coord_->Heartbeat(lease.job_id, 1, "w9", 0, 0),
              StatusIs(absl::StatusCode::kAborted, HasSubstr("held by w1")));
  EXPECT_THAT(coord_->Heartbeat(999, 1, "w1", 0, 0),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("job 999")));
}

TEST_F(CoordinatorTest, ReplayIsOkAndDifferentPayloadIsAborted) {
  Submit(1, "r1");
  sweep::Lease lease = MustLease("w1");
  const JobReport report = OkReport("w1", 1.0, 0.5);
  ASSERT_THAT(coord_->Report(lease.job_id, 1, report), IsOk());
  EXPECT_THAT(coord_->Report(lease.job_id, 1, report), IsOk());
  EXPECT_THAT(coord_->Report(lease.job_id, 1, OkReport("w1", 7.0, 3.5)),
              StatusIs(absl::StatusCode::kAborted, HasSubstr("different result")));
  EXPECT_EQ(Count("SELECT count(*) FROM results"), 1);
  EXPECT_EQ(Count("SELECT mse FROM results"), 1);  // unchanged
  EXPECT_THAT(coord_->Heartbeat(lease.job_id, 1, "w1", 0, 0),
              StatusIs(absl::StatusCode::kAborted, HasSubstr("finished (succeeded)")));
}

TEST_F(CoordinatorTest, LostLeasesFailTheJobAfterMaxAttempts) {
  const int64_t sweep = Submit(1, "r1", /*use_cache=*/false, /*max_attempts=*/3);
  int64_t job_id = 0;
  for (int attempt = 1; attempt <= 3; ++attempt) {
    sweep::Lease lease = MustLease("w1");
    EXPECT_EQ(lease.attempt, attempt);
    job_id = lease.job_id;
    clock_.Advance(kTtl);
  }
  ASSERT_THAT(coord_->ReapExpired(), IsOk());
  JobRecord job = Job(sweep, job_id);
  EXPECT_EQ(job.state, JobState::kFailed);
  EXPECT_EQ(job.failure, FailureKind::kLost);
  EXPECT_EQ(job.attempt, 3);
  EXPECT_THAT(job.error, HasSubstr("attempt 3 held by w1 expired (3 of 3"));
  EXPECT_TRUE(NothingToLease("w1"));
  EXPECT_EQ(Count("SELECT count(*) FROM attempts WHERE outcome = 'lost'"), 3);
}

TEST_F(CoordinatorTest, ReleaseRequeuesWithoutCountingTheAttempt) {
  const int64_t sweep = Submit(1, "r1", /*use_cache=*/false, /*max_attempts=*/2);
  sweep::Lease first = MustLease("w1");
  ASSERT_THAT(coord_->Release(first.job_id, 1, "w1"), IsOk());
  EXPECT_THAT(coord_->Release(first.job_id, 1, "w1"),
              StatusIs(absl::StatusCode::kAborted, HasSubstr("no longer leased")));
  // Two lost leases after the hand-back: only the second one exhausts max_attempts = 2.
  EXPECT_EQ(MustLease("w2").attempt, 2);  // the fencing token still grows
  clock_.Advance(kTtl);
  EXPECT_EQ(MustLease("w2").attempt, 3);
  EXPECT_EQ(Job(sweep, first.job_id).state, JobState::kRunning);
  clock_.Advance(kTtl);
  ASSERT_THAT(coord_->ReapExpired(), IsOk());
  EXPECT_EQ(Job(sweep, first.job_id).failure, FailureKind::kLost);
}

TEST_F(CoordinatorTest, ErrorReportFailsAtOnceAndIsNotRetried) {
  const int64_t sweep = Submit(1, "r1");
  sweep::Lease lease = MustLease("w1");
  JobReport report;
  report.ok = false;
  report.error = "r: 12 > d = 8";
  report.worker_id = "w1";
  ASSERT_THAT(coord_->Report(lease.job_id, 1, report), IsOk());
  JobRecord job = Job(sweep, lease.job_id);
  EXPECT_EQ(job.state, JobState::kFailed);
  EXPECT_EQ(job.failure, FailureKind::kError);
  EXPECT_EQ(job.error, "r: 12 > d = 8");
  EXPECT_TRUE(NothingToLease("w1"));
  EXPECT_EQ(Count("SELECT count(*) FROM results"), 0);
}

TEST_F(CoordinatorTest, DivergedReportFailsAndKeepsItsLossCurve) {
  const int64_t sweep = Submit(1, "r1");
  sweep::Lease lease = MustLease("w1");
  JobReport report = OkReport("w1", 1.0, 0.5);
  report.result.divergence = "diverged at step 50: loss nan";
  ASSERT_THAT(coord_->Report(lease.job_id, 1, report), IsOk());
  JobRecord job = Job(sweep, lease.job_id);
  EXPECT_EQ(job.state, JobState::kFailed);
  EXPECT_EQ(job.failure, FailureKind::kDiverged);
  EXPECT_EQ(job.error, "diverged at step 50: loss nan");
  EXPECT_TRUE(NothingToLease("w1"));
  auto reader = storage::Reader::Open(path_);
  ASSERT_THAT(reader, IsOk());
  auto result = (*reader)->GetResult(lease.job_id);
  ASSERT_THAT(result, IsOk());
  EXPECT_EQ(result->loss_curve.size(), 2u);
}

TEST_F(CoordinatorTest, ConcurrentIdenticalReportsStoreOneRow) {
  Submit(1, "r1");
  sweep::Lease lease = MustLease("w1");
  const JobReport report = OkReport("w1", 1.0, 0.5);
  std::vector<absl::Status> statuses(8);
  {
    std::vector<std::jthread> threads;
    for (int i = 0; i < 8; ++i) {
      threads.emplace_back([&, i] { statuses[i] = coord_->Report(lease.job_id, 1, report); });
    }
  }
  for (const absl::Status& s : statuses) EXPECT_THAT(s, IsOk());
  EXPECT_EQ(Count("SELECT count(*) FROM results"), 1);
  EXPECT_EQ(Count("SELECT count(*) FROM eval_curves"), 2);
  EXPECT_EQ(Count("SELECT count(*) FROM events WHERE kind = 'succeeded'"), 1);
}

TEST_F(CoordinatorTest, EveryTransitionIsAnEvent) {
  Submit(1, "r1");
  sweep::Lease lease = MustLease("w1");
  clock_.Advance(kTtl);
  MustLease("w2");
  ASSERT_THAT(coord_->Report(lease.job_id, 2, OkReport("w2", 1.0, 0.5)), IsOk());
  EXPECT_EQ(Count("SELECT count(*) FROM events WHERE job_id IS NOT NULL"), 4);
  EXPECT_EQ(Count("SELECT count(*) FROM events WHERE kind = 'requeued' AND attempt = 1"), 1);
  EXPECT_EQ(Count("SELECT count(*) FROM events WHERE kind = 'leased'"), 2);
}

// `sweep-worker --cores`: a worker asks only for jobs whose `threads` fit its free cores;
// an idle worker takes any job (it runs one that asks for more on all its cores).
TEST_F(CoordinatorTest, LeaseGrantsOnlyJobsWhoseThreadsFitTheFreeCores) {
  NewSweep s = ::sweep::testing::Meta("threads", false, 3);
  for (int threads : {4, 2, 1}) {
    JobConfig c = Config(threads);
    c.threads = threads;
    s.jobs.push_back(c);
  }
  ASSERT_THAT(coord_->Submit(s), IsOk());
  EnsureRegistered("w1");
  auto lease = [&](int free, int total) {
    auto l = coord_->Lease("w1", milliseconds(0), nullptr, LeaseFit{free, total});
    EXPECT_THAT(l, IsOk());
    return l.ok() && l->has_value() ? ResolveJobConfig(nlohmann::json::parse((*l)->config_json))
                                          ->threads
                                    : 0;
  };
  EXPECT_EQ(lease(1, 8), 1);  // 1 free core of 8: skips the 4- and 2-thread jobs
  EXPECT_EQ(lease(1, 8), 0);  // nothing else fits one core
  EXPECT_EQ(lease(2, 8), 2);
  EXPECT_EQ(lease(3, 3), 4);  // idle 3-core worker: the 4-thread job, on 3 cores
}

}  // namespace
}  // namespace sweep::server
