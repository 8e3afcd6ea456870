// RunProcess: runs one exec program (docs/exec.md) as the leader of a new session
// (setsid), so that a timeout, a cancelled job or bad output ends it and everything it
// started with one kill(-pgid, SIGKILL). It writes `stdin_text` to the program's stdin,
// hands each stdout line to a callback and keeps only the tail of stderr, all in one
// poll loop, so that no pipe blocks the program and no output grows the worker's memory
// beyond the limits.
//
// Thread-safe: each call owns its child; calls may run concurrently (one per slot).
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"

namespace sweep::worker {

struct ProcessSpec {
  std::string path;              // absolute path of the program (run without a shell)
  std::string stdin_text;        // written to its stdin, which is then closed
  std::string workdir;           // its working directory; empty: the worker's
  std::vector<std::string> env;  // its whole environment, "NAME=value" entries
  std::chrono::milliseconds timeout{3'600'000};
  size_t max_stdout_bytes = 16 << 20;  // all of stdout; more kills the program
  size_t max_line_bytes = 1 << 20;     // one stdout line; longer kills the program
  size_t stderr_tail_bytes = 2048;     // how much of the end of stderr is kept
};

struct ProcessOutcome {
  // OK when the program ran to its end, whatever its exit code. Otherwise why it was
  // killed: DEADLINE_EXCEEDED (timeout), CANCELLED (stop requested), RESOURCE_EXHAUSTED
  // (output over a limit), the callback's own error, or INTERNAL / NOT_FOUND when it
  // could not be started.
  absl::Status status;
  int exit_code = 0;    // with status OK: the exit code, or -1 when a signal ended it
  int term_signal = 0;  // the signal that ended it, 0 if none
  std::string stderr_tail;
  int64_t stdout_bytes = 0;
};

// Runs `spec` until the program exits and its pipes close, the timeout passes, `stop`
// fires, the output breaks a limit or `on_line` returns an error. `on_line` gets every
// stdout line without its newline (a last line without one too). After the program
// exits, whatever of its process group is left is killed. Never throws.
ProcessOutcome RunProcess(const ProcessSpec& spec, std::stop_token stop,
                          const std::function<absl::Status(std::string_view line)>& on_line);

}  // namespace sweep::worker
