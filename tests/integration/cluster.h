// A test cluster in its own temp dir: a real sweepd on 127.0.0.1 (port chosen by the
// OS, read from its "listening on" line), sweep-worker processes, the sweep CLI, and
// read-only checks of the DB. Everything is killed when the Cluster goes away. Auth is
// on, as in production: sweepd creates its token files next to the DB at its first
// start, and workers and the CLI are given them with --token-file.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/records.h"
#include "tests/integration/process.h"

namespace sweep::integration {

struct DbCounts {
  int64_t jobs = 0, succeeded = 0, results = 0;
  int64_t succeeded_attempts = 0;  // rows in attempts with outcome 'succeeded'
  int64_t max_attempt = 0;
  int64_t lost_attempts = 0;  // summed over jobs: leases that expired or were cut
};

class Cluster {
 public:
  explicit Cluster(const std::string& test_name);
  ~Cluster();

  const std::string& dir() const { return dir_; }
  const std::string& db() const { return db_; }
  const std::string& address() const { return address_; }

  // Starts sweepd on the DB; port 0 the first time, the same port on a restart.
  bool StartCoordinator(int lease_ttl_ms = 30'000);
  // Extra flags for every later sweepd, sweep-worker and sweep (TLS tests).
  void SetFlags(std::vector<std::string> coordinator, std::vector<std::string> worker,
                std::vector<std::string> client) {
    coordinator_flags_ = std::move(coordinator);
    worker_flags_ = std::move(worker);
    client_flags_ = std::move(client);
  }
  // The token files sweepd created (after the first StartCoordinator).
  std::string client_token_file() const { return db_ + ".client-token"; }
  std::string worker_token_file() const { return db_ + ".worker-token"; }
  std::string ClientToken() const;
  std::string WorkerToken() const;
  Process& coordinator() { return *coordinator_; }
  void KillCoordinator();  // SIGKILL + reap

  Process& StartWorker(int slots = 1);
  // The address later workers dial instead of sweepd's own (a fault proxy in front of it).
  void SetWorkerAddress(std::string address) { worker_address_ = std::move(address); }
  Process& worker(size_t i) { return *workers_[i]; }

  // Writes `text` to dir/name and returns its path.
  std::string WriteFile(const std::string& name, const std::string& text);
  // Runs `sweep --coordinator ADDRESS args...`.
  CommandResult Sweep(const std::vector<std::string>& args, int timeout_s = 120);

  // Read-only looks at the DB (storage::Reader and plain SQL counts).
  absl::StatusOr<SweepSummary> Summary(int64_t sweep_id);
  // Polls Summary(sweep_id) until `pred` holds (false after `timeout`).
  bool WaitForSummary(int64_t sweep_id, const std::function<bool(const SweepSummary&)>& pred,
                      std::chrono::seconds timeout);
  absl::StatusOr<std::vector<JobRecord>> Jobs(int64_t sweep_id);
  absl::StatusOr<DbCounts> Counts();

 private:
  std::string dir_, db_, address_, worker_address_;
  int port_ = 0;
  int starts_ = 0;
  std::vector<std::string> coordinator_flags_, worker_flags_, client_flags_;
  std::unique_ptr<Process> coordinator_;
  std::vector<std::unique_ptr<Process>> workers_;
};

}  // namespace sweep::integration
