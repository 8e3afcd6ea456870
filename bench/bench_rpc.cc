// RPC figures (printed, not asserted; docs/design.md section 8.4): lease + report round trips per
// second with 64 simulated workers (threads, each its own channel) on loopback against a
// real in-process SweepServer with a file DB. Target >= 2,000 jobs/s on 2 cores. Jobs are
// not run: each worker reports a fixed small result at once, so this times the service.
//
// Calls carry the worker token and a session, as in production; `--tokens off` runs the
// server with --insecure-no-auth (sessions still checked) to show what the token check
// costs. `--report-lease on` (the default, as sweep-worker does) asks for the next job with
// each report (ReportResultRequest.next: one call per job after the first); `off` makes
// a LeaseJob call for every job, as workers did before.
//
//   bench_rpc [--jobs 10000] [--workers 64] [--dir /tmp] [--tokens on|off]
//             [--report-lease on|off]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/job_keys.h"
#include "rpc/channel.h"
#include "server/server_runner.h"
#include "spdlog/spdlog.h"
#include "worker/coordinator_client.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Args {
  int jobs = 10'000;
  int workers = 64;
  std::string dir = "/tmp";
  bool tokens = true;
  bool report_lease = true;
};

Args ParseArgs(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--jobs")) a.jobs = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--workers")) a.workers = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--dir")) a.dir = argv[i + 1];
    if (!std::strcmp(argv[i], "--tokens")) a.tokens = std::strcmp(argv[i + 1], "off") != 0;
    if (!std::strcmp(argv[i], "--report-lease")) {
      a.report_lease = std::strcmp(argv[i + 1], "off") != 0;
    }
  }
  return a;
}

sweep::NewSweep MakeSweep(int jobs) {
  sweep::NewSweep s{"bench-rpc", "bench", "", {}};
  for (int i = 0; i < jobs; ++i) {
    auto c = sweep::ResolveJobConfig({{"model", "krr"}, {"d", 8}, {"N", 16}, {"seed", i}});
    if (!c.ok()) std::exit(1);
    s.jobs.push_back(*c);
  }
  return s;
}

// One simulated worker: lease, report at once, until the queue stays empty.
void WorkerLoop(const std::string& address, const std::string& token, int id, bool report_lease,
                std::atomic<int>& done, std::vector<double>& latencies_ms) {
  sweep::rpc::ChannelAuth auth;
  auth.token = token;  // the bench measures the authenticated path users run
  sweep::worker::CoordinatorClient client(sweep::rpc::MakeChannel(address, auth));
  const std::string worker_id = "bench-" + std::to_string(id);
  (void)client.Register({worker_id, "bench", 1, "bench"});
  sweep::JobReport report;
  report.result.mse = 0.5;
  report.result.curve = {{16, 0.5, 0.01, 0.9}};
  report.worker_id = worker_id;
  std::optional<sweep::Lease> next;  // leased with the last report
  while (true) {
    const auto t0 = Clock::now();
    std::optional<sweep::Lease> lease = std::move(next);
    next.reset();
    if (!lease) {
      auto polled = client.Lease(worker_id, std::chrono::milliseconds(300));
      if (!polled.ok() || !polled->has_value()) return;  // drained
      lease = std::move(*polled);
    }
    if (report_lease) {
      auto got = client.ReportAndLease(lease->job_id, lease->attempt, report, 1);
      if (got.ok()) {
        ++done;
        if (!got->empty()) next = std::move(got->front());
      }
    } else if (client.Report(lease->job_id, lease->attempt, report).ok()) {
      ++done;
    }
    latencies_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
  }
}

}  // namespace

int main(int argc, char** argv) {
  const Args args = ParseArgs(argc, argv);
  spdlog::set_level(spdlog::level::warn);
  const std::string db = args.dir + "/bench_rpc_" + std::to_string(getpid()) + ".db";
  sweep::server::ServerOptions o;
  o.listen = "127.0.0.1:0";
  o.coordinator.db_path = db;
  o.auth = sweep::server::ServerAuth::WithRandomTokens();
  o.auth.insecure_no_auth = !args.tokens;
  auto server = sweep::server::SweepServer::Start(o, sweep::SystemClock::Get());
  if (!server.ok()) {
    std::fprintf(stderr, "start: %s\n", server.status().ToString().c_str());
    return 1;
  }
  if (!(*server)->coordinator().Submit(MakeSweep(args.jobs)).ok()) return 1;
  std::atomic<int> done{0};
  std::vector<std::vector<double>> latencies(args.workers);
  const auto start = Clock::now();
  {
    std::vector<std::jthread> threads;
    for (int i = 0; i < args.workers; ++i) {
      threads.emplace_back(
          [&, i] {
            WorkerLoop((*server)->address(), o.auth.worker_token, i, args.report_lease, done,
                       latencies[i]);
          });
    }
  }
  // The last 300 ms long poll of each thread is idle time, not work: subtract it.
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count() - 0.3;
  std::vector<double> all;
  for (const auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  auto pct = [&](double p) {
    return all.empty() ? 0.0 : all[std::min(all.size() - 1, size_t(p * all.size()))];
  };
  std::printf(
      "bench_rpc: %d jobs, %d workers, file DB (synchronous=FULL), tokens %s, next lease %s\n",
      args.jobs, args.workers, args.tokens ? "on" : "off",
      args.report_lease ? "asked with each report" : "by LeaseJob");
  std::printf("  reported %d jobs in %.2f s: %.0f jobs/s (target >= 2000)\n", done.load(), seconds,
              done.load() / seconds);
  std::printf("  one job's calls (lease and report, or report+lease): p50 %.2f ms, p99 %.2f ms, p999 %.2f ms\n", pct(0.5),
              pct(0.99), pct(0.999));
  (*server)->Shutdown();
  std::filesystem::remove(db);
  std::filesystem::remove(db + "-wal");
  std::filesystem::remove(db + "-shm");
  std::filesystem::remove(db + ".lock");  // sweepd's single-writer lock (server/db_lock.h)
  return done.load() == args.jobs ? 0 : 1;
}
