// The one way the worker and the client open a channel to the coordinator.
#pragma once

#include <grpcpp/channel.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace sweep::rpc {

// How a channel authenticates (docs/design.md section 6.5). Empty fields are off.
struct ChannelAuth {
  std::string token;         // sent as `authorization: Bearer <token>` on every call
  std::string tls_ca_pem;    // TLS: the CA that signed sweepd's certificate; "" plaintext
  std::string tls_cert_pem;  // mutual TLS: this program's certificate and key
  std::string tls_key_pem;
};

// Reads the PEM files named by the --tls-ca / --tls-cert / --tls-key flags into `auth`
// (empty paths stay off). INVALID_ARGUMENT naming the flag for a missing or unreadable
// file, or for a certificate without its key.
absl::Status LoadTlsFiles(const std::string& ca_file, const std::string& cert_file,
                          const std::string& key_file, ChannelAuth& auth);

// A channel to HOST:PORT with keepalive every 60 s (20 s timeout), also with no call
// open (docs/design.md section 6.4), TLS when auth.tls_ca_pem is set, and the token
// attached to every call (an interceptor adds the authorization metadata).
// With `own_connection`, the channel opens its own TCP connection instead of sharing one
// with every channel of equal settings (gRPC's global subchannel pool): for programs that
// stand in for many machines (bench/bench_fleet.cc).
std::shared_ptr<grpc::Channel> MakeChannel(const std::string& address, const ChannelAuth& auth = {},
                                           bool own_connection = false);

}  // namespace sweep::rpc
