// The `sweep` subcommands, written against Backend / RpcBackend so that the same code
// serves the coordinator and `--db` files, and tests can drive them in-process. Each
// writes its result to `out` (stdout: tables, csv, json) and progress to `err`
// (stderr), and returns a Status that main maps to the exit code.
#pragma once

#include <chrono>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "client/backend.h"
#include "client/fit.h"
#include "client/format.h"
#include "client/rpc_backend.h"

namespace sweep::client {

struct QueryArgs {
  std::string sweep;               // id or name
  std::vector<std::string> where;  // "key=value"
  std::string group_by;            // "k1,k2"; empty: every key except seed
  Format format = Format::kTable;
};

// "key=value" filters and "k1,k2" into a ResultsQuery. INVALID_ARGUMENT names the flag.
absl::StatusOr<ResultsQuery> MakeQuery(int64_t sweep_id, const QueryArgs& args);

// A fresh random UUID (version 4) for SubmitSweep.request_id.
std::string NewRequestId();

// Polls the sweep until no job is queued or running, printing progress to `err`.
// Returns the final summary.
absl::StatusOr<SweepSummary> WaitForSweep(Backend& backend, int64_t sweep_id, std::ostream& err,
                                          std::chrono::milliseconds poll);

// Reads FILE, validates it locally (INVALID_ARGUMENT naming the key, before any RPC) and
// submits it with a fresh request id.
absl::StatusOr<SubmitReply> SubmitFile(RpcBackend& rpc, const std::string& file, bool use_cache,
                                       bool fail_fast = false);

// Reads FILE, validates it locally (a good error before any RPC), submits it. With
// `wait`, waits and fails unless every job succeeded.
// `fail_fast`: the first failed job cancels the rest (docs/design.md section 4.7).
absl::Status CmdSubmit(RpcBackend& rpc, const std::string& file, bool wait, bool use_cache,
                       bool fail_fast, std::ostream& out, std::ostream& err);
absl::Status CmdStatus(Backend& backend, const std::string& sweep, bool wait, std::ostream& out,
                       std::ostream& err);
absl::Status CmdJobs(Backend& backend, const std::string& sweep, const std::string& state,
                     Format format, std::ostream& out);
absl::Status CmdResults(Backend& backend, const QueryArgs& args, std::ostream& out);
absl::Status CmdCurves(Backend& backend, const QueryArgs& args, std::ostream& out);
// `results --fit`: the log-log fit of each group's mean curve (client/fit.h).
absl::Status CmdFits(Backend& backend, const QueryArgs& args, FitRange range, double eps,
                     std::ostream& out);
absl::Status CmdCancel(RpcBackend& rpc, const std::string& sweep, std::ostream& out);
// `sweep extend SWEEP FILE`: validates FILE here, then adds its cells the sweep lacks.
absl::Status CmdExtend(RpcBackend& rpc, const std::string& sweep, const std::string& file,
                       bool use_cache, std::ostream& out);
// `sweep pause|resume|stop SWEEP` (action "pause", "resume" or "stop").
absl::Status CmdControl(RpcBackend& rpc, const std::string& sweep, const std::string& action,
                        std::ostream& out);
// `sweep retry SWEEP [--kind error,lost]`: requeues the failed jobs of those kinds.
absl::Status CmdRetry(RpcBackend& rpc, const std::string& sweep, const std::string& kinds,
                      std::ostream& out);
absl::Status CmdWorkers(Backend& backend, std::ostream& out);

// Fails (FAILED_PRECONDITION) when a finished sweep has failed or cancelled jobs.
absl::Status AllSucceeded(const SweepSummary& s);

}  // namespace sweep::client
