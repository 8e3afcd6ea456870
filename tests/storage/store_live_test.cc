// The Store's side of heartbeats kept in memory (docs/design.md section 4.12): the
// expiry check asks the live deadline before requeueing, and a batched flush writes only
// to the attempt that still runs and never moves a deadline earlier.
#include <chrono>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/store.h"
#include "tests/storage/test_util.h"
#include "tests/testing/status_matchers.h"

namespace sweep::storage {
namespace {

using std::chrono::seconds;
using ::sweep::testing::IsOk;
using ::sweep::testing::Job;
using ::sweep::testing::Meta;
using ::sweep::testing::OkReport;

const TimePoint kT0 = FromUnixMillis(1'700'000'000'000);
constexpr seconds kTtl{30};

class StoreLiveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = Store::Open(dir_.File("sweep.db"));
    ASSERT_THAT(store, IsOk());
    store_ = std::move(*store);
    NewSweep s = Meta("r1", /*use_cache=*/false);
    ASSERT_THAT(store_->SubmitPrepared(s, {Job(R"({"seed":0})"), Job(R"({"seed":1})")}, kT0),
                IsOk());
  }
  Lease MustLease(const std::string& worker, TimePoint now) {
    auto lease = store_->LeaseNext(worker, now, kTtl);
    EXPECT_THAT(lease, IsOk());
    EXPECT_TRUE(lease.ok() && lease->has_value());
    return lease.ok() && lease->has_value() ? **lease : Lease{};
  }
  int64_t Query(const std::string& sql) { return *store_->connection().QueryInt(sql); }
  int64_t StoredDeadline(int64_t job_id) {
    return Query("SELECT lease_expires_at FROM jobs WHERE job_id = " + std::to_string(job_id));
  }

  ::sweep::testing::TempDir dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(StoreLiveTest, ExpiryAsksTheLiveDeadlineAndWritesIt) {
  const Lease lease = MustLease("w1", kT0);
  const TimePoint live = kT0 + 2 * kTtl;
  int asked = 0;
  store_->SetLiveDeadline([&](int64_t job_id, int attempt, TimePoint) {
    ++asked;
    EXPECT_EQ(job_id, lease.job_id);
    EXPECT_EQ(attempt, 1);
    return std::optional<TimePoint>(live);
  });
  auto reaped = store_->ReapExpired(kT0 + kTtl + seconds(1));
  ASSERT_THAT(reaped, IsOk());
  EXPECT_EQ(*reaped, 0);
  EXPECT_EQ(asked, 1);
  EXPECT_EQ(StoredDeadline(lease.job_id), ToUnixMillis(live));
  // Once the live deadline passes too, the hook answers nullopt and the job is requeued.
  store_->SetLiveDeadline([](int64_t, int, TimePoint) { return std::optional<TimePoint>(); });
  reaped = store_->ReapExpired(live);
  ASSERT_THAT(reaped, IsOk());
  EXPECT_EQ(*reaped, 1);
  EXPECT_EQ(Query("SELECT count(*) FROM jobs WHERE state = 'queued'"), 2);
}

TEST_F(StoreLiveTest, FlushWritesOnlyTheRunningAttemptAndNeverAnEarlierDeadline) {
  const Lease a = MustLease("w1", kT0);
  const Lease b = MustLease("w2", kT0);
  ASSERT_THAT(store_->Report(b.job_id, b.attempt, OkReport("w2", 1.0, 0.5), kT0), IsOk());
  ASSERT_THAT(store_->RegisterWorker(WorkerRecord::FromHello(WorkerHello{"w1", "h", 1, "b"}), kT0),
              IsOk());
  std::vector<RunningLease> leases = {
      {a.job_id, a.sweep_id, a.attempt, "w1", kT0 + kTtl + seconds(5), 3, 10},
      {b.job_id, b.sweep_id, b.attempt, "w2", kT0 + kTtl + seconds(5), 3, 10},       // reported
      {a.job_id, a.sweep_id, a.attempt + 1, "w1", kT0 + kTtl + seconds(9), 4, 10}};  // no such
  auto gone = store_->FlushLeases(leases, {{"w1", kT0 + seconds(5)}});
  ASSERT_THAT(gone, IsOk());
  EXPECT_THAT(*gone, ::testing::UnorderedElementsAre(b.job_id, a.job_id));
  EXPECT_EQ(StoredDeadline(a.job_id), ToUnixMillis(kT0 + kTtl + seconds(5)));
  EXPECT_EQ(Query("SELECT progress_step FROM jobs WHERE job_id = " + std::to_string(a.job_id)), 3);
  EXPECT_EQ(Query("SELECT count(*) FROM jobs WHERE job_id = " + std::to_string(b.job_id) +
                  " AND state = 'succeeded' AND lease_expires_at IS NULL"),
            1);
  EXPECT_EQ(Query("SELECT last_seen_at FROM workers WHERE worker_id = 'w1'"),
            ToUnixMillis(kT0 + seconds(5)));
  // An older snapshot flushed late moves nothing back.
  leases = {{a.job_id, a.sweep_id, a.attempt, "w1", kT0 + kTtl, 2, 10}};
  ASSERT_THAT(store_->FlushLeases(leases, {{"w1", kT0}}), IsOk());
  EXPECT_EQ(StoredDeadline(a.job_id), ToUnixMillis(kT0 + kTtl + seconds(5)));
  EXPECT_EQ(Query("SELECT last_seen_at FROM workers WHERE worker_id = 'w1'"),
            ToUnixMillis(kT0 + seconds(5)));
}

TEST_F(StoreLiveTest, RunningLeasesListsEveryLeaseForTheTableAtStart) {
  const Lease a = MustLease("w1", kT0);
  auto running = store_->ListRunningLeases();
  ASSERT_THAT(running, IsOk());
  ASSERT_EQ(running->size(), 1u);
  EXPECT_EQ((*running)[0].job_id, a.job_id);
  EXPECT_EQ((*running)[0].owner, "w1");
  EXPECT_EQ((*running)[0].attempt, 1);
  EXPECT_EQ((*running)[0].expires_at, a.expires_at);
}

}  // namespace
}  // namespace sweep::storage
