// The exec runner (worker/exec_runner.h) with /bin/sh programs: the allowlist, what a
// program gets (config on stdin, a fresh directory, a fixed environment) and how its
// failures read.
#include "worker/exec_runner.h"

#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "common/job_keys.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/storage/test_util.h"
#include "tests/testing/status_matchers.h"

namespace sweep::worker {
namespace {

using ::sweep::testing::IsOk;
using ::sweep::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

// The built-in runner's stand-in: answers every job with nmse 7.
class FakeBuiltin final : public JobRunner {
 public:
  absl::StatusOr<JobResult> Run(const JobConfig&, const numerics::RunHooks&) override {
    JobResult r;
    r.nmse = 7;
    return r;
  }
};

class ExecRunnerTest : public ::testing::Test {
 protected:
  std::string Program(const std::string& body) {
    const std::string path = dir_.File(absl::StrCat("prog", ++programs_, ".sh"));
    std::ofstream(path) << "#!/bin/sh\n" << body << "\n";
    ::chmod(path.c_str(), 0755);
    return path;
  }
  JobConfig Exec(const std::string& name, int timeout = 20) {
    auto c = ResolveJobConfig({{"model", "exec"},
                               {"exec", name},
                               {"d", 4},
                               {"N", 8},
                               {"params.lam", 0.5},
                               {"timeout", timeout}});
    EXPECT_THAT(c, IsOk());
    return *c;
  }
  absl::StatusOr<JobResult> Run(const std::string& name, const std::string& body,
                                int timeout = 20) {
    auto runner = MakeExecRunner({{name, Program(body)}}, std::make_unique<FakeBuiltin>(),
                                 ExecRunnerOptions{dir_.File("")});
    return runner->Run(Exec(name, timeout), numerics::RunHooks{});
  }
  ::sweep::testing::TempDir dir_;
  int programs_ = 0;
};

TEST_F(ExecRunnerTest, TheProgramReadsItsConfigAndReportsACurve) {
  // The config line carries the params and the task keys; the program echoes lam as nmse.
  auto r =
      Run("ridge",
          "read cfg\n"
          "case \"$cfg\" in *'\"params\":{\"lam\":0.5}'*'\"protocol\":1'*) ;; *) exit 9;; esac\n"
          "echo '{\"curve\": [{\"n\": 8, \"nmse\": 0.5}]}'");
  ASSERT_THAT(r, IsOk());
  EXPECT_DOUBLE_EQ(r->nmse, 0.5);
  EXPECT_GT(r->train_seconds, 0);  // the program's wall time when it reports none
}

TEST_F(ExecRunnerTest, ProgramsSeeAFreshDirectoryAndNoneOfTheWorkersEnvironment) {
  ::setenv("SWEEP_WORKER_TOKEN", "secret-token", 1);
  auto r = Run("envcheck",
               "test -z \"$SWEEP_WORKER_TOKEN\" || exit 5\n"
               "test \"$(pwd)\" = \"$HOME\" || exit 6\n"
               "test -z \"$(ls -A)\" || exit 7\n"
               "test \"$SWEEP_EXEC_NAME\" = envcheck || exit 8\n"
               "pwd > " +
                   dir_.File("seen") +
                   "\n"
                   "echo '{\"metrics\": {\"nmse\": 1}}'");
  ::unsetenv("SWEEP_WORKER_TOKEN");
  ASSERT_THAT(r, IsOk());
  std::string workdir;
  std::ifstream(dir_.File("seen")) >> workdir;
  EXPECT_FALSE(workdir.empty());
  EXPECT_FALSE(std::filesystem::exists(workdir)) << "the job's directory is removed afterwards";
}

TEST_F(ExecRunnerTest, NonZeroExitIsAnErrorWithTheStderrTail) {
  EXPECT_THAT(Run("fails", "echo 'Traceback: boom' >&2; exit 2"),
              StatusIs(absl::StatusCode::kAborted, AllOf(HasSubstr("exec \"fails\": exit code 2"),
                                                         HasSubstr("Traceback: boom"))));
}

TEST_F(ExecRunnerTest, MalformedOutputIsAnErrorNamingTheLine) {
  EXPECT_THAT(Run("chatty", "echo 'epoch 1 done'; sleep 30"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("exec \"chatty\": stdout line 1: not a JSON object")));
}

TEST_F(ExecRunnerTest, TimeoutIsAnErrorThatNamesTheKey) {
  EXPECT_THAT(Run("slow", "sleep 30", /*timeout=*/1),
              StatusIs(absl::StatusCode::kDeadlineExceeded,
                       AllOf(HasSubstr("timeout: 1 s"), HasSubstr("process group was killed"))));
}

TEST_F(ExecRunnerTest, OtherModelsGoToTheBuiltInRunner) {
  auto runner = MakeExecRunner({}, std::make_unique<FakeBuiltin>());
  auto krr = ResolveJobConfig({{"model", "krr"}, {"d", 4}, {"N", 8}});
  ASSERT_THAT(krr, IsOk());
  auto r = runner->Run(*krr, numerics::RunHooks{});
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->nmse, 7);
  EXPECT_THAT(
      runner->Run(Exec("ridge"), numerics::RunHooks{}),
      StatusIs(absl::StatusCode::kFailedPrecondition,
               HasSubstr("not allowed on this worker (sweep-worker --allow-exec ridge=PATH)")));
}

TEST_F(ExecRunnerTest, AllowExecEntriesAreChecked) {
  const std::string prog = Program("exit 0");
  auto ok = ParseAllowExec({"ridge=" + prog});
  ASSERT_THAT(ok, IsOk());
  EXPECT_EQ(ok->at("ridge"), prog);
  EXPECT_THAT(ParseAllowExec({"ridge"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("expected NAME=PATH")));
  EXPECT_THAT(ParseAllowExec({"-x=" + prog}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("bad NAME")));
  EXPECT_THAT(ParseAllowExec({"ridge=prog.sh"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("PATH must be absolute")));
  EXPECT_THAT(ParseAllowExec({"ridge=" + dir_.File("missing")}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not an executable file")));
  EXPECT_THAT(ParseAllowExec({"ridge=" + prog, "ridge=" + prog}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("NAME given twice")));
}

}  // namespace
}  // namespace sweep::worker
