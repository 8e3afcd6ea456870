// TrainedModel: a `mamba` or `transformer` network together with the resolved JobConfig
// that defines it, in the config's dtype (float32 or float64). The unit that training
// produces, checkpoints store (checkpoint.h) and Predict() runs.
// Not thread-safe (Forward keeps activations); movable, not copyable.
#pragma once

#include <memory>
#include <vector>

#include <Eigen/Core>

#include "absl/status/statusor.h"
#include "common/job_config.h"
#include "worker/numerics/nets/prompt_tokens.h"
#include "worker/numerics/nets/sequence_model.h"

namespace sweep::numerics::nets {

// Eigen sizes its GEMM blocks from the cache sizes it queries from the CPU, and the block
// size decides the order in which long dot products (dW = dY X^T sums over all tokens)
// are added up: two workers with different caches would train different floats. This
// fixes the sizes (a 32 KiB / 1 MiB / 32 MiB core, like the AMD EPYC hosts) once per
// process, so results depend on the config and the build only (docs/science.md section 5).
// TrainedModel::Create calls it; call it before any other Eigen GEMM of a job.
// Thread-safe (std::call_once); the value never changes afterwards.
void FixGemmBlocking();

class TrainedModel {
 public:
  // A freshly initialised model for `config` (model mamba or transformer), drawing its
  // initial weights from Stream::kModelInit of config.seed. INVALID_ARGUMENT for a bad
  // shape or dtype.
  static absl::StatusOr<TrainedModel> Create(const JobConfig& config);

  const JobConfig& config() const { return config_; }
  const ModelShape& shape() const { return shape_; }
  PromptFormat format() const { return format_; }
  // Exactly one of these is non-null, by config.dtype.
  SequenceModel<float>* f32() const { return f32_.get(); }
  SequenceModel<double>* f64() const { return f64_.get(); }

 private:
  TrainedModel() = default;
  JobConfig config_;
  ModelShape shape_;
  PromptFormat format_ = PromptFormat::kInterleaved;
  std::unique_ptr<SequenceModel<float>> f32_;
  std::unique_ptr<SequenceModel<double>> f64_;
};

// Predictions (ReadsPerPrompt, count) for prompts in the task's terms (prompt_tokens.h):
// row n of an interleaved prompt is the prediction with n context examples. Runs in
// chunks so memory stays bounded for thousands of prompts. prompts.d must be <= the
// model's d and prompts.N + 1 tokens must fit its positions (INVALID_ARGUMENT otherwise).
absl::StatusOr<Eigen::MatrixXd> Predict(TrainedModel& model, const PromptBatch& prompts);

// Raw form for inspection and cross-checks (tokens in, predictions out): each sequence is
// (d + 1, T) in the model's token layout; returns one prediction per token.
absl::StatusOr<std::vector<Eigen::VectorXd>> PredictTokens(
    TrainedModel& model, const std::vector<Eigen::MatrixXd>& sequences);

}  // namespace sweep::numerics::nets
