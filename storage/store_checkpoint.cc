// The checkpoint half of the Store: trained models stored once per training hash
// (docs/design.md section 4.10, "train once, evaluate many").
#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "storage/report_digest.h"
#include "storage/store.h"
#include "storage/store_internal.h"
#include "storage/transaction.h"

namespace sweep::storage {
namespace {

constexpr const char* kSafetensors = "safetensors";

// Checks what the caller supplied; `sha256` is the digest of the bytes as received.
absl::Status ValidateCheckpoint(const CheckpointRecord& r, const std::string& sha256) {
  if (r.training_hash.empty()) return absl::InvalidArgumentError("checkpoint.training_hash: empty");
  const std::string where = absl::StrCat("checkpoint ", r.training_hash);
  if (r.model.empty()) return absl::InvalidArgumentError(absl::StrCat(where, ": model empty"));
  if (r.config_json.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": config_json empty"));
  }
  if (r.format != kSafetensors) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": format \"", r.format, "\" (only \"safetensors\" is stored)"));
  }
  if (r.bytes.empty()) return absl::InvalidArgumentError(absl::StrCat(where, ": bytes empty"));
  // size and sha256, when the sender gives them, catch a checkpoint damaged on the way.
  if (r.size_bytes != 0 && r.size_bytes != static_cast<int64_t>(r.bytes.size())) {
    return absl::DataLossError(absl::StrCat(where, ": size_bytes says ", r.size_bytes,
                                            ", received ", r.bytes.size(), " bytes"));
  }
  if (!r.sha256.empty() && r.sha256 != sha256) {
    return absl::DataLossError(
        absl::StrCat(where, ": sha256 says ", r.sha256, ", received bytes hash to ", sha256));
  }
  return absl::OkStatus();
}

// The sweep of the producing job, which must exist and have the checkpoint's training hash.
absl::StatusOr<int64_t> ProducerSweep(Connection& conn, const CheckpointRecord& r) {
  SWEEP_ASSIGN_OR_RETURN(Statement * st,
                         conn.Cached("SELECT sweep_id, training_hash FROM jobs WHERE job_id = ?"));
  st->Bind(1, *r.job_id);
  SWEEP_ASSIGN_OR_RETURN(bool found, st->Step());
  if (!found) {
    return absl::NotFoundError(
        absl::StrCat("checkpoint ", r.training_hash, ": job_id ", *r.job_id, ": no such job"));
  }
  const int64_t sweep_id = st->Int(0);
  const std::string job_hash = st->Text(1);
  st->Reset();
  if (job_hash != r.training_hash) {
    return absl::InvalidArgumentError(absl::StrCat("checkpoint ", r.training_hash, ": job ",
                                                   *r.job_id, " has training hash ", job_hash));
  }
  return sweep_id;
}

// The sha256 of the checkpoint stored under `training_hash`, if any.
absl::StatusOr<std::optional<std::string>> StoredSha256(Connection& conn,
                                                        const std::string& training_hash) {
  SWEEP_ASSIGN_OR_RETURN(Statement * st,
                         conn.Cached("SELECT sha256 FROM checkpoints WHERE training_hash = ?"));
  st->Bind(1, training_hash);
  SWEEP_ASSIGN_OR_RETURN(bool found, st->Step());
  std::optional<std::string> sha;
  if (found) sha = st->Text(0);
  st->Reset();
  return sha;
}

}  // namespace

absl::StatusOr<PutCheckpointOutcome> Store::PutCheckpoint(const CheckpointRecord& record,
                                                          TimePoint now) {
  const std::string sha256 = Sha256Hex(record.bytes);
  SWEEP_RETURN_IF_ERROR(ValidateCheckpoint(record, sha256));
  SWEEP_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(*conn_, Transaction::Mode::kWrite));
  std::optional<int64_t> sweep_id;
  if (record.job_id) {
    SWEEP_ASSIGN_OR_RETURN(sweep_id, ProducerSweep(*conn_, record));
  }
  SWEEP_ASSIGN_OR_RETURN(std::optional<std::string> stored,
                         StoredSha256(*conn_, record.training_hash));
  if (stored) {  // first put wins; the transaction rolls back, nothing was written
    return PutCheckpointOutcome{false, *stored == sha256, *stored};
  }
  SWEEP_ASSIGN_OR_RETURN(
      Statement * st,
      conn_->Cached("INSERT INTO checkpoints(training_hash, model, config_json, format,"
                    " size_bytes, sha256, job_id, created_at, bytes)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"));
  st->Bind(1, record.training_hash).Bind(2, record.model).Bind(3, record.config_json);
  st->Bind(4, record.format).Bind(5, static_cast<int64_t>(record.bytes.size()));
  st->Bind(6, sha256).Bind(7, record.job_id).Bind(8, ToUnixMillis(now));
  st->BindBlob(9, record.bytes);
  SWEEP_RETURN_IF_ERROR(st->Run());
  SWEEP_RETURN_IF_ERROR(internal::AddEvent(
      *conn_, now, sweep_id, record.job_id, std::nullopt, "checkpoint_stored", "",
      absl::StrCat(record.training_hash, ": ", record.bytes.size(), " bytes, sha256 ", sha256)));
  SWEEP_RETURN_IF_ERROR(txn.Commit());
  return PutCheckpointOutcome{true, true, sha256};
}

}  // namespace sweep::storage
