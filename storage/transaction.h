// Transaction: RAII around BEGIN ... COMMIT. Write transactions start with BEGIN IMMEDIATE
// so the write lock is taken up front (a DEFERRED transaction that reads and then writes
// can fail with SQLITE_BUSY without waiting: docs/design.md section 5.2).
// A Transaction that is not committed rolls back in its destructor, so an early return
// through SWEEP_RETURN_IF_ERROR leaves nothing behind.
//
// Nesting: a Transaction begun while the connection is already inside one (a group
// commit batch, Store::RunBatch) is a SAVEPOINT instead: Commit releases it, the
// destructor rolls back to it, and durability comes with the outer COMMIT.
#pragma once

#include <memory>

#include "absl/status/statusor.h"
#include "storage/sqlite.h"

namespace sweep::storage {

class Transaction {
 public:
  enum class Mode { kRead, kWrite };
  static absl::StatusOr<Transaction> Begin(Connection& conn, Mode mode);
  Transaction(Transaction&& other) noexcept : conn_(other.conn_), nested_(other.nested_) {
    other.conn_ = nullptr;
  }
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  ~Transaction();

  // Commits; after an error the destructor still rolls back.
  absl::Status Commit();

 private:
  Transaction(Connection& conn, bool nested) : conn_(&conn), nested_(nested) {}
  Connection* conn_;  // null once committed or moved from
  bool nested_;
};

}  // namespace sweep::storage
