// A fresh Coordinator on a temporary file with a FakeClock, for the lease state machine
// tests. The reaper thread's intervals are an hour so only the tests move leases (through
// FakeClock::Advance plus Lease or ReapExpired) and write heartbeats (FlushHeartbeats),
// never a background thread.
#pragma once

#include <memory>
#include <string>

#include "common/job_keys.h"
#include "gtest/gtest.h"
#include "server/coordinator.h"
#include "storage/reader.h"
#include "storage/sqlite.h"
#include "tests/storage/test_util.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/status_matchers.h"

namespace sweep::server {

class CoordinatorTest : public ::testing::Test {
 protected:
  static constexpr std::chrono::milliseconds kTtl{10'000};

  void SetUp() override { Reopen(); }

  void Reopen() {
    coord_.reset();
    CoordinatorOptions options;
    options.db_path = path_;
    options.lease_ttl = kTtl;
    options.reap_interval = std::chrono::hours(1);
    options.heartbeat_flush_interval = std::chrono::hours(1);  // tests flush by hand
    options.max_lease_wait = std::chrono::seconds(10);
    auto coord = Coordinator::Open(options, clock_);
    ASSERT_TRUE(coord.ok()) << coord.status();
    coord_ = std::move(*coord);
  }

  // A resolved krr config when the key registry is available, else the same fields set
  // by hand (the registry lands separately; these tests only need distinct configs).
  static JobConfig Config(uint64_t seed) {
    auto resolved = ResolveJobConfig(
        nlohmann::json{{"model", "krr"}, {"d", 8}, {"r", 4}, {"N", 16}, {"seed", seed}});
    if (resolved.ok()) return *resolved;
    JobConfig c;
    c.model = ModelKind::kKrr;
    c.d = 8;
    c.r = 4;
    c.N = 16;
    c.seed = seed;
    return c;
  }

  // Submits `n` jobs (seeds 0..n-1) and returns the sweep id.
  int64_t Submit(int n, const std::string& request_id, bool use_cache = false,
                 int max_attempts = 3) {
    NewSweep s = ::sweep::testing::Meta(request_id, use_cache, max_attempts);
    for (int i = 0; i < n; ++i) s.jobs.push_back(Config(i));
    auto out = coord_->Submit(s);
    EXPECT_TRUE(out.ok()) << out.status();
    return out.ok() ? out->sweep_id : -1;
  }

  // Only registered workers get leases; these tests give each worker far more slots
  // than it uses, so that only the tests of the limits meet them.
  void Register(const std::string& worker, int slots = 1024) {
    ASSERT_TRUE(coord_->RegisterWorker(WorkerHello{worker, "test", slots, "test"}).ok());
  }
  // Registers `worker` unless a test already did (keeping that registration's fields).
  void EnsureRegistered(const std::string& worker) {
    if (Count("SELECT count(*) FROM workers WHERE worker_id = '" + worker + "'") == 0) {
      Register(worker);
    }
  }

  // A lease without waiting; fails the test when none is granted.
  sweep::Lease MustLease(const std::string& worker) {
    EnsureRegistered(worker);
    auto lease = coord_->Lease(worker, std::chrono::milliseconds(0), nullptr);
    EXPECT_TRUE(lease.ok()) << lease.status();
    EXPECT_TRUE(lease.ok() && lease->has_value()) << "no job to lease";
    return lease.ok() && lease->has_value() ? **lease : sweep::Lease{};
  }
  bool NothingToLease(const std::string& worker) {
    EnsureRegistered(worker);
    auto lease = coord_->Lease(worker, std::chrono::milliseconds(0), nullptr);
    return lease.ok() && !lease->has_value();
  }

  JobRecord Job(int64_t sweep_id, int64_t job_id) {
    auto jobs = coord_->ListJobs(sweep_id, std::nullopt);
    EXPECT_TRUE(jobs.ok()) << jobs.status();
    for (const auto& j : *jobs)
      if (j.job_id == job_id) return j;
    ADD_FAILURE() << "job " << job_id << " not in sweep " << sweep_id;
    return {};
  }

  // A value read straight from the file with a read-only connection.
  int64_t Count(const std::string& sql) {
    auto conn = storage::Connection::Open(path_, /*read_only=*/true);
    EXPECT_TRUE(conn.ok()) << conn.status();
    auto n = (*conn)->QueryInt(sql);
    EXPECT_TRUE(n.ok()) << n.status();
    return n.ok() ? *n : -1;
  }

  ::sweep::testing::TempDir dir_;
  std::string path_ = dir_.File("sweep.db");
  ::sweep::testing::FakeClock clock_;
  std::unique_ptr<Coordinator> coord_;
};

}  // namespace sweep::server
