// The Coordinator under concurrent callers: the writer connection is opened without
// SQLite's own mutex, so only the write leader may use it (server/coordinator_impl.h).
// A reap's resync of the cancelled sweeps once ran beside a leader's batch, and under
// load the file ended "malformed" (docs/design.md section 4.12).
#include <atomic>
#include <thread>
#include <vector>

#include "tests/server/coordinator_fixture.h"

namespace sweep::server {
namespace {

using ::sweep::testing::IsOk;
using ::sweep::testing::OkReport;

JobReport ErrorReport(const std::string& worker, const std::string& error) {
  JobReport r;
  r.ok = false, r.error = error, r.worker_id = worker;
  return r;
}

TEST_F(CoordinatorTest, ReapsBesideLeasesAndReportsKeepTheFileIntact) {
  constexpr int kWorkers = 4, kJobsEach = 60;
  const int64_t sweep = Submit(kWorkers * kJobsEach, "stress");
  // A second sweep with fail-fast, whose failure makes reports resync the cancelled
  // sweeps too.
  NewSweep ff = ::sweep::testing::Meta("ff", /*use_cache=*/false, 3);
  ff.fail_fast = true;
  ff.jobs.push_back(Config(100'000));
  ASSERT_THAT(coord_->Submit(ff), IsOk());

  for (int w = 0; w < kWorkers; ++w) Register("w" + std::to_string(w));
  std::atomic<bool> stop{false};
  std::atomic<int> reaps{0};
  std::thread reaper([&] {
    while (!stop) {
      EXPECT_THAT(coord_->ReapExpired(), IsOk());
      ++reaps;
    }
  });
  std::atomic<int> done{0}, errors{0};
  std::vector<std::thread> workers;
  for (int w = 0; w < kWorkers; ++w) {
    workers.emplace_back([&, w] {
      const std::string id = "w" + std::to_string(w);
      for (int i = 0; i < kJobsEach + 1; ++i) {
        auto lease = coord_->Lease(id, std::chrono::milliseconds(0), nullptr);
        if (!lease.ok()) {
          ++errors;
          continue;
        }
        if (!lease->has_value()) break;
        const sweep::Lease& l = **lease;
        const JobReport report = l.sweep_id == sweep ? OkReport(id, 1.0, 0.5)
                                                     : ErrorReport(id, "config: bad link");
        if (coord_->Report(l.job_id, l.attempt, report).ok()) {
          ++done;
        } else {
          ++errors;
        }
      }
    });
  }
  for (std::thread& t : workers) t.join();
  stop = true;
  reaper.join();
  EXPECT_EQ(errors, 0);
  EXPECT_EQ(done, kWorkers * kJobsEach + 1);
  EXPECT_GT(reaps, 0);
  EXPECT_EQ(Count("SELECT count(*) FROM jobs WHERE state = 'succeeded'"), kWorkers * kJobsEach);
  auto conn = storage::Connection::Open(path_, /*read_only=*/true);
  ASSERT_THAT(conn, IsOk());
  auto check = (*conn)->QueryText("PRAGMA quick_check");
  ASSERT_THAT(check, IsOk());
  EXPECT_EQ(*check, "ok");
}

}  // namespace
}  // namespace sweep::server
