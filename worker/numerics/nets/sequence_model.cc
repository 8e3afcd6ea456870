#include "worker/numerics/nets/sequence_model.h"

#include "absl/strings/str_cat.h"
#include "common/job_keys.h"
#include "common/status.h"
#include "worker/numerics/nets/mamba_model.h"
#include "worker/numerics/nets/transformer_model.h"

namespace sweep::numerics::nets {
namespace {

absl::Status Positive(const char* key, int value) {
  if (value >= 1) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(key, ": ", value, " < 1 (must be positive)"));
}

}  // namespace

namespace {

absl::Status MambaShape(const JobConfig& config, ModelShape& shape) {
  SWEEP_RETURN_IF_ERROR(Positive("n", config.n));
  SWEEP_RETURN_IF_ERROR(Positive("expand", config.expand));
  if (config.conv < 0) {
    return absl::InvalidArgumentError(absl::StrCat("conv: ", config.conv, " < 0"));
  }
  shape.mixer =
      MixerShape{config.D, config.expand * config.D, config.n, config.conv, config.selective};
  return absl::OkStatus();
}

absl::Status TransformerShape(const JobConfig& config, ModelShape& shape) {
  SWEEP_RETURN_IF_ERROR(Positive("H", config.H));
  if (config.D % config.H != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "H: ", config.H, " does not divide D = ", config.D, " (heads split D evenly)"));
  }
  shape.H = config.H;
  shape.softmax = config.attention == Attention::kSoftmax;
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ModelShape> ShapeFromConfig(const JobConfig& config) {
  // A checkpoint file may hold any model's config; only these two are sequence models.
  if (config.model != ModelKind::kMamba && config.model != ModelKind::kTransformer) {
    return absl::InvalidArgumentError(absl::StrCat("model: \"", std::string(EnumName(config.model)),
                                                   "\" is not a trained sequence model"));
  }
  for (auto [key, value] : {std::pair{"d", config.d},
                            {"N", config.N},
                            {"L", config.L},
                            {"D", config.D},
                            {"batch", config.batch}}) {
    SWEEP_RETURN_IF_ERROR(Positive(key, value));
  }
  ModelShape shape;
  shape.model = config.model;
  shape.d_in = config.d + 1;
  shape.max_T = config.format == PromptFormat::kInterleaved ? 2 * config.N + 1 : config.N + 1;
  shape.L = config.L;
  shape.D = config.D;
  SWEEP_RETURN_IF_ERROR(config.model == ModelKind::kMamba ? MambaShape(config, shape)
                                                          : TransformerShape(config, shape));
  return shape;
}

template <typename T>
std::unique_ptr<SequenceModel<T>> MakeModel(const ModelShape& shape, std::mt19937_64& rng) {
  if (shape.model == ModelKind::kMamba) return std::make_unique<MambaModel<T>>(shape, rng);
  return std::make_unique<TransformerModel<T>>(shape, rng);
}

template std::unique_ptr<SequenceModel<float>> MakeModel(const ModelShape&, std::mt19937_64&);
template std::unique_ptr<SequenceModel<double>> MakeModel(const ModelShape&, std::mt19937_64&);

}  // namespace sweep::numerics::nets
