// RunProcess (worker/exec_process.h) on real /bin/sh scripts: exit codes, the stderr
// tail, timeouts and stops that kill the whole process group, and output limits.
#include "worker/exec_process.h"

#include <signal.h>
#include <sys/stat.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/storage/test_util.h"
#include "tests/testing/status_matchers.h"

namespace sweep::worker {
namespace {

using ::sweep::testing::IsOk;
using ::sweep::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using SteadyClock = std::chrono::steady_clock;

class ExecProcessTest : public ::testing::Test {
 protected:
  // Writes an executable /bin/sh script and returns a spec that runs it.
  ProcessSpec Script(const std::string& body) {
    const std::string path = dir_.File(absl::StrCat("script", ++scripts_, ".sh"));
    std::ofstream(path) << "#!/bin/sh\n" << body << "\n";
    ::chmod(path.c_str(), 0755);
    ProcessSpec spec;
    spec.path = path;
    spec.env = {"PATH=/usr/bin:/bin"};
    spec.timeout = std::chrono::seconds(20);
    return spec;
  }
  ProcessOutcome Run(const ProcessSpec& spec, std::stop_token stop = {}) {
    return RunProcess(spec, stop, [this](std::string_view line) {
      lines_.emplace_back(line);
      return absl::OkStatus();
    });
  }
  // Whether `pid` is gone (or a zombie about to be reaped by init), waiting up to 5 s.
  static bool Gone(pid_t pid) {
    for (int i = 0; i < 500; ++i) {
      std::ifstream stat(absl::StrCat("/proc/", pid, "/stat"));
      std::string pid_field, comm, state;
      if (!(stat >> pid_field >> comm >> state) || state == "Z") return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }
  pid_t ReadPid(const std::string& file) {
    pid_t pid = 0;
    std::ifstream(file) >> pid;
    return pid;
  }

  ::sweep::testing::TempDir dir_;
  int scripts_ = 0;
  std::vector<std::string> lines_;
};

TEST_F(ExecProcessTest, ExitCodeLinesAndStderrTail) {
  ProcessSpec spec = Script("echo one; printf 'two'; echo oops >&2; exit 3");
  spec.stderr_tail_bytes = 3;
  ProcessOutcome r = Run(spec);
  EXPECT_THAT(r.status, IsOk());
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_THAT(lines_, ElementsAre("one", "two"));  // the last line needs no newline
  EXPECT_EQ(r.stderr_tail, "ps\n");                // only the end of stderr is kept
}

TEST_F(ExecProcessTest, StdinWorkdirAndEnvironmentAreTheSpecs) {
  ProcessSpec spec =
      Script("read line; echo \"$line\"; pwd; echo \"$ONLY\"; echo \"${HOME:-none}\"");
  spec.stdin_text = "{\"config\":{}}\n";
  spec.workdir = dir_.File("");
  spec.env = {"ONLY=this"};
  ProcessOutcome r = Run(spec);
  ASSERT_THAT(r.status, IsOk());
  ASSERT_EQ(lines_.size(), 4u);
  EXPECT_EQ(lines_[0], "{\"config\":{}}");
  EXPECT_EQ(lines_[1] + "/", spec.workdir);
  EXPECT_EQ(lines_[2], "this");
  EXPECT_EQ(lines_[3], "none");  // nothing of the worker's environment leaks in
}

TEST_F(ExecProcessTest, TimeoutKillsTheWholeProcessGroup) {
  const std::string pid_file = dir_.File("child.pid");
  ProcessSpec spec =
      Script(absl::StrCat("sleep 60 & echo $! > ", pid_file, "; echo started >&2; sleep 60"));
  spec.timeout = std::chrono::milliseconds(500);
  const auto start = SteadyClock::now();
  ProcessOutcome r = Run(spec);
  EXPECT_LT(SteadyClock::now() - start, std::chrono::seconds(5));
  EXPECT_THAT(r.status, StatusIs(absl::StatusCode::kDeadlineExceeded, HasSubstr("timed out")));
  EXPECT_EQ(r.stderr_tail, "started\n");
  const pid_t child = ReadPid(pid_file);
  ASSERT_GT(child, 0);
  EXPECT_TRUE(Gone(child)) << "the background child " << child << " outlived the timeout";
}

TEST_F(ExecProcessTest, StopKillsTheProgram) {
  ProcessSpec spec = Script("sleep 60");
  std::stop_source stop;
  std::jthread stopper([&stop] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    stop.request_stop();
  });
  const auto start = SteadyClock::now();
  ProcessOutcome r = Run(spec, stop.get_token());
  EXPECT_LT(SteadyClock::now() - start, std::chrono::seconds(5));
  EXPECT_THAT(r.status, StatusIs(absl::StatusCode::kCancelled, "stopped"));
}

TEST_F(ExecProcessTest, LeftoverChildrenDoNotHoldTheJobOpen) {
  const std::string pid_file = dir_.File("child.pid");
  ProcessSpec spec = Script(absl::StrCat("sleep 60 & echo $! > ", pid_file, "; echo done"));
  const auto start = SteadyClock::now();
  ProcessOutcome r = Run(spec);
  EXPECT_LT(SteadyClock::now() - start, std::chrono::seconds(5));
  EXPECT_THAT(r.status, IsOk());
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_TRUE(Gone(ReadPid(pid_file)));
}

TEST_F(ExecProcessTest, HugeOutputIsCutOffAtTheLimit) {
  // 100 MB of short lines: stopped at the default 16 MiB, long before the end.
  ProcessSpec spec = Script("yes '{\"progress\": 0.5}' | head -c 100000000");
  ProcessOutcome r = RunProcess(spec, {}, [](std::string_view) { return absl::OkStatus(); });
  EXPECT_THAT(r.status, StatusIs(absl::StatusCode::kResourceExhausted,
                                 HasSubstr("stdout: more than 16777216 bytes")));
  EXPECT_LE(r.stdout_bytes, (16 << 20) + 65536);
}

TEST_F(ExecProcessTest, OneEndlessLineIsCutOffAtTheLineLimit) {
  ProcessSpec spec = Script("head -c 100000000 /dev/zero");
  ProcessOutcome r = Run(spec);
  EXPECT_THAT(r.status, StatusIs(absl::StatusCode::kResourceExhausted,
                                 HasSubstr("a line longer than 1048576 bytes")));
  EXPECT_TRUE(lines_.empty());
}

TEST_F(ExecProcessTest, ACallbackErrorKillsTheProgramAndIsReturned) {
  ProcessSpec spec = Script("echo bad; sleep 60");
  const auto start = SteadyClock::now();
  ProcessOutcome r = RunProcess(spec, {}, [](std::string_view line) {
    return absl::InvalidArgumentError(absl::StrCat("refused ", std::string(line)));
  });
  EXPECT_LT(SteadyClock::now() - start, std::chrono::seconds(5));
  EXPECT_THAT(r.status, StatusIs(absl::StatusCode::kInvalidArgument, "refused bad"));
}

TEST_F(ExecProcessTest, AProgramKilledBySignalSaysWhich) {
  ProcessOutcome r = Run(Script("kill -9 $$"));
  EXPECT_THAT(r.status, IsOk());
  EXPECT_EQ(r.term_signal, SIGKILL);
}

TEST_F(ExecProcessTest, AProgramThatIgnoresItsStdinDoesNotKillTheCaller) {
  // 1 MB of stdin to a program that exits at once: the write fails with EPIPE, and the
  // SIGPIPE it raises (this test process does not ignore it) is dropped.
  ProcessSpec spec = Script("exit 0");
  spec.stdin_text.assign(1 << 20, 'x');
  ProcessOutcome r = Run(spec);
  EXPECT_THAT(r.status, IsOk());
  EXPECT_EQ(r.exit_code, 0);
}

TEST_F(ExecProcessTest, AMissingProgramIsNotFound) {
  ProcessSpec spec;
  spec.path = dir_.File("no-such-program");
  EXPECT_THAT(Run(spec).status,
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("no-such-program")));
}

}  // namespace
}  // namespace sweep::worker
