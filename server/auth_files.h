// Where sweepd gets its tokens and certificates (docs/design.md section 6.5): the
// --client-token-file / --worker-token-file flags, else the environment variables
// SWEEP_CLIENT_TOKEN / SWEEP_WORKER_TOKEN (the values themselves), else the files
// `<db>.client-token` and `<db>.worker-token` next to the database, created at the
// first start (32 random bytes as hex, mode 0600). A token file readable by group or
// others is refused. The paths are logged, the tokens never.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "server/auth.h"

namespace sweep::server {

struct AuthFlags {
  bool insecure_no_auth = false;
  std::string client_token_file, worker_token_file;
  std::string tls_cert, tls_key, tls_client_ca;  // PEM file paths
};

absl::StatusOr<ServerAuth> LoadServerAuth(const AuthFlags& flags, const std::string& db_path);

}  // namespace sweep::server
