// SweepServer (see server_runner.h).
#include "server/server_runner.h"

#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/resource_quota.h>
#include <grpcpp/security/server_credentials.h>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "server/auth_service.h"
#include "spdlog/spdlog.h"

namespace sweep::server {
namespace {

std::shared_ptr<grpc::ServerCredentials> MakeServerCredentials(const ServerAuth& auth) {
  if (!auth.tls()) return grpc::InsecureServerCredentials();
  grpc::SslServerCredentialsOptions ssl(
      auth.mutual_tls() ? GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY
                        : GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  ssl.pem_root_certs = auth.tls_client_ca_pem;
  ssl.pem_key_cert_pairs.push_back({auth.tls_key_pem, auth.tls_cert_pem});
  return grpc::SslServerCredentials(ssl);
}

}  // namespace

absl::Status ServerOptions::Validate() const {
  if (listen.rfind(':') == std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat("listen: \"", listen, "\" is not HOST:PORT"));
  }
  if (max_threads < 8) return absl::InvalidArgumentError("max_threads: must be >= 8");
  if (min_pollers < 1 || min_pollers > max_pollers || max_pollers > max_threads) {
    return absl::InvalidArgumentError(absl::StrCat(
        "min_pollers, max_pollers: ", min_pollers, ", ", max_pollers,
        " (must be 1 <= min_pollers <= max_pollers <= max_threads, ", max_threads, ")"));
  }
  if (drain_grace.count() < 0) return absl::InvalidArgumentError("drain_grace: negative");
  SWEEP_RETURN_IF_ERROR(auth.Validate());
  return coordinator.Validate();
}

absl::StatusOr<std::unique_ptr<SweepServer>> SweepServer::Start(const ServerOptions& options,
                                                                const Clock& clock) {
  SWEEP_RETURN_IF_ERROR(options.Validate());
  std::unique_ptr<SweepServer> s(new SweepServer());
  s->options_ = options;
  // One coordinator per database file: the lock comes first, before anything writes.
  SWEEP_ASSIGN_OR_RETURN(s->db_lock_, DbLock::Acquire(options.coordinator.db_path));
  // The DB is opened (and migrated) before the port opens, so health is SERVING only once
  // the coordinator can serve.
  SWEEP_ASSIGN_OR_RETURN(s->coordinator_, Coordinator::Open(options.coordinator, clock));
  s->service_ = std::make_unique<AuthService>(
      *s->coordinator_,
      ServiceOptions{options.coordinator.max_jobs_per_sweep, options.coordinator.lease_ttl},
      options.auth);
  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder builder;
  builder.AddListeningPort(options.listen, MakeServerCredentials(options.auth), &s->port_);
  builder.RegisterService(s->service_.get());
  builder.SetMaxReceiveMessageSize(options.max_message_bytes);
  builder.SetMaxSendMessageSize(options.max_message_bytes);
  grpc::ResourceQuota quota("sweepd");
  quota.SetMaxThreads(options.max_threads);
  builder.SetResourceQuota(quota);
  builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MIN_POLLERS,
                              options.min_pollers);
  builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MAX_POLLERS,
                              options.max_pollers);
  // Workers keep the connection alive every 60 s (MakeChannel); accept pings
  // that often, also with no call open (docs/design.md section 6.4).
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 30'000);
  // gRPC sets SO_REUSEPORT by default on Linux, which lets a second sweepd bind the same
  // port and share its connections; off, a used port is an error at start.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  s->server_ = builder.BuildAndStart();
  if (s->server_ == nullptr || s->port_ == 0) {
    return absl::UnavailableError(absl::StrCat("listen: cannot bind ", options.listen,
                                               " (address in use by another process?)"));
  }
  s->server_->GetHealthCheckService()->SetServingStatus(true);
  s->address_ = absl::StrCat(options.listen.substr(0, options.listen.rfind(':')), ":", s->port_);
  spdlog::info("sweepd listening on {} (db {}; {}; {})", s->address_, options.coordinator.db_path,
               options.auth.insecure_no_auth ? "NO authentication" : "bearer tokens",
               options.auth.mutual_tls() ? "mutual TLS"
               : options.auth.tls()      ? "TLS"
                                         : "plaintext");
  if (!IsLoopbackListen(options.listen) && !options.auth.tls()) {
    spdlog::warn(
        "listening beyond loopback without TLS: {} travel in clear text; use "
        "--tls-cert/--tls-key on any network you do not trust",
        options.auth.insecure_no_auth ? "all calls (--insecure-no-auth)" : "tokens");
  }
  return s;
}

void SweepServer::Shutdown() {
  std::lock_guard<std::mutex> lock(shutdown_mu_);
  if (shut_down_) return;
  shut_down_ = true;
  // A Start() that failed (DB not openable, port not bindable) destroys a server with no
  // gRPC server and maybe no coordinator: there is nothing to drain.
  if (server_ == nullptr) {
    service_.reset();
    coordinator_.reset();
    db_lock_.reset();
    return;
  }
  spdlog::info("draining: health NOT_SERVING, no new leases");
  // SetServingStatus(false), not Shutdown() of the health service: the latter is final
  // and later SetServingStatus calls would be ignored (docs/design.md section 4.8).
  server_->GetHealthCheckService()->SetServingStatus(false);
  coordinator_->BeginDrain();
  server_->Shutdown(std::chrono::system_clock::now() + options_.drain_grace);
  server_->Wait();
  spdlog::info("rpc server stopped; closing the DB");
  server_.reset();
  service_.reset();
  coordinator_.reset();  // closes the DB: checkpoint by the one writer
  db_lock_.reset();      // only now may another coordinator open the file
  spdlog::info("drained and closed");
}

SweepServer::~SweepServer() { Shutdown(); }

}  // namespace sweep::server
