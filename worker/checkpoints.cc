#include "worker/checkpoints.h"

#include "common/job_keys.h"
#include "spdlog/spdlog.h"

namespace sweep::worker {

std::optional<CheckpointRecord> FetchCheckpoint(CoordinatorClient& client,
                                                const sweep::Lease& lease) {
  if (!lease.checkpoint_available || lease.training_hash.empty()) return std::nullopt;
  absl::StatusOr<std::optional<CheckpointRecord>> got = client.GetCheckpoint(lease.training_hash);
  if (!got.ok()) {
    spdlog::warn("job {}: checkpoint {} not fetched, training instead: {}", lease.job_id,
                 lease.training_hash, got.status().ToString());
    return std::nullopt;
  }
  if (!got->has_value() || (*got)->bytes.empty()) {
    spdlog::warn("job {}: checkpoint {} announced but not stored, training instead", lease.job_id,
                 lease.training_hash);
    return std::nullopt;
  }
  return *std::move(got);
}

void WireCheckpoints(const std::optional<CheckpointRecord>& input, ModelOutcome& models,
                     numerics::RunHooks& hooks) {
  if (input.has_value()) {
    hooks.input_checkpoint = input->bytes;
    models.input_sha256 = input->sha256;
  }
  hooks.on_trained_checkpoint = [&models](std::string bytes) {
    models.trained_bytes = std::move(bytes);
  };
  hooks.on_model_source = [&models](numerics::ModelSource s) { models.source = s; };
}

void ApplyCheckpoint(CoordinatorClient& client, const sweep::Lease& lease, const JobConfig& config,
                     const ModelOutcome& models, JobReport& report) {
  if (models.source == numerics::ModelSource::kReused) {
    report.checkpoint_use = CheckpointUse::kReused;
    report.checkpoint_sha256 = models.input_sha256;
    return;
  }
  if (models.source != numerics::ModelSource::kTrained) return;
  report.checkpoint_use = CheckpointUse::kTrained;
  if (models.trained_bytes.empty()) return;  // diverged: nothing worth storing
  CheckpointRecord c;
  c.training_hash = lease.training_hash;
  c.model = EnumName(config.model);
  c.config_json = lease.config_json;
  c.bytes = models.trained_bytes;
  c.job_id = lease.job_id;
  // Put before the report, so that a job leased after this one's result finds the model.
  absl::Status s = client.PutCheckpoint(c);
  if (!s.ok()) {
    spdlog::warn("job {}: checkpoint {} not stored (reporting the result anyway): {}", lease.job_id,
                 lease.training_hash, s.ToString());
  }
}

}  // namespace sweep::worker
