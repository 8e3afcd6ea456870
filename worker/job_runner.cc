// The built-in JobRunner (see job_runner.h).
#include "worker/job_runner.h"

namespace sweep::worker {
namespace {

class RunJobRunner final : public JobRunner {
 public:
  absl::StatusOr<JobResult> Run(const JobConfig& config, const numerics::RunHooks& hooks) override {
    return numerics::RunJob(config, hooks);
  }
};

}  // namespace

std::unique_ptr<JobRunner> MakeRunJobRunner() { return std::make_unique<RunJobRunner>(); }

}  // namespace sweep::worker
