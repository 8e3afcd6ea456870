// Child processes for the integration tests (see process.h).
#include "tests/integration/process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <thread>

namespace sweep::integration {

std::string Bin(const std::string& name) { return std::string(SWEEP_BIN_DIR) + "/" + name; }

Process::Process(std::vector<std::string> argv, const std::string& out_path,
                 const std::string& err_path) {
  pid_ = fork();
  if (pid_ == 0) {
    // The child dies with its parent, so a test or driver killed by a timeout or a
    // signal leaves no sweepd or worker behind.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    const int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(out, 1);
    dup2(err, 2);
    std::vector<char*> args;
    for (std::string& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
}

Process::~Process() {
  if (running()) {
    Signal(SIGKILL);
    Wait(std::chrono::seconds(10));
  }
}

void Process::Signal(int sig) {
  if (pid_ > 0 && !exit_) kill(pid_, sig);
}

bool Process::running() {
  if (pid_ <= 0 || exit_) return false;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) == pid_) {
    exit_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return false;
  }
  return true;
}

std::optional<int> Process::Wait(std::chrono::milliseconds timeout) {
  WaitUntil([this] { return !running(); }, timeout);
  return exit_;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

CommandResult RunCommand(const std::vector<std::string>& argv, const std::string& dir,
                         std::chrono::milliseconds timeout) {
  static int counter = 0;
  const std::string base = dir + "/cmd" + std::to_string(++counter);
  CommandResult r;
  {
    Process p(argv, base + ".out", base + ".err");
    std::optional<int> code = p.Wait(timeout);
    r.exit_code = code.value_or(-1);
  }
  r.out = ReadFile(base + ".out");
  r.err = ReadFile(base + ".err");
  return r;
}

bool WaitUntil(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return pred();
}

}  // namespace sweep::integration
