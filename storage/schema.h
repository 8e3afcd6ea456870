// The SQLite schema, versioned with PRAGMA user_version and built by ordered migrations:
// migration i takes a file from version i to i + 1, inside the caller's write
// transaction. docs/schema.md documents every table and column.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "storage/sqlite.h"

namespace sweep::storage {

// The version this build writes and reads.
int LatestSchemaVersion();

// Applies the missing migrations in one BEGIN IMMEDIATE transaction. FAILED_PRECONDITION
// if the file's version is newer than this build's.
absl::Status Migrate(Connection& conn);
// The same up to version `target` (1..LatestSchemaVersion()) only; a file at or past
// `target` is left alone. For tests that build files of an older version.
absl::Status MigrateTo(Connection& conn, int target);

// The file's schema version, for readers, which never migrate: any version from 1 to
// LatestSchemaVersion() is readable (a reader treats the tables an older file lacks as
// empty). FAILED_PRECONDITION for a non-sweep file (version 0) or a newer version.
absl::StatusOr<int> CheckSchemaVersion(Connection& conn, const std::string& path);

}  // namespace sweep::storage
