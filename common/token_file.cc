// Token files (see token_file.h).
#include "common/token_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/secret.h"

namespace sweep {

absl::StatusOr<std::string> ReadTokenFile(const std::string& path, const std::string& what) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT)
      return absl::NotFoundError(absl::StrCat(what, ": ", path, ": no such file"));
    return absl::FailedPreconditionError(
        absl::StrCat(what, ": ", path, ": ", std::strerror(errno)));
  }
  if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "%s: %s is readable by group or others (mode %04o); anyone who can read it holds "
        "the role: run chmod 600 %s",
        what, path, st.st_mode & 07777, path));
  }
  std::ifstream in(path);
  if (!in) {
    return absl::FailedPreconditionError(absl::StrCat(what, ": ", path, ": cannot be read"));
  }
  std::stringstream ss;
  ss << in.rdbuf();
  std::string token(absl::StripAsciiWhitespace(ss.str()));
  if (token.empty()) return absl::InvalidArgumentError(absl::StrCat(what, ": ", path, ": empty"));
  return token;
}

absl::StatusOr<std::string> ReadOrCreateTokenFile(const std::string& path, const std::string& what,
                                                  bool* created) {
  *created = false;
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) return ReadTokenFile(path, what);
    return absl::FailedPreconditionError(
        absl::StrCat(what, ": cannot create ", path, ": ", std::strerror(errno)));
  }
  const std::string token = RandomHex(32);
  const std::string line = token + "\n";
  const bool written = write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
  const bool synced = fsync(fd) == 0;
  close(fd);
  if (!written || !synced) {
    unlink(path.c_str());
    return absl::FailedPreconditionError(absl::StrCat(what, ": cannot write ", path));
  }
  *created = true;
  return token;
}

absl::StatusOr<std::string> ResolveToken(const std::string& flag_path, const char* value_env,
                                         const char* file_env, const std::string& default_path) {
  if (!flag_path.empty()) return ReadTokenFile(flag_path, "--token-file");
  if (const char* v = std::getenv(value_env); v != nullptr && *v != '\0') {
    return std::string(absl::StripAsciiWhitespace(v));
  }
  if (const char* f = std::getenv(file_env); f != nullptr && *f != '\0') {
    return ReadTokenFile(f, file_env);
  }
  if (!default_path.empty() && access(default_path.c_str(), F_OK) == 0) {
    return ReadTokenFile(default_path, "token file");
  }
  return std::string();
}

std::string DefaultTokenPath(const std::string& name) {
  const char* home = std::getenv("HOME");
  if (home == nullptr || *home == '\0') return "";
  return absl::StrCat(home, "/.config/sweep/", name);
}

absl::Status ReadPem(const std::string& path, const char* flag, std::string& out) {
  if (path.empty()) return absl::OkStatus();
  std::ifstream in(path);
  if (!in) return absl::InvalidArgumentError(absl::StrCat(flag, ": cannot read ", path));
  std::stringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  if (out.find("-----BEGIN") == std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(flag, ": ", path, " is not a PEM file"));
  }
  return absl::OkStatus();
}

}  // namespace sweep
