// Storage figures (printed, not asserted): inserting a 100,000-job sweep (target < 3 s),
// `results` and `curves` grouped over 100,000 succeeded jobs (target < 0.5 s), and
// lease + report round trips per second through the Store (no RPC, one thread) with
// synchronous=FULL and NORMAL, and through the Coordinator with 64 threads (group commit).
//
//   bench_storage [--jobs 100000] [--dir /tmp]
//
// Results for the aggregation are filled with one bulk SQL statement (not 100,000
// reports), because only the query is being timed.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "server/coordinator.h"
#include "spdlog/spdlog.h"
#include "storage/reader.h"
#include "storage/store.h"

namespace {

using sweep::storage::PreparedJob;
using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

void Check(const absl::Status& s, const char* what) {
  if (!s.ok()) {
    std::fprintf(stderr, "%s: %s\n", what, s.ToString().c_str());
    std::exit(1);
  }
}

// A krr-like canonical config; 200 cells x (jobs / 200) seeds.
std::vector<PreparedJob> MakeJobs(int n) {
  const char* links[] = {"h2", "h3", "h4", "h2+h4", "0.6*h1+0.8*h3"};
  std::vector<PreparedJob> jobs;
  jobs.reserve(n);
  for (int i = 0; i < n; ++i) {
    const int cell = i % 200, seed = i / 200;
    const std::string json = absl::StrCat(
        R"({"N":)", 64 << (cell % 5), R"(,"d":)", 8 << ((cell / 5) % 4),
        R"(,"dtype":"float32","eps":0.5,"eval_lengths":[8,16,32,64],"eval_tasks":1000,)",
        R"("features":"ambient","format":"paired","kernel":"rbf","link":")", links[(cell / 20) % 5],
        R"(","model":"krr","r":4,"seed":)", seed, R"(,"subspace":"aligned","tau":)",
        (cell / 100) % 2 == 0 ? "0.1" : "0.0", R"(,"threads":1})");
    jobs.push_back(PreparedJob{json, absl::StrCat("h", i), absl::StrCat("t", i), "krr"});
  }
  return jobs;
}

void FillResults(sweep::storage::Store& store) {
  sweep::storage::Connection& c = store.connection();
  Check(c.Exec("BEGIN IMMEDIATE"), "begin");
  Check(c.Exec("INSERT INTO results(job_id, attempt, digest, mse, nmse, ey2, ie, ge,"
               " worker_id, build_version, training_hash, created_at) SELECT job_id, 1, '',"
               " (job_id % 97) / 97.0, (job_id % 89) / 89.0, 1.01, 2, 2, 'w', 'b',"
               " training_hash, 0 FROM jobs"),
        "results");
  Check(c.Exec("INSERT INTO eval_curves(job_id, n, mse, se, nmse) SELECT job_id, n.value,"
               " 1.0 / n.value, 0.01, 1.0 / n.value FROM jobs, json_each('[8,16,32,64]') n"),
        "curves");
  Check(c.Exec("UPDATE jobs SET state = 'succeeded', result_job_id = job_id, attempt = 1"), "jobs");
  Check(c.Exec("COMMIT"), "commit");
}

void TimeLeaseReport(const std::string& dir, const char* sync, int n) {
  auto store = sweep::storage::Store::Open(absl::StrCat(dir, "/lease-", sync, ".db"));
  Check(store.status(), "open");
  Check((*store)->connection().Exec(absl::StrCat("PRAGMA synchronous = ", sync)), "sync");
  const auto now = sweep::SystemClock::Get().Now();
  sweep::NewSweep meta;
  meta.name = "lease";
  Check((*store)->SubmitPrepared(meta, MakeJobs(n), now).status(), "submit");
  sweep::JobReport report;
  report.worker_id = "w1";
  report.result.curve = {{8, 0.5, 0.01, 0.5}, {64, 0.1, 0.01, 0.1}};
  const auto t0 = Clock::now();
  for (int i = 0; i < n; ++i) {
    auto lease = (*store)->LeaseNext("w1", now, std::chrono::seconds(30));
    Check(lease.status(), "lease");
    Check((*store)->Report((*lease)->job_id, (*lease)->attempt, report, now).status(), "report");
  }
  const double s = Seconds(t0);
  std::printf("lease+report, synchronous=%-6s: %6d jobs in %.3f s = %8.0f jobs/s\n", sync, n, s,
              n / s);
}

// 64 simulated workers (threads) leasing and reporting through the Coordinator, whose
// group commit shares one fsync among the writes queued at the same time.
void TimeCoordinator(const std::string& dir, int threads, int n) {
  sweep::server::CoordinatorOptions options;
  options.db_path = dir + "/coordinator.db";
  auto coord = sweep::server::Coordinator::Open(options, sweep::SystemClock::Get());
  Check(coord.status(), "coordinator");
  sweep::NewSweep sweep;
  sweep.use_cache = false;
  for (int i = 0; i < n; ++i) {
    sweep::JobConfig c;
    c.model = sweep::ModelKind::kKrr;
    c.seed = i;
    sweep.jobs.push_back(c);
  }
  Check((*coord)->Submit(sweep).status(), "submit");
  std::atomic<int> done{0};
  const auto t0 = Clock::now();
  {
    std::vector<std::jthread> workers;
    for (int w = 0; w < threads; ++w) {
      workers.emplace_back([&, w] {
        sweep::JobReport report;
        report.worker_id = absl::StrCat("w", w);
        Check((*coord)->RegisterWorker({report.worker_id, "bench", 1, "bench"}), "register");
        report.result.curve = {{8, 0.5, 0.01, 0.5}, {64, 0.1, 0.01, 0.1}};
        for (;;) {
          auto lease = (*coord)->Lease(report.worker_id, std::chrono::milliseconds(0), nullptr);
          Check(lease.status(), "lease");
          if (!lease->has_value()) return;
          Check((*coord)->Report((*lease)->job_id, (*lease)->attempt, report), "report");
          ++done;
        }
      });
    }
  }
  const double s = Seconds(t0);
  std::printf(
      "coordinator lease+report, %d threads, synchronous=FULL: %d jobs in %.3f s = "
      "%.0f jobs/s\n",
      threads, done.load(), s, done.load() / s);
}

}  // namespace

int main(int argc, char** argv) {
  spdlog::set_level(spdlog::level::warn);  // one info line per lease would dominate
  int n = 100'000;
  std::string dir = std::filesystem::temp_directory_path();
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--jobs") == 0) n = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--dir") == 0) dir = argv[i + 1];
  }
  dir = absl::StrCat(dir, "/bench_storage_", getpid());
  std::filesystem::create_directories(dir);
  const std::string path = dir + "/bench.db";
  auto store = sweep::storage::Store::Open(path);
  Check(store.status(), "open");
  const std::vector<PreparedJob> jobs = MakeJobs(n);
  sweep::NewSweep meta;
  meta.request_id = "bench";
  meta.name = "bench";
  auto t0 = Clock::now();
  Check((*store)->SubmitPrepared(meta, jobs, sweep::SystemClock::Get().Now()).status(), "submit");
  std::printf("submit %d-job sweep (one transaction):   %.3f s\n", n, Seconds(t0));
  FillResults(**store);

  auto reader = sweep::storage::Reader::Open(path);
  Check(reader.status(), "reader");
  for (const auto& group_by : std::vector<std::vector<std::string>>{{}, {"d", "link"}}) {
    t0 = Clock::now();
    auto groups = (*reader)->Results({1, {}, group_by});
    Check(groups.status(), "results");
    std::printf("results group_by=%-11s over %d jobs: %.3f s (%zu groups)\n",
                group_by.empty() ? "<default>" : "d,link", n, Seconds(t0), groups->size());
  }
  t0 = Clock::now();
  auto curves = (*reader)->Curves({1, {{"tau", "0.1"}}, {"d", "N", "link"}});
  Check(curves.status(), "curves");
  std::printf("curves  group_by=d,N,link where tau=0.1:  %.3f s (%zu groups)\n", Seconds(t0),
              curves->size());
  t0 = Clock::now();
  auto summary = (*reader)->GetSweep(1);
  Check(summary.status(), "status");
  std::printf("status of the sweep:                      %.3f s\n", Seconds(t0));
  reader->reset();
  store->reset();
  TimeLeaseReport(dir, "FULL", 2000);
  TimeLeaseReport(dir, "NORMAL", 2000);
  TimeCoordinator(dir, 64, 10'000);
  std::filesystem::remove_all(dir);
  return 0;
}
