// chaos_sweep: runs one sweep of tiny mamba-theory and krr jobs on the real binaries
// (sweepd and several sweep-worker processes on 127.0.0.1), injects faults, and checks the
// history at the end (tests/integration/history_check.h): every job succeeded exactly
// once. Faults, each optional:
//   --rounds N      N rounds of SIGKILL at a random moment, of a random worker or of the
//                   coordinator (at least once when N >= 2), each restarted after a random
//                   pause (--long: 100 rounds over 400 jobs);
//   --proxy SCRIPT  workers dial the coordinator through the fault proxy (tests/fault_proxy.py);
//                   --proxy-faults passes its fault options (delay, drops, resets, partitions).
// Everything random comes from --seed, so a run can be repeated. Prints one line of counts
// and exits 0 when lost = duplicated = unexpected = 0 (and, with --expect-no-expiry, no
// lease expired), else 1 with the broken rules. Every process started here dies with it
// (Process: SIGKILL on destruction and PR_SET_PDEATHSIG).
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "tests/integration/cluster.h"
#include "tests/integration/history_check.h"

namespace sweep::integration {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

volatile std::sig_atomic_t g_stop = 0;
void OnSignal(int) { g_stop = 1; }

struct Options {
  int rounds = 3;
  uint64_t seed = 1;
  int workers = 3;
  int seeds = 20;  // jobs: 2 models x seeds
  int lease_ttl_ms = 1500;
  int min_gap_ms = 200, max_gap_ms = 1200;  // between kills
  int timeout_s = 120;                      // for the sweep to finish after the faults
  std::string proxy;
  std::vector<std::string> proxy_args;
  bool expect_no_expiry = false;
  std::string keep;      // copy the DB and logs here when the check fails
  std::string check_db;  // only check this database's history (sweep 1), run nothing
};

// Sleeps `ms` in steps, returning early on SIGINT/SIGTERM.
void Pause(int ms) {
  const auto until = Clock::now() + milliseconds(ms);
  while (!g_stop && Clock::now() < until) std::this_thread::sleep_for(milliseconds(10));
}

double Since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

std::string SweepFile(int seeds) {
  // About 0.1-0.5 s per job on one core: long enough for kills to land mid-job.
  return "name: chaos\n"
         "base: {d: 6, r: 2, N: 32, K1: 300, T1: 128, T2: 1024, m: 128, eval_tasks: 200}\n"
         "grid: {model: [mamba-theory, krr]}\n"
         "seeds: " +
         std::to_string(seeds) + "\nmax_attempts: 100\n";
}

// Starts the fault proxy in front of the coordinator; its address, or "" on failure.
std::string StartProxy(Cluster& c, const Options& o, std::unique_ptr<Process>& proxy) {
  std::vector<std::string> argv = {"/usr/bin/env", "python3",     o.proxy,
                                   "--listen",     "127.0.0.1:0", "--upstream",
                                   c.address(),    "--seed",      std::to_string(o.seed)};
  argv.insert(argv.end(), o.proxy_args.begin(), o.proxy_args.end());
  const std::string out = c.dir() + "/proxy.out";
  proxy = std::make_unique<Process>(argv, out, out + ".err");
  const std::string prefix = "listening on ";
  WaitUntil([&] { return ReadFile(out).find('\n') != std::string::npos; }, milliseconds(10000));
  const std::string line = ReadFile(out);
  if (line.rfind(prefix, 0) != 0) return "";
  return line.substr(prefix.size(), line.find('\n') - prefix.size());
}

// --check DB: the history check alone, for tests that run their own sweep (disk full).
int CheckOnly(const Options& o) {
  absl::StatusOr<HistoryReport> h = CheckHistory(o.check_db, 1);
  if (!h.ok()) {
    std::cerr << "chaos: " << h.status() << "\n";
    return 2;
  }
  std::printf("history of %s: %s%s\n", o.check_db.c_str(), h->Summary().c_str(),
              h->ok() ? "" : "; FAILED");
  for (const std::string& v : h->violations) std::printf("  %s\n", v.c_str());
  return h->ok() ? 0 : 1;
}

int Run(const Options& o) {
  if (!o.check_db.empty()) return CheckOnly(o);
  const auto t0 = Clock::now();
  Cluster c("chaos_" + std::to_string(o.seed));
  if (!c.StartCoordinator(o.lease_ttl_ms)) {
    std::cerr << "chaos: sweepd did not start (logs in " << c.dir() << ")\n";
    return 2;
  }
  std::unique_ptr<Process> proxy;
  if (!o.proxy.empty()) {
    const std::string address = StartProxy(c, o, proxy);
    if (address.empty()) {
      std::cerr << "chaos: the proxy did not start: " << ReadFile(c.dir() + "/proxy.out.err");
      return 2;
    }
    c.SetWorkerAddress(address);
    std::cerr << "chaos: workers dial the proxy at " << address << "\n";
  }
  CommandResult submit = c.Sweep({"submit", c.WriteFile("chaos.yaml", SweepFile(o.seeds))});
  if (submit.exit_code != 0) {
    std::cerr << "chaos: submit failed: " << submit.err;
    return 2;
  }
  std::vector<Process*> workers;
  for (int i = 0; i < o.workers; ++i) workers.push_back(&c.StartWorker(1));

  std::mt19937_64 rng(o.seed);
  auto uniform = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  int coordinator_kills = 0, worker_kills = 0;
  for (int round = 1; round <= o.rounds && !g_stop; ++round) {
    Pause(uniform(o.min_gap_ms, o.max_gap_ms));
    int victim = uniform(0, o.workers);  // o.workers: the coordinator
    // Every run with two rounds or more kills the coordinator at least once.
    if (round == o.rounds && round >= 2 && coordinator_kills == 0) victim = o.workers;
    auto progress = c.Summary(1);
    const std::string done =
        progress.ok() ? absl::StrCat(progress->succeeded, "/", progress->total, " done") : "";
    if (progress.ok() && progress->succeeded == progress->total) {
      std::fprintf(stderr, "chaos: the sweep finished before round %d; use more --seeds\n", round);
    }
    if (victim == o.workers) {
      std::fprintf(stderr, "chaos: %.2f s round %d (%s): SIGKILL sweepd\n", Since(t0), round,
                   done.c_str());
      c.KillCoordinator();
      ++coordinator_kills;
      Pause(uniform(0, 500));
      if (!c.StartCoordinator(o.lease_ttl_ms)) {
        std::cerr << "chaos: sweepd did not restart (logs in " << c.dir() << ")\n";
        return 2;
      }
    } else {
      std::fprintf(stderr, "chaos: %.2f s round %d (%s): SIGKILL worker %d (pid %d)\n", Since(t0),
                   round, done.c_str(), victim, workers[victim]->pid());
      workers[victim]->Signal(SIGKILL);
      workers[victim]->Wait(milliseconds(5000));
      ++worker_kills;
      Pause(uniform(0, 500));
      workers[victim] = &c.StartWorker(1);
    }
  }
  // Let the sweep finish, bounded.
  int64_t total = 0, finished = 0;
  const auto deadline = Clock::now() + std::chrono::seconds(o.timeout_s);
  while (!g_stop && Clock::now() < deadline) {
    auto s = c.Summary(1);
    if (s.ok()) {
      total = s->total;
      finished = s->succeeded + s->failed + s->cancelled;
      if (total > 0 && finished == total) break;
    }
    Pause(200);
  }
  c.KillCoordinator();  // nothing writes while the history is read
  std::string proxy_summary;
  if (proxy) {
    proxy->Signal(SIGTERM);
    proxy->Wait(milliseconds(5000));
    const std::string log = ReadFile(c.dir() + "/proxy.out.err");
    const size_t done = log.rfind("done: ");
    if (done != std::string::npos) proxy_summary = log.substr(done, log.find('\n', done) - done);
  }
  absl::StatusOr<HistoryReport> h = CheckHistory(c.db(), 1);
  if (!h.ok()) {
    std::cerr << "chaos: " << h.status() << "\n";
    return 2;
  }
  bool ok = h->ok() && finished == total;
  if (o.expect_no_expiry && h->expired > 0) ok = false;
  if (proxy) {
    // A run through the proxy proves nothing unless the traffic went through it, and the
    // faults asked for were injected.
    int connections = 0, faults = 0;
    const size_t semi = proxy_summary.find("; ");
    const bool parsed =
        std::sscanf(proxy_summary.c_str(), "done: %d connections", &connections) == 1 &&
        semi != std::string::npos &&
        std::sscanf(proxy_summary.c_str() + semi, "; %d faults", &faults) == 1;
    const bool asked = std::find(o.proxy_args.begin(), o.proxy_args.end(), "--fault-every-ms") !=
                       o.proxy_args.end();
    if (!parsed || connections == 0 || (asked && faults == 0)) {
      std::printf("  the proxy carried no traffic or injected no fault: \"%s\"\n",
                  proxy_summary.c_str());
      ok = false;
    }
  }
  std::printf("chaos seed %llu: %d rounds (sweepd killed %d, workers killed %d), %.1f s; %s%s\n",
              static_cast<unsigned long long>(o.seed), o.rounds, coordinator_kills, worker_kills,
              Since(t0), h->Summary().c_str(), ok ? "" : "; FAILED");
  if (proxy) std::printf("  proxy %s\n", proxy_summary.c_str());
  for (const std::string& v : h->violations) std::printf("  %s\n", v.c_str());
  if (finished != total)
    std::printf("  %lld of %lld jobs finished before the timeout\n",
                static_cast<long long>(finished), static_cast<long long>(total));
  if (!ok && !o.keep.empty()) {
    std::error_code ec;
    std::filesystem::copy(c.dir(), o.keep, std::filesystem::copy_options::recursive, ec);
    std::printf("  database and logs copied to %s\n", o.keep.c_str());
  }
  return ok ? 0 : 1;
}

}  // namespace
}  // namespace sweep::integration

int main(int argc, char** argv) {
  using sweep::integration::Options;
  Options o;
  CLI::App app("Kill and network-fault runs of a sweep on the real binaries");
  app.add_option("--rounds", o.rounds, "SIGKILL rounds (0: none)")->check(CLI::Range(0, 100000));
  app.add_option("--seed", o.seed, "seed of every random choice");
  app.add_option("--workers", o.workers, "sweep-worker processes")->check(CLI::Range(1, 64));
  app.add_option("--seeds", o.seeds, "seeds per model (jobs = 2 x seeds)")
      ->check(CLI::Range(1, 10000));
  app.add_option("--lease-ttl-ms", o.lease_ttl_ms)->check(CLI::Range(200, 600000));
  app.add_option("--min-gap-ms", o.min_gap_ms)->check(CLI::Range(0, 600000));
  app.add_option("--max-gap-ms", o.max_gap_ms)->check(CLI::Range(0, 600000));
  app.add_option("--timeout-s", o.timeout_s, "time the sweep has to finish after the faults")
      ->check(CLI::Range(1, 86400));
  app.add_option("--proxy", o.proxy, "fault proxy script (tests/fault_proxy.py)");
  std::string faults;
  app.add_option("--proxy-faults", faults, "the proxy's fault options, e.g. \"--delay-ms 50\"");
  bool long_form = false;
  app.add_flag("--long", long_form,
               "the long form: 100 rounds over 400 jobs (explicit options still win)");
  app.add_flag("--expect-no-expiry", o.expect_no_expiry, "fail if any lease expired");
  app.add_option("--check", o.check_db, "only check the history of sweep 1 in this database");
  app.add_option("--keep", o.keep, "on failure, copy the database and logs to this folder");
  CLI11_PARSE(app, argc, argv);
  if (long_form) {
    if (app.count("--rounds") == 0) o.rounds = 100;
    if (app.count("--seeds") == 0) o.seeds = 200;
    if (app.count("--timeout-s") == 0) o.timeout_s = 600;
  }
  std::istringstream words(faults);
  for (std::string w; words >> w;) o.proxy_args.push_back(w);
  if (o.max_gap_ms < o.min_gap_ms) o.max_gap_ms = o.min_gap_ms;
  std::signal(SIGINT, sweep::integration::OnSignal);
  std::signal(SIGTERM, sweep::integration::OnSignal);
  return sweep::integration::Run(o);
}
