// SweepServer: a running coordinator behind a gRPC server, as one object. Used by
// `sweepd` (server/main.cc), by `sweep local` (in-process, on 127.0.0.1:0) and by the
// benchmarks. Start() opens the DB, then starts listening with the health service SERVING;
// Shutdown() drains (docs/design.md section 4.8): health NOT_SERVING, no new leases and long polls
// woken, in-flight RPCs finish until the grace runs out, then the DB is closed.
//
// Thread-safe: Shutdown() may be called from any thread, more than once.
#pragma once

#include <grpcpp/server.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>

#include "absl/status/statusor.h"
#include "common/clock.h"
#include "server/auth.h"
#include "common/limits.h"
#include "server/coordinator.h"
#include "server/db_lock.h"
#include "server/service.h"

namespace sweep::server {

struct ServerOptions {
  std::string listen = "127.0.0.1:7070";  // HOST:PORT; port 0 picks a free one
  CoordinatorOptions coordinator;
  // Tokens and TLS (docs/design.md section 6.5). Its default, no tokens and auth on,
  // does not validate: sweepd loads the token files, in-process users call
  // ServerAuth::WithRandomTokens().
  ServerAuth auth;
  // Sync-server threads. Every worker slot holds one long poll, so this must stay well
  // above the number of slots (docs/design.md section 6.4); past it calls get RESOURCE_EXHAUSTED.
  int max_threads = 512;
  // Idle sync-server threads kept polling for calls (grpc::ServerBuilder's MIN_POLLERS and
  // MAX_POLLERS). gRPC's default keeps at most 2: with tens of calls in flight, a thread
  // that finishes a call then exits and the next call starts a new one, a clone and an
  // exit per call. Keeping up to 64 cut sweepd's CPU per call by about a fifth under
  // bench_fleet (docs/design.md section 6.4).
  int min_pollers = 2;
  int max_pollers = 64;
  std::chrono::milliseconds drain_grace{7'000};  // below docker stop's 10 s
  // Largest request and reply (common/limits.h): a sweep file at the spec limit plus
  // the request's other fields. Clients set the same (rpc/channel.cc).
  int max_message_bytes = limits::kMaxMessageBytes;
  absl::Status Validate() const;
};

class SweepServer {
 public:
  static absl::StatusOr<std::unique_ptr<SweepServer>> Start(const ServerOptions& options,
                                                            const Clock& clock);
  ~SweepServer();  // Shutdown() if not done yet
  SweepServer(const SweepServer&) = delete;
  SweepServer& operator=(const SweepServer&) = delete;

  // "HOST:PORT" actually bound (the chosen port when listening on port 0).
  const std::string& address() const { return address_; }
  int port() const { return port_; }
  Coordinator& coordinator() { return *coordinator_; }

  // Graceful drain, then close the DB. Blocks until done (at most drain_grace + a bit).
  void Shutdown();

 private:
  SweepServer() = default;
  ServerOptions options_;
  std::unique_ptr<DbLock> db_lock_;  // held from before the DB opens until after it closes
  std::unique_ptr<Coordinator> coordinator_;
  std::unique_ptr<SweepServiceImpl> service_;
  std::unique_ptr<grpc::Server> server_;
  std::string address_;
  int port_ = 0;
  std::mutex shutdown_mu_;
  bool shut_down_ = false;
};

}  // namespace sweep::server
