// A simulated fleet against a real sweepd (printed, not asserted; docs/design.md section
// 8.4). The bench starts build/bin/sweepd as a child process on a loopback port with a
// file database, submits one krr sweep, and plays W workers: each registers its own
// session with the worker token (as sweep-worker does), leases a job, heartbeats every
// H ms while the fake job "runs" for L ms, reports, and leases again. The workers are
// not threads: their next calls wait in one timetable, and a timetable thread starts each
// as an asynchronous call over a few channels (each its own TCP connection) without
// waiting for its answer (bench/fleet_sim.h). So 10,000 workers cost the bench little
// more than their calls, and no fixed pool of blocking client threads caps what it sends.
//
// Printed for the measured window (after --warmup): lease+report cycles per second,
// heartbeats per second, p50/p99/p999 latency per RPC, how late calls left against the
// timetable (the bench's own saturation), sweepd's RSS and CPU from /proc and its CPU per
// call, SQLite write transactions per second (sweepd's `--stats-interval` counters),
// attempts lost to expiry (every simulated worker stays alive, so each one is a lease
// that expired wrongly), the first error other than ABORTED, and this machine's
// single-thread SQLite commit rate measured in the same run, so that a slower or busier
// machine reads the same in relative terms.
//
//   bench_fleet [--workers 10000] [--job-ms 10000] [--heartbeat-ms 10000] [--slots 1]
//               [--lease-batch 1] [--duration 60] [--warmup 15] [--threads 2]
//               [--channels 8] [--jobs N] [--dir /tmp] [--sweepd PATH]
//               [--flush-ms 1000] [--lease-ttl-ms 30000] [--report-lease 1]
//
// --job-ms 0 leases and reports back to back (the fastest cycle; heartbeats off). With
// --slots K each worker registers K slots and runs up to K jobs; --lease-batch B lets it
// take up to B jobs in one LeaseJob call (max_jobs) when that many slots are free.
// --report-lease 1 (the default, as sweep-worker does) asks for the next jobs with each
// report (ReportResultRequest.next: one call and one commit per cycle); 0 reports and
// then calls LeaseJob, as workers did before.
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "rpc/channel.h"
#include "rpc/deadline.h"
#include "spdlog/spdlog.h"
#include "storage/sqlite.h"
#include "sweep/v1/sweep.grpc.pb.h"
#include "bench/fleet_sim.h"
#include "bench/fleet_sweepd.h"

namespace {

using namespace sweep::bench;  // bench/fleet_sweepd.h: sweepd, /proc and the yardstick
using std::chrono::milliseconds;

struct Args {
  int workers = 10'000;
  int job_ms = 10'000;
  int heartbeat_ms = 10'000;
  int slots = 1;
  int lease_batch = 1;
  double duration_s = 60;
  double warmup_s = 15;
  int threads = 2;  // timetable threads starting the asynchronous calls
  int channels = 8;
  int64_t jobs = 0;  // 0: enough for the run
  std::string dir = "/tmp";
  std::string sweepd;
  int flush_ms = 1'000;
  int lease_ttl_ms = 30'000;
  int report_lease = 1;  // 1: each report asks for the next lease (ReportResultRequest.next)
};

// A number for `flag`, or exit 2 naming the flag and the value.
template <typename T>
T Number(const std::string& flag, const std::string& v) {
  T out{};
  const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec != std::errc() || end != v.data() + v.size())
    Die(flag + ": \"" + v + "\" is not a number");
  return out;
}

Args ParseArgs(int argc, char** argv) {
  Args a;
  a.sweepd = (std::filesystem::path(argv[0]).parent_path() / "sweepd").string();
  const std::vector<std::pair<const char*, int*>> ints = {
      {"--workers", &a.workers},           {"--job-ms", &a.job_ms},
      {"--heartbeat-ms", &a.heartbeat_ms}, {"--slots", &a.slots},
      {"--lease-batch", &a.lease_batch},   {"--threads", &a.threads},
      {"--channels", &a.channels},         {"--flush-ms", &a.flush_ms},
      {"--lease-ttl-ms", &a.lease_ttl_ms}, {"--report-lease", &a.report_lease}};
  for (int i = 1; i < argc; i += 2) {
    if (i + 1 >= argc) Die(std::string(argv[i]) + ": needs a value");
    const std::string k = argv[i], v = argv[i + 1];
    auto it = std::find_if(ints.begin(), ints.end(), [&](const auto& f) { return k == f.first; });
    if (it != ints.end()) {
      *it->second = Number<int>(k, v);
    } else if (k == "--duration") {
      a.duration_s = Number<double>(k, v);
    } else if (k == "--warmup") {
      a.warmup_s = Number<double>(k, v);
    } else if (k == "--jobs") {
      a.jobs = Number<int64_t>(k, v);
    } else if (k == "--dir") {
      a.dir = v;
    } else if (k == "--sweepd") {
      a.sweepd = v;
    } else {
      Die("unknown flag " + k);
    }
  }
  if (a.workers < 1 || a.workers > 100'000) Die("--workers: must be in [1, 100000]");
  if (a.slots < 1 || a.slots > 1024) Die("--slots: must be in [1, 1024]");
  if (a.lease_batch < 1 || a.lease_batch > a.slots) Die("--lease-batch: must be in [1, --slots]");
  if (a.job_ms < 0 || a.heartbeat_ms < 0) Die("--job-ms, --heartbeat-ms: must be >= 0");
  if (a.threads < 1 || a.channels < 1) Die("--threads, --channels: must be >= 1");
  if (!(a.duration_s > 0 && a.duration_s <= 3600 && a.warmup_s >= 0 && a.warmup_s <= 600)) {
    Die("--duration in (0, 3600], --warmup in [0, 600] seconds");
  }
  if (a.jobs < 0 || a.jobs > 1'000'000) Die("--jobs: must be in [0, 1000000] (0: enough)");
  if (a.flush_ms < 1 || a.lease_ttl_ms < 1) Die("--flush-ms, --lease-ttl-ms: must be >= 1");
  if (a.report_lease != 0 && a.report_lease != 1) Die("--report-lease: must be 0 or 1");
  if (a.jobs == 0) {
    // Enough that the queue never runs dry: the fleet's rate over the whole run, + 50%.
    const double per_s = a.job_ms > 0 ? 1000.0 * a.workers * a.slots / a.job_ms : 8'000.0;
    a.jobs = static_cast<int64_t>(a.workers * a.slots + 1.5 * per_s * (a.duration_s + a.warmup_s));
    a.jobs = std::min<int64_t>(a.jobs, 1'000'000);
  }
  return a;
}

std::string RandomHex(std::mt19937_64& rng) {
  char buf[33];
  std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(rng()),
                static_cast<unsigned long long>(rng()));
  return buf;
}

double Pct(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * v.size()))];
}

double LoadAverage() {
  double l[1] = {0};
  return getloadavg(l, 1) == 1 ? l[0] : 0;
}

}  // namespace

int main(int argc, char** argv) {
  const Args a = ParseArgs(argc, argv);
  spdlog::set_level(spdlog::level::warn);
  std::mt19937_64 rng(std::random_device{}());
  const std::string base = a.dir + "/bench_fleet_" + std::to_string(getpid());
  const double commits_before = SqliteCommitRate(base + "_yardstick.db");
  const std::string client_token = RandomHex(rng), worker_token = RandomHex(rng);
  const std::string db = base + ".db";
  Child sweepd =
      StartSweepd(SweepdFlags{a.sweepd, a.flush_ms, a.lease_ttl_ms}, db, client_token, worker_token);
  std::printf("bench_fleet: sweepd pid %d on %s, db %s (synchronous=FULL), load average %.1f\n",
              sweepd.pid, sweepd.address.c_str(), db.c_str(), LoadAverage());

  // Submit with the client token, as `sweep submit` does.
  {
    sweep::rpc::ChannelAuth auth;
    auth.token = client_token;
    auto stub = sweep::v1::SweepService::NewStub(sweep::rpc::MakeChannel(sweepd.address, auth));
    sweep::v1::SubmitSweepRequest req;
    req.set_request_id(RandomHex(rng));
    req.set_source_name("bench_fleet");
    req.set_spec_text("name: bench-fleet\nbase: {model: krr, d: 8, N: 16}\nseeds: " +
                      std::to_string(a.jobs) + "\n");
    sweep::v1::SubmitSweepResponse resp;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::minutes(5));
    const auto t0 = SteadyClock::now();
    grpc::Status s = stub->SubmitSweep(&ctx, req, &resp);
    if (!s.ok()) Die("submit: " + s.error_message());
    std::printf("  submitted %lld jobs in %.1f s\n", static_cast<long long>(resp.jobs_total()),
                std::chrono::duration<double>(SteadyClock::now() - t0).count());
  }

  sweep::rpc::ChannelAuth worker_auth;
  worker_auth.token = worker_token;
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  for (int c = 0; c < a.channels; ++c) {
    channels.push_back(
        sweep::rpc::MakeChannel(sweepd.address, worker_auth, /*own_connection=*/true));
  }
  FleetOptions fo;
  fo.workers = a.workers;
  fo.job_ms = a.job_ms;
  fo.heartbeat_ms = a.heartbeat_ms;
  fo.slots = a.slots;
  fo.lease_batch = a.lease_batch;
  fo.report_lease = a.report_lease == 1;
  fo.threads = a.threads;
  Fleet fleet(fo, channels);
  const auto reg0 = SteadyClock::now();
  fleet.Register();
  std::printf(
      "  registered %d workers (%d slots each, one session each) over %d channels in %.1f s\n",
      a.workers, a.slots, a.channels,
      std::chrono::duration<double>(SteadyClock::now() - reg0).count());

  const auto start = SteadyClock::now();
  const auto window_start = start + milliseconds(static_cast<int64_t>(a.warmup_s * 1000));
  const auto end = window_start + milliseconds(static_cast<int64_t>(a.duration_s * 1000));
  std::vector<std::pair<std::string, int64_t>> stats0, stats1;
  double cpu0 = 0, cpu1 = 0, load_sum = 0;
  int load_n = 0;
  rusage self0{}, self1{};
  std::jthread sampler([&](std::stop_token stop) {
    // Samples at the window's edges: sweepd's CPU and counters, the bench's own CPU.
    while (!stop.stop_requested() && SteadyClock::now() < window_start) {
      std::this_thread::sleep_for(milliseconds(20));
    }
    cpu0 = ProcCpuSeconds(sweepd.pid);
    stats0 = LastStats(sweepd.log_path);
    getrusage(RUSAGE_SELF, &self0);
    while (!stop.stop_requested() && SteadyClock::now() < end) {
      std::this_thread::sleep_for(milliseconds(1000));
      load_sum += LoadAverage();
      ++load_n;
    }
  });
  fleet.Run(window_start, end);
  sampler.join();
  cpu1 = ProcCpuSeconds(sweepd.pid);
  getrusage(RUSAGE_SELF, &self1);
  std::this_thread::sleep_for(milliseconds(1100));  // one more stats line
  stats1 = LastStats(sweepd.log_path);
  const double rss = ProcStatusMb(sweepd.pid, "VmRSS"), hwm = ProcStatusMb(sweepd.pid, "VmHWM");
  int64_t lost = -1;
  {
    auto conn = sweep::storage::Connection::Open(db, /*read_only=*/true);
    if (conn.ok()) {
      auto n = (*conn)->QueryInt("SELECT count(*) FROM attempts WHERE outcome = 'lost'");
      if (n.ok()) lost = *n;
    }
  }
  kill(sweepd.pid, SIGTERM);
  int status = 0;
  waitpid(sweepd.pid, &status, 0);
  const double commits_after = SqliteCommitRate(base + "_yardstick.db");

  const double secs = a.duration_s;
  const FleetCounters& c = fleet.counters();
  const double cycles = c.cycles / secs, hbs = c.heartbeats / secs;
  const double batches =
      (Stat(stats1, "write_batches") - Stat(stats0, "write_batches")) / (secs + 1.1);
  const double commit_rate = (commits_before + commits_after) / 2;
  auto self_cpu = [](const rusage& r) {
    return r.ru_utime.tv_sec + r.ru_stime.tv_sec + (r.ru_utime.tv_usec + r.ru_stime.tv_usec) / 1e6;
  };
  std::printf(
      "  fleet: %d workers x %d slots, jobs of %d ms, heartbeat every %d ms, lease batch %d, "
      "%d client threads, %s\n",
      a.workers, a.slots, a.job_ms, a.heartbeat_ms, a.lease_batch, a.threads,
      a.report_lease ? "next lease asked with each report" : "report and lease as two calls");
  std::printf("  window %.0f s after %.0f s warm-up, load average %.1f (mean of the window)\n",
              secs, a.warmup_s, load_n > 0 ? load_sum / load_n : LoadAverage());
  std::printf(
      "  single-thread SQLite commits (WAL, synchronous=FULL): %.0f/s (before %.0f, after %.0f)\n",
      commit_rate, commits_before, commits_after);
  std::printf("  lease+report cycles: %.0f/s (%.2fx the commit rate)\n", cycles,
              cycles / commit_rate);
  std::printf("  heartbeats: %.0f/s (%.2fx the commit rate)\n", hbs, hbs / commit_rate);
  std::printf(
      "  SQLite write transactions: %.0f/s (%.2fx the commit rate); %lld heartbeat flushes "
      "wrote %lld lease rows\n",
      batches, batches / commit_rate,
      static_cast<long long>(Stat(stats1, "flushes") - Stat(stats0, "flushes")),
      static_cast<long long>(Stat(stats1, "flushed_leases") - Stat(stats0, "flushed_leases")));
  const double busy_us = static_cast<double>(Stat(stats1, "write_busy_us") -
                                             Stat(stats0, "write_busy_us"));
  const double batch_n = static_cast<double>(Stat(stats1, "write_batches") -
                                             Stat(stats0, "write_batches"));
  if (batch_n > 0) {
    std::printf(
        "  SQLite writer busy %.0f%% of the window (one batch at a time; near 100%%: the write "
        "path bounds the throughput), %.2f ms and %.1f ops per batch\n",
        100 * busy_us / 1e6 / (secs + 1.1), busy_us / 1e3 / batch_n,
        static_cast<double>(Stat(stats1, "write_ops") - Stat(stats0, "write_ops")) / batch_n);
  }
  std::printf("  heartbeats answered from memory: %lld of %lld\n",
              static_cast<long long>(Stat(stats1, "heartbeats_in_memory") -
                                     Stat(stats0, "heartbeats_in_memory")),
              static_cast<long long>(Stat(stats1, "heartbeats") - Stat(stats0, "heartbeats")));
  for (int r = 0; r < static_cast<int>(Rpc::kCount); ++r) {
    std::vector<double> all = fleet.Latencies(static_cast<Rpc>(r));
    if (all.empty()) continue;
    const size_t n = all.size();
    std::printf("  %-12s n=%-8zu p50 %7.2f ms  p99 %7.2f ms  p999 %7.2f ms\n",
                RpcName(static_cast<Rpc>(r)), n, Pct(all, 0.5), Pct(all, 0.99), Pct(all, 0.999));
  }
  std::vector<double> late = fleet.Late();
  std::printf(
      "  calls left late against the timetable: p50 %.1f ms, p99 %.1f ms (bench saturation)\n",
      Pct(late, 0.5), Pct(late, 0.99));
  std::printf(
      "  sweepd: CPU %.0f%% of one core over the window, RSS %.0f MB (peak %.0f MB); "
      "bench CPU %.0f%%\n",
      100 * (cpu1 - cpu0) / secs, rss, hwm, 100 * (self_cpu(self1) - self_cpu(self0)) / secs);
  // CPU per call does not depend on how much of the machine sweepd got: the figure to
  // compare across runs on a busy machine.
  const double calls = static_cast<double>(fleet.calls());  // every kind, in the window
  if (calls > 0) {
    std::printf("  sweepd CPU per call (lease, report, heartbeat): %.0f us; per cycle %.0f us\n",
                1e6 * (cpu1 - cpu0) / calls, c.cycles > 0 ? 1e6 * (cpu1 - cpu0) / c.cycles : 0.0);
  }
  std::printf(
      "  leases lost to expiry: %lld attempts (all workers alive: each is wrong); "
      "ABORTED heartbeats/reports %lld; other errors %lld; empty lease polls %lld\n",
      static_cast<long long>(lost), static_cast<long long>(c.aborted.load()),
      static_cast<long long>(c.errors.load()), static_cast<long long>(c.lease_misses.load()));
  // Run returned after the last answer: no lock needed to read it.
  if (c.errors > 0) std::printf("  first other error: %s\n", c.first_error.c_str());
  for (const char* suffix :
       {"", "-wal", "-shm", ".lock", ".log", ".client-token", ".worker-token"}) {
    std::filesystem::remove(db + suffix);
  }
  return lost == 0 && c.aborted == 0 ? 0 : 1;
}
