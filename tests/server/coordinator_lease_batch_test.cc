// Leasing in batches (LeaseJobRequest.max_jobs): a worker with K free slots takes up to K
// jobs in one call and one transaction, within its registered slots and its free cores.
#include "gmock/gmock.h"
#include "tests/server/coordinator_fixture.h"

namespace sweep::server {
namespace {

using std::chrono::milliseconds;
using ::sweep::testing::IsOk;
using ::sweep::testing::StatusIs;
using ::testing::HasSubstr;

TEST_F(CoordinatorTest, LeaseBatchGrantsUpToMaxJobsInOneTransaction) {
  Submit(10, "r1");
  Register("w1", /*slots=*/8);
  const int64_t batches = coord_->stats().write_batches;
  auto leases = coord_->LeaseBatch("w1", milliseconds(0), nullptr, LeaseFit{}, 4);
  ASSERT_THAT(leases, IsOk());
  ASSERT_EQ(leases->size(), 4u);
  for (size_t i = 0; i < leases->size(); ++i) {
    EXPECT_EQ((*leases)[i].attempt, 1);
    if (i > 0) {
      EXPECT_GT((*leases)[i].job_id, (*leases)[i - 1].job_id);  // queue order
    }
  }
  EXPECT_EQ(coord_->stats().write_batches, batches + 1);
  EXPECT_EQ(Count("SELECT count(*) FROM jobs WHERE state = 'running' AND lease_owner = 'w1'"), 4);
  // Every lease is live: heartbeats are answered from memory.
  for (const sweep::Lease& l : *leases) {
    EXPECT_THAT(coord_->Heartbeat(l.job_id, 1, "w1", 1, 2), IsOk());
  }
  EXPECT_EQ(coord_->stats().heartbeats_in_memory, 4);
}

TEST_F(CoordinatorTest, LeaseBatchStopsAtTheWorkersSlots) {
  Submit(10, "r1");
  Register("w1", /*slots=*/3);
  auto leases = coord_->LeaseBatch("w1", milliseconds(0), nullptr, LeaseFit{}, 8);
  ASSERT_THAT(leases, IsOk());
  EXPECT_EQ(leases->size(), 3u);
  // A full worker is refused, as a single lease is.
  EXPECT_THAT(coord_->LeaseBatch("w1", milliseconds(0), nullptr, LeaseFit{}, 2),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("its registered slots")));
}

TEST_F(CoordinatorTest, LeaseBatchTakesEachJobsThreadsFromTheFreeCores) {
  NewSweep s = ::sweep::testing::Meta("threads", false, 3);
  for (int threads : {2, 2, 1, 1}) {
    JobConfig c = Config(static_cast<uint64_t>(s.jobs.size()));
    c.threads = threads;
    s.jobs.push_back(c);
  }
  ASSERT_THAT(coord_->Submit(s), IsOk());
  Register("w1", /*slots=*/8);
  // 4 of 4 cores free: the two 2-thread jobs fill them, the 1-thread jobs wait.
  auto leases = coord_->LeaseBatch("w1", milliseconds(0), nullptr, LeaseFit{4, 4}, 8);
  ASSERT_THAT(leases, IsOk());
  EXPECT_EQ(leases->size(), 2u);
  // 1 core left free: one more job, of one thread.
  leases = coord_->LeaseBatch("w1", milliseconds(0), nullptr, LeaseFit{1, 4}, 8);
  ASSERT_THAT(leases, IsOk());
  EXPECT_EQ(leases->size(), 1u);
}

TEST_F(CoordinatorTest, LeaseBatchRefusesAnOutOfRangeCountNamingTheField) {
  Submit(1, "r1");
  Register("w1");
  EXPECT_THAT(coord_->LeaseBatch("w1", milliseconds(0), nullptr, LeaseFit{}, 0),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("max_jobs: 0")));
  EXPECT_THAT(coord_->LeaseBatch("w1", milliseconds(0), nullptr, LeaseFit{}, 5000),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("max_jobs: 5000")));
  EXPECT_EQ(Count("SELECT count(*) FROM jobs WHERE state = 'running'"), 0);
}

}  // namespace
}  // namespace sweep::server
