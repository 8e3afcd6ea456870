// DbLock: one coordinator per database file (docs/design.md section 5.1). sweepd holds an
// exclusive flock on `<db>.lock` for its whole life; a second sweepd (or `sweep local`) on
// the same file fails at start with an error naming the file and, when known, the pid of
// the process that holds it. Two coordinators would be two SQLite writers on one file,
// which the one-writer rule exists to prevent.
//
// The kernel drops the lock when the process dies, SIGKILL included, so a killed
// coordinator never leaves a stale lock behind; the pid written into the file is only
// a hint for the error message. The descriptor is close-on-exec, so children started by
// fork + exec do not inherit the lock.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace sweep::server {

class DbLock {
 public:
  // Takes the lock on `db_path + ".lock"` (created 0600 if missing) without waiting.
  // FAILED_PRECONDITION when another process holds it; UNAVAILABLE if the lock file
  // cannot be opened.
  static absl::StatusOr<std::unique_ptr<DbLock>> Acquire(const std::string& db_path);
  ~DbLock();  // releases the lock (the file stays: removing it would race a new holder)
  DbLock(const DbLock&) = delete;
  DbLock& operator=(const DbLock&) = delete;

  const std::string& path() const { return path_; }

 private:
  DbLock(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  std::string path_;
  int fd_ = -1;
};

}  // namespace sweep::server
