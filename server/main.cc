// sweepd: the coordinator. Parses flags, starts SweepServer, waits for SIGTERM/SIGINT,
// drains (docs/design.md section 4.8). The signal handler only writes to a self-pipe.
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "CLI/CLI.hpp"
#include "common/logging.h"
#include "server/auth_files.h"
#include "server/server_runner.h"
#include "spdlog/spdlog.h"
#include "worker/numerics/cost_model.h"

namespace {

int g_signal_pipe[2] = {-1, -1};

void OnSignal(int) {
  const char byte = 1;
  // write() is async-signal-safe; the result is ignored: one byte is enough to wake main.
  [[maybe_unused]] ssize_t n = write(g_signal_pipe[1], &byte, 1);
}

// Waits for SIGTERM/SIGINT. With `stats_every` > 0, logs the coordinator's counters
// that often meanwhile (`--stats-interval`; bench/bench_fleet.cc reads these lines).
void WaitForSignal(sweep::server::Coordinator& coordinator, int stats_every_ms) {
  for (;;) {
    pollfd p{g_signal_pipe[0], POLLIN, 0};
    const int n = poll(&p, 1, stats_every_ms > 0 ? stats_every_ms : -1);
    if (n < 0 && errno == EINTR) continue;
    if (n > 0) {
      char byte;
      if (read(g_signal_pipe[0], &byte, 1) < 0 && errno == EINTR) continue;
      return;
    }
    const sweep::server::CoordinatorStats s = coordinator.stats();
    spdlog::info(
        "stats: write_batches={} write_ops={} write_busy_us={} leases={} reports={}"
        " heartbeats={} heartbeats_in_memory={} flushes={} flushed_leases={} live_leases={}",
        s.write_batches, s.write_ops, s.write_busy_us, s.leases, s.reports, s.heartbeats,
        s.heartbeats_in_memory, s.flushes, s.flushed_leases, s.live_leases);
  }
}

}  // namespace

int main(int argc, char** argv) {
  sweep::server::ServerOptions options;
  int64_t lease_ttl_ms = options.coordinator.lease_ttl.count();
  CLI::App app{"sweepd: the sweep coordinator (gRPC sweep.v1.SweepService)"};
  app.add_option("--listen", options.listen, "HOST:PORT to listen on (port 0: any free port)")
      ->capture_default_str();
  app.add_option("--db", options.coordinator.db_path, "SQLite results file")->required();
  app.add_option("--lease-ttl-ms", lease_ttl_ms, "lease expiry without heartbeats")
      ->capture_default_str();
  app.add_option("--max-jobs", options.coordinator.max_jobs_per_sweep, "largest sweep accepted")
      ->capture_default_str();
  app.add_option("--max-leases", options.coordinator.max_running_leases,
                 "leases out at once over all workers")
      ->capture_default_str();
  int64_t flush_ms = options.coordinator.heartbeat_flush_interval.count();
  app.add_option("--heartbeat-flush-ms", flush_ms,
                 "heartbeats are kept in memory and written to the database this often")
      ->capture_default_str();
  double stats_interval_s = 0;
  app.add_option("--stats-interval", stats_interval_s,
                 "log the coordinator's counters every this many seconds (0: never)")
      ->capture_default_str();
  // docs/design.md section 6.5; README.md "Security".
  sweep::server::AuthFlags auth;
  app.add_option("--client-token-file", auth.client_token_file,
                 "client token (env SWEEP_CLIENT_TOKEN; default DB.client-token, created)");
  app.add_option("--worker-token-file", auth.worker_token_file,
                 "worker token (env SWEEP_WORKER_TOKEN; default DB.worker-token, created)");
  app.add_flag("--insecure-no-auth", auth.insecure_no_auth,
               "check no tokens: anyone who reaches the port may call anything");
  app.add_option("--tls-cert", auth.tls_cert, "TLS: this server's certificate (PEM)");
  app.add_option("--tls-key", auth.tls_key, "TLS: its private key (PEM)");
  app.add_option("--tls-client-ca", auth.tls_client_ca,
                 "mutual TLS: CA that signs client and worker certificates (PEM)");
  CLI11_PARSE(app, argc, argv);
  options.coordinator.lease_ttl = std::chrono::milliseconds(lease_ttl_ms);
  options.coordinator.job_cost = sweep::numerics::ExpectedJobSeconds;
  options.coordinator.heartbeat_flush_interval = std::chrono::milliseconds(flush_ms);
  if (!(stats_interval_s >= 0 && stats_interval_s <= 86'400)) {
    std::fprintf(stderr, "sweepd: --stats-interval: %g s (must be in [0, 86400])\n",
                 stats_interval_s);
    return 1;
  }
  sweep::InitLogging();
  auto loaded = sweep::server::LoadServerAuth(auth, options.coordinator.db_path);
  if (!loaded.ok()) {
    spdlog::error("sweepd: {}", loaded.status().ToString());
    return 1;
  }
  options.auth = *std::move(loaded);

  if (pipe(g_signal_pipe) != 0) return 1;
  signal(SIGTERM, OnSignal);
  signal(SIGINT, OnSignal);
  signal(SIGPIPE, SIG_IGN);

  auto server = sweep::server::SweepServer::Start(options, sweep::SystemClock::Get());
  if (!server.ok()) {
    spdlog::error("sweepd: {}", server.status().ToString());
    return 1;
  }
  // Tests and scripts read the chosen port from this line.
  std::printf("listening on %s\n", (*server)->address().c_str());
  std::fflush(stdout);
  WaitForSignal((*server)->coordinator(), static_cast<int>(stats_interval_s * 1000));
  (*server)->Shutdown();
  return 0;
}
