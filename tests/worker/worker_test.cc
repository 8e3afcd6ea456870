// Worker against a real in-process coordinator (SweepServer on 127.0.0.1:0, temp DB)
// with a fake JobRunner: the lease loop, reports, errors, cancel and drain.
#include "worker/worker.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <future>
#include <latch>
#include <thread>

#include "common/job_keys.h"
#include "common/status.h"
#include "rpc/channel.h"
#include "server/server_runner.h"
#include "storage/sqlite.h"
#include "tests/testing/status_matchers.h"
#include "tests/worker/in_process_server.h"

namespace sweep::worker {
namespace {

using sweep::testing::IsOk;
using ::testing::HasSubstr;

// Answers mse = d, or blocks until stopped when `block` is set, or fails with `error`.
class FakeRunner final : public JobRunner {
 public:
  absl::StatusOr<JobResult> Run(const JobConfig& config, const numerics::RunHooks& hooks) override {
    ++calls;
    max_threads = std::max(max_threads.load(), config.threads);
    const int now_running = ++running;
    for (int seen = max_running.load(); now_running > seen;) {
      if (max_running.compare_exchange_weak(seen, now_running)) break;
    }
    std::this_thread::sleep_for(hold);
    --running;
    if (hooks.on_progress) hooks.on_progress(1, 10);
    if (!error.ok()) return error;
    while (block && !hooks.stop.stop_requested()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    if (hooks.stop.stop_requested()) return absl::CancelledError("stopped");
    JobResult r;
    r.mse = config.d;
    r.curve = {{config.N, static_cast<double>(config.d), 0, 1}};
    return r;
  }
  std::atomic<int> calls{0};
  std::atomic<bool> block{false};
  std::chrono::milliseconds hold{0};  // time each job takes (to see jobs overlap)
  std::atomic<int> running{0}, max_running{0}, max_threads{0};
  absl::Status error;
};

JobConfig Krr(int d, int threads = 1) {
  absl::StatusOr<JobConfig> c =
      ResolveJobConfig({{"model", "krr"}, {"d", d}, {"N", 8}, {"threads", threads}});
  SWEEP_CHECK(c.ok());
  return *c;
}

class WorkerTest : public InProcessServerTest {
 protected:
  void SetUp() override { StartServer("worker_test_", std::chrono::milliseconds(600)); }
  WorkerOptions Options(int slots) {
    WorkerOptions o;
    o.coordinator = server_->address();
    o.auth = WorkerAuth();
    o.slots = slots;
    o.heartbeat = std::chrono::milliseconds(100);
    return o;
  }
};

TEST_F(WorkerTest, RunsEveryJobOnceAndReportsResults) {
  const int64_t sweep = Submit({Krr(2), Krr(3), Krr(4), Krr(5), Krr(6)});
  auto runner = std::make_unique<FakeRunner>();
  FakeRunner* fake = runner.get();
  Worker worker(Options(2), std::move(runner));
  std::jthread t([&] { EXPECT_THAT(worker.Run(), IsOk()); });
  EXPECT_TRUE(WaitFor(sweep, [](const auto& s) { return s.succeeded == 5; }));
  worker.Stop();
  t.join();
  EXPECT_EQ(fake->calls.load(), 5);
  EXPECT_EQ(worker.jobs_reported(), 5);
  auto jobs = server_->coordinator().ListJobs(sweep, JobState::kSucceeded);
  ASSERT_THAT(jobs, IsOk());
  for (const auto& j : *jobs) EXPECT_EQ(j.worker_id, worker.worker_id());
}

// --slots 2 --cores 2 with 2-thread jobs: one job at a time, never 4 threads on 2 cores;
// a 3-thread job runs on the worker's 2 cores (its metrics do not depend on threads).
TEST_F(WorkerTest, SlotsShareTheCoresByTheJobsThreads) {
  const int64_t sweep = Submit({Krr(2, 2), Krr(3, 2), Krr(4, 2), Krr(5, 3)});
  auto runner = std::make_unique<FakeRunner>();
  runner->hold = std::chrono::milliseconds(150);
  FakeRunner* fake = runner.get();
  WorkerOptions options = Options(2);
  options.cores = 2;
  Worker worker(options, std::move(runner));
  std::jthread t([&] { EXPECT_THAT(worker.Run(), IsOk()); });
  EXPECT_TRUE(WaitFor(sweep, [](const auto& s) { return s.succeeded == 4; }));
  worker.Stop();
  t.join();
  EXPECT_EQ(fake->max_running.load(), 1);
  EXPECT_EQ(fake->max_threads.load(), 2);
}

// A job whose memory estimate exceeds --memory-mb fails at once with the numbers, and
// the runner never starts it (no OOM kill halfway through).
TEST_F(WorkerTest, JobThatDoesNotFitInMemoryFailsWithResourceExhausted) {
  absl::StatusOr<JobConfig> big = ResolveJobConfig(
      {{"model", "mamba"}, {"d", 8}, {"N", 64}, {"D", 512}, {"batch", 64}, {"steps", 1}});
  ASSERT_THAT(big, IsOk());
  const int64_t sweep = Submit({*big});
  auto runner = std::make_unique<FakeRunner>();
  FakeRunner* fake = runner.get();
  WorkerOptions options = Options(1);
  options.memory_mb = 1;
  Worker worker(options, std::move(runner));
  std::jthread t([&] { (void)worker.Run(); });
  EXPECT_TRUE(WaitFor(sweep, [](const auto& s) { return s.failed == 1; }));
  worker.Stop();
  t.join();
  EXPECT_EQ(fake->calls.load(), 0);
  auto jobs = server_->coordinator().ListJobs(sweep, JobState::kFailed);
  ASSERT_THAT(jobs, IsOk());
  ASSERT_EQ(jobs->size(), 1u);
  EXPECT_THAT((*jobs)[0].error, HasSubstr("RESOURCE_EXHAUSTED"));
  EXPECT_THAT((*jobs)[0].error, HasSubstr("--memory-mb"));
}

TEST_F(WorkerTest, JobErrorIsReportedAsFailedWithItsMessage) {
  const int64_t sweep = Submit({Krr(2)});
  auto runner = std::make_unique<FakeRunner>();
  runner->error = absl::InvalidArgumentError("link: bad term \"h9x\"");
  Worker worker(Options(1), std::move(runner));
  std::jthread t([&] { (void)worker.Run(); });
  EXPECT_TRUE(WaitFor(sweep, [](const auto& s) { return s.failed == 1; }));
  worker.Stop();
  t.join();
  auto jobs = server_->coordinator().ListJobs(sweep, JobState::kFailed);
  ASSERT_THAT(jobs, IsOk());
  ASSERT_EQ(jobs->size(), 1u);
  EXPECT_THAT((*jobs)[0].error, HasSubstr("h9x"));
  EXPECT_EQ((*jobs)[0].attempt, 1);  // a deterministic error is not retried
}

TEST_F(WorkerTest, CancelStopsTheRunningJobThroughTheHeartbeat) {
  const int64_t sweep = Submit({Krr(2)});
  auto runner = std::make_unique<FakeRunner>();
  runner->block = true;
  FakeRunner* fake = runner.get();
  Worker worker(Options(1), std::move(runner));
  std::jthread t([&] { (void)worker.Run(); });
  ASSERT_TRUE(WaitFor(sweep, [](const auto& s) { return s.running == 1; }));
  ASSERT_THAT(server_->coordinator().Cancel(sweep), IsOk());
  // The job stops (the fake returns only when its stop token fired) and is not reported.
  EXPECT_TRUE(WaitFor(sweep, [](const auto& s) { return s.running == 0; }));
  worker.Stop();
  t.join();
  EXPECT_EQ(fake->calls.load(), 1);
  EXPECT_EQ(worker.jobs_reported(), 0);
}

TEST_F(WorkerTest, StopHandsTheRunningJobBackWithoutCountingAnAttempt) {
  const int64_t sweep = Submit({Krr(2)});
  auto runner = std::make_unique<FakeRunner>();
  runner->block = true;
  Worker worker(Options(1), std::move(runner));
  std::jthread t([&] { (void)worker.Run(); });
  ASSERT_TRUE(WaitFor(sweep, [](const auto& s) { return s.running == 1; }));
  worker.Stop();
  t.join();  // Run() returns only after the hand-back
  auto jobs = server_->coordinator().ListJobs(sweep, std::nullopt);
  ASSERT_THAT(jobs, IsOk());
  ASSERT_EQ(jobs->size(), 1u);
  EXPECT_EQ((*jobs)[0].state, JobState::kQueued);
  // A fresh worker gets it at once and finishes it.
  auto runner2 = std::make_unique<FakeRunner>();
  Worker worker2(Options(1), std::move(runner2));
  std::jthread t2([&] { (void)worker2.Run(); });
  EXPECT_TRUE(WaitFor(sweep, [](const auto& s) { return s.succeeded == 1; }));
  worker2.Stop();
}

TEST_F(WorkerTest, CheckpointPutThenGetOverTheWire) {
  CoordinatorClient client(rpc::MakeChannel(server_->address(), WorkerAuth()));
  ASSERT_THAT(client.Register({"w1", "h", 1, "v"}), IsOk());
  JobConfig config = Krr(4);
  config.model = ModelKind::kMamba;
  // Only the worker holding a lease on a job with this training hash may store it.
  Submit({config});
  auto lease = client.Lease("w1", std::chrono::milliseconds(200));
  ASSERT_THAT(lease, IsOk());
  ASSERT_TRUE(lease->has_value());
  CheckpointRecord c;
  c.training_hash = TrainingHash(config);
  c.model = "mamba";
  c.config_json = CanonicalJson(config);
  c.bytes = std::string("\0weights\xff", 9);
  auto missing = client.GetCheckpoint(c.training_hash);
  ASSERT_THAT(missing, IsOk());
  EXPECT_FALSE(missing->has_value());
  ASSERT_THAT(client.PutCheckpoint(c), IsOk());
  ASSERT_THAT(client.PutCheckpoint(c), IsOk());  // idempotent
  auto got = client.GetCheckpoint(c.training_hash);
  ASSERT_THAT(got, IsOk());
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->bytes, c.bytes);
  EXPECT_EQ((*got)->size_bytes, 9);
  EXPECT_EQ((*got)->sha256.size(), 64u);  // set by storage
}

// The worker id comes from the session, never from the request: a worker that copies
// another's lease (job, attempt, owner) from ListJobs can neither keep it alive, hand it
// back nor complete it, whether it names the owner or leaves the id empty.
TEST_F(WorkerTest, AnotherWorkerCannotTouchALeaseItDoesNotHold) {
  const int64_t sweep = Submit({Krr(3)});
  CoordinatorClient w1(rpc::MakeChannel(server_->address(), WorkerAuth()));
  ASSERT_THAT(w1.Register({"w1", "h", 1, "v"}), IsOk());
  auto lease = w1.Lease("w1", std::chrono::milliseconds(200));
  ASSERT_THAT(lease, IsOk());
  ASSERT_TRUE(lease->has_value());
  const int64_t job = (*lease)->job_id;
  const int attempt = (*lease)->attempt;
  CoordinatorClient w2(rpc::MakeChannel(server_->address(), WorkerAuth()));
  ASSERT_THAT(w2.Register({"w2", "h", 1, "v"}), IsOk());
  JobReport report;
  report.result.mse = 1;
  for (const std::string claimed : {"w1", ""}) {
    const absl::StatusCode want = claimed.empty() ? absl::StatusCode::kAborted  // "held by w1"
                                                  : absl::StatusCode::kPermissionDenied;
    EXPECT_EQ(w2.Heartbeat(job, attempt, claimed, 1, 2).status().code(), want) << claimed;
    EXPECT_EQ(w2.Release(job, attempt, claimed).code(), want) << claimed;
    report.worker_id = claimed;
    EXPECT_EQ(w2.Report(job, attempt, report).code(), want) << claimed;
  }
  auto jobs = server_->coordinator().ListJobs(sweep, std::nullopt);
  ASSERT_THAT(jobs, IsOk());
  ASSERT_EQ(jobs->size(), 1u);
  EXPECT_EQ((*jobs)[0].state, JobState::kRunning);  // still w1's
  EXPECT_EQ((*jobs)[0].worker_id, "w1");
  // The holder itself still can, with its id or without.
  EXPECT_THAT(w1.Heartbeat(job, attempt, "", 1, 2), IsOk());
  report.worker_id = "";
  EXPECT_THAT(w1.Report(job, attempt, report), IsOk());
}

// LeaseJobRequest.max_jobs over the wire: a worker with free slots takes several jobs in
// one call; a worker that predates the field (Lease, max_jobs unset) still gets one.
TEST_F(WorkerTest, LeaseManyTakesSeveralJobsInOneCallAndAnOldStyleLeaseOne) {
  Submit({Krr(2), Krr(3), Krr(4), Krr(5), Krr(6)});
  CoordinatorClient client(rpc::MakeChannel(server_->address(), WorkerAuth()));
  ASSERT_THAT(client.Register({"w1", "h", 8, "v"}), IsOk());
  auto old_style = client.Lease("w1", std::chrono::milliseconds(200));
  ASSERT_THAT(old_style, IsOk());
  ASSERT_TRUE(old_style->has_value());
  auto many = client.LeaseMany("w1", std::chrono::milliseconds(200), 3);
  ASSERT_THAT(many, IsOk());
  ASSERT_EQ(many->size(), 3u);
  for (const sweep::Lease& l : *many) {
    EXPECT_NE(l.job_id, (*old_style)->job_id);
    EXPECT_THAT(client.Heartbeat(l.job_id, l.attempt, "w1", 1, 2), IsOk());
  }
  // One job is left: a call for more gets what there is.
  many = client.LeaseMany("w1", std::chrono::milliseconds(200), 4);
  ASSERT_THAT(many, IsOk());
  EXPECT_EQ(many->size(), 1u);
}

// Four slots that ask together share lease calls: every job still runs exactly once.
TEST_F(WorkerTest, SlotsLeasingTogetherRunEveryJobOnce) {
  std::vector<JobConfig> jobs;
  for (int d = 2; d < 14; ++d) jobs.push_back(Krr(d));
  const int64_t sweep = Submit(jobs);
  auto runner = std::make_unique<FakeRunner>();
  runner->hold = std::chrono::milliseconds(50);
  FakeRunner* fake = runner.get();
  Worker worker(Options(4), std::move(runner));
  std::jthread t([&] { EXPECT_THAT(worker.Run(), IsOk()); });
  EXPECT_TRUE(WaitFor(sweep, [](const auto& s) { return s.succeeded == 12; }));
  worker.Stop();
  t.join();
  EXPECT_EQ(fake->calls.load(), 12);
  EXPECT_LE(fake->max_running.load(), 4);
  auto all = server_->coordinator().ListJobs(sweep, std::nullopt);
  ASSERT_THAT(all, IsOk());
  for (const auto& j : *all) EXPECT_EQ(j.attempt, 1) << j.job_id;
}

// ReportResultRequest.next: a slot's report takes its next job in the same call and the
// same commit, so a one-slot worker's sweep costs one write transaction per job instead
// of two; every result is still stored once, by attempt 1. With lease_with_report off
// (the old path) the same sweep takes a LeaseJob commit per job as well.
TEST_F(WorkerTest, ReportsTakeTheNextJobInTheirCommitAndEveryResultIsStoredOnce) {
  for (const bool with_report : {true, false}) {
    SCOPED_TRACE(with_report ? "lease with report" : "report, then LeaseJob");
    std::vector<JobConfig> jobs;
    for (int d = 2; d < 10; ++d) jobs.push_back(Krr(d, with_report ? 1 : 2));  // distinct
    const int64_t sweep = Submit(jobs);
    WorkerOptions options = Options(1);
    options.lease_with_report = with_report;
    auto runner = std::make_unique<FakeRunner>();
    FakeRunner* fake = runner.get();
    Worker worker(options, std::move(runner));
    const int64_t batches = server_->coordinator().stats().write_batches;
    std::jthread t([&] { EXPECT_THAT(worker.Run(), IsOk()); });
    EXPECT_TRUE(WaitFor(sweep, [](const auto& s) { return s.succeeded == 8; }));
    const int64_t used = server_->coordinator().stats().write_batches - batches;
    worker.Stop();
    t.join();
    EXPECT_EQ(fake->calls.load(), 8);
    EXPECT_EQ(worker.jobs_reported(), 8);
    // Registration, the first LeaseJob, then one commit per report (heartbeat flushes
    // may add a few); the old path needs a LeaseJob commit per job on top.
    if (with_report) {
      EXPECT_LE(used, 8 + 5);
    } else {
      EXPECT_GE(used, 2 * 8);
    }
    auto all = server_->coordinator().ListJobs(sweep, std::nullopt);
    ASSERT_THAT(all, IsOk());
    ASSERT_EQ(all->size(), 8u);
    for (const auto& j : *all) {
      EXPECT_EQ(j.state, JobState::kSucceeded) << j.job_id;
      EXPECT_EQ(j.attempt, 1) << j.job_id;
    }
    auto conn = storage::Connection::Open(db(), /*read_only=*/true);
    ASSERT_THAT(conn, IsOk());
    auto stored = (*conn)->QueryInt(
        "SELECT count(*) FROM results JOIN jobs USING (job_id) WHERE sweep_id = " +
        std::to_string(sweep));
    ASSERT_THAT(stored, IsOk());
    EXPECT_EQ(*stored, 8);
  }
}

TEST_F(WorkerTest, InvalidOptionsAreRejected) {
  WorkerOptions o = Options(0);
  Worker worker(o, std::make_unique<FakeRunner>());
  EXPECT_EQ(worker.Run().code(), absl::StatusCode::kInvalidArgument);
}

// --exit-when-idle: an allocation ends with the sweep (README, "Running distributed").
TEST_F(WorkerTest, IdleWorkerExitsByItselfWithOk) {
  WorkerOptions o = Options(2);
  o.exit_when_idle = std::chrono::milliseconds(300);
  Worker worker(o, std::make_unique<FakeRunner>());
  auto run = std::async(std::launch::async, [&] { return worker.Run(); });
  ASSERT_EQ(run.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_THAT(run.get(), IsOk());
  EXPECT_TRUE(worker.stopped_idle());
}

TEST_F(WorkerTest, IdleClockRunsOnlyWhileNoSlotHoldsAJob) {
  const int64_t sweep = Submit({Krr(2), Krr(3)});
  auto runner = std::make_unique<FakeRunner>();
  runner->block = true;
  FakeRunner* fake = runner.get();
  WorkerOptions o = Options(1);
  o.exit_when_idle = std::chrono::milliseconds(200);
  Worker worker(o, std::move(runner));
  auto run = std::async(std::launch::async, [&] { return worker.Run(); });
  ASSERT_TRUE(WaitFor(sweep, [](const auto& s) { return s.running == 1; }));
  // A job that runs for several idle periods keeps the worker alive.
  EXPECT_EQ(run.wait_for(std::chrono::milliseconds(800)), std::future_status::timeout);
  fake->block = false;
  EXPECT_TRUE(WaitFor(sweep, [](const auto& s) { return s.succeeded == 2; }));
  ASSERT_EQ(run.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_THAT(run.get(), IsOk());
  EXPECT_TRUE(worker.stopped_idle());
  EXPECT_EQ(worker.jobs_reported(), 2);
}

TEST_F(WorkerTest, StoppedWorkerIsNotReportedIdle) {
  WorkerOptions o = Options(1);
  o.exit_when_idle = std::chrono::hours(1);
  Worker worker(o, std::make_unique<FakeRunner>());
  std::jthread t([&] { EXPECT_THAT(worker.Run(), IsOk()); });
  worker.Stop();
  t.join();
  EXPECT_FALSE(worker.stopped_idle());
}

TEST_F(WorkerTest, RegistersTheSlurmArrayTaskItRunsIn) {
  WorkerOptions o = Options(1);
  o.slurm = SlurmTask{"1236", "1234", "2"};
  Worker worker(o, std::make_unique<FakeRunner>());
  std::jthread t([&] { EXPECT_THAT(worker.Run(), IsOk()); });
  bool seen = false;
  for (int i = 0; i < 500 && !seen; ++i) {  // bounded wait for the registration
    auto workers = server_->coordinator().ListWorkers();
    seen = workers.ok() && workers->size() == 1 && (*workers)[0].slurm == o.slurm;
    if (!seen) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  worker.Stop();
  t.join();
  EXPECT_TRUE(seen);
}

}  // namespace
}  // namespace sweep::worker
