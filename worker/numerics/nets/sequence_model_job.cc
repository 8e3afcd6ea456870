#include "worker/numerics/nets/sequence_model_job.h"

namespace sweep::numerics::nets {

absl::StatusOr<JobResult> RunSequenceModelJob(const JobConfig& config, const RunHooks& hooks) {
  (void)hooks;
  return absl::UnimplementedError("model " + config.model + ": not implemented yet");
}

}  // namespace sweep::numerics::nets
