// The key registry (docs/science.md section 7): every job key with its type, default, range,
// the models that use it, and whether it belongs to the training part of a config.
// It turns a partial config (a JSON object from a sweep file) into a resolved JobConfig,
// and a JobConfig into its canonical JSON and config hash (docs/science.md section 5).
//
// Thread-safe: the registry is immutable after static initialisation.
#pragma once

#include <span>
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

// All three at once, for storing a job: one pass over the registry writes the canonical
// JSON and its training part, and the two hashes are computed from those strings.
// Equal to {CanonicalJson(config), ConfigHash(config), TrainingHash(config)}.
struct JobIdentity {
  std::string canonical_json;
  std::string config_hash;
  std::string training_hash;
};
JobIdentity IdentifyJob(const JobConfig& config);

// The enumerated keys of JobConfig (ModelKind, PromptFormat, Schedule, Attention, Gate,
// KernelKind, Features, Dtype, Subspace): their names as sweep files and the canonical
// JSON spell them. EnumNames<E>()[i] is the name of E(i).
template <typename E>
std::span<const std::string_view> EnumNames();
template <typename E>
std::string_view EnumName(E value);
// The value named `name`, or INVALID_ARGUMENT naming the key and the allowed values:
// `kernel: unknown value "laplace" (expected one of: rbf, poly)`.
template <typename E>
absl::StatusOr<E> ParseEnum(std::string_view name);

// Every key name the registry knows (sorted, the canonical order), and whether `model`
// uses `key`. Keys a model does not use are dropped from its resolved config.
const std::vector<std::string>& AllJobKeys();
bool ModelUsesKey(std::string_view model, std::string_view key);

// The model names, in registry order: mamba, mamba-theory, transformer, krr.
const std::vector<std::string>& AllModels();

// Whether `key` is part of TrainingHash (all keys except eval_tasks, eval_lengths, eps).
bool IsTrainingKey(std::string_view key);

}  // namespace sweep
