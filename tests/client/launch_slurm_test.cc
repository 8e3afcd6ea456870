// `sweep launch slurm` / `launch cancel` without a cluster: the batch script, input
// checks, and submission through fake sbatch / scancel programs (shell scripts in a
// temporary folder that record what they were given). tests/integration/slurm_test.sh
// runs the same launcher against a real one-node SLURM cluster.
#include "client/launch_slurm.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "client/cli.h"
#include "client/subprocess.h"
#include "tests/client/run_cli.h"
#include "tests/testing/status_matchers.h"

namespace sweep::client {
namespace {

using sweep::testing::IsOk;
using sweep::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

SlurmLaunchOptions Valid() {
  SlurmLaunchOptions o;
  o.workers = 3;
  o.cpus_per_worker = 2;
  o.coordinator = "head.cluster:7070";
  o.worker_binary = "/opt/sweep/bin/sweep-worker";
  return o;
}

std::string Slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class LaunchSlurmTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("launch_slurm_test_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // An executable shell script `name` in dir_ that appends its arguments to name.args,
  // saves its stdin to name.stdin, then runs `body`.
  std::string FakeTool(const std::string& name, const std::string& body) {
    const std::filesystem::path p = dir_ / name;
    std::ofstream(p) << "#!/bin/sh\necho \"$@\" >> '" << (dir_ / (name + ".args")).string()
                     << "'\ncat > '" << (dir_ / (name + ".stdin")).string() << "'\n"
                     << body << "\n";
    chmod(p.c_str(), 0755);
    return p.string();
  }
  std::filesystem::path dir_;
};

TEST_F(LaunchSlurmTest, ScriptIsAnSbatchArrayOfWorkersWithTheGivenResources) {
  SlurmLaunchOptions o = Valid();
  o.time = "02:00:00";
  o.partition = "cpu";
  o.account = "icl";
  o.sbatch_args = {"--mem=4G", "--qos=low"};
  const std::string script = SlurmBatchScript(o);
  EXPECT_THAT(script, ::testing::StartsWith("#!/bin/bash\n# "));
  for (const char* line :
       {"#SBATCH --array=0-2\n", "#SBATCH --cpus-per-task=2\n", "#SBATCH --time=02:00:00\n",
        "#SBATCH --partition=cpu\n", "#SBATCH --account=icl\n", "#SBATCH --mem=4G\n",
        "#SBATCH --qos=low\n", "#SBATCH --ntasks=1\n", "COORDINATOR=head.cluster:7070\n",
        "exec /opt/sweep/bin/sweep-worker \\\n", "  --slots 2 \\\n", "  --exit-when-idle 60"}) {
    EXPECT_THAT(script, HasSubstr(line));
  }
  // Options left unset are left to the cluster's defaults; no auth flags unless asked.
  EXPECT_THAT(SlurmBatchScript(Valid()), Not(HasSubstr("--partition")));
  EXPECT_THAT(SlurmBatchScript(Valid()), Not(HasSubstr("--token-file")));
  EXPECT_THAT(SlurmBatchScript(Valid()), Not(HasSubstr("--time")));
}

TEST_F(LaunchSlurmTest, TokenAndCaFilesArePassedToEachWorkerQuotedForTheShell) {
  SlurmLaunchOptions o = Valid();
  o.worker_token_file = "/home/me/my tokens/worker.token";
  o.tls_ca = "/etc/sweep/ca.pem";
  o.worker_binary = "/opt/it's here/sweep-worker";
  const std::string script = SlurmBatchScript(o);
  EXPECT_THAT(script, HasSubstr("--token-file '/home/me/my tokens/worker.token'"));
  EXPECT_THAT(script, HasSubstr("--tls-ca /etc/sweep/ca.pem"));
  // bash itself reads the words back: the worker gets each path as one argument.
  const std::filesystem::path file = dir_ / "job.sh";
  std::ofstream(file) << script;
  auto echo = RunProgram(
      {"bash", "-c", "exec() { printf '%s\\n' \"$@\"; }; source \"$1\"", "bash", file.string()},
      "");
  ASSERT_THAT(echo, IsOk());
  EXPECT_EQ(echo->exit_status, 0) << echo->err;
  EXPECT_THAT(echo->out, HasSubstr("\n/home/me/my tokens/worker.token\n"));
  EXPECT_THAT(echo->out, ::testing::StartsWith("/opt/it's here/sweep-worker\n"));
  EXPECT_THAT(echo->out, HasSubstr("\nhead.cluster:7070\n"));
}

TEST_F(LaunchSlurmTest, BadInputNamesTheFlag) {
  auto with = [](auto edit) {
    SlurmLaunchOptions o = Valid();
    edit(o);
    return o.Validate();
  };
  EXPECT_THAT(Valid().Validate(), IsOk());
  EXPECT_THAT(
      with([](auto& o) { o.workers = 0; }),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--workers: 0 (must be 1..10000)")));
  EXPECT_THAT(with([](auto& o) { o.workers = kMaxSlurmWorkers + 1; }),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--workers: 10001")));
  EXPECT_THAT(with([](auto& o) { o.workers = kMaxSlurmWorkers; }), IsOk());
  EXPECT_THAT(with([](auto& o) { o.cpus_per_worker = 0; }),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--cpus-per-worker")));
  EXPECT_THAT(with([](auto& o) { o.partition = "cpu\n#SBATCH --x"; }),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--partition")));
  EXPECT_THAT(with([](auto& o) { o.sbatch_args = {"mem=4G"}; }),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--sbatch-arg: \"mem=4G\"")));
  EXPECT_THAT(with([](auto& o) { o.sbatch_args = {"--array=0-9"}; }),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("set by --workers")));
  EXPECT_THAT(with([](auto& o) { o.coordinator = "head"; }),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not HOST:PORT")));
  EXPECT_THAT(with([](auto& o) { o.exit_when_idle_s = -1; }),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--exit-when-idle")));
}

TEST_F(LaunchSlurmTest, SubmitsTheScriptAndPrintsTheJobId) {
  SlurmLaunchOptions o = Valid();
  o.sbatch = FakeTool("sbatch", "echo '4242;cluster'");
  std::ostringstream out, err;
  ASSERT_THAT(LaunchSlurm(o, /*dry_run=*/false, out, err), IsOk());
  EXPECT_EQ(out.str(), "4242\n");
  EXPECT_THAT(err.str(), HasSubstr("sweep launch cancel 4242"));
  EXPECT_EQ(Slurp(dir_ / "sbatch.args"), "--parsable\n");
  EXPECT_EQ(Slurp(dir_ / "sbatch.stdin"), SlurmBatchScript(o));
}

TEST_F(LaunchSlurmTest, DryRunPrintsTheScriptAndSubmitsNothing) {
  SlurmLaunchOptions o = Valid();
  o.sbatch = FakeTool("sbatch", "echo 1");
  std::ostringstream out, err;
  ASSERT_THAT(LaunchSlurm(o, /*dry_run=*/true, out, err), IsOk());
  EXPECT_EQ(out.str(), SlurmBatchScript(o));
  EXPECT_FALSE(std::filesystem::exists(dir_ / "sbatch.args"));
}

TEST_F(LaunchSlurmTest, SbatchsOwnErrorIsShown) {
  SlurmLaunchOptions o = Valid();
  o.partition = "nope";
  o.sbatch = FakeTool("sbatch",
                      "echo 'sbatch: error: invalid partition specified: nope' >&2\n"
                      "echo 'sbatch: error: Batch job submission failed: Invalid partition "
                      "name specified' >&2\nexit 1");
  std::ostringstream out, err;
  EXPECT_THAT(LaunchSlurm(o, false, out, err),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("invalid partition specified: nope")));
  EXPECT_EQ(out.str(), "");
}

TEST_F(LaunchSlurmTest, BadWorkerCountSubmitsNothing) {
  SlurmLaunchOptions o = Valid();
  o.workers = 0;
  o.sbatch = FakeTool("sbatch", "echo 1");
  std::ostringstream out, err;
  EXPECT_THAT(LaunchSlurm(o, false, out, err),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::_));
  EXPECT_FALSE(std::filesystem::exists(dir_ / "sbatch.args"));
}

TEST_F(LaunchSlurmTest, SbatchMissingFromPathIsAClearError) {
  const char* old = std::getenv("PATH");
  const std::string saved = old == nullptr ? "" : old;
  setenv("PATH", dir_.c_str(), 1);  // an empty folder: no sbatch anywhere
  std::ostringstream out, err;
  absl::Status s = LaunchSlurm(Valid(), false, out, err);
  setenv("PATH", saved.c_str(), 1);
  EXPECT_THAT(
      s, StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("sbatch not found on PATH")));
  EXPECT_EQ(out.str(), "");
}

TEST_F(LaunchSlurmTest, SbatchOutputWithoutAJobIdIsAnError) {
  EXPECT_EQ(*ParseSbatchJobId("77\n"), "77");
  EXPECT_EQ(*ParseSbatchJobId("77;other-cluster\n"), "77");
  EXPECT_THAT(ParseSbatchJobId("Submitted batch job 77"),
              StatusIs(absl::StatusCode::kInternal, ::testing::_));
  EXPECT_THAT(ParseSbatchJobId(""), StatusIs(absl::StatusCode::kInternal, ::testing::_));
}

TEST_F(LaunchSlurmTest, CancelRunsScancelAndKillSignalsFirst) {
  const std::string scancel = FakeTool("scancel", "");
  std::ostringstream err;
  ASSERT_THAT(CancelSlurmJob("4242", /*kill=*/false, scancel, err), IsOk());
  EXPECT_EQ(Slurp(dir_ / "scancel.args"), "4242\n");
  ASSERT_THAT(CancelSlurmJob("4242_1", /*kill=*/true, scancel, err), IsOk());
  EXPECT_EQ(Slurp(dir_ / "scancel.args"), "4242\n--batch --signal=KILL 4242_1\n4242_1\n");
  EXPECT_THAT(CancelSlurmJob("4242; rm -rf /", false, scancel, err),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("JOBID")));
  EXPECT_THAT(CancelSlurmJob("_1", false, scancel, err),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::_));
}

TEST_F(LaunchSlurmTest, CommandLineDryRunUsesTheClientsCoordinatorUnlessTold) {
  auto run = [](std::vector<std::string> argv, std::string* out, std::string* err) {
    CliRun r = RunSweepCli(std::move(argv));
    *out = r.out;
    *err = r.err;
    return r.code;
  };
  std::string out, err;
  ASSERT_EQ(run({"--coordinator", "10.1.2.3:7070", "launch", "slurm", "--workers", "4", "--dry-run",
                 "--worker-binary", "/x/sweep-worker"},
                &out, &err),
            0)
      << err;
  EXPECT_THAT(out, HasSubstr("#SBATCH --array=0-3\n"));
  EXPECT_THAT(out, HasSubstr("COORDINATOR=10.1.2.3:7070\n"));
  ASSERT_EQ(run({"launch", "slurm", "--workers", "1", "--dry-run", "--coordinator-for-workers",
                 "head:7070", "--exit-when-idle", "5"},
                &out, &err),
            0);
  EXPECT_THAT(out, HasSubstr("COORDINATOR=head:7070\n"));
  EXPECT_THAT(out, HasSubstr("--exit-when-idle 5"));
  // The loopback default reaches no other node: the user is told.
  ASSERT_EQ(run({"launch", "slurm", "--workers", "1", "--dry-run"}, &out, &err), 0);
  EXPECT_THAT(err, HasSubstr("--coordinator-for-workers"));
  EXPECT_EQ(run({"launch", "slurm", "--workers", "0", "--dry-run"}, &out, &err), 1);
  EXPECT_THAT(err, HasSubstr("sweep launch slurm: --workers: 0"));
}

}  // namespace
}  // namespace sweep::client
