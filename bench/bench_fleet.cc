// A simulated fleet against a real sweepd (printed, not asserted; docs/design.md section
// 8.4). The bench starts build/bin/sweepd as a child process on a loopback port with a
// file database, submits one krr sweep, and plays W workers: each registers its own
// session with the worker token (as sweep-worker does), leases a job, heartbeats every
// H ms while the fake job "runs" for L ms, reports, and leases again. The workers are
// not threads: their next calls wait in one timetable and a pool of client threads makes
// them, over a few channels, each with its own TCP connection. So 10,000 workers cost
// the bench little more than their calls.
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
//               [--lease-batch 1] [--duration 60] [--warmup 15] [--threads 48]
//               [--channels 8] [--jobs N] [--dir /tmp] [--sweepd PATH]
//               [--flush-ms 1000] [--lease-ttl-ms 30000] [--report-lease 1]
//
// --job-ms 0 leases and reports back to back (the fastest cycle; heartbeats off). With
// --slots K each worker registers K slots and runs up to K jobs; --lease-batch B lets it
// take up to B jobs in one LeaseJob call (max_jobs) when that many slots are free.
// --report-lease 1 (the default, as sweep-worker does) asks for the next jobs with each
// report (ReportResultRequest.next: one call and one commit per cycle); 0 reports and
// then calls LeaseJob, as workers did before.
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <queue>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "rpc/channel.h"
#include "rpc/deadline.h"
#include "spdlog/spdlog.h"
#include "storage/sqlite.h"
#include "sweep/v1/sweep.grpc.pb.h"
#include "bench/fleet_sweepd.h"
#include "worker/coordinator_client.h"

namespace {

using namespace sweep::bench;  // bench/fleet_sweepd.h: sweepd, /proc and the yardstick
using SteadyClock = std::chrono::steady_clock;
using std::chrono::milliseconds;

struct Args {
  int workers = 10'000;
  int job_ms = 10'000;
  int heartbeat_ms = 10'000;
  int slots = 1;
  int lease_batch = 1;
  double duration_s = 60;
  double warmup_s = 15;
  int threads = 48;
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

// ---- the simulated fleet ----

enum class Rpc { kLease, kHeartbeat, kReport, kCount };
const char* RpcName(Rpc r) {
  switch (r) {
    case Rpc::kLease:
      return "LeaseJob";
    case Rpc::kHeartbeat:
      return "Heartbeat";
    case Rpc::kReport:
      return "ReportResult";
    default:
      return "?";
  }
}

struct SimJob {
  sweep::Lease lease;
  SteadyClock::time_point started, ends;
};

struct SimWorker {
  std::string id;
  std::unique_ptr<sweep::worker::CoordinatorClient> client;
  std::mutex mu;               // its jobs (a worker's calls may run on two threads at once)
  std::vector<SimJob> jobs;    // running
  bool lease_pending = false;  // a lease call is scheduled or in flight
};

// One timetable entry: at `due`, make `rpc` for worker `w` (job `job_id` for heartbeats
// and reports).
struct Event {
  SteadyClock::time_point due;
  int w;
  Rpc rpc;
  int64_t job_id;
  bool operator>(const Event& o) const { return due > o.due; }
};

struct Counters {
  std::atomic<int64_t> cycles{0}, heartbeats{0}, leases{0}, lease_misses{0}, aborted{0}, errors{0};
  // The first "other error", printed with the count: a count alone does not say whether
  // the coordinator refused, timed out or was overloaded.
  std::mutex first_error_mu;
  std::string first_error;
  void Error(const absl::Status& s) {
    if (errors++ > 0) return;
    std::lock_guard lock(first_error_mu);
    first_error = s.ToString();
  }
};

struct ThreadLog {
  std::vector<double> latency_ms[static_cast<int>(Rpc::kCount)];
  std::vector<double> late_ms;
};

class Fleet {
 public:
  Fleet(const Args& a, std::vector<std::shared_ptr<grpc::Channel>> channels)
      : a_(a), channels_(std::move(channels)), workers_(a.workers) {}

  void Register() {
    std::atomic<int> next{0}, failed{0};
    std::vector<std::jthread> pool;
    for (int t = 0; t < a_.threads; ++t) {
      pool.emplace_back([&] {
        for (int i = next++; i < a_.workers; i = next++) {
          SimWorker& w = workers_[i];
          w.id = "fleet-" + std::to_string(i);
          w.client =
              std::make_unique<sweep::worker::CoordinatorClient>(channels_[i % channels_.size()]);
          if (!w.client->Register({w.id, "bench-fleet", a_.slots, "bench"}).ok()) ++failed;
        }
      });
    }
    pool.clear();
    if (failed > 0) Die(std::to_string(failed.load()) + " registrations failed");
  }

  // Runs the timetable until `end`; measures from `window_start`.
  void Run(SteadyClock::time_point window_start, SteadyClock::time_point end) {
    window_start_ = window_start;
    std::mt19937_64 rng(7);
    const auto now = SteadyClock::now();
    const int spread_ms = std::max(1, a_.job_ms);
    for (int i = 0; i < a_.workers; ++i) {  // first leases spread over one job length
      workers_[i].lease_pending = true;
      Push({now + milliseconds(rng() % spread_ms), i, Rpc::kLease, 0});
    }
    logs_.resize(a_.threads);
    std::vector<std::jthread> pool;
    for (int t = 0; t < a_.threads; ++t) pool.emplace_back([this, t, end] { Loop(t, end); });
    pool.clear();
  }

  const Counters& counters() const { return counters_; }
  const std::vector<ThreadLog>& logs() const { return logs_; }

 private:
  void Push(const Event& e) {
    {
      std::lock_guard lock(mu_);
      queue_.push(e);
    }
    cv_.notify_one();
  }

  void Loop(int t, SteadyClock::time_point end) {
    std::mt19937_64 rng(1000 + t);
    for (;;) {
      Event e;
      {
        std::unique_lock lock(mu_);
        for (;;) {
          if (SteadyClock::now() >= end) return;
          if (!queue_.empty() && queue_.top().due <= SteadyClock::now()) break;
          const auto wake = queue_.empty() ? end : std::min(end, queue_.top().due);
          cv_.wait_until(lock, wake);
        }
        e = queue_.top();
        queue_.pop();
      }
      const auto t0 = SteadyClock::now();
      const bool measured = t0 >= window_start_;
      if (measured) logs_[t].late_ms.push_back(Ms(t0 - e.due));
      Do(e, rng);
      if (measured) {
        logs_[t].latency_ms[static_cast<int>(e.rpc)].push_back(Ms(SteadyClock::now() - t0));
      }
    }
  }

  static double Ms(SteadyClock::duration d) {
    return std::chrono::duration<double, std::milli>(d).count();
  }
  bool Measured() const { return SteadyClock::now() >= window_start_; }

  void Do(const Event& e, std::mt19937_64& rng) {
    SimWorker& w = workers_[e.w];
    switch (e.rpc) {
      case Rpc::kLease:
        return DoLease(e.w, w, rng);
      case Rpc::kHeartbeat:
        return DoHeartbeat(e, w);
      case Rpc::kReport:
        return DoReport(e, w, rng);
      default:
        return;
    }
  }

  void DoLease(int wi, SimWorker& w, std::mt19937_64& rng) {
    int free_slots;
    {
      std::lock_guard lock(w.mu);
      free_slots = a_.slots - static_cast<int>(w.jobs.size());
    }
    const int want = std::min(free_slots, a_.lease_batch);
    auto got = w.client->LeaseMany(w.id, milliseconds(0), want);
    const auto now = SteadyClock::now();
    if (!got.ok()) {
      counters_.Error(got.status());
      Schedule(wi, w, now + milliseconds(100));
      return;
    }
    if (got->empty()) {
      if (Measured()) ++counters_.lease_misses;
      Schedule(wi, w, now + milliseconds(500));
      return;
    }
    Adopt(wi, w, *got, now, rng, /*lease_call=*/true);
  }

  // Starts the leased jobs of worker `wi`: their heartbeats and reports go into the
  // timetable, and a lease call for the slots still free. `lease_call`: they came from
  // the worker's pending LeaseJob, which is over now.
  void Adopt(int wi, SimWorker& w, const std::vector<sweep::Lease>& got,
             SteadyClock::time_point now, std::mt19937_64& rng, bool lease_call) {
    if (Measured()) counters_.leases += static_cast<int64_t>(got.size());
    std::lock_guard lock(w.mu);
    if (lease_call) w.lease_pending = false;
    for (const sweep::Lease& l : got) {
      const auto ends = now + milliseconds(a_.job_ms);
      w.jobs.push_back({l, now, ends});
      if (a_.heartbeat_ms > 0 && a_.job_ms > 0) {
        // The first heartbeat at a random point of the period, as workers started at
        // random times would send it; then every period.
        const auto first = now + milliseconds(rng() % a_.heartbeat_ms);
        if (first < ends) Push({first, wi, Rpc::kHeartbeat, l.job_id});
      }
      Push({ends, wi, Rpc::kReport, l.job_id});
    }
    if (static_cast<int>(w.jobs.size()) < a_.slots && !w.lease_pending) {
      w.lease_pending = true;
      Push({now, wi, Rpc::kLease, 0});
    }
  }

  // Schedules the worker's next lease call unless one is scheduled.
  void Schedule(int wi, SimWorker& w, SteadyClock::time_point at) {
    std::lock_guard lock(w.mu);
    w.lease_pending = true;
    Push({at, wi, Rpc::kLease, 0});
  }

  std::optional<SimJob> FindJob(SimWorker& w, int64_t job_id) {
    std::lock_guard lock(w.mu);
    for (const SimJob& j : w.jobs)
      if (j.lease.job_id == job_id) return j;
    return std::nullopt;
  }

  void DropJob(int wi, SimWorker& w, int64_t job_id) {
    std::lock_guard lock(w.mu);
    std::erase_if(w.jobs, [&](const SimJob& j) { return j.lease.job_id == job_id; });
    if (!w.lease_pending) {
      w.lease_pending = true;
      Push({SteadyClock::now(), wi, Rpc::kLease, 0});
    }
  }

  void DoHeartbeat(const Event& e, SimWorker& w) {
    std::optional<SimJob> job = FindJob(w, e.job_id);
    if (!job) return;
    const auto now = SteadyClock::now();
    const int64_t step = std::min<int64_t>(
        a_.job_ms, std::chrono::duration_cast<milliseconds>(now - job->started).count());
    auto reply = w.client->Heartbeat(e.job_id, job->lease.attempt, w.id, step, a_.job_ms);
    if (!reply.ok()) {
      if (reply.status().code() == absl::StatusCode::kAborted) {
        ++counters_.aborted;  // the lease was lost although this worker is alive
        DropJob(e.w, w, e.job_id);
      } else {
        counters_.Error(reply.status());
      }
    } else if (Measured()) {
      ++counters_.heartbeats;
    }
    const auto next = e.due + milliseconds(a_.heartbeat_ms);
    if (next < job->ends) Push({next, e.w, Rpc::kHeartbeat, e.job_id});
  }

  void DoReport(const Event& e, SimWorker& w, std::mt19937_64& rng) {
    std::optional<SimJob> job = FindJob(w, e.job_id);
    if (!job) return;
    sweep::JobReport report;
    report.worker_id = w.id;
    report.build_version = "bench";
    report.result.mse = 0.5;
    report.result.nmse = 0.25;
    report.result.curve = {{16, 0.5, 0.01, 0.25}};
    // With --report-lease 1 the report asks for as many jobs as slots will be free once
    // this one ends (at most --lease-batch), unless a lease call is already on its way.
    int want = 0;
    if (a_.report_lease == 1) {
      std::lock_guard lock(w.mu);
      if (!w.lease_pending) {
        want = std::min(a_.lease_batch, a_.slots - static_cast<int>(w.jobs.size()) + 1);
      }
    }
    absl::StatusOr<std::vector<sweep::Lease>> next = std::vector<sweep::Lease>();
    absl::Status s;
    if (want > 0) {
      next = w.client->ReportAndLease(e.job_id, job->lease.attempt, report, want);
      s = next.status();
    } else {
      s = w.client->Report(e.job_id, job->lease.attempt, report);
    }
    if (s.ok()) {
      if (Measured()) ++counters_.cycles;
    } else if (s.code() == absl::StatusCode::kAborted) {
      ++counters_.aborted;
    } else {
      counters_.Error(s);
    }
    {
      std::lock_guard lock(w.mu);
      std::erase_if(w.jobs, [&](const SimJob& j) { return j.lease.job_id == e.job_id; });
    }
    // Adopt also schedules a LeaseJob for the slots still free (none came: the queue was
    // empty, as the plain path's next call would find it).
    Adopt(e.w, w, next.ok() ? *next : std::vector<sweep::Lease>(), SteadyClock::now(), rng,
          /*lease_call=*/false);
  }

  const Args& a_;
  std::vector<std::shared_ptr<grpc::Channel>> channels_;
  std::vector<SimWorker> workers_;
  SteadyClock::time_point window_start_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::priority_queue<Event, std::vector<Event>, std::greater<Event>> queue_;
  Counters counters_;
  std::vector<ThreadLog> logs_;
};

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
  Fleet fleet(a, channels);
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
  const Counters& c = fleet.counters();
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
  std::printf("  heartbeats answered from memory: %lld of %lld\n",
              static_cast<long long>(Stat(stats1, "heartbeats_in_memory") -
                                     Stat(stats0, "heartbeats_in_memory")),
              static_cast<long long>(Stat(stats1, "heartbeats") - Stat(stats0, "heartbeats")));
  for (int r = 0; r < static_cast<int>(Rpc::kCount); ++r) {
    std::vector<double> all;
    for (const ThreadLog& l : fleet.logs()) {
      all.insert(all.end(), l.latency_ms[r].begin(), l.latency_ms[r].end());
    }
    if (all.empty()) continue;
    const size_t n = all.size();
    std::printf("  %-12s n=%-8zu p50 %7.2f ms  p99 %7.2f ms  p999 %7.2f ms\n",
                RpcName(static_cast<Rpc>(r)), n, Pct(all, 0.5), Pct(all, 0.99), Pct(all, 0.999));
  }
  std::vector<double> late;
  for (const ThreadLog& l : fleet.logs())
    late.insert(late.end(), l.late_ms.begin(), l.late_ms.end());
  std::printf(
      "  calls left late against the timetable: p50 %.1f ms, p99 %.1f ms (bench saturation)\n",
      Pct(late, 0.5), Pct(late, 0.99));
  std::printf(
      "  sweepd: CPU %.0f%% of one core over the window, RSS %.0f MB (peak %.0f MB); "
      "bench CPU %.0f%%\n",
      100 * (cpu1 - cpu0) / secs, rss, hwm, 100 * (self_cpu(self1) - self_cpu(self0)) / secs);
  // CPU per call does not depend on how much of the machine sweepd got: the figure to
  // compare across runs on a busy machine.
  double calls = 0;  // every call made in the window, of every kind
  for (const ThreadLog& l : fleet.logs()) {
    for (const std::vector<double>& v : l.latency_ms) calls += static_cast<double>(v.size());
  }
  if (calls > 0) {
    std::printf("  sweepd CPU per call (lease, report, heartbeat): %.0f us; per cycle %.0f us\n",
                1e6 * (cpu1 - cpu0) / calls, c.cycles > 0 ? 1e6 * (cpu1 - cpu0) / c.cycles : 0.0);
  }
  std::printf(
      "  leases lost to expiry: %lld attempts (all workers alive: each is wrong); "
      "ABORTED heartbeats/reports %lld; other errors %lld; empty lease polls %lld\n",
      static_cast<long long>(lost), static_cast<long long>(c.aborted.load()),
      static_cast<long long>(c.errors.load()), static_cast<long long>(c.lease_misses.load()));
  // The client threads have stopped: no lock needed to read it.
  if (c.errors > 0) std::printf("  first other error: %s\n", c.first_error.c_str());
  for (const char* suffix :
       {"", "-wal", "-shm", ".lock", ".log", ".client-token", ".worker-token"}) {
    std::filesystem::remove(db + suffix);
  }
  return lost == 0 && c.aborted == 0 ? 0 : 1;
}
