// Child processes for the integration tests: the real sweepd, sweep-worker and sweep
// binaries (SWEEP_BIN_DIR), started with fork+exec (no DB handle crosses the fork:
// docs/design.md section 8.3), output to files, killed and reaped by the
// destructor so that no test leaves a process behind.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace sweep::integration {

// Path of a binary built next to the tests.
std::string Bin(const std::string& name);

class Process {
 public:
  // Starts argv[0] with argv; stdout and stderr go to files `out_path` / `err_path`.
  Process(std::vector<std::string> argv, const std::string& out_path, const std::string& err_path);
  ~Process();  // SIGKILL + reap if still running
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  void Signal(int sig);
  // Waits up to `timeout` for exit; the exit status (or 128 + signal), nullopt on timeout.
  std::optional<int> Wait(std::chrono::milliseconds timeout);
  bool running();

 private:
  pid_t pid_ = -1;
  std::optional<int> exit_;
};

struct CommandResult {
  int exit_code = -1;  // -1: timed out (and killed)
  std::string out, err;
};

// Runs a command to completion (bounded by `timeout`), capturing stdout and stderr.
CommandResult RunCommand(const std::vector<std::string>& argv, const std::string& dir,
                         std::chrono::milliseconds timeout);

std::string ReadFile(const std::string& path);

// Polls `pred` every 20 ms until it holds or `timeout` passes; returns its last value.
bool WaitUntil(const std::function<bool()>& pred, std::chrono::milliseconds timeout);

}  // namespace sweep::integration
