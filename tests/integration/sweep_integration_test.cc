// End-to-end tests with the real binaries on loopback (issue 2, docs/design.md section 8.3):
// a sweep across several worker processes, a worker killed mid-job, the coordinator
// killed and restarted mid-sweep, malformed sweep files, and `sweep local`. Each test has
// its own temp dir, DB and ports; waits are bounded and on conditions.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <sstream>

#include "client/rpc_backend.h"
#include "tests/integration/cluster.h"
#include "tests/testing/status_matchers.h"

namespace sweep::integration {
namespace {

using std::chrono::seconds;
using sweep::testing::IsOk;
using ::testing::HasSubstr;

std::string TestName() { return ::testing::UnitTest::GetInstance()->current_test_info()->name(); }

// 3 links x 2 features x 2 seeds = 12 small krr jobs (well under a second each).
constexpr const char* kTinyKrr = R"(name: tiny
base: {model: krr, d: 6, r: 2, N: 32, eval_tasks: 100, eval_lengths: [8, 16, 32]}
grid:
  link: [h2, h3, 0.6*h1+0.8*h3]
  features: [ambient, intrinsic]
seeds: 2
)";

TEST(IntegrationTest, TinySweepAcrossThreeWorkersStoresEveryResultOnce) {
  Cluster c(TestName());
  ASSERT_TRUE(c.StartCoordinator());
  for (int i = 0; i < 3; ++i) c.StartWorker(1);
  CommandResult submit = c.Sweep({"submit", c.WriteFile("tiny.yaml", kTinyKrr), "--wait"});
  ASSERT_EQ(submit.exit_code, 0) << submit.out << submit.err;
  EXPECT_THAT(submit.out, HasSubstr("sweep 1 \"tiny\": 12 jobs"));

  absl::StatusOr<DbCounts> n = c.Counts();
  ASSERT_THAT(n, IsOk());
  EXPECT_EQ(n->jobs, 12);
  EXPECT_EQ(n->succeeded, 12);
  EXPECT_EQ(n->results, 12);
  EXPECT_EQ(n->succeeded_attempts, 12);  // no job ran to completion twice

  // Over RPC and straight from the file: 6 groups of 2 seeds each.
  CommandResult rpc = c.Sweep({"results", "tiny", "--format", "csv"});
  ASSERT_EQ(rpc.exit_code, 0) << rpc.err;
  CommandResult file = c.Sweep({"results", "1", "--db", c.db(), "--format", "csv"});
  ASSERT_EQ(file.exit_code, 0) << file.err;
  EXPECT_EQ(rpc.out, file.out);
  EXPECT_EQ(std::count(rpc.out.begin(), rpc.out.end(), '\n'), 7);  // header + 6 groups
  EXPECT_THAT(rpc.out, HasSubstr(",2,"));                          // count = 2 seeds
  // The standard errors and 95% intervals cross the wire: the coordinator's table is
  // the file's, column for column (a field the proto dropped would read 0 here).
  EXPECT_THAT(rpc.out, HasSubstr(",nmse_se,nmse_ci_lo,nmse_ci_hi\n"));
  CommandResult rpc_curves = c.Sweep({"curves", "tiny", "--format", "csv"});
  ASSERT_EQ(rpc_curves.exit_code, 0) << rpc_curves.err;
  EXPECT_EQ(rpc_curves.out, c.Sweep({"curves", "1", "--db", c.db(), "--format", "csv"}).out);
  // `sweep plot` draws the same figure through the coordinator as from the file.
  const std::string rpc_gp = c.WriteFile("rpc.gp", ""), file_gp = c.WriteFile("file.gp", "");
  CommandResult plot_rpc = c.Sweep({"plot", "tiny", "--color", "features", "--facet", "link",
                                    "--out", c.WriteFile("rpc.svg", ""), "--script", rpc_gp});
  CommandResult plot_file =
      c.Sweep({"plot", "1", "--db", c.db(), "--color", "features", "--facet", "link", "--out",
               c.WriteFile("file.svg", ""), "--script", file_gp});
  if (plot_rpc.err.find("gnuplot-nox") == std::string::npos) {  // gnuplot is installed
    ASSERT_EQ(plot_rpc.exit_code, 0) << plot_rpc.err;
    ASSERT_EQ(plot_file.exit_code, 0) << plot_file.err;
    EXPECT_THAT(plot_rpc.out, HasSubstr(": 3 panels, 6 lines"));
    auto slurp = [](const std::string& path) {
      std::ifstream in(path);
      std::stringstream ss;
      ss << in.rdbuf();
      return ss.str();
    };
    // Equal after the output file's name: the same data, titles and styles.
    const std::string a = slurp(rpc_gp), b = slurp(file_gp);
    ASSERT_NE(a.find("$p1s1"), std::string::npos);
    EXPECT_EQ(a.substr(a.find("$p1s1")), b.substr(b.find("$p1s1")));
  }
  CommandResult workers = c.Sweep({"workers"});
  EXPECT_EQ(std::count(workers.out.begin(), workers.out.end(), '\n'), 5);  // 2 + 3 workers
}

TEST(IntegrationTest, WorkerKilledMidJobIsRequeuedAndStoredExactlyOnce) {
  Cluster c(TestName());
  ASSERT_TRUE(c.StartCoordinator(/*lease_ttl_ms=*/1000));
  // One mamba-theory job that runs for seconds, so the kill lands mid-job.
  const std::string file = c.WriteFile("long.yaml", R"(name: long
base: {model: mamba-theory, d: 8, r: 2, N: 64, K1: 2000, T2: 2048, eval_tasks: 200}
)");
  ASSERT_EQ(c.Sweep({"submit", file}).exit_code, 0);
  Process& first = c.StartWorker(1);
  ASSERT_TRUE(c.WaitForSummary(
      1, [](const SweepSummary& s) { return s.running == 1; }, seconds(30)));
  first.Signal(SIGKILL);
  first.Wait(seconds(5));
  c.StartWorker(1);
  // The lease expires after 1 s; the second worker gets attempt 2 and finishes it.
  ASSERT_TRUE(c.WaitForSummary(
      1, [](const SweepSummary& s) { return s.succeeded == 1; }, seconds(150)));
  absl::StatusOr<DbCounts> n = c.Counts();
  ASSERT_THAT(n, IsOk());
  EXPECT_EQ(n->results, 1);
  EXPECT_EQ(n->succeeded_attempts, 1);
  EXPECT_EQ(n->max_attempt, 2);
}

TEST(IntegrationTest, CoordinatorKilledAndRestartedMidSweepLosesNothing) {
  Cluster c(TestName());
  ASSERT_TRUE(c.StartCoordinator(/*lease_ttl_ms=*/2000));
  // 8 mamba-theory jobs of about a second each: long enough to kill in the middle.
  const std::string file = c.WriteFile("mid.yaml", R"(name: mid
base: {model: mamba-theory, d: 6, r: 2, N: 32, K1: 300, T2: 1024, eval_tasks: 100}
grid: {link: [h2, h3]}
seeds: 4
)");
  ASSERT_EQ(c.Sweep({"submit", file}).exit_code, 0);
  c.StartWorker(1);
  c.StartWorker(1);
  ASSERT_TRUE(c.WaitForSummary(
      1, [](const SweepSummary& s) { return s.succeeded >= 1; }, seconds(60)));
  c.KillCoordinator();
  absl::StatusOr<SweepSummary> at_kill = c.Summary(1);
  ASSERT_THAT(at_kill, IsOk());
  ASSERT_LT(at_kill->succeeded, 8);       // the kill really landed mid-sweep
  ASSERT_TRUE(c.StartCoordinator(2000));  // same DB, same port: workers reconnect
  ASSERT_TRUE(c.WaitForSummary(
      1, [](const SweepSummary& s) { return s.succeeded == 8; }, seconds(150)));
  absl::StatusOr<DbCounts> n = c.Counts();
  ASSERT_THAT(n, IsOk());
  EXPECT_EQ(n->jobs, 8);
  EXPECT_EQ(n->results, 8);
  EXPECT_EQ(n->succeeded_attempts, 8);
  // The workers went on with the sessions issued before the kill (kept in the DB as
  // hashes, docs/design.md section 6.5): the new coordinator issued none.
  const std::string log = ReadFile(c.dir() + "/sweepd2.out.err");
  ASSERT_THAT(log, HasSubstr("listening on"));
  EXPECT_THAT(log, ::testing::Not(HasSubstr("new session")));
}

TEST(IntegrationTest, MalformedSweepIsRejectedAndTheServerStaysUp) {
  Cluster c(TestName());
  ASSERT_TRUE(c.StartCoordinator());
  const std::string bad_key = "name: bad\nbase: {model: krr, d: 8, sedd: 3}\n";
  CommandResult r = c.Sweep({"submit", c.WriteFile("bad.yaml", bad_key)});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.err, HasSubstr("sedd"));
  CommandResult range = c.Sweep(
      {"submit", c.WriteFile("r.yaml", "name: r\nbase: {model: krr, d: 4, N: 8, r: 12}\n")});
  EXPECT_NE(range.exit_code, 0);
  EXPECT_THAT(range.err, HasSubstr("r: 12 > d = 4"));

  // A client that skips local validation gets INVALID_ARGUMENT from the server itself.
  rpc::ChannelAuth auth;
  auth.token = c.ClientToken();
  client::RpcBackend rpc(c.address(), auth);
  auto direct = rpc.Submit("req-1", bad_key, "bad.yaml", true);
  EXPECT_EQ(direct.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(direct.status().message()), HasSubstr("sedd"));
  auto serving = rpc.Serving();
  ASSERT_THAT(serving, IsOk());
  EXPECT_TRUE(*serving);
  auto sweeps = rpc.ListSweeps();
  ASSERT_THAT(sweeps, IsOk());
  EXPECT_TRUE(sweeps->empty());  // nothing was stored
}

// A failed start (DB directory missing, address not bindable) used to segfault in the
// destructor's drain; it must exit 1 with a message naming the problem.
TEST(IntegrationTest, CoordinatorThatCannotStartExitsOneWithAMessage) {
  Cluster c(TestName());
  const std::string db = c.dir() + "/no/such/dir/s.db";
  CommandResult no_dir =
      RunCommand({Bin("sweepd"), "--db", db, "--listen", "127.0.0.1:0"}, c.dir(), seconds(20));
  EXPECT_EQ(no_dir.exit_code, 1) << no_dir.err;
  EXPECT_THAT(no_dir.err, HasSubstr(db));
  CommandResult bad_listen = RunCommand(
      {Bin("sweepd"), "--db", c.dir() + "/s.db", "--listen", "999.1.1.1:5"}, c.dir(), seconds(20));
  EXPECT_EQ(bad_listen.exit_code, 1) << bad_listen.err;
  EXPECT_THAT(bad_listen.err, HasSubstr("999.1.1.1:5"));
}

TEST(IntegrationTest, CancelStopsQueuedAndRunningJobs) {
  Cluster c(TestName());
  ASSERT_TRUE(c.StartCoordinator(/*lease_ttl_ms=*/1500));  // heartbeats every 500 ms
  const std::string file = c.WriteFile("long.yaml", R"(name: long
base: {model: mamba-theory, d: 8, r: 2, N: 64, K1: 4000, T2: 2048, eval_tasks: 200}
seeds: 3
)");
  ASSERT_EQ(c.Sweep({"submit", file}).exit_code, 0);
  c.StartWorker(1);
  ASSERT_TRUE(c.WaitForSummary(
      1, [](const SweepSummary& s) { return s.running == 1; }, seconds(30)));
  CommandResult cancel = c.Sweep({"cancel", "long"});
  ASSERT_EQ(cancel.exit_code, 0) << cancel.err;
  // Queued jobs at once; the running one once its worker hears it in a heartbeat.
  ASSERT_TRUE(c.WaitForSummary(
      1, [](const SweepSummary& s) { return s.queued == 0 && s.running == 0; }, seconds(20)));
  auto s = c.Summary(1);
  ASSERT_THAT(s, IsOk());
  EXPECT_EQ(s->succeeded, 0);
  EXPECT_EQ(s->cancelled, 3);
  CommandResult jobs = c.Sweep({"jobs", "long", "--state", "cancelled", "--format", "csv"});
  EXPECT_EQ(std::count(jobs.out.begin(), jobs.out.end(), '\n'), 4);  // header + 3 jobs
  // Scripts wait on a sweep and test the exit code: a cancelled sweep is not a success.
  CommandResult wait = c.Sweep({"status", "long", "--wait"});
  EXPECT_EQ(wait.exit_code, 1) << wait.err;
  EXPECT_THAT(wait.err, HasSubstr("3 cancelled"));
}

// `sweep retry` with real binaries: a worker too small for the job refuses it
// (RESOURCE_EXHAUSTED, a job error), a bigger worker joins, and retry requeues the job,
// which then succeeds; the failed attempt stays in the history.
TEST(IntegrationTest, RetryRequeuesAFailedJobThatThenSucceeds) {
  Cluster c(TestName());
  ASSERT_TRUE(c.StartCoordinator());
  const std::string file = c.WriteFile("big.yaml", R"(name: big
base: {model: mamba, d: 4, r: 2, N: 16, D: 256, batch: 64, steps: 2, eval_tasks: 20}
)");
  ASSERT_EQ(c.Sweep({"submit", file}).exit_code, 0);
  c.SetFlags({}, {"--memory-mb", "1"}, {});
  c.StartWorker(1);
  ASSERT_TRUE(c.WaitForSummary(
      1, [](const SweepSummary& s) { return s.failed == 1; }, seconds(30)));
  CommandResult failed = c.Sweep({"jobs", "big", "--state", "failed"});
  EXPECT_THAT(failed.out, HasSubstr("RESOURCE_EXHAUSTED"));
  EXPECT_THAT(c.Sweep({"retry", "big", "--kind", "diverged"}).err, HasSubstr("diverged"));
  EXPECT_NE(c.Sweep({"retry", "nosuch"}).exit_code, 0);
  c.worker(0).Signal(SIGTERM);  // the small worker leaves
  ASSERT_TRUE(c.worker(0).Wait(std::chrono::seconds(20)).has_value());
  c.SetFlags({}, {}, {});
  c.StartWorker(1);  // a worker with the machine's memory
  CommandResult retry = c.Sweep({"retry", "big"});
  ASSERT_EQ(retry.exit_code, 0) << retry.err;
  EXPECT_THAT(retry.out, HasSubstr("1 failed job requeued"));
  ASSERT_TRUE(c.WaitForSummary(
      1, [](const SweepSummary& s) { return s.succeeded == 1; }, seconds(60)));
  auto jobs = c.Jobs(1);
  ASSERT_THAT(jobs, IsOk());
  ASSERT_EQ(jobs->size(), 1u);
  EXPECT_GE((*jobs)[0].attempt, 2);  // the refused attempt is kept
}

TEST(IntegrationTest, SigtermDrainsAndExitsCleanly) {
  Cluster c(TestName());
  ASSERT_TRUE(c.StartCoordinator());
  c.StartWorker(2);  // holds long polls open during the drain
  rpc::ChannelAuth auth;
  auth.token = c.ClientToken();
  client::RpcBackend rpc(c.address(), auth);
  ASSERT_TRUE(WaitUntil(
      [&] {
        auto w = rpc.ListWorkers();
        return w.ok() && w->size() == 1;
      },
      seconds(20)));
  c.coordinator().Signal(SIGTERM);
  // Under docker's 10 s. (An idle client channel, like `rpc` here, delays the close by
  // up to gRPC's 5 s client backup-poll interval: it reads the GOAWAY only then.)
  std::optional<int> code = c.coordinator().Wait(seconds(9));
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0);
}

// A rolling restart: SIGTERM while hundreds of reports a second are in flight, then the
// same coordinator again. Reports the drain refused (CANCELLED or UNAVAILABLE) are retried
// with heartbeats until they land, so no attempt is lost and no job runs twice.
TEST(IntegrationTest, SigtermDuringReportsLosesNoAttemptAndComputesNoJobTwice) {
  Cluster c(TestName());
  // The restart's grace is one ttl: it must cover a worker's reconnect backoff on a loaded
  // machine (5 s lost two leases once in a fresh-machine run; a lease really dropped
  // still shows as lost, 15 s later).
  ASSERT_TRUE(c.StartCoordinator(/*lease_ttl_ms=*/15000));
  const std::string file = c.WriteFile("many.yaml", R"(name: many
base: {model: krr, d: 4, r: 1, N: 8, eval_tasks: 20, eval_lengths: [8]}
seeds: 1500
)");
  ASSERT_EQ(c.Sweep({"submit", file}).exit_code, 0);
  c.StartWorker(2);
  c.StartWorker(2);
  ASSERT_TRUE(c.WaitForSummary(
      1, [](const SweepSummary& s) { return s.succeeded >= 50; }, seconds(60)));
  c.coordinator().Signal(SIGTERM);
  std::optional<int> code = c.coordinator().Wait(seconds(9));
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0);
  absl::StatusOr<SweepSummary> at_stop = c.Summary(1);
  ASSERT_THAT(at_stop, IsOk());
  ASSERT_LT(at_stop->succeeded, 1500);    // the drain really landed mid-sweep
  ASSERT_TRUE(c.StartCoordinator(15000));  // same DB, same port: workers come back
  ASSERT_TRUE(c.WaitForSummary(
      1, [](const SweepSummary& s) { return s.succeeded == 1500; }, seconds(120)));
  absl::StatusOr<DbCounts> n = c.Counts();
  ASSERT_THAT(n, IsOk());
  EXPECT_EQ(n->lost_attempts, 0);
  EXPECT_EQ(n->max_attempt, 1);  // no job leased, so computed, twice
  EXPECT_EQ(n->succeeded_attempts, 1500);
  EXPECT_EQ(n->results, 1500);
}

TEST(IntegrationTest, LocalRunsASweepAndPrintsTheTable) {
  Cluster c(TestName());
  const std::string db = c.dir() + "/local.db";
  CommandResult r = RunCommand(
      {Bin("sweep"), "local", c.WriteFile("tiny.yaml", kTinyKrr), "--db", db, "--workers", "2"},
      c.dir(), seconds(120));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("nmse_mean"));
  EXPECT_THAT(r.out, HasSubstr("fixed: N=32 d=6"));            // constant keys, one line
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 9);  // fixed, header, rule, 6 groups
  CommandResult q = RunCommand({Bin("sweep"), "results", "tiny", "--db", db, "--format", "json"},
                               c.dir(), seconds(30));
  ASSERT_EQ(q.exit_code, 0) << q.err;
  EXPECT_THAT(q.out, HasSubstr("\"count\": 2"));
}

}  // namespace
}  // namespace sweep::integration
