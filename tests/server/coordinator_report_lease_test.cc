// A report that also takes the worker's next lease (Coordinator::ReportAndLease,
// ReportResultRequest.next): one transaction and one commit per cycle, with every rule of
// a LeaseJob grant (docs/design.md section 4.3).
#include "gmock/gmock.h"
#include "tests/server/coordinator_fixture.h"

namespace sweep::server {
namespace {

using std::chrono::milliseconds;
using ::sweep::testing::IsOk;
using ::sweep::testing::OkReport;
using ::sweep::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

int JobThreadsOf(const std::string& config_json) {
  return nlohmann::json::parse(config_json).value("threads", 1);
}

TEST_F(CoordinatorTest, ReportAndLeaseGrantsTheNextJobInTheReportsCommit) {
  Submit(3, "r1");
  Register("w1", /*slots=*/1);
  const sweep::Lease first = MustLease("w1");
  const int64_t batches = coord_->stats().write_batches;
  const int64_t busy_us = coord_->stats().write_busy_us;
  auto next = coord_->ReportAndLease(first.job_id, 1, OkReport("w1", 1.0, 0.5), LeaseFit{}, 1);
  ASSERT_THAT(next, IsOk());
  ASSERT_THAT(*next, SizeIs(1));  // the finished job's slot is free again
  EXPECT_NE((*next)[0].job_id, first.job_id);
  EXPECT_EQ((*next)[0].attempt, 1);
  EXPECT_EQ(coord_->stats().write_batches, batches + 1);  // one commit for both
  EXPECT_GT(coord_->stats().write_busy_us, busy_us);  // its time (an fsync: > 1 us)
  EXPECT_EQ(Count("SELECT count(*) FROM results"), 1);
  EXPECT_EQ(Job(first.sweep_id, first.job_id).state, JobState::kSucceeded);
  EXPECT_EQ(Job(first.sweep_id, (*next)[0].job_id).worker_id, "w1");
  // The new lease is live in memory; the reported one is gone from it.
  EXPECT_THAT(coord_->Heartbeat((*next)[0].job_id, 1, "w1", 1, 2), IsOk());
  EXPECT_EQ(coord_->stats().heartbeats_in_memory, 1);
  EXPECT_EQ(coord_->stats().live_leases, 1);
  // The worker is full again: a plain lease is refused, as before.
  EXPECT_THAT(coord_->LeaseBatch("w1", milliseconds(0), nullptr, LeaseFit{}, 1),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("registered slots")));
}

TEST_F(CoordinatorTest, ReportAndLeaseWithAnEmptyQueueStoresTheReportAndGrantsNone) {
  Submit(1, "r1");
  const sweep::Lease first = MustLease("w1");
  auto next = coord_->ReportAndLease(first.job_id, 1, OkReport("w1", 1.0, 0.5), LeaseFit{}, 4);
  ASSERT_THAT(next, IsOk());
  EXPECT_THAT(*next, IsEmpty());
  EXPECT_EQ(Count("SELECT count(*) FROM results"), 1);
}

TEST_F(CoordinatorTest, RefusedReportGrantsNothingAndKeepsItsLease) {
  Submit(3, "r1");
  const sweep::Lease first = MustLease("w1");
  // A stale attempt: ABORTED, nothing leased.
  EXPECT_THAT(coord_->ReportAndLease(first.job_id, 2, OkReport("w1", 1.0, 0.5), LeaseFit{}, 1),
              StatusIs(absl::StatusCode::kAborted, HasSubstr("attempt")));
  // A curve point beyond the job's N (16): refused in the transaction.
  JobReport bad = OkReport("w1", 1.0, 0.5);
  bad.result.curve.push_back(EvalPoint{99, 1.0, 0.1, 0.5});
  EXPECT_THAT(coord_->ReportAndLease(first.job_id, 1, bad, LeaseFit{}, 1),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("n 99 outside")));
  EXPECT_EQ(Count("SELECT count(*) FROM jobs WHERE state = 'running'"), 1);
  EXPECT_EQ(Count("SELECT count(*) FROM results"), 0);
  // The lease is still live in memory (its table entry was put back) and still reports.
  EXPECT_THAT(coord_->Heartbeat(first.job_id, 1, "w1", 1, 2), IsOk());
  EXPECT_EQ(coord_->stats().heartbeats_in_memory, 1);
  EXPECT_THAT(coord_->ReportAndLease(first.job_id, 1, OkReport("w1", 1.0, 0.5), LeaseFit{}, 1),
              IsOk());
}

TEST_F(CoordinatorTest, ReportAndLeaseWhileDrainingStoresTheReportAndGrantsNothing) {
  Submit(3, "r1");
  const sweep::Lease first = MustLease("w1");
  coord_->BeginDrain();
  auto next = coord_->ReportAndLease(first.job_id, 1, OkReport("w1", 1.0, 0.5), LeaseFit{}, 2);
  ASSERT_THAT(next, IsOk());
  EXPECT_THAT(*next, IsEmpty());
  EXPECT_EQ(Count("SELECT count(*) FROM results"), 1);
  EXPECT_EQ(Count("SELECT count(*) FROM jobs WHERE state = 'queued'"), 2);
}

TEST_F(CoordinatorTest, ReportAndLeaseKeepsTheWorkersSlotsAndFreeCores) {
  NewSweep s = ::sweep::testing::Meta("threads", false, 3);
  for (int threads : {1, 1, 4, 2, 1}) {
    JobConfig c = Config(static_cast<uint64_t>(s.jobs.size()));
    c.threads = threads;
    s.jobs.push_back(c);
  }
  ASSERT_THAT(coord_->Submit(s), IsOk());
  Register("w1", /*slots=*/2);
  auto held = coord_->LeaseBatch("w1", milliseconds(0), nullptr, LeaseFit{4, 4}, 2);
  ASSERT_THAT(held, IsOk());
  ASSERT_THAT(*held, SizeIs(2));
  // One job ends, one runs on 1 of 4 cores: 3 free, so the 4-thread job is skipped and
  // only one lease fits the one free slot although two are asked for.
  auto next = coord_->ReportAndLease((*held)[0].job_id, 1, OkReport("w1", 1.0, 0.5),
                                     LeaseFit{3, 4}, 2);
  ASSERT_THAT(next, IsOk());
  ASSERT_THAT(*next, SizeIs(1));
  EXPECT_EQ(JobThreadsOf((*next)[0].config_json), 2);
}

TEST_F(CoordinatorTest, ReportAndLeaseGrantsNothingFromAPausedOrCancelledSweep) {
  const int64_t paused = Submit(2, "r1");
  const sweep::Lease first = MustLease("w1");
  ASSERT_THAT(coord_->Control(paused, SweepAction::kPause), IsOk());
  auto next = coord_->ReportAndLease(first.job_id, 1, OkReport("w1", 1.0, 0.5), LeaseFit{}, 1);
  ASSERT_THAT(next, IsOk());
  EXPECT_THAT(*next, IsEmpty());
  ASSERT_THAT(coord_->Control(paused, SweepAction::kResume), IsOk());
  const sweep::Lease second = MustLease("w1");
  ASSERT_THAT(coord_->Cancel(paused), IsOk());
  EXPECT_THAT(coord_->ReportAndLease(second.job_id, 1, OkReport("w1", 1.0, 0.5), LeaseFit{}, 1),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("cancelled")));
  EXPECT_EQ(Count("SELECT count(*) FROM jobs WHERE state = 'running'"), 0);
  EXPECT_EQ(coord_->stats().live_leases, 0);
}

TEST_F(CoordinatorTest, ReportAndLeaseRefusesAnOutOfRangeCountBeforeWriting) {
  Submit(2, "r1");
  const sweep::Lease first = MustLease("w1");
  EXPECT_THAT(coord_->ReportAndLease(first.job_id, 1, OkReport("w1", 1.0, 0.5), LeaseFit{}, 5000),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("next.max_jobs: 5000")));
  EXPECT_EQ(Count("SELECT count(*) FROM results"), 0);
}

}  // namespace
}  // namespace sweep::server
