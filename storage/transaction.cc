#include "storage/transaction.h"

#include <sqlite3.h>

namespace sweep::storage {

absl::StatusOr<Transaction> Transaction::Begin(Connection& conn, Mode mode) {
  const bool nested = !sqlite3_get_autocommit(conn.raw());
  absl::Status s =
      conn.Exec(nested ? "SAVEPOINT op" : (mode == Mode::kWrite ? "BEGIN IMMEDIATE" : "BEGIN"));
  if (!s.ok()) return s;
  return Transaction(conn, nested);
}

absl::Status Transaction::Commit() {
  absl::Status s = conn_->Exec(nested_ ? "RELEASE op" : "COMMIT");
  if (s.ok()) conn_ = nullptr;
  return s;
}

Transaction::~Transaction() {
  // Nothing to undo when SQLite already rolled back (e.g. after SQLITE_FULL); a failing
  // rollback then is harmless.
  if (conn_ == nullptr || sqlite3_get_autocommit(conn_->raw())) return;
  if (nested_) {
    (void)conn_->Exec("ROLLBACK TO op");
    (void)conn_->Exec("RELEASE op");
  } else {
    (void)conn_->Exec("ROLLBACK");
  }
}

}  // namespace sweep::storage
