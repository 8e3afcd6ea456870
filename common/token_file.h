// Bearer tokens (docs/design.md section 6.5): made, stored and compared here, for the
// coordinator, the worker and the client alike. A token is 32 random bytes written as 64
// hex characters. A token file must be readable by its owner only (mode 0600 or
// stricter): a file that group or others can read is refused, not silently used,
// because anyone who can read it holds the role. Tokens never appear in a Status
// message or a log line; only file paths do.
#pragma once

#include <string>

#include "absl/status/statusor.h"

namespace sweep {

// The token in `path`, surrounding whitespace removed. FAILED_PRECONDITION when the file
// is readable by group or others (the message says how to fix it), NOT_FOUND when
// missing, INVALID_ARGUMENT when empty. `what` names the flag or variable in messages.
absl::StatusOr<std::string> ReadTokenFile(const std::string& path, const std::string& what);

// Reads `path` if it exists, else creates it (mode 0600, O_EXCL) with a fresh token.
// `created` says which happened.
absl::StatusOr<std::string> ReadOrCreateTokenFile(const std::string& path, const std::string& what,
                                                  bool* created);

// Where a program finds its token, in this order: the `--token-file` flag, the
// environment variable holding the value (`value_env`), the one holding a path
// (`file_env`), then `default_path` if that file exists. "" when none is given: the
// call then goes out without a token and the coordinator answers UNAUTHENTICATED,
// unless it runs with --insecure-no-auth.
absl::StatusOr<std::string> ResolveToken(const std::string& flag_path, const char* value_env,
                                         const char* file_env, const std::string& default_path);

// "$HOME/.config/sweep/<name>", or "" without HOME.
std::string DefaultTokenPath(const std::string& name);

// Reads a PEM file (certificate, key or CA bundle) named by `flag` into `out`; an empty
// path leaves `out` alone. INVALID_ARGUMENT naming the flag when the file cannot be read
// or holds no PEM block.
absl::Status ReadPem(const std::string& path, const char* flag, std::string& out);

}  // namespace sweep
