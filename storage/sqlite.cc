#include "storage/sqlite.h"

#include <sqlite3.h>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "common/status.h"

namespace sweep::storage {

absl::Status SqliteStatus(int rc, sqlite3* db, std::string_view what) {
  // The message travels to clients (docs/limits.md): it says what kind of failure this
  // was, never the statement or SQLite's own text (which quotes the schema). Those go
  // into a payload, which logs show (Status::ToString) and the wire drops.
  const std::string message = absl::StrCat("storage error: ", sqlite3_errstr(rc));
  const std::string detail = absl::StrCat(std::string(what), ": ",
                                          db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  absl::Status status = SqliteCodeStatus(rc, message);
  if (!status.ok()) status.SetPayload(kSqliteDetailUrl, absl::Cord(detail));
  return status;
}

absl::Status SqliteCodeStatus(int rc, const std::string& message) {
  switch (rc & 0xff) {  // primary code; extended codes keep their primary in the low byte
    case SQLITE_OK:
    case SQLITE_ROW:
    case SQLITE_DONE:
      return absl::OkStatus();
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return absl::UnavailableError(absl::StrCat(message, " (database is locked; retry)"));
    case SQLITE_FULL:
      return absl::ResourceExhaustedError(absl::StrCat("storage full: ", message));
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return absl::DataLossError(absl::StrCat("database corrupt: ", message));
    default:
      return absl::InternalError(message);
  }
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

Statement& Statement::Bind(int i, int64_t v) {
  SWEEP_CHECK(sqlite3_bind_int64(stmt_, i, v) == SQLITE_OK);
  return *this;
}
Statement& Statement::Bind(int i, double v) {
  SWEEP_CHECK(sqlite3_bind_double(stmt_, i, v) == SQLITE_OK);
  return *this;
}
Statement& Statement::Bind(int i, std::string_view v) {
  SWEEP_CHECK(sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT) ==
              SQLITE_OK);
  return *this;
}
Statement& Statement::BindBlob(int i, std::string_view bytes) {
  // sqlite3_bind_blob with a null pointer binds NULL, so an empty blob needs zeroblob.
  const int rc = bytes.empty()
                     ? sqlite3_bind_zeroblob(stmt_, i, 0)
                     : sqlite3_bind_blob64(stmt_, i, bytes.data(), bytes.size(), SQLITE_TRANSIENT);
  SWEEP_CHECK(rc == SQLITE_OK);
  return *this;
}
Statement& Statement::BindNull(int i) {
  SWEEP_CHECK(sqlite3_bind_null(stmt_, i) == SQLITE_OK);
  return *this;
}

absl::StatusOr<bool> Statement::Step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return SqliteStatus(rc, db_, sqlite3_sql(stmt_));
}

absl::Status Statement::Run() {
  for (;;) {
    SWEEP_ASSIGN_OR_RETURN(bool row, Step());
    if (!row) return absl::OkStatus();
  }
}

void Statement::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

bool Statement::IsNull(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
int64_t Statement::Int(int col) const { return sqlite3_column_int64(stmt_, col); }
double Statement::Real(int col) const { return sqlite3_column_double(stmt_, col); }
std::string Statement::Text(int col) const {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
  return p == nullptr ? std::string() : std::string(p, sqlite3_column_bytes(stmt_, col));
}
std::string Statement::Blob(int col) const {
  const void* p = sqlite3_column_blob(stmt_, col);  // before _bytes, as SQLite advises
  const int n = sqlite3_column_bytes(stmt_, col);
  return p == nullptr ? std::string() : std::string(static_cast<const char*>(p), n);
}
std::optional<int64_t> Statement::OptInt(int col) const {
  if (IsNull(col)) return std::nullopt;
  return Int(col);
}

absl::StatusOr<std::unique_ptr<Connection>> Connection::Open(const std::string& path,
                                                             bool read_only) {
  sqlite3* db = nullptr;
  const int flags =
      (read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
      SQLITE_OPEN_NOMUTEX;
  const int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    absl::Status s = SqliteStatus(rc, db, absl::StrCat("open ", path));
    // The path is the user's own input and the one thing they can fix: in the message.
    s = absl::Status(s.code(), absl::StrCat("open ", path, ": ", std::string(s.message())));
    sqlite3_close(db);
    return s;
  }
  sqlite3_extended_result_codes(db, 1);
  return std::unique_ptr<Connection>(new Connection(db));
}

Connection::~Connection() {
  cache_.clear();  // statements must be finalized before the close
  sqlite3_close(db_);
}

absl::Status Connection::Exec(const std::string& sql) {
  const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr);
  return SqliteStatus(rc, db_, sql.substr(0, 80));
}

absl::StatusOr<std::unique_ptr<Statement>> Connection::Prepare(const std::string& sql) {
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v2(db_, sql.c_str(), static_cast<int>(sql.size()), &stmt, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt);
    return SqliteStatus(rc, db_, absl::StrCat("prepare ", sql.substr(0, 80)));
  }
  return std::make_unique<Statement>(db_, stmt);
}

absl::StatusOr<Statement*> Connection::Cached(const std::string& sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    SWEEP_ASSIGN_OR_RETURN(auto stmt, Prepare(sql));
    it = cache_.emplace(sql, std::move(stmt)).first;
  }
  it->second->Reset();
  return it->second.get();
}

absl::StatusOr<std::string> Connection::QueryText(const std::string& sql) {
  SWEEP_ASSIGN_OR_RETURN(auto stmt, Prepare(sql));
  SWEEP_ASSIGN_OR_RETURN(bool row, stmt->Step());
  if (!row) return absl::InternalError("storage error: a query returned no row");
  return stmt->Text(0);
}

absl::StatusOr<int64_t> Connection::QueryInt(const std::string& sql) {
  SWEEP_ASSIGN_OR_RETURN(auto stmt, Prepare(sql));
  SWEEP_ASSIGN_OR_RETURN(bool row, stmt->Step());
  if (!row) return absl::InternalError("storage error: a query returned no row");
  return stmt->Int(0);
}

int64_t Connection::Changes() const { return sqlite3_changes64(db_); }
int64_t Connection::LastInsertRowid() const { return sqlite3_last_insert_rowid(db_); }

}  // namespace sweep::storage
