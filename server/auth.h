// ServerAuth: how sweepd authenticates its callers (docs/design.md section 6.5). Two
// bearer tokens give two roles: the client token (everything the `sweep` CLI calls)
// and the worker token (register, lease, heartbeat, report, release, checkpoints). TLS
// encrypts the connection; with a client CA (mutual TLS) every caller must also show a
// certificate that CA signed, and a worker's id must match its certificate's CN.
#pragma once

#include <string>

#include "absl/status/status.h"

namespace sweep::server {

// Metadata keys. gRPC lower-cases keys, so these are what handlers see.
inline constexpr char kAuthorizationKey[] = "authorization";
inline constexpr char kSessionKey[] = "x-sweep-session";

struct ServerAuth {
  // true: no bearer tokens are checked (sweepd --insecure-no-auth). Worker sessions are
  // still issued and checked: leases stay bound to the worker that holds them.
  bool insecure_no_auth = false;
  std::string client_token;               // never logged
  std::string worker_token;               // never logged
  std::string tls_cert_pem, tls_key_pem;  // TLS when set
  std::string tls_client_ca_pem;          // mutual TLS when set (needs TLS)

  bool tls() const { return !tls_cert_pem.empty(); }
  bool mutual_tls() const { return !tls_client_ca_pem.empty(); }
  // Tokens set and distinct unless insecure_no_auth; cert with key; client CA with TLS.
  absl::Status Validate() const;
  // Fresh random tokens, for an in-process server (`sweep local`, tests): the caller
  // hands them to its own workers and client, and no other process knows them.
  static ServerAuth WithRandomTokens();
};

// Whether HOST of "HOST:PORT" is a loopback address (127.0.0.0/8, ::1, localhost).
bool IsLoopbackListen(const std::string& listen);

}  // namespace sweep::server
