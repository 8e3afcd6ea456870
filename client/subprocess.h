// Running a cluster tool (sbatch, scancel) as a child process: its arguments, a text on
// its stdin, its stdout and stderr captured in full, its exit status. Used by `sweep
// launch` (client/launch_slurm.h) so that a failing tool's own message reaches the user.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace sweep::client {

struct ProgramOutput {
  int exit_status = 0;  // the program's exit code; 128 + N when killed by signal N
  std::string out;      // everything it wrote on stdout
  std::string err;      // everything it wrote on stderr
};

// Runs argv[0] (looked up on PATH) with `input` on its stdin and waits for it.
// NOT_FOUND when the program is not on PATH; INTERNAL when it cannot be started. A
// program that runs and fails is not an error here: read exit_status.
absl::StatusOr<ProgramOutput> RunProgram(const std::vector<std::string>& argv,
                                         const std::string& input);

}  // namespace sweep::client
