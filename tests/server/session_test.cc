// Worker sessions and lease limits in the Coordinator (docs/design.md section 6.5):
// sessions survive a restart, only their hash is stored, and leases are bounded per
// worker and overall.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/secret.h"
#include "tests/server/coordinator_fixture.h"

namespace sweep::server {
namespace {

using sweep::testing::IsOk;
using sweep::testing::StatusIs;
using ::testing::HasSubstr;

// The kill tests SIGKILL the coordinator: a worker must go on with the session it has.
TEST_F(CoordinatorTest, SessionsSurviveARestartAndOnlyTheirHashIsStored) {
  auto secret = coord_->RegisterSession(WorkerHello{"w1", "h", 2, "v"}, "");
  ASSERT_THAT(secret, IsOk());
  ASSERT_EQ(secret->size(), 64u);
  Reopen();
  auto worker = coord_->WorkerForSession(*secret);
  ASSERT_THAT(worker, IsOk());
  EXPECT_EQ(*worker, "w1");
  EXPECT_EQ(
      Count("SELECT count(*) FROM workers WHERE session_hash = '" + SecretHash(*secret) + "'"), 1);
  EXPECT_EQ(Count("SELECT count(*) FROM workers WHERE session_hash = '" + *secret + "'"), 0);
  // Presenting it again keeps it.
  auto again = coord_->RegisterSession(WorkerHello{"w1", "h", 2, "v"}, *secret);
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(*again, "");
  EXPECT_THAT(coord_->WorkerForSession("not-a-session"),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("register again")));
}

// A re-registration without the session (a restarted worker process with a fixed
// --worker-id) gets a new one once the old one holds no lease; the old one stops working.
TEST_F(CoordinatorTest, AnIdleWorkerIdGetsANewSessionAndTheOldOneEnds) {
  auto first = coord_->RegisterSession(WorkerHello{"w1", "h", 1, "v"}, "");
  ASSERT_THAT(first, IsOk());
  auto second = coord_->RegisterSession(WorkerHello{"w1", "h", 1, "v"}, "");
  ASSERT_THAT(second, IsOk());
  EXPECT_NE(*first, *second);
  EXPECT_THAT(coord_->WorkerForSession(*second), IsOk());
  EXPECT_THAT(coord_->WorkerForSession(*first),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("unknown")));
}

TEST_F(CoordinatorTest, UnregisteredWorkersGetNoLease) {
  Submit(1, "r1");
  EXPECT_THAT(coord_->Lease("ghost", std::chrono::milliseconds(0), nullptr),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("not registered")));
  EXPECT_EQ(Count("SELECT count(*) FROM jobs WHERE state = 'running'"), 0);
}

TEST_F(CoordinatorTest, LeasesAreCappedPerWorkerSlotsAndReleasedByExpiry) {
  Submit(3, "r1");
  Register("w1", /*slots=*/2);
  for (int i = 0; i < 2; ++i) {
    auto lease = coord_->Lease("w1", std::chrono::milliseconds(0), nullptr);
    ASSERT_THAT(lease, IsOk());
    ASSERT_TRUE(lease->has_value());
  }
  EXPECT_THAT(coord_->Lease("w1", std::chrono::milliseconds(0), nullptr),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("holds 2 lease(s)")));
  // Expired leases no longer count: the worker may lease again (the reap requeues them).
  clock_.Advance(kTtl);
  auto after = coord_->Lease("w1", std::chrono::milliseconds(0), nullptr);
  ASSERT_THAT(after, IsOk());
  EXPECT_TRUE(after->has_value());
}

TEST_F(CoordinatorTest, LeasesAreCappedOverall) {
  coord_.reset();
  CoordinatorOptions options;
  options.db_path = dir_.File("cap.db");
  options.max_running_leases = 2;
  auto coord = Coordinator::Open(options, clock_);
  ASSERT_THAT(coord, IsOk());
  NewSweep s = ::sweep::testing::Meta("r1", false);
  s.jobs = {Config(0), Config(1), Config(2)};
  ASSERT_THAT((*coord)->Submit(s), IsOk());
  for (const char* w : {"w1", "w2", "w3"}) {
    ASSERT_THAT((*coord)->RegisterWorker(WorkerHello{w, "h", 4, "v"}), IsOk());
  }
  ASSERT_THAT((*coord)->Lease("w1", std::chrono::milliseconds(0), nullptr), IsOk());
  ASSERT_THAT((*coord)->Lease("w2", std::chrono::milliseconds(0), nullptr), IsOk());
  EXPECT_THAT((*coord)->Lease("w3", std::chrono::milliseconds(0), nullptr),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("max_running_leases 2")));
}

TEST_F(CoordinatorTest, CheckpointPutNeedsTheLease) {
  Submit(1, "r1");
  Register("w2");
  const sweep::Lease lease = MustLease("w1");
  EXPECT_THAT(coord_->CheckCheckpointLease("w1", lease.training_hash), IsOk());
  EXPECT_THAT(coord_->CheckCheckpointLease("w2", lease.training_hash),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("no running lease")));
  EXPECT_THAT(coord_->CheckCheckpointLease("w1", "other-hash"),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("no running lease")));
}

}  // namespace
}  // namespace sweep::server
