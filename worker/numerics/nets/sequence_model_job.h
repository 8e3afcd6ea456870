// RunSequenceModelJob: pretrains a `mamba` or `transformer` model (SCIENCE.md section 3)
// on the in-context single-index task and evaluates it (section 4). Called by RunJob()
// for those two models; a pure function of (config, seed) on one thread (section 5).
#pragma once

#include "absl/status/statusor.h"
#include "common/job_config.h"
#include "common/job_result.h"
#include "worker/numerics/run_job.h"

namespace sweep::numerics::nets {

// Errors: INVALID_ARGUMENT for a shape the models cannot run, CANCELLED when hooks.stop
// fired between steps. A diverged run (NaN/Inf loss) is not an error: the JobResult has
// `divergence` set and keeps the partial loss curve.
absl::StatusOr<JobResult> RunSequenceModelJob(const JobConfig& config, const RunHooks& hooks);

}  // namespace sweep::numerics::nets
