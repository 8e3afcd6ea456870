// RunJob: the whole interface between the service and the numerics (docs/design.md section 1.2).
// A job is a pure function of its resolved config (docs/science.md section 5): same config,
// same build, one thread -> bit-identical result. No I/O, no logging, no globals.
#pragma once

#include "absl/status/statusor.h"
#include "common/job_config.h"
#include "common/job_result.h"
#include "worker/numerics/run_hooks.h"

namespace sweep::numerics {

// Runs one job end to end: pretraining (if the model has any) and evaluation.
// Errors: INVALID_ARGUMENT for a config the numerics cannot run (a deterministic job
// error, never retried), CANCELLED when hooks.stop fired. A diverged training run is
// not an error: it returns a JobResult whose `divergence` is set.
absl::StatusOr<JobResult> RunJob(const JobConfig& config, const RunHooks& hooks);

}  // namespace sweep::numerics
