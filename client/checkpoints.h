// `sweep checkpoints [SWEEP]` and `sweep export JOB --out FILE` (docs/checkpoints.md,
// "Using checkpoints"), against either backend (coordinator or --db file).
// Stable script formats:
//   checkpoints csv:  training_hash,model,size_bytes,job_id,sha256,created_at
//   checkpoints json: [{"training_hash":..,"model":..,"size_bytes":..,"job_id":..|null,
//                       "sha256":..,"created_at":"2026-11-23T13:45:00Z"}, ...]
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "client/backend.h"
#include "client/format.h"
#include "common/records.h"

namespace sweep::client {

std::string FormatCheckpoints(const std::vector<CheckpointRecord>& checkpoints, Format format);

// `sweep` empty: every stored checkpoint.
absl::Status CmdCheckpoints(Backend& backend, const std::string& sweep, Format format,
                            std::ostream& out);

// Writes the checkpoint of job `job_id` to `out_file` (via a temporary file and a rename,
// so a failed export leaves no half file). NOT_FOUND when the job has none (krr and
// mamba-theory jobs, or a job not yet trained).
absl::Status CmdExport(Backend& backend, int64_t job_id, const std::string& out_file,
                       std::ostream& out);

}  // namespace sweep::client
