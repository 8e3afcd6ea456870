// DbLock (see db_lock.h).
#include "server/db_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace sweep::server {
namespace {

// The pid the holder wrote into the lock file, or "" when unreadable.
std::string HolderPid(int fd) {
  char buf[32] = {};
  const ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
  if (n <= 0) return "";
  int64_t pid = 0;
  if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(std::string(buf, n)), &pid) || pid <= 0) {
    return "";
  }
  return std::to_string(pid);
}

}  // namespace

absl::StatusOr<std::unique_ptr<DbLock>> DbLock::Acquire(const std::string& db_path) {
  const std::string path = db_path + ".lock";
  const int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return absl::UnavailableError(
        absl::StrCat("db lock: cannot open ", path, ": ", std::strerror(errno)));
  }
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    const std::string pid = HolderPid(fd);
    close(fd);
    if (err == EWOULDBLOCK) {
      return absl::FailedPreconditionError(
          absl::StrCat("db: ", db_path, " is in use by another coordinator",
                       pid.empty() ? std::string() : absl::StrCat(" (pid ", pid, ")"),
                       "; lock file ", path, " (one sweepd per database file)"));
    }
    return absl::UnavailableError(absl::StrCat("db lock: flock ", path, ": ", std::strerror(err)));
  }
  // Best effort: the pid is only shown in the error of a second coordinator.
  const std::string pid = absl::StrCat(getpid(), "\n");
  if (ftruncate(fd, 0) == 0) {
    [[maybe_unused]] ssize_t n = pwrite(fd, pid.data(), pid.size(), 0);
  }
  return std::unique_ptr<DbLock>(new DbLock(path, fd));
}

DbLock::~DbLock() {
  if (fd_ >= 0) close(fd_);  // closing the last descriptor releases the flock
}

}  // namespace sweep::server
