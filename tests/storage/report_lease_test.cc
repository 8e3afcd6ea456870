// Store::ReportThenLease: a report and the worker's next leases in one transaction
// (ReportResultRequest.next, docs/design.md section 4.3).
#include <chrono>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/store.h"
#include "tests/storage/test_util.h"
#include "tests/testing/status_matchers.h"

namespace sweep::storage {
namespace {

using ::sweep::testing::IsOk;
using ::sweep::testing::Job;
using ::sweep::testing::Meta;
using ::sweep::testing::OkReport;
using ::sweep::testing::StatusIs;
using ::testing::HasSubstr;

const TimePoint kT0 = FromUnixMillis(1'700'000'000'000);
constexpr std::chrono::seconds kTtl(30);

const char kKrr1[] = R"({"N":16,"d":4,"model":"krr"})";
const char kKrr2[] = R"({"N":16,"d":5,"model":"krr"})";
const char kKrr3[] = R"({"N":16,"d":6,"model":"krr"})";
const char kRidge[] = R"({"N":16,"d":4,"exec":"ridge","model":"exec","params":{}})";

class ReportLeaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = Store::Open(path_);
    ASSERT_THAT(store, IsOk());
    store_ = std::move(*store);
    Register("w1", 1);
  }
  void Register(const std::string& worker, int slots) {
    ASSERT_THAT(store_->RegisterWorker(WorkerRecord::FromHello({worker, "h", slots, "b"}), kT0),
                IsOk());
  }
  Lease MustLease(const std::string& worker) {
    auto lease = store_->LeaseNext(worker, kT0, kTtl);
    EXPECT_THAT(lease, IsOk());
    return lease.ok() && lease->has_value() ? **lease : Lease{};
  }
  static LeaseAsk Ask(int max_jobs, std::vector<std::string> exec_names = {}) {
    LeaseAsk ask{kTtl, LeaseFit{}, max_jobs, 1000};
    ask.fit.exec_names = std::move(exec_names);
    return ask;
  }
  int64_t Count(const std::string& sql) {
    auto n = store_->connection().QueryInt(sql);
    EXPECT_THAT(n, IsOk());
    return n.ok() ? *n : -1;
  }
  ::sweep::testing::TempDir dir_;
  std::string path_ = dir_.File("sweep.db");
  std::unique_ptr<Store> store_;
};

TEST_F(ReportLeaseTest, StoresTheReportAndGrantsTheNextJobToAOneSlotWorker) {
  ASSERT_THAT(store_->SubmitPrepared(Meta("r1"), {Job(kKrr1), Job(kKrr2), Job(kKrr3)}, kT0),
              IsOk());
  const Lease first = MustLease("w1");
  auto out = store_->ReportThenLease(first.job_id, 1, OkReport("w1", 1.0, 0.5), kT0, Ask(4));
  ASSERT_THAT(out, IsOk());
  EXPECT_TRUE(out->stored);
  EXPECT_THAT(out->lease_refused, IsOk());
  // One slot: the finished job no longer counts, so exactly one more is granted.
  ASSERT_EQ(out->leases.size(), 1u);
  EXPECT_EQ(out->leases[0].attempt, 1);
  EXPECT_EQ(out->leases[0].config_json, kKrr2);
  EXPECT_EQ(Count("SELECT count(*) FROM results"), 1);
  EXPECT_EQ(Count("SELECT count(*) FROM jobs WHERE state = 'running' AND lease_owner = 'w1'"), 1);
  // The replay of the same report is acknowledged; w1's slot is taken, so no lease.
  out = store_->ReportThenLease(first.job_id, 1, OkReport("w1", 1.0, 0.5), kT0, Ask(1));
  ASSERT_THAT(out, IsOk());
  EXPECT_FALSE(out->stored);
  EXPECT_TRUE(out->leases.empty());
  EXPECT_THAT(out->lease_refused,
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("registered slots")));
  EXPECT_EQ(Count("SELECT count(*) FROM results"), 1);
}

TEST_F(ReportLeaseTest, RefusedReportGrantsNothingAndWritesNothing) {
  ASSERT_THAT(store_->SubmitPrepared(Meta("r1"), {Job(kKrr1), Job(kKrr2)}, kT0), IsOk());
  const Lease first = MustLease("w1");
  const int64_t events = Count("SELECT count(*) FROM events");
  // A stale attempt, then another worker's report: both refused, nothing leased.
  EXPECT_THAT(store_->ReportThenLease(first.job_id, 7, OkReport("w1", 1.0, 0.5), kT0, Ask(1)),
              StatusIs(absl::StatusCode::kAborted, HasSubstr("attempt")));
  Register("w2", 4);
  EXPECT_THAT(store_->ReportThenLease(first.job_id, 1, OkReport("w2", 1.0, 0.5), kT0, Ask(1)),
              StatusIs(absl::StatusCode::kAborted, HasSubstr("held by w1")));
  EXPECT_EQ(Count("SELECT count(*) FROM jobs WHERE state = 'queued'"), 1);
  EXPECT_EQ(Count("SELECT count(*) FROM results"), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM events"), events);
}

TEST_F(ReportLeaseTest, ReportForACancelledSweepCancelsTheJobAndGrantsNothing) {
  auto sweep = store_->SubmitPrepared(Meta("r1"), {Job(kKrr1), Job(kKrr2)}, kT0);
  ASSERT_THAT(sweep, IsOk());
  const Lease first = MustLease("w1");
  ASSERT_THAT(store_->Cancel(sweep->sweep_id, kT0), IsOk());
  EXPECT_THAT(store_->ReportThenLease(first.job_id, 1, OkReport("w1", 1.0, 0.5), kT0, Ask(1)),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("cancelled")));
  // The job's cancel is committed even though the call failed.
  EXPECT_EQ(Count("SELECT count(*) FROM jobs WHERE state = 'cancelled'"), 2);
  EXPECT_EQ(Count("SELECT count(*) FROM jobs WHERE state = 'running'"), 0);
}

TEST_F(ReportLeaseTest, TheNextLeaseKeepsTheExecFilterAndPausedSweeps) {
  auto exec = store_->SubmitPrepared(Meta("r1"), {Job(kRidge, "exec"), Job(kKrr1)}, kT0);
  ASSERT_THAT(exec, IsOk());
  auto other = store_->SubmitPrepared(Meta("r2"), {Job(kKrr2), Job(kKrr3)}, kT0);
  ASSERT_THAT(other, IsOk());
  ASSERT_THAT(store_->SetPaused(exec->sweep_id, true, kT0), IsOk());
  Register("w1", 4);  // more slots
  const Lease first = MustLease("w1");  // sweep 1 is paused: a job of sweep 2
  EXPECT_EQ(first.sweep_id, other->sweep_id);
  auto out = store_->ReportThenLease(first.job_id, 1, OkReport("w1", 1.0, 0.5), kT0,
                                     Ask(4, {"ridge"}));
  ASSERT_THAT(out, IsOk());
  ASSERT_EQ(out->leases.size(), 1u);  // the paused sweep's two jobs stay queued
  EXPECT_EQ(out->leases[0].sweep_id, other->sweep_id);
  ASSERT_THAT(store_->SetPaused(exec->sweep_id, false, kT0), IsOk());
  // Without the program's name only the krr job of sweep 1 is granted.
  out = store_->ReportThenLease(out->leases[0].job_id, 1, OkReport("w1", 1.0, 0.5), kT0, Ask(4));
  ASSERT_THAT(out, IsOk());
  ASSERT_EQ(out->leases.size(), 1u);
  EXPECT_EQ(out->leases[0].config_json, kKrr1);
}

}  // namespace
}  // namespace sweep::storage
