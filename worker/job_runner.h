// JobRunner: how a worker runs one job (docs/design.md section 9: other runners, e.g. a
// subprocess or a GPU runner, plug in here). The built-in runner calls
// numerics::RunJob in-process. Implementations must be thread-safe: every slot calls
// Run concurrently.
#pragma once

#include <memory>

#include "absl/status/statusor.h"
#include "common/job_config.h"
#include "common/job_result.h"
#include "worker/numerics/run_job.h"

namespace sweep::worker {

class JobRunner {
 public:
  virtual ~JobRunner() = default;
  // Same contract as numerics::RunJob: CANCELLED once hooks.stop fired, INVALID_ARGUMENT
  // (or another error) for a job that cannot run, a result with `divergence` set for a
  // diverged run.
  virtual absl::StatusOr<JobResult> Run(const JobConfig& config,
                                        const numerics::RunHooks& hooks) = 0;
};

// The built-in runner: numerics::RunJob on the calling thread.
std::unique_ptr<JobRunner> MakeRunJobRunner();

}  // namespace sweep::worker
