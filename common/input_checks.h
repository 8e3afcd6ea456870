// The checks of common/limits.h on what workers send the coordinator (registrations,
// heartbeats, reports), in one place so that the gRPC service and the in-process
// `sweep local` refuse the same things. Each refusal names the field and the limit:
// INVALID_ARGUMENT for a wrong value, RESOURCE_EXHAUSTED for too much of it. A refused
// request changes nothing (the checks run before any write).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "common/job_result.h"
#include "common/records.h"

namespace sweep {

// A worker, lease owner or report author id: 1..kMaxWorkerIdBytes bytes, no control or
// format characters (it is printed by `sweep workers` and written in logs).
absl::Status CheckWorkerId(std::string_view field, std::string_view worker_id);

// worker_id as above, host and build_version at most 256 bytes, slots in 1..kMaxSlots,
// exec_names as CheckExecNames.
absl::Status CheckWorkerHello(const WorkerHello& hello);

// A worker's exec names (registration and lease requests, docs/exec.md): at most
// kMaxExecNamesPerWorker, each a valid exec name (common/exec_keys.h); INVALID_ARGUMENT
// naming `exec_names[i]` otherwise.
absl::Status CheckExecNames(const std::vector<std::string>& names);

// 0 <= step, 0 <= total, and step <= total once a total is known (total > 0).
absl::Status CheckProgress(int64_t step, int64_t total);

// What a report may hold whatever its job: the worker id, at most kMaxCurvePoints curve
// points with distinct n >= 0, at most kMaxLossPoints loss points with distinct steps
// >= 0. The job-dependent bound (n <= N) is CheckCurveWithin.
absl::Status CheckReport(const JobReport& report);

// Every curve point's n lies in 0..N of the job (so at most N + 1 distinct points).
absl::Status CheckCurveWithin(const JobResult& result, int64_t N);

// `text` cut to at most max_bytes at a UTF-8 boundary, with a note saying how long it
// was; unchanged when it fits. Long error messages are stored this way, not refused: a
// job's failure must be recorded even when its message is huge.
std::string TruncateForStorage(std::string_view text, size_t max_bytes);

}  // namespace sweep
