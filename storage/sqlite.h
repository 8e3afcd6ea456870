// A thin RAII layer over the sqlite3 C API: one Connection, prepared Statements, and the
// mapping from SQLite result codes to absl::Status (docs/design.md section 5.3):
//   SQLITE_BUSY / LOCKED    -> UNAVAILABLE (retryable; the holder of the lock finishes)
//   SQLITE_FULL             -> RESOURCE_EXHAUSTED "storage full"
//   SQLITE_CORRUPT / NOTADB -> DATA_LOSS
//   anything else           -> INTERNAL with SQLite's message
// Not thread-safe: a Connection and its Statements belong to one thread at a time (the
// Store's mutex or a Reader's owner).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

struct sqlite3;
struct sqlite3_stmt;

namespace sweep::storage {

// The Status for SQLite result code `rc` while running `what` (a statement); `db`
// supplies SQLite's message. The status message names only the kind of failure; `what`
// and SQLite's message (which quote SQL and the schema) are in the payload under
// kSqliteDetailUrl, for logs. Errors of storage never carry SQL to a client.
absl::Status SqliteStatus(int rc, sqlite3* db, std::string_view what);

// The code for `rc` with `message` (OK for SQLITE_OK/ROW/DONE).
absl::Status SqliteCodeStatus(int rc, const std::string& message);

inline constexpr char kSqliteDetailUrl[] = "sweep.storage/sqlite-detail";

class Statement {
 public:
  Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Binds are 1-based as in SQLite. Binding never fails for valid indexes (a bug).
  Statement& Bind(int i, int64_t v);
  Statement& Bind(int i, int v) { return Bind(i, static_cast<int64_t>(v)); }
  Statement& Bind(int i, double v);  // NaN binds as NULL: callers use storage/nonfinite.h
  Statement& Bind(int i, std::string_view v);
  Statement& Bind(int i, const char* v) { return Bind(i, std::string_view(v)); }
  Statement& Bind(int i, const std::string& v) { return Bind(i, std::string_view(v)); }
  Statement& BindNull(int i);
  // Binds bytes as a BLOB (any bytes, zeros included; Bind(string_view) binds TEXT).
  Statement& BindBlob(int i, std::string_view bytes);
  template <typename T>
  Statement& Bind(int i, const std::optional<T>& v) {
    return v ? Bind(i, *v) : BindNull(i);
  }

  // true: a row is available; false: done. Errors are mapped with SqliteStatus.
  absl::StatusOr<bool> Step();
  // Steps to completion (an INSERT/UPDATE/DELETE without RETURNING).
  absl::Status Run();
  // Resets and clears bindings so the statement can be reused.
  void Reset();

  bool IsNull(int col) const;
  int64_t Int(int col) const;
  double Real(int col) const;
  std::string Text(int col) const;
  std::string Blob(int col) const;  // a BLOB (or TEXT) column's bytes; empty for NULL
  std::optional<int64_t> OptInt(int col) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
};

class Connection {
 public:
  // Opens (read_only) or opens-or-creates the file. Pragmas are the caller's business.
  static absl::StatusOr<std::unique_ptr<Connection>> Open(const std::string& path, bool read_only);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs one or more statements that return no rows of interest.
  absl::Status Exec(const std::string& sql);
  // A statement prepared once per connection and reset on every call, so hot paths do
  // not re-parse SQL. The pointer stays valid for the connection's lifetime.
  absl::StatusOr<Statement*> Cached(const std::string& sql);
  // A fresh statement (for SQL built at run time).
  absl::StatusOr<std::unique_ptr<Statement>> Prepare(const std::string& sql);
  // Reads a single-value pragma or query, e.g. "PRAGMA journal_mode".
  absl::StatusOr<std::string> QueryText(const std::string& sql);
  absl::StatusOr<int64_t> QueryInt(const std::string& sql);
  int64_t Changes() const;
  int64_t LastInsertRowid() const;
  sqlite3* raw() const { return db_; }

 private:
  explicit Connection(sqlite3* db) : db_(db) {}
  sqlite3* db_;
  std::unordered_map<std::string, std::unique_ptr<Statement>> cache_;
};

}  // namespace sweep::storage
