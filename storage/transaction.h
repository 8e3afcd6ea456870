// Transaction: RAII around BEGIN ... COMMIT. Write transactions start with BEGIN IMMEDIATE
// so the write lock is taken up front (a DEFERRED transaction that reads and then writes
// can fail with SQLITE_BUSY without waiting: RELIABILITY.md table "SQLite busy handling").
// A Transaction that is not committed rolls back in its destructor, so an early return
// through SWEEP_RETURN_IF_ERROR leaves nothing behind.
#pragma once

#include <memory>

#include "absl/status/statusor.h"
#include "storage/sqlite.h"

namespace sweep::storage {

class Transaction {
 public:
  enum class Mode { kRead, kWrite };
  static absl::StatusOr<Transaction> Begin(Connection& conn, Mode mode);
  Transaction(Transaction&& other) noexcept : conn_(other.conn_) { other.conn_ = nullptr; }
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  ~Transaction();

  // Commits; after an error the destructor still rolls back.
  absl::Status Commit();

 private:
  explicit Transaction(Connection& conn) : conn_(&conn) {}
  Connection* conn_;  // null once committed or moved from
};

}  // namespace sweep::storage
