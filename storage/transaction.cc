#include "storage/transaction.h"

#include <sqlite3.h>

namespace sweep::storage {

absl::StatusOr<Transaction> Transaction::Begin(Connection& conn, Mode mode) {
  absl::Status s = conn.Exec(mode == Mode::kWrite ? "BEGIN IMMEDIATE" : "BEGIN");
  if (!s.ok()) return s;
  return Transaction(conn);
}

absl::Status Transaction::Commit() {
  absl::Status s = conn_->Exec("COMMIT");
  if (s.ok()) conn_ = nullptr;
  return s;
}

Transaction::~Transaction() {
  // ROLLBACK fails harmlessly when SQLite already rolled back (e.g. after SQLITE_FULL).
  if (conn_ != nullptr && !sqlite3_get_autocommit(conn_->raw())) {
    (void)conn_->Exec("ROLLBACK");
  }
}

}  // namespace sweep::storage
