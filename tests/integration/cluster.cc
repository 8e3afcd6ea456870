// Test cluster (see cluster.h).
#include "tests/integration/cluster.h"

#include <signal.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>

#include "gtest/gtest.h"
#include "storage/reader.h"

namespace sweep::integration {
namespace {

int64_t CountQuery(sqlite3* db, const char* sql) {
  sqlite3_stmt* st = nullptr;
  int64_t n = -1;
  if (sqlite3_prepare_v2(db, sql, -1, &st, nullptr) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW) {
    n = sqlite3_column_int64(st, 0);
  }
  sqlite3_finalize(st);
  return n;
}

}  // namespace

Cluster::Cluster(const std::string& test_name) {
  dir_ = (std::filesystem::temp_directory_path() /
          ("sweep_it_" + std::to_string(getpid()) + "_" + test_name))
             .string();
  std::filesystem::remove_all(dir_);
  std::filesystem::create_directories(dir_);
  db_ = dir_ + "/sweep.db";
}

Cluster::~Cluster() {
  workers_.clear();  // each Process destructor SIGKILLs and reaps
  coordinator_.reset();
  if (::testing::Test::HasFailure()) {
    // A failure in CI is often seen once: keep what the processes said (last lines of
    // every log) in the test's output, and the folder for a look by hand.
    std::cerr << "cluster kept in " << dir_ << "\n";
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dir_, ec)) {
      const std::string path = entry.path().string();
      if (!path.ends_with(".out") && !path.ends_with(".err")) continue;
      const std::string text = ReadFile(path);
      const size_t from = text.size() > 4000 ? text.size() - 4000 : 0;
      std::cerr << "--- " << path << " (last " << text.size() - from << " bytes)\n"
                << text.substr(from) << "\n";
    }
    return;
  }
  std::filesystem::remove_all(dir_);
}

bool Cluster::StartCoordinator(int lease_ttl_ms) {
  const std::string out = dir_ + "/sweepd" + std::to_string(++starts_) + ".out";
  std::vector<std::string> argv = {
      Bin("sweepd"), "--listen",       "127.0.0.1:" + std::to_string(port_), "--db",
      db_,           "--lease-ttl-ms", std::to_string(lease_ttl_ms)};
  argv.insert(argv.end(), coordinator_flags_.begin(), coordinator_flags_.end());
  coordinator_ = std::make_unique<Process>(argv, out, out + ".err");
  const std::string prefix = "listening on ";
  const bool up = WaitUntil([&] { return ReadFile(out).find('\n') != std::string::npos; },
                            std::chrono::seconds(20));
  const std::string line = ReadFile(out);
  if (!up || line.rfind(prefix, 0) != 0) return false;
  address_ = line.substr(prefix.size(), line.find('\n') - prefix.size());
  port_ = std::stoi(address_.substr(address_.rfind(':') + 1));
  return true;
}

void Cluster::KillCoordinator() {
  coordinator_->Signal(SIGKILL);
  coordinator_->Wait(std::chrono::seconds(10));
}

Process& Cluster::StartWorker(int slots) {
  const std::string log = dir_ + "/worker" + std::to_string(workers_.size());
  const std::string& dial = worker_address_.empty() ? address_ : worker_address_;
  std::vector<std::string> argv = {Bin("sweep-worker"), "--coordinator",       dial,
                                   "--slots",           std::to_string(slots), "--token-file",
                                   worker_token_file()};
  argv.insert(argv.end(), worker_flags_.begin(), worker_flags_.end());
  workers_.push_back(std::make_unique<Process>(argv, log + ".out", log + ".err"));
  return *workers_.back();
}

std::string Cluster::WriteFile(const std::string& name, const std::string& text) {
  const std::string path = dir_ + "/" + name;
  std::ofstream(path) << text;
  return path;
}

CommandResult Cluster::Sweep(const std::vector<std::string>& args, int timeout_s) {
  std::vector<std::string> argv = {Bin("sweep"), "--coordinator", address_, "--token-file",
                                   client_token_file()};
  argv.insert(argv.end(), client_flags_.begin(), client_flags_.end());
  argv.insert(argv.end(), args.begin(), args.end());
  return RunCommand(argv, dir_, std::chrono::seconds(timeout_s));
}

std::string Cluster::ClientToken() const {
  std::string t = ReadFile(client_token_file());
  return t.substr(0, t.find('\n'));
}

std::string Cluster::WorkerToken() const {
  std::string t = ReadFile(worker_token_file());
  return t.substr(0, t.find('\n'));
}

absl::StatusOr<SweepSummary> Cluster::Summary(int64_t sweep_id) {
  auto reader = storage::Reader::Open(db_);
  if (!reader.ok()) return reader.status();
  return (*reader)->GetSweep(sweep_id);
}

bool Cluster::WaitForSummary(int64_t sweep_id,
                             const std::function<bool(const SweepSummary&)>& pred,
                             std::chrono::seconds timeout) {
  return WaitUntil(
      [&] {
        absl::StatusOr<SweepSummary> s = Summary(sweep_id);
        return s.ok() && pred(*s);
      },
      timeout);
}

absl::StatusOr<std::vector<JobRecord>> Cluster::Jobs(int64_t sweep_id) {
  auto reader = storage::Reader::Open(db_);
  if (!reader.ok()) return reader.status();
  return (*reader)->ListJobs(sweep_id, std::nullopt);
}

absl::StatusOr<DbCounts> Cluster::Counts() {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(db_.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    return absl::UnavailableError("cannot open " + db_);
  }
  sqlite3_busy_timeout(db, 5000);
  DbCounts c;
  c.jobs = CountQuery(db, "SELECT COUNT(*) FROM jobs");
  c.succeeded = CountQuery(db, "SELECT COUNT(*) FROM jobs WHERE state = 'succeeded'");
  c.results = CountQuery(db, "SELECT COUNT(*) FROM results");
  c.succeeded_attempts =
      CountQuery(db, "SELECT COUNT(*) FROM attempts WHERE outcome = 'succeeded'");
  c.max_attempt = CountQuery(db, "SELECT COALESCE(MAX(attempt), 0) FROM attempts");
  c.lost_attempts = CountQuery(db, "SELECT COALESCE(SUM(lost_attempts), 0) FROM jobs");
  sqlite3_close(db);
  return c;
}

}  // namespace sweep::integration
