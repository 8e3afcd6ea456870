// The key registry (docs/science.md section 7): every job key with its type, default, range,
// the models that use it, and whether it belongs to the training part of a config.
// It turns a partial config (a JSON object from a sweep file) into a resolved JobConfig,
// and a JobConfig into its canonical JSON and config hash (docs/science.md section 5).
//
// Thread-safe: the registry is immutable after static initialisation.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "common/job_config.h"
#include "nlohmann/json.hpp"

namespace sweep {

// Resolves a partial config: checks every key is known, of the right type and in range,
// fills defaults (model-dependent ones such as r = min(8, d), format and eval_lengths),
// and checks cross-key rules (r <= d, ...). Keys the job's model does not use are
// ignored. Errors are INVALID_ARGUMENT and name the key: `r: 12 > d = 8 (r must be <= d)`.
absl::StatusOr<JobConfig> ResolveJobConfig(const nlohmann::json& partial);

// The canonical JSON of a resolved config: only the keys its model uses, sorted, no
// whitespace. Parsing it back with ResolveJobConfig gives the same JobConfig.
std::string CanonicalJson(const JobConfig& config);

// Hex SHA-256 of CanonicalJson(config): the identity of a grid cell.
std::string ConfigHash(const JobConfig& config);

// Hex SHA-256 of the training part only (drops eval_tasks, eval_lengths, eps): the key
// under which a trained model's checkpoint is stored and reused.
std::string TrainingHash(const JobConfig& config);

// Every key name the registry knows (sorted, the canonical order), and whether `model`
// uses `key`. Keys a model does not use are dropped from its resolved config.
const std::vector<std::string>& AllJobKeys();
bool ModelUsesKey(std::string_view model, std::string_view key);

// The model names, in registry order: mamba, mamba-theory, transformer, krr.
const std::vector<std::string>& AllModels();

// Whether `key` is part of TrainingHash (all keys except eval_tasks, eval_lengths, eps).
bool IsTrainingKey(std::string_view key);

}  // namespace sweep
