// Crash points (SWEEP_TESTING builds): a process killed before COMMIT leaves nothing, and
// the retried report is then stored exactly once (docs/design.md section 5.5).
#include "storage/fault_point.h"

#include <stdlib.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/store.h"
#include "tests/storage/test_util.h"
#include "tests/testing/status_matchers.h"

namespace sweep::storage {
namespace {

using ::sweep::testing::IsOk;

#ifdef SWEEP_TESTING
const TimePoint kT0 = FromUnixMillis(1'700'000'000'000);

TEST(FaultPointTest, KillBeforeCommitLeavesNothingAndTheRetryIsStoredOnce) {
  ::sweep::testing::TempDir dir;
  const std::string path = dir.File("sweep.db");
  int64_t job_id = 0;
  {
    auto store = Store::Open(path);
    ASSERT_THAT(store, IsOk());
    ASSERT_THAT(
        (*store)->SubmitPrepared(::sweep::testing::Meta("r1"), {::sweep::testing::Job("{}")}, kT0),
        IsOk());
    auto lease = (*store)->LeaseNext("w1", kT0, std::chrono::seconds(30));
    ASSERT_TRUE(lease.ok() && lease->has_value());
    job_id = (*lease)->job_id;
  }
  const JobReport report = ::sweep::testing::OkReport("w1", 1.0, 0.5);
  EXPECT_EXIT(
      {
        setenv("SWEEP_FAULT", "report.before_commit", 1);
        auto store = Store::Open(path);
        if (store.ok()) (void)(*store)->Report(job_id, 1, report, kT0);
        std::exit(0);  // the fault point did not fire
      },
      ::testing::ExitedWithCode(137), "");
  auto store = Store::Open(path);
  ASSERT_THAT(store, IsOk());
  EXPECT_EQ(*(*store)->connection().QueryInt("SELECT count(*) FROM results"), 0);
  EXPECT_EQ(*(*store)->connection().QueryText("SELECT state FROM jobs"), "running");
  auto stored = (*store)->Report(job_id, 1, report, kT0);
  ASSERT_THAT(stored, IsOk());
  EXPECT_TRUE(*stored);
  EXPECT_EQ(*(*store)->connection().QueryInt("SELECT count(*) FROM results"), 1);
  EXPECT_EQ(*(*store)->connection().QueryText("PRAGMA integrity_check"), "ok");
}
// A report that also took the next lease, killed before its COMMIT: neither the result
// nor the grant exists after the restart, and the retried call stores the result once and
// grants the next job as attempt 1.
TEST(FaultPointTest, KillBeforeAReportAndLeaseCommitsLeavesNeither) {
  ::sweep::testing::TempDir dir;
  const std::string path = dir.File("sweep.db");
  int64_t job_id = 0;
  {
    auto store = Store::Open(path);
    ASSERT_THAT(store, IsOk());
    ASSERT_THAT((*store)->SubmitPrepared(::sweep::testing::Meta("r1"),
                                         {::sweep::testing::Job(R"({"d":1})"),
                                          ::sweep::testing::Job(R"({"d":2})")},
                                         kT0),
                IsOk());
    ASSERT_THAT((*store)->RegisterWorker(WorkerRecord::FromHello({"w1", "h", 1, "b"}), kT0),
                IsOk());
    auto lease = (*store)->LeaseNext("w1", kT0, std::chrono::seconds(30));
    ASSERT_TRUE(lease.ok() && lease->has_value());
    job_id = (*lease)->job_id;
  }
  const JobReport report = ::sweep::testing::OkReport("w1", 1.0, 0.5);
  const LeaseAsk ask{std::chrono::seconds(30), LeaseFit{}, 1, 1000};
  EXPECT_EXIT(
      {
        setenv("SWEEP_FAULT", "report_lease.before_commit", 1);
        auto store = Store::Open(path);
        if (store.ok()) (void)(*store)->ReportThenLease(job_id, 1, report, kT0, ask);
        std::exit(0);  // the fault point did not fire
      },
      ::testing::ExitedWithCode(137), "");
  auto store = Store::Open(path);
  ASSERT_THAT(store, IsOk());
  Connection& c = (*store)->connection();
  EXPECT_EQ(*c.QueryInt("SELECT count(*) FROM results"), 0);
  EXPECT_EQ(*c.QueryInt("SELECT count(*) FROM jobs WHERE state = 'running'"), 1);
  EXPECT_EQ(*c.QueryInt("SELECT count(*) FROM jobs WHERE state = 'queued' AND attempt = 0"), 1);
  auto out = (*store)->ReportThenLease(job_id, 1, report, kT0, ask);
  ASSERT_THAT(out, IsOk());
  EXPECT_TRUE(out->stored);
  ASSERT_EQ(out->leases.size(), 1u);
  EXPECT_EQ(out->leases[0].attempt, 1);
  EXPECT_EQ(*c.QueryInt("SELECT count(*) FROM results"), 1);
  EXPECT_EQ(*c.QueryText("PRAGMA integrity_check"), "ok");
}
#endif  // SWEEP_TESTING

}  // namespace
}  // namespace sweep::storage
