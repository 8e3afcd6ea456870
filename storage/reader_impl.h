// Reader's private state, shared by reader.cc and reader_result.cc.
#pragma once

#include <memory>

#include "storage/reader.h"
#include "storage/sqlite.h"

namespace sweep::storage {

// One job's stored result with its curves (for a cached job, the result it points at),
// NaN restored; inside the caller's read transaction. NOT_FOUND when there is none.
absl::StatusOr<JobResult> ReadJobResult(Connection& conn, int64_t job_id);

struct Reader::Impl {
  std::unique_ptr<Connection> conn;
  int schema_version = 0;  // an older file lacks the later tables (read as empty)
};

}  // namespace sweep::storage
