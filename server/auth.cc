// ServerAuth (see auth.h).
#include "server/auth.h"

#include "absl/strings/match.h"
#include "common/secret.h"

namespace sweep::server {

absl::Status ServerAuth::Validate() const {
  if (!insecure_no_auth) {
    if (client_token.empty()) {
      return absl::InvalidArgumentError(
          "auth: client token empty (give --client-token-file, or --insecure-no-auth)");
    }
    if (worker_token.empty()) {
      return absl::InvalidArgumentError(
          "auth: worker token empty (give --worker-token-file, or --insecure-no-auth)");
    }
    if (ConstantTimeEquals(client_token, worker_token)) {
      return absl::InvalidArgumentError(
          "auth: the client and worker tokens are equal (each role needs its own token)");
    }
  }
  if (tls_cert_pem.empty() != tls_key_pem.empty()) {
    return absl::InvalidArgumentError("--tls-cert and --tls-key: give both or neither");
  }
  if (mutual_tls() && !tls()) {
    return absl::InvalidArgumentError("--tls-client-ca: needs --tls-cert and --tls-key");
  }
  return absl::OkStatus();
}

ServerAuth ServerAuth::WithRandomTokens() {
  ServerAuth auth;
  auth.client_token = RandomHex(32);
  auth.worker_token = RandomHex(32);
  return auth;
}

bool IsLoopbackListen(const std::string& listen) {
  const std::string host = listen.substr(0, listen.rfind(':'));
  return absl::StartsWith(host, "127.") || host == "localhost" || host == "[::1]" || host == "::1";
}

}  // namespace sweep::server
