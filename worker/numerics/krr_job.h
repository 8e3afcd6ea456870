// The `krr` job (docs/science.md section 3): no pretraining; every eval prompt is fitted on its
// first n context examples for each evaluated n and predicts its query (section 4).
#pragma once

#include "absl/status/statusor.h"
#include "common/job_config.h"
#include "common/job_result.h"
#include "worker/numerics/krr.h"
#include "worker/numerics/run_hooks.h"
#include "worker/numerics/task.h"

namespace sweep::numerics {

// The kernel of `config`; the poly kernel's degree is the link's degree.
KrrOptions KrrOptionsFromConfig(const JobConfig& config, const LinkExpr& link);

// Errors: INVALID_ARGUMENT for a bad config, CANCELLED when hooks.stop fired.
absl::StatusOr<JobResult> RunKrrJob(const JobConfig& config, const RunHooks& hooks);

}  // namespace sweep::numerics
