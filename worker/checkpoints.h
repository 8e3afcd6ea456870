// Checkpoint reuse on the worker side (docs/checkpoints.md, "Using checkpoints"): a lease
// that says checkpoint_available makes the worker fetch the model stored under the job's
// training hash and evaluate it instead of training; a job that trained stores its model
// (PutCheckpoint, before the report) for later jobs with the same training keys.
// A failing checkpoint RPC never loses the job: a failed fetch falls back to training, a
// failed put still reports the result (both log a warning).
#pragma once

#include <optional>
#include <string>

#include "common/job_config.h"
#include "common/records.h"
#include "worker/coordinator_client.h"
#include "worker/numerics/run_hooks.h"

namespace sweep::worker {

// What the job thread learnt about its model; read by the slot thread after the join.
struct ModelOutcome {
  std::optional<numerics::ModelSource> source;  // unset: krr, mamba-theory, early error
  std::string trained_bytes;                    // the freshly trained model, if any
  std::string input_sha256;                     // of the checkpoint handed to the job
};

// The checkpoint to run with, or nullopt (none stored, or the fetch failed: then the job
// trains, after a warning).
std::optional<CheckpointRecord> FetchCheckpoint(CoordinatorClient& client,
                                                const sweep::Lease& lease);

// Points `hooks` at `input` (which must outlive the run) and at `models`.
void WireCheckpoints(const std::optional<CheckpointRecord>& input, ModelOutcome& models,
                     numerics::RunHooks& hooks);

// Stores a freshly trained model under the lease's training hash and records in `report`
// how the job got its model (trained or reused).
void ApplyCheckpoint(CoordinatorClient& client, const sweep::Lease& lease, const JobConfig& config,
                     const ModelOutcome& models, JobReport& report);

}  // namespace sweep::worker
