// The exec runner (docs/exec.md): a JobRunner that runs jobs of model `exec` as a
// program from the worker's own allowlist (`sweep-worker --allow-exec NAME=PATH`) and
// every other job through the built-in runner. The sweep file only names the program;
// the path comes from the worker's command line, so submitting a sweep never runs a
// command of the submitter's choosing.
//
// A job's program gets: the resolved config as JSON on stdin ({"protocol": 1,
// "config": {...}}), a fresh empty working directory (removed afterwards), a fixed small
// environment (never the worker's own, which may hold its token), its own session, and
// `timeout` seconds. Its stdout lines follow worker/exec_protocol.h.
//
// Thread-safe: Run may be called from every slot at once.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "worker/job_runner.h"

namespace sweep::worker {

// Exec name -> absolute path of the program.
using ExecAllowlist = std::map<std::string, std::string>;

// Parses `--allow-exec` values, NAME=PATH each: NAME a valid exec name
// (common/exec_keys.h), PATH an absolute path to an executable file, no NAME twice.
// INVALID_ARGUMENT naming the entry otherwise.
absl::StatusOr<ExecAllowlist> ParseAllowExec(const std::vector<std::string>& entries);

// The allowlist's names, in order: what a worker registers and asks leases with.
std::vector<std::string> ExecNames(const ExecAllowlist& allow);

struct ExecRunnerOptions {
  // Where each job's working directory is made; empty: the system's temp directory.
  std::string workdir_root;
};

// Runs `exec` jobs named in `allow`; hands every other job to `builtin`.
std::unique_ptr<JobRunner> MakeExecRunner(ExecAllowlist allow, std::unique_ptr<JobRunner> builtin,
                                          ExecRunnerOptions options = {});

}  // namespace sweep::worker
