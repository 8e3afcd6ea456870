// MakeChannel (see channel.h).
#include "rpc/channel.h"

#include <grpcpp/grpcpp.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/client_interceptor.h>

#include <fstream>
#include <sstream>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/token_file.h"

#include "common/limits.h"

namespace sweep::rpc {
namespace {

// Adds `authorization: Bearer <token>` to every call's initial metadata. An interceptor,
// not gRPC call credentials: gRPC 1.51 cannot attach call credentials to a plaintext
// channel (CompositeChannelCredentials refuses insecure channel credentials, and
// credentials set on a ClientContext of a plaintext channel are dropped without an
// error), and the token must work on loopback and trusted networks without TLS too.
// One mechanism for both keeps the TLS and plaintext paths the same.
class BearerInterceptor final : public grpc::experimental::Interceptor {
 public:
  explicit BearerInterceptor(std::shared_ptr<const std::string> value) : value_(std::move(value)) {}
  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            grpc::experimental::InterceptionHookPoints::PRE_SEND_INITIAL_METADATA)) {
      methods->GetSendInitialMetadata()->emplace("authorization", *value_);
    }
    methods->Proceed();
  }

 private:
  std::shared_ptr<const std::string> value_;
};

class BearerFactory final : public grpc::experimental::ClientInterceptorFactoryInterface {
 public:
  explicit BearerFactory(const std::string& token)
      : value_(std::make_shared<const std::string>("Bearer " + token)) {}
  grpc::experimental::Interceptor* CreateClientInterceptor(
      grpc::experimental::ClientRpcInfo*) override {
    return new BearerInterceptor(value_);
  }

 private:
  std::shared_ptr<const std::string> value_;
};

}  // namespace

absl::Status LoadTlsFiles(const std::string& ca_file, const std::string& cert_file,
                          const std::string& key_file, ChannelAuth& auth) {
  if (cert_file.empty() != key_file.empty()) {
    return absl::InvalidArgumentError("--tls-cert and --tls-key: give both or neither");
  }
  if (!cert_file.empty() && ca_file.empty()) {
    return absl::InvalidArgumentError("--tls-cert: needs --tls-ca (the coordinator's CA)");
  }
  if (absl::Status s = ReadPem(ca_file, "--tls-ca", auth.tls_ca_pem); !s.ok()) return s;
  if (absl::Status s = ReadPem(cert_file, "--tls-cert", auth.tls_cert_pem); !s.ok()) return s;
  return ReadPem(key_file, "--tls-key", auth.tls_key_pem);
}

std::shared_ptr<grpc::Channel> MakeChannel(const std::string& address, const ChannelAuth& auth,
                                           bool own_connection) {
  grpc::ChannelArguments args;
  if (own_connection) args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 60'000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 20'000);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  // Reconnect quickly after a coordinator restart: the worker's own backoff paces retries.
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1'000);
  std::shared_ptr<grpc::ChannelCredentials> creds;
  if (!auth.tls_ca_pem.empty()) {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = auth.tls_ca_pem;
    ssl.pem_cert_chain = auth.tls_cert_pem;
    ssl.pem_private_key = auth.tls_key_pem;
    creds = grpc::SslCredentials(ssl);
  } else {
    creds = grpc::InsecureChannelCredentials();
  }
  // The server's limit (common/limits.h): a sweep file the parser accepts must not be
  // refused by gRPC's 4 MiB default on the way out, nor a reply on the way in.
  args.SetMaxSendMessageSize(limits::kMaxMessageBytes);
  args.SetMaxReceiveMessageSize(limits::kMaxMessageBytes);
  std::vector<std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>> interceptors;
  if (!auth.token.empty()) interceptors.push_back(std::make_unique<BearerFactory>(auth.token));
  return grpc::experimental::CreateCustomChannelWithInterceptors(address, creds, args,
                                                                 std::move(interceptors));
}

}  // namespace sweep::rpc
