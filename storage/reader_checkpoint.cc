// Reader's checkpoint lookups: one stored model by training hash or by job (export), and
// metadata listings that never read the blobs.
#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "storage/reader.h"
#include "storage/reader_impl.h"
#include "storage/transaction.h"

namespace sweep::storage {
namespace {

constexpr int kFirstCheckpointVersion = 2;  // schema version that added `checkpoints`

// Columns 0..7 of both checkpoint queries; `bytes`, when read, is column 8.
CheckpointRecord ReadCheckpoint(const Statement& st, bool with_bytes) {
  CheckpointRecord c;
  c.training_hash = st.Text(0);
  c.model = st.Text(1);
  c.config_json = st.Text(2);
  c.format = st.Text(3);
  c.size_bytes = st.Int(4);
  c.sha256 = st.Text(5);
  c.job_id = st.OptInt(6);
  c.created_at = FromUnixMillis(st.Int(7));
  if (with_bytes) c.bytes = st.Blob(8);
  return c;
}

absl::StatusOr<std::optional<CheckpointRecord>> FindCheckpoint(Connection& conn, int version,
                                                               const std::string& hash) {
  if (version < kFirstCheckpointVersion) return std::optional<CheckpointRecord>();
  SWEEP_ASSIGN_OR_RETURN(Statement * st,
                         conn.Cached("SELECT training_hash, model, config_json, format,"
                                     " size_bytes, sha256, job_id, created_at, bytes"
                                     " FROM checkpoints WHERE training_hash = ?"));
  st->Bind(1, hash);
  SWEEP_ASSIGN_OR_RETURN(bool found, st->Step());
  std::optional<CheckpointRecord> out;
  if (found) out = ReadCheckpoint(*st, /*with_bytes=*/true);
  st->Reset();
  return out;
}

// NOT_FOUND "<what> <id>: no such <what>" unless `sql` (one ? for id) yields a row.
absl::StatusOr<std::string> MustFind(Connection& conn, const char* sql, int64_t id,
                                     const char* what) {
  SWEEP_ASSIGN_OR_RETURN(Statement * st, conn.Cached(sql));
  st->Bind(1, id);
  SWEEP_ASSIGN_OR_RETURN(bool found, st->Step());
  std::string value = found ? st->Text(0) : "";
  st->Reset();
  if (!found) return absl::NotFoundError(absl::StrCat(what, " ", id, ": no such ", what));
  return value;
}

}  // namespace

absl::StatusOr<std::optional<CheckpointRecord>> Reader::GetCheckpoint(
    const std::string& training_hash) {
  return FindCheckpoint(*impl_->conn, impl_->schema_version, training_hash);
}

absl::StatusOr<std::optional<CheckpointRecord>> Reader::GetCheckpointForJob(int64_t job_id) {
  Connection& conn = *impl_->conn;
  SWEEP_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(conn, Transaction::Mode::kRead));
  SWEEP_ASSIGN_OR_RETURN(
      std::string hash,
      MustFind(conn, "SELECT training_hash FROM jobs WHERE job_id = ?", job_id, "job"));
  return FindCheckpoint(conn, impl_->schema_version, hash);
}

absl::StatusOr<std::vector<CheckpointRecord>> Reader::ListCheckpoints(
    std::optional<int64_t> sweep_id) {
  Connection& conn = *impl_->conn;
  SWEEP_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(conn, Transaction::Mode::kRead));
  if (sweep_id) {
    SWEEP_RETURN_IF_ERROR(
        MustFind(conn, "SELECT name FROM sweeps WHERE sweep_id = ?", *sweep_id, "sweep").status());
  }
  std::vector<CheckpointRecord> out;
  if (impl_->schema_version < kFirstCheckpointVersion) return out;
  SWEEP_ASSIGN_OR_RETURN(
      Statement * st,
      conn.Cached("SELECT training_hash, model, config_json, format, size_bytes, sha256,"
                  " job_id, created_at FROM checkpoints WHERE ?1 IS NULL OR"
                  " training_hash IN (SELECT training_hash FROM jobs WHERE sweep_id = ?1)"
                  " ORDER BY created_at, training_hash"));
  st->Bind(1, sweep_id);
  for (;;) {
    SWEEP_ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    out.push_back(ReadCheckpoint(*st, /*with_bytes=*/false));
  }
  st->Reset();
  return out;
}

}  // namespace sweep::storage
