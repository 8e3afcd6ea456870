// `model: exec` with the real binaries (docs/exec.md): the example program
// (examples/exec/icl_ridge.py) swept by a worker that allows it, ignored by one that does
// not, cached on a rerun; bad programs fail their jobs with clear errors while sweepd
// stays up and nothing already stored changes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"

#include "tests/integration/cluster.h"

namespace sweep::integration {
namespace {

using std::chrono::seconds;
using ::testing::HasSubstr;

constexpr const char* kPython = "/usr/bin/python3";

std::string TestName() { return ::testing::UnitTest::GetInstance()->current_test_info()->name(); }
std::string Example(const std::string& name) {
  return std::string(SWEEP_SOURCE_DIR) + "/examples/exec/" + name;
}

// The example sweep: 8 exec jobs (2 features x 2 links x 2 seeds) and 4 krr jobs.
constexpr int kExecJobs = 8, kKrrJobs = 4;

TEST(ExecIntegrationTest, OnlyAWorkerThatAllowsTheProgramRunsItsJobsAndRerunsAreCached) {
  if (::access(kPython, X_OK) != 0) GTEST_SKIP() << kPython << " is missing: the example needs it";
  Cluster c(TestName());
  ASSERT_TRUE(c.StartCoordinator());
  c.StartWorker(2);  // no --allow-exec: the krr jobs only
  CommandResult submit = c.Sweep({"submit", Example("ridge.yaml")});
  ASSERT_EQ(submit.exit_code, 0) << submit.err;
  ASSERT_TRUE(c.WaitForSummary(
      1, [](const SweepSummary& s) { return s.succeeded == kKrrJobs; }, seconds(120)));
  std::this_thread::sleep_for(seconds(1));  // the worker keeps polling all the while
  auto s = c.Summary(1);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->queued, kExecJobs);
  EXPECT_EQ(s->running, 0);
  EXPECT_THAT(c.Sweep({"status", "1"}).out, HasSubstr("queued"));

  c.SetFlags({}, {"--allow-exec", "icl-ridge=" + Example("icl_ridge.py")}, {});
  c.StartWorker(2);
  CommandResult wait = c.Sweep({"status", "1", "--wait"}, 240);
  ASSERT_EQ(wait.exit_code, 0) << wait.out << wait.err;
  EXPECT_EQ(c.Summary(1)->succeeded, kExecJobs + kKrrJobs);
  auto counts = c.Counts();
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->results, kExecJobs + kKrrJobs);
  // `sweep workers` says which of the two workers allows the program: one row names it.
  CommandResult workers = c.Sweep({"workers"});
  ASSERT_EQ(workers.exit_code, 0) << workers.err;
  EXPECT_THAT(workers.out, HasSubstr("exec"));
  size_t rows_naming_it = 0;
  for (absl::string_view line : absl::StrSplit(workers.out, '\n')) {
    if (absl::EndsWith(absl::StripTrailingAsciiWhitespace(line), " icl-ridge")) ++rows_naming_it;
  }
  EXPECT_EQ(rows_naming_it, 1u) << workers.out;

  // The exec results aggregate like the built-in ones: per-model rows with nmse columns,
  // and the quadratic features learn the even link h2 in context where linear ones cannot.
  CommandResult table = c.Sweep({"results", "1", "--where", "model=exec", "--where", "link=h2",
                                 "--group-by", "params.features", "--format", "csv"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_THAT(table.out, HasSubstr("quadratic"));
  EXPECT_THAT(table.out, HasSubstr("linear"));

  // Same cells again: every one comes from the cache, nothing runs.
  CommandResult again = c.Sweep({"submit", Example("ridge.yaml")});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  auto jobs = c.Jobs(2);
  ASSERT_TRUE(jobs.ok());
  ASSERT_EQ(jobs->size(), size_t(kExecJobs + kKrrJobs));
  for (const JobRecord& j : *jobs) EXPECT_TRUE(j.cached) << j.config_json;
}

std::string Program(Cluster& c, const std::string& name, const std::string& body) {
  const std::string path = c.WriteFile(name, "#!/bin/sh\n" + body + "\n");
  ::chmod(path.c_str(), 0755);
  return path;
}

TEST(ExecIntegrationTest, BadProgramsFailTheirJobsAndNothingStoredChanges) {
  Cluster c(TestName());
  ASSERT_TRUE(c.StartCoordinator());
  const std::vector<std::string> allow = {
      "--allow-exec",
      "good=" + Program(c, "good.sh", "echo '{\"curve\": [{\"n\": 4, \"nmse\": 0.5}]}'"),
      "--allow-exec",
      "chatty=" + Program(c, "chatty.sh", "echo 'epoch 1: loss 0.3'"),
      "--allow-exec",
      "flood=" + Program(c, "flood.sh", "yes '{\"progress\": 0.5}' | head -c 100000000"),
      "--allow-exec",
      "crash=" + Program(c, "crash.sh", "echo 'ValueError: bad lam' >&2; exit 3"),
      "--allow-exec",
      "slow=" + Program(c, "slow.sh", "sleep 60"),
  };
  c.SetFlags({}, allow, {});
  c.StartWorker(2);
  ASSERT_EQ(
      c.Sweep({"submit", c.WriteFile("good.yaml",
                                     "name: good\nbase: {model: exec, exec: good, d: 4, N: 4}\n")})
          .exit_code,
      0);
  ASSERT_EQ(c.Sweep({"status", "1", "--wait"}, 60).exit_code, 0);
  const std::string before = c.Sweep({"results", "1", "--format", "csv"}).out;

  // Only `slow` runs into its 2 s timeout; the others get 120 s, so that `flood` reaches
  // the stdout limit first even on a loaded machine (16 MB through a pipe in 2 s is not
  // a given when the test runs next to builds).
  const std::string bad = c.WriteFile("bad.yaml", R"(name: bad
base: {model: exec, d: 4, N: 4}
grid: {exec: [chatty, flood, crash, slow, nobody], timeout: [2, 120]}
exclude:
  - {exec: slow, timeout: 120}
  - {exec: chatty, timeout: 2}
  - {exec: flood, timeout: 2}
  - {exec: crash, timeout: 2}
  - {exec: nobody, timeout: 2}
)");
  ASSERT_EQ(c.Sweep({"submit", bad}).exit_code, 0);
  // Four fail; `nobody` is allowed by no worker and waits in the queue.
  ASSERT_TRUE(c.WaitForSummary(
      2, [](const SweepSummary& s) { return s.failed == 4; }, seconds(120)));
  auto jobs = c.Jobs(2);
  ASSERT_TRUE(jobs.ok());
  std::map<std::string, std::string> errors;
  for (const JobRecord& j : *jobs) {
    const size_t at = j.config_json.find("\"exec\":\"");
    const std::string name = j.config_json.substr(at + 8, j.config_json.find('"', at + 8) - at - 8);
    errors[name] = j.error;
    if (name == "nobody") {
      EXPECT_EQ(j.state, JobState::kQueued);
    } else {
      EXPECT_EQ(j.state, JobState::kFailed) << name;
      EXPECT_EQ(j.failure, FailureKind::kError) << name;
    }
  }
  EXPECT_THAT(errors["chatty"],
              HasSubstr("stdout line 1: not a JSON object: \"epoch 1: loss 0.3\""));
  EXPECT_THAT(errors["flood"], HasSubstr("stdout: more than 16777216 bytes"));
  EXPECT_THAT(errors["crash"], HasSubstr("exit code 3; stderr: ValueError: bad lam"));
  EXPECT_THAT(errors["slow"], HasSubstr("timed out after 2 s (timeout: 2 s)"));
  EXPECT_THAT(c.Sweep({"status", "2"}).out, HasSubstr("queued"));

  // sweepd is up and what was stored before is unchanged.
  EXPECT_TRUE(c.coordinator().running());
  EXPECT_EQ(c.Sweep({"results", "1", "--format", "csv"}).out, before);
}

TEST(ExecIntegrationTest, ProgressIsHeartbeatedAndCancellingKillsTheRunningProgram) {
  Cluster c(TestName());
  ASSERT_TRUE(c.StartCoordinator(/*lease_ttl_ms=*/1500));  // heartbeats every 0.5 s
  const std::string pid_file = c.dir() + "/slow.pid";
  c.SetFlags({},
             {"--allow-exec", "slow=" + Program(c, "slow.sh",
                                                "echo '{\"progress\": {\"step\": 3, "
                                                "\"total\": 7}}'; echo $$ > " +
                                                    pid_file + "; sleep 120")},
             {});
  c.StartWorker(1);
  ASSERT_EQ(
      c.Sweep({"submit", c.WriteFile("slow.yaml",
                                     "name: slow\nbase: {model: exec, exec: slow, d: 4, N: 4}\n")})
          .exit_code,
      0);
  pid_t pid = 0;
  ASSERT_TRUE(WaitUntil(
      [&] {
        pid = std::atoi(ReadFile(pid_file).c_str());
        return pid > 0;
      },
      std::chrono::seconds(30)));
  ASSERT_EQ(::kill(pid, 0), 0);
  // The program's progress line reaches the job's row with the next heartbeats.
  EXPECT_TRUE(WaitUntil(
      [&] {
        auto jobs = c.Jobs(1);
        return jobs.ok() && jobs->size() == 1 && (*jobs)[0].progress_step == 3 &&
               (*jobs)[0].progress_total == 7;
      },
      std::chrono::seconds(10)));
  ASSERT_EQ(c.Sweep({"cancel", "slow"}).exit_code, 0);
  // The next heartbeat carries the cancel; the worker kills the program's group.
  EXPECT_TRUE(WaitUntil([&] { return ::kill(pid, 0) != 0; }, std::chrono::seconds(10)))
      << "the program " << pid << " outlived its cancelled job";
  ASSERT_TRUE(c.WaitForSummary(
      1, [](const SweepSummary& s) { return s.cancelled == 1; }, seconds(30)));
}

TEST(ExecIntegrationTest, AWorkerWithABadAllowListRefusesToStart) {
  Cluster c(TestName());
  ASSERT_TRUE(c.StartCoordinator());
  c.SetFlags({}, {"--allow-exec", "../sh=/bin/sh"}, {});
  Process& w = c.StartWorker(1);
  EXPECT_EQ(w.Wait(std::chrono::seconds(30)), 1);
  EXPECT_THAT(ReadFile(c.dir() + "/worker0.err"),
              HasSubstr("--allow-exec ../sh=/bin/sh: bad NAME"));
}

TEST(ExecIntegrationTest, SweepLocalRunsExecJobsItAllowsAndRefusesOthersUpFront) {
  if (::access(kPython, X_OK) != 0) GTEST_SKIP() << kPython << " is missing: the example needs it";
  Cluster c(TestName());
  const std::string db = c.dir() + "/local.db";
  CommandResult refused =
      RunCommand({Bin("sweep"), "local", Example("ridge.yaml"), "--db", db}, c.dir(), seconds(60));
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_THAT(refused.err, HasSubstr("exec: \"icl-ridge\" is not allowed here (sweep local "
                                     "--allow-exec icl-ridge=PATH)"));
  CommandResult ran =
      RunCommand({Bin("sweep"), "local", Example("ridge.yaml"), "--db", db, "--workers", "2",
                  "--allow-exec", "icl-ridge=" + Example("icl_ridge.py")},
                 c.dir(), seconds(240));
  ASSERT_EQ(ran.exit_code, 0) << ran.err;
  EXPECT_THAT(ran.out, HasSubstr("exec"));
}

}  // namespace
}  // namespace sweep::integration
