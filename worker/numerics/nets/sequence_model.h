// SequenceModel: the common interface of the trained models `mamba` and `transformer`
// (docs/science.md section 3). A model maps a batch of token sequences (d_in, batch * T) to
// one scalar prediction per token (1, batch * T); the prompt format decides which
// predictions count (prompt_tokens.h). Forward keeps what Backward needs; Backward
// accumulates every parameter's gradient into params().
// Not thread-safe: one model belongs to one job.
#pragma once

#include <memory>
#include <random>
#include <string>

#include "absl/status/statusor.h"
#include "common/job_config.h"
#include "worker/numerics/nets/mamba_mixer.h"
#include "worker/numerics/nets/tensor.h"

namespace sweep::numerics::nets {

// The architecture part of a JobConfig.
struct ModelShape {
  ModelKind model = ModelKind::kMamba;  // kMamba | kTransformer
  int d_in = 0;                         // token width, d + 1
  int max_T = 0;                        // longest sequence (learned positions of the transformer)
  int L = 2;
  int D = 64;
  MixerShape mixer;  // mamba only
  int H = 4;         // transformer only
  bool softmax = true;
};

// Validates the shape keys of `config` (INVALID_ARGUMENT naming the key) and derives the
// shape for its prompt format.
absl::StatusOr<ModelShape> ShapeFromConfig(const JobConfig& config);

template <typename T>
class SequenceModel {
 public:
  virtual ~SequenceModel() = default;
  virtual void Forward(const Mat<T>& tokens, SeqShape seq, RowVec<T>& pred) = 0;
  virtual void Backward(const RowVec<T>& dpred) = 0;
  ParamSet<T>& params() { return params_; }
  const ModelShape& shape() const { return shape_; }

 protected:
  explicit SequenceModel(const ModelShape& shape) : shape_(shape) {}
  ParamSet<T> params_;
  ModelShape shape_;
};

// Builds and initialises a model (draws from rng in a fixed order).
template <typename T>
std::unique_ptr<SequenceModel<T>> MakeModel(const ModelShape& shape, std::mt19937_64& rng);

}  // namespace sweep::numerics::nets
