// Sweep-level behaviour of the Coordinator: idempotent submit, cache, cancel, long polls,
// drain and restart on the same file.
#include <filesystem>
#include <future>
#include <vector>

#include <thread>
#include "absl/strings/str_cat.h"

#include "gmock/gmock.h"
#include "tests/server/coordinator_fixture.h"

namespace sweep::server {
namespace {

using std::chrono::milliseconds;
using ::sweep::testing::IsOk;
using ::sweep::testing::OkReport;
using ::sweep::testing::StatusIs;
using ::testing::HasSubstr;

TEST_F(CoordinatorTest, RepeatedRequestIdReturnsTheFirstSweep) {
  const int64_t first = Submit(3, "same-id");
  NewSweep again = ::sweep::testing::Meta("same-id", /*use_cache=*/false);
  again.jobs = {Config(0), Config(1), Config(2)};
  auto out = coord_->Submit(again);
  ASSERT_THAT(out, IsOk());
  EXPECT_TRUE(out->existing);
  EXPECT_EQ(out->sweep_id, first);
  EXPECT_EQ(out->jobs_total, 3);
  EXPECT_EQ(Count("SELECT count(*) FROM sweeps"), 1);
  EXPECT_EQ(Count("SELECT count(*) FROM jobs"), 3);
}

TEST_F(CoordinatorTest, RepeatedRequestIdWithAnotherFileIsRefusedNamingTheId) {
  const int64_t first = Submit(3, "same-id");
  NewSweep other = ::sweep::testing::Meta("same-id", /*use_cache=*/false);
  other.name = "other";
  other.spec_text = "name: other";
  other.jobs = {Config(0)};
  EXPECT_THAT(coord_->Submit(other),
              StatusIs(absl::StatusCode::kAlreadyExists,
                       HasSubstr("request_id \"same-id\": already used by sweep " +
                                 std::to_string(first))));
  EXPECT_EQ(Count("SELECT count(*) FROM sweeps"), 1);
}

TEST_F(CoordinatorTest, IdenticalCellsAreServedFromTheCacheUnlessDisabled) {
  Submit(2, "a");
  for (int i = 0; i < 2; ++i) {
    sweep::Lease lease = MustLease("w1");
    ASSERT_THAT(coord_->Report(lease.job_id, 1, OkReport("w1", 1.0, 0.5)), IsOk());
  }
  NewSweep cached = ::sweep::testing::Meta("b", /*use_cache=*/true);
  cached.jobs = {Config(0), Config(1)};
  auto b = coord_->Submit(cached);
  ASSERT_THAT(b, IsOk());
  EXPECT_EQ(b->jobs_cached, 2);
  EXPECT_TRUE(NothingToLease("w1"));  // nothing to run
  auto summary = coord_->GetSweep(b->sweep_id);
  ASSERT_THAT(summary, IsOk());
  EXPECT_EQ(summary->succeeded, 2);
  EXPECT_EQ(summary->cached, 2);

  const int64_t c = Submit(2, "c", /*use_cache=*/false);
  auto uncached = coord_->GetSweep(c);
  ASSERT_THAT(uncached, IsOk());
  EXPECT_EQ(uncached->queued, 2);
  EXPECT_EQ(uncached->cached, 0);
}

TEST_F(CoordinatorTest, CancelStopsQueuedJobsAtOnceAndRunningOnesOnHeartbeat) {
  const int64_t sweep = Submit(3, "r1");
  sweep::Lease running = MustLease("w1");
  ASSERT_THAT(coord_->Cancel(sweep), IsOk());
  auto summary = coord_->GetSweep(sweep);
  ASSERT_THAT(summary, IsOk());
  EXPECT_TRUE(summary->cancel_requested);
  EXPECT_EQ(summary->cancelled, 2);
  EXPECT_EQ(summary->running, 1);
  EXPECT_TRUE(NothingToLease("w2"));
  auto reply = coord_->Heartbeat(running.job_id, 1, "w1", 1, 10);
  ASSERT_THAT(reply, IsOk());
  EXPECT_TRUE(reply->cancel_requested);
  // A result that arrives anyway is not stored; the job ends cancelled.
  EXPECT_THAT(coord_->Report(running.job_id, 1, OkReport("w1", 1.0, 0.5)),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("cancelled")));
  EXPECT_EQ(Count("SELECT count(*) FROM results"), 0);
  EXPECT_EQ(Job(sweep, running.job_id).state, JobState::kCancelled);
  EXPECT_THAT(coord_->Cancel(sweep), IsOk());  // idempotent
  EXPECT_THAT(coord_->Cancel(77), StatusIs(absl::StatusCode::kNotFound, HasSubstr("77")));
}

TEST_F(CoordinatorTest, LongPollIsWokenBySubmit) {
  Register("w1");
  auto waiter = std::async(std::launch::async,
                           [&] { return coord_->Lease("w1", std::chrono::seconds(10), nullptr); });
  Submit(1, "r1");  // whether the poll is already waiting or not, it must get this job
  auto lease = waiter.get();
  ASSERT_THAT(lease, IsOk());
  ASSERT_TRUE(lease->has_value());
  EXPECT_EQ((*lease)->attempt, 1);
}

TEST_F(CoordinatorTest, LongPollReturnsEmptyWhenItsClientLeaves) {
  std::atomic<bool> gone{false};
  Register("w1");
  auto waiter = std::async(std::launch::async, [&] {
    return coord_->Lease("w1", std::chrono::seconds(10), [&] { return gone.load(); });
  });
  gone = true;
  auto lease = waiter.get();
  ASSERT_THAT(lease, IsOk());
  EXPECT_FALSE(lease->has_value());
}

TEST_F(CoordinatorTest, DrainRefusesLeasesWakesPollsAndStillTakesReports) {
  Submit(1, "r1");
  sweep::Lease lease = MustLease("w1");
  Register("w2");
  auto waiter = std::async(std::launch::async,
                           [&] { return coord_->Lease("w2", std::chrono::seconds(10), nullptr); });
  coord_->BeginDrain();
  EXPECT_TRUE(coord_->draining());
  EXPECT_THAT(waiter.get(), StatusIs(absl::StatusCode::kUnavailable, HasSubstr("draining")));
  EXPECT_THAT(coord_->Heartbeat(lease.job_id, 1, "w1", 1, 2), IsOk());
  EXPECT_THAT(coord_->Report(lease.job_id, 1, OkReport("w1", 1.0, 0.5)), IsOk());
}

TEST_F(CoordinatorTest, RestartOnACrashCopyContinuesWithNothingLost) {
  const int64_t sweep = Submit(3, "r1");
  sweep::Lease done = MustLease("w1");
  ASSERT_THAT(coord_->Report(done.job_id, 1, OkReport("w1", 1.0, 0.5)), IsOk());
  sweep::Lease held = MustLease("w2");
  // Copy the DB and its WAL while the coordinator is live (no checkpoint, no clean
  // close): what a SIGKILL leaves behind. The copy is opened as the restarted server.
  const std::string crash = dir_.File("crash.db");
  std::filesystem::copy_file(path_, crash);
  std::filesystem::copy_file(path_ + "-wal", crash + "-wal");
  {
    // `sweep status --db` on the copy, before any writer has recovered it.
    auto reader = storage::Reader::Open(crash);
    ASSERT_THAT(reader, IsOk());
    auto copied = (*reader)->GetSweep(sweep);
    ASSERT_THAT(copied, IsOk());
    EXPECT_EQ(copied->succeeded, 1);
  }
  coord_.reset();
  path_ = crash;
  Reopen();
  auto summary = coord_->GetSweep(sweep);
  ASSERT_THAT(summary, IsOk());
  EXPECT_EQ(summary->succeeded, 1);
  EXPECT_EQ(summary->running, 1);
  EXPECT_EQ(summary->queued, 1);
  // The surviving worker keeps its lease; the replayed report is still idempotent.
  EXPECT_THAT(coord_->Heartbeat(held.job_id, 1, "w2", 1, 2), IsOk());
  EXPECT_THAT(coord_->Report(done.job_id, 1, OkReport("w1", 1.0, 0.5)), IsOk());
  EXPECT_THAT(coord_->Report(held.job_id, 1, OkReport("w2", 2.0, 1.0)), IsOk());
  sweep::Lease last = MustLease("w3");
  ASSERT_THAT(coord_->Report(last.job_id, 1, OkReport("w3", 3.0, 1.5)), IsOk());
  summary = coord_->GetSweep(sweep);
  ASSERT_THAT(summary, IsOk());
  EXPECT_EQ(summary->succeeded, 3);
  EXPECT_EQ(Count("SELECT count(*) FROM results"), 3);
  EXPECT_EQ(Count("SELECT count(*) FROM attempts"), 3);
}

TEST_F(CoordinatorTest, RestartGivesRunningLeasesAGracePeriod) {
  Submit(1, "r1");
  sweep::Lease lease = MustLease("w1");
  coord_.reset();
  clock_.Advance(3 * kTtl);  // the coordinator was down longer than a lease
  Reopen();
  EXPECT_TRUE(NothingToLease("w2"));  // not requeued at once
  EXPECT_THAT(coord_->Heartbeat(lease.job_id, 1, "w1", 1, 2), IsOk());
  clock_.Advance(2 * kTtl);  // a worker that never comes back loses the job after that
  EXPECT_EQ(MustLease("w2").attempt, 2);
}

TEST_F(CoordinatorTest, ReaperThreadRequeuesExpiredLeases) {
  CoordinatorOptions options;
  options.db_path = dir_.File("reaper.db");
  options.lease_ttl = milliseconds(1000);
  options.reap_interval = milliseconds(5);
  auto coord = Coordinator::Open(options, clock_);
  ASSERT_THAT(coord, IsOk());
  NewSweep s = ::sweep::testing::Meta("r1", false);
  s.jobs = {Config(0)};
  ASSERT_THAT((*coord)->Submit(s), IsOk());
  for (const char* w : {"w1", "w2"}) {
    ASSERT_THAT((*coord)->RegisterWorker(WorkerHello{w, "test", 1, "test"}), IsOk());
  }
  auto lease = (*coord)->Lease("w1", milliseconds(0), nullptr);
  ASSERT_TRUE(lease.ok() && lease->has_value());
  clock_.Advance(milliseconds(1000));
  // The reaper (not this thread) requeues the job and wakes the long poll.
  auto next = (*coord)->Lease("w2", std::chrono::seconds(10), nullptr);
  ASSERT_THAT(next, IsOk());
  ASSERT_TRUE(next->has_value());
  EXPECT_EQ((*next)->attempt, 2);
}

TEST_F(CoordinatorTest, OversizedSweepIsRefusedBeforeAnyWrite) {
  CoordinatorOptions options;
  options.db_path = dir_.File("small.db");
  options.max_jobs_per_sweep = 2;
  auto coord = Coordinator::Open(options, clock_);
  ASSERT_THAT(coord, IsOk());
  NewSweep s = ::sweep::testing::Meta("r1");
  s.jobs = {Config(0), Config(1), Config(2)};
  EXPECT_THAT((*coord)->Submit(s),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("3 jobs > limit 2")));
}

TEST_F(CoordinatorTest, ManyWorkersDrainASweepWithEveryJobStoredOnce) {
  const int64_t sweep = Submit(200, "r1");
  std::atomic<int> errors{0};
  {
    std::vector<std::jthread> workers;
    for (int w = 0; w < 16; ++w) {
      workers.emplace_back([&, w] {
        const std::string id = absl::StrCat("w", w);
        if (!coord_->RegisterWorker(WorkerHello{id, "test", 1, "test"}).ok()) ++errors;
        for (;;) {
          auto lease = coord_->Lease(id, milliseconds(0), nullptr);
          if (!lease.ok()) ++errors;
          if (!lease.ok() || !lease->has_value()) return;
          if (!coord_->Report((*lease)->job_id, (*lease)->attempt, OkReport(id, 1.0, 0.5)).ok())
            ++errors;
        }
      });
    }
  }
  EXPECT_EQ(errors.load(), 0);
  auto summary = coord_->GetSweep(sweep);
  ASSERT_THAT(summary, IsOk());
  EXPECT_EQ(summary->succeeded, 200);
  EXPECT_EQ(Count("SELECT count(*) FROM results"), 200);
  EXPECT_EQ(Count("SELECT count(*) FROM attempts"), 200);  // nobody got a job twice
  EXPECT_EQ(Count("SELECT max(attempt) FROM jobs"), 1);
}

TEST_F(CoordinatorTest, WorkersAreListedWithTheirJobs) {
  ASSERT_THAT(coord_->RegisterWorker(WorkerHello{"w1", "host-a", 4, "abc123"}), IsOk());
  ASSERT_THAT(coord_->RegisterWorker(WorkerHello{"w1", "host-a", 8, "abc123"}), IsOk());
  Submit(2, "r1");
  sweep::Lease done = MustLease("w1");
  ASSERT_THAT(coord_->Report(done.job_id, 1, OkReport("w1", 1.0, 0.5)), IsOk());
  MustLease("w1");
  auto workers = coord_->ListWorkers();
  ASSERT_THAT(workers, IsOk());
  ASSERT_EQ(workers->size(), 1u);
  EXPECT_EQ((*workers)[0].slots, 8);  // re-registration refreshes
  EXPECT_EQ((*workers)[0].host, "host-a");
  EXPECT_EQ((*workers)[0].running, 1);
  EXPECT_EQ((*workers)[0].completed, 1);
  EXPECT_TRUE((*workers)[0].slurm.empty());
}

TEST_F(CoordinatorTest, WorkersKeepTheSlurmArrayTaskTheyRegisteredWith) {
  WorkerHello hello{"w-slurm", "node3", 2, "abc123", SlurmTask{"1236", "1234", "2"}};
  ASSERT_THAT(coord_->RegisterWorker(hello), IsOk());
  ASSERT_THAT(coord_->RegisterWorker(WorkerHello{"w-plain", "laptop", 1, "abc123"}), IsOk());
  auto workers = coord_->ListWorkers();
  ASSERT_THAT(workers, IsOk());
  ASSERT_EQ(workers->size(), 2u);  // ordered by worker id
  EXPECT_TRUE((*workers)[0].slurm.empty());
  EXPECT_EQ((*workers)[1].slurm, hello.slurm);
  EXPECT_EQ((*workers)[1].slurm.Label(), "1234_2");
}

// docs/exec.md: `sweep workers` shows which worker may run which exec program. Both ways
// of registering (in-process, and the gRPC service's session) keep the names; a bad name
// is refused naming it and changes nothing stored.
TEST_F(CoordinatorTest, WorkersKeepTheExecProgramsTheyRegisteredWith) {
  WorkerHello hello{"w-exec", "h", 2, "abc123", {}, {"ridge", "gp.v2"}};
  ASSERT_THAT(coord_->RegisterWorker(hello), IsOk());
  ASSERT_THAT(coord_->RegisterSession(WorkerHello{"w-none", "h", 1, "abc123"}, ""), IsOk());
  auto workers = coord_->ListWorkers();
  ASSERT_THAT(workers, IsOk());
  ASSERT_EQ(workers->size(), 2u);
  EXPECT_EQ((*workers)[0].exec_names, hello.exec_names);
  EXPECT_TRUE((*workers)[1].exec_names.empty());

  WorkerHello bad = hello;
  bad.exec_names = {"ridge", "../bin/sh"};
  EXPECT_THAT(coord_->RegisterWorker(bad),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("exec_names[1]")));
  EXPECT_THAT(coord_->RegisterSession(bad, ""),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("exec_names[1]")));
  // A session re-registration with other names replaces them.
  ASSERT_THAT(coord_->RegisterSession(WorkerHello{"w-exec", "h", 2, "abc123", {}, {"gp.v3"}}, ""),
              IsOk());
  workers = coord_->ListWorkers();
  ASSERT_THAT(workers, IsOk());
  EXPECT_EQ((*workers)[0].exec_names, std::vector<std::string>{"gp.v3"});
}

TEST_F(CoordinatorTest, CleanShutdownLeavesNoWal) {
  Submit(3, "r1");
  sweep::Lease lease = MustLease("w1");
  ASSERT_THAT(coord_->Report(lease.job_id, 1, OkReport("w1", 1.0, 0.5)), IsOk());
  ASSERT_TRUE(std::filesystem::exists(path_ + "-wal"));
  coord_.reset();
  std::error_code ec;
  const auto size = std::filesystem::file_size(path_ + "-wal", ec);
  EXPECT_TRUE(ec || size == 0) << "wal has " << size << " bytes";
  Reopen();
  auto summary = coord_->GetSweep(1);
  ASSERT_THAT(summary, IsOk());
  EXPECT_EQ(summary->succeeded, 1);
}

TEST(CoordinatorOptionsTest, ValidateNamesTheField) {
  CoordinatorOptions o;
  EXPECT_THAT(o.Validate(), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("db_path")));
  o.db_path = "x.db";
  EXPECT_THAT(o.Validate(), IsOk());
  o.lease_ttl = milliseconds(0);
  EXPECT_THAT(o.Validate(), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("lease_ttl")));
}

// `sweep retry`: only the failed jobs of the asked kinds go back to the queue, with their
// attempt history kept and a fresh budget of lost leases; succeeded jobs, stored results
// and diverged runs are left alone.
TEST_F(CoordinatorTest, RetryRequeuesOnlyTheFailedJobsOfTheAskedKinds) {
  const int64_t sweep = Submit(4, "retry", /*use_cache=*/false, /*max_attempts=*/1);
  sweep::Lease ok = MustLease("w1"), error = MustLease("w1"), lost = MustLease("w1"),
               diverged = MustLease("w1");
  ASSERT_THAT(coord_->Report(ok.job_id, 1, OkReport("w1", 1.0, 0.5)), IsOk());
  JobReport bad;
  bad.ok = false, bad.error = "boom", bad.worker_id = "w1";
  ASSERT_THAT(coord_->Report(error.job_id, 1, bad), IsOk());
  JobReport div = OkReport("w1", 1.0, 0.5);
  div.result.divergence = "diverged at step 5: loss nan";
  ASSERT_THAT(coord_->Report(diverged.job_id, 1, div), IsOk());
  clock_.Advance(kTtl);  // the `lost` lease expires; max_attempts 1: it fails as lost
  ASSERT_THAT(coord_->ReapExpired(), IsOk());
  ASSERT_EQ(Job(sweep, lost.job_id).failure, FailureKind::kLost);

  // Diverged runs are refused by name; an unknown sweep is NOT_FOUND.
  EXPECT_THAT(coord_->Retry(sweep, {FailureKind::kDiverged}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("diverged")));
  EXPECT_THAT(coord_->Retry(999, {FailureKind::kError}),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("sweep 999")));

  auto requeued = coord_->Retry(sweep, {FailureKind::kError});
  ASSERT_THAT(requeued, IsOk());
  EXPECT_EQ(*requeued, 1);
  EXPECT_EQ(Job(sweep, error.job_id).state, JobState::kQueued);
  EXPECT_EQ(Job(sweep, error.job_id).error, "");
  EXPECT_EQ(Job(sweep, lost.job_id).state, JobState::kFailed);  // not asked for
  requeued = coord_->Retry(sweep, {FailureKind::kError, FailureKind::kLost});
  ASSERT_THAT(requeued, IsOk());
  EXPECT_EQ(*requeued, 1);  // the lost one; the error one is already queued

  // The next leases continue the attempt numbering; the old attempts stay.
  sweep::Lease again = MustLease("w2");
  EXPECT_EQ(again.job_id, error.job_id);
  EXPECT_EQ(again.attempt, 2);
  sweep::Lease again_lost = MustLease("w2");
  EXPECT_EQ(again_lost.job_id, lost.job_id);
  EXPECT_EQ(again_lost.attempt, 2);
  ASSERT_THAT(coord_->Report(again.job_id, 2, OkReport("w2", 2.0, 0.25)), IsOk());
  ASSERT_THAT(coord_->Report(again_lost.job_id, 2, OkReport("w2", 3.0, 0.25)), IsOk());
  EXPECT_EQ(Count("SELECT count(*) FROM attempts WHERE job_id = " + std::to_string(error.job_id)),
            2);
  EXPECT_EQ(Count("SELECT count(*) FROM events WHERE kind = 'retried'"), 2);
  EXPECT_EQ(Job(sweep, ok.job_id).state, JobState::kSucceeded);
  EXPECT_EQ(Job(sweep, diverged.job_id).failure, FailureKind::kDiverged);
  EXPECT_EQ(Count("SELECT count(*) FROM results"), 4);  // ok, diverged, two retried
}

}  // namespace
}  // namespace sweep::server
