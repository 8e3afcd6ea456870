// LoadServerAuth (see auth_files.h).
#include "server/auth_files.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "common/token_file.h"
#include "spdlog/spdlog.h"

namespace sweep::server {
namespace {

absl::StatusOr<std::string> LoadToken(const std::string& flag_path, const char* flag,
                                      const char* env, const std::string& default_path) {
  if (flag_path.empty()) {
    if (const char* v = std::getenv(env); v != nullptr && *v != '\0') {
      spdlog::info("{}: from the environment variable {}", flag + 2, env);
      return std::string(absl::StripAsciiWhitespace(v));
    }
  }
  const std::string path = flag_path.empty() ? default_path : flag_path;
  bool created = false;
  SWEEP_ASSIGN_OR_RETURN(std::string token, ReadOrCreateTokenFile(path, flag, &created));
  spdlog::info("{}: {}{}", flag + 2, path, created ? " (created, mode 0600)" : "");
  return token;
}

}  // namespace

absl::StatusOr<ServerAuth> LoadServerAuth(const AuthFlags& flags, const std::string& db_path) {
  ServerAuth auth;
  auth.insecure_no_auth = flags.insecure_no_auth;
  if (!flags.insecure_no_auth) {
    SWEEP_ASSIGN_OR_RETURN(auth.client_token,
                           LoadToken(flags.client_token_file, "--client-token-file",
                                     "SWEEP_CLIENT_TOKEN", db_path + ".client-token"));
    SWEEP_ASSIGN_OR_RETURN(auth.worker_token,
                           LoadToken(flags.worker_token_file, "--worker-token-file",
                                     "SWEEP_WORKER_TOKEN", db_path + ".worker-token"));
  }
  SWEEP_RETURN_IF_ERROR(ReadPem(flags.tls_cert, "--tls-cert", auth.tls_cert_pem));
  SWEEP_RETURN_IF_ERROR(ReadPem(flags.tls_key, "--tls-key", auth.tls_key_pem));
  SWEEP_RETURN_IF_ERROR(ReadPem(flags.tls_client_ca, "--tls-client-ca", auth.tls_client_ca_pem));
  SWEEP_RETURN_IF_ERROR(auth.Validate());
  return auth;
}

}  // namespace sweep::server
