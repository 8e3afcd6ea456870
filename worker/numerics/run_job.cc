#include "worker/numerics/run_job.h"

#include "absl/strings/str_cat.h"
#include "worker/numerics/krr_job.h"
#include "worker/numerics/mamba_theory_job.h"
#include "worker/numerics/nets/sequence_model_job.h"
#include "worker/numerics/nets/trained_model.h"

namespace sweep::numerics {

absl::StatusOr<JobResult> RunJob(const JobConfig& config, const RunHooks& hooks) {
  // Eigen sizes its GEMM blocks from the CPU's caches; fixing them makes every model's
  // floats independent of the worker machine (SCIENCE.md section 5).
  nets::FixGemmBlocking();
  if (config.model == "krr") return RunKrrJob(config, hooks);
  if (config.model == "mamba-theory") return RunMambaTheoryJob(config, hooks);
  if (config.model == "mamba" || config.model == "transformer") {
    return nets::RunSequenceModelJob(config, hooks);
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "model: \"", config.model, "\" (expected mamba, mamba-theory, transformer or krr)"));
}

}  // namespace sweep::numerics
