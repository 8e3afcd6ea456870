// Coordinator: checkpoints of trained models ("train once, evaluate many", docs/design.md
// section 4.10).
// Writes go through the group-commit writer like every other write; reads use the
// read-only connection.
#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "server/coordinator.h"
#include "server/coordinator_impl.h"
#include "spdlog/spdlog.h"

namespace sweep::server {

absl::Status Coordinator::PutCheckpoint(const CheckpointRecord& checkpoint) {
  storage::PutCheckpointOutcome out;
  std::unique_lock lock(impl_->mu);
  SWEEP_RETURN_IF_ERROR(impl_->Write(lock, [&]() -> absl::Status {
    SWEEP_ASSIGN_OR_RETURN(out, impl_->store->PutCheckpoint(checkpoint, impl_->clock.Now()));
    return absl::OkStatus();
  }));
  lock.unlock();
  const std::string from =
      checkpoint.job_id ? absl::StrCat("job ", *checkpoint.job_id) : std::string("no job");
  if (out.stored) {
    spdlog::info("checkpoint {} stored ({} bytes, {}, from {})", checkpoint.training_hash,
                 checkpoint.bytes.size(), checkpoint.model, from);
  } else if (!out.same_bytes) {
    // Equal training configs should give bit-identical models (docs/science.md section 5):
    // different bytes point at nondeterminism, worth a look but not an error (the first one stays).
    spdlog::warn("checkpoint {}: kept the stored bytes (sha256 {}); {} offered different ones",
                 checkpoint.training_hash, out.sha256, from);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<CheckpointRecord>> Coordinator::GetCheckpoint(
    const std::string& training_hash) {
  std::lock_guard lock(impl_->reader_mu);
  return impl_->reader->GetCheckpoint(training_hash);
}

absl::StatusOr<std::optional<CheckpointRecord>> Coordinator::GetCheckpointForJob(int64_t job_id) {
  std::lock_guard lock(impl_->reader_mu);
  return impl_->reader->GetCheckpointForJob(job_id);
}

absl::StatusOr<std::vector<CheckpointRecord>> Coordinator::ListCheckpoints(
    std::optional<int64_t> sweep_id) {
  std::lock_guard lock(impl_->reader_mu);
  return impl_->reader->ListCheckpoints(sweep_id);
}

}  // namespace sweep::server
