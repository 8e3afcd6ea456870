// The SQLite schema, versioned with PRAGMA user_version and built by ordered migrations:
// migration i takes a file from version i to i + 1, inside the caller's write
// transaction. docs/schema.md documents every table and column.
#pragma once

#include "absl/status/status.h"
#include "storage/sqlite.h"

namespace sweep::storage {

// The version this build writes and reads.
int LatestSchemaVersion();

// Applies the missing migrations in one BEGIN IMMEDIATE transaction. FAILED_PRECONDITION
// if the file's version is newer than this build's.
absl::Status Migrate(Connection& conn);

// FAILED_PRECONDITION unless the file is at exactly LatestSchemaVersion() (for readers,
// which never migrate).
absl::Status CheckSchemaVersion(Connection& conn, const std::string& path);

}  // namespace sweep::storage
