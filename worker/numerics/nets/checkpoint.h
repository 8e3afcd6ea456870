// Checkpoints of trained models in the safetensors format (huggingface/safetensors):
//   8-byte little-endian header length H, then H bytes of JSON (padded with spaces to a
//   multiple of 8), then the raw little-endian tensors back to back.
// The JSON maps each tensor name (docs/checkpoints.md: "layers.0.mixer.A_log", ...) to
// {"dtype": "F32"|"F64", "shape": [rows, cols] (or [rows] for a vector),
//  "data_offsets": [begin, end]} (relative to the end of the header), plus
// "__metadata__": {"format": "sweep-nets/1", "config": <canonical JSON of the JobConfig>}.
// Tensors are stored row-major (C order), so a (out, in) weight loads in PyTorch as the
// same (out, in) tensor that nn.Linear uses. Bytes in memory: no file access here.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "worker/numerics/nets/trained_model.h"

namespace sweep::numerics::nets {

std::string SaveCheckpoint(const TrainedModel& model);

// Rebuilds the model from its config and weights. INVALID_ARGUMENT naming the problem for
// truncated bytes, bad JSON, a bad config, or a missing, extra or mis-shaped tensor.
absl::StatusOr<TrainedModel> LoadCheckpoint(std::string_view bytes);

// Loads only the tensors into an existing model (its config decides the expected names,
// dtypes and shapes; the checkpoint's config is not read). Same errors as LoadCheckpoint.
absl::Status LoadCheckpointWeights(std::string_view bytes, TrainedModel& model);

}  // namespace sweep::numerics::nets
