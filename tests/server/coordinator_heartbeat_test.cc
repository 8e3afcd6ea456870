// Heartbeats kept in memory and written in batches (docs/design.md section 4.12): a
// heartbeat costs no SQLite write, expiry is judged by the deadline in memory, a crash
// that loses unwritten heartbeats still leaves every lease its start-up grace, and a
// worker that stops heartbeating still loses its lease.
#include <filesystem>

#include "gmock/gmock.h"
#include "tests/server/coordinator_fixture.h"

namespace sweep::server {
namespace {

using std::chrono::milliseconds;
using ::sweep::testing::IsOk;
using ::sweep::testing::OkReport;
using ::sweep::testing::StatusIs;
using ::testing::HasSubstr;

class HeartbeatTest : public CoordinatorTest {
 protected:
  // The lease deadline stored in `db` for `job_id`, in unix ms.
  int64_t StoredDeadline(const std::string& db, int64_t job_id) {
    auto conn = storage::Connection::Open(db, /*read_only=*/true);
    EXPECT_THAT(conn, IsOk());
    auto ms = (*conn)->QueryInt("SELECT lease_expires_at FROM jobs WHERE job_id = " +
                                std::to_string(job_id));
    EXPECT_THAT(ms, IsOk());
    return ms.ok() ? *ms : -1;
  }
};

TEST_F(HeartbeatTest, HeartbeatsExtendTheLeaseWithoutAWritePerCall) {
  Submit(1, "r1");
  sweep::Lease lease = MustLease("w1");
  // A second connection sees data_version change whenever anyone else commits.
  auto watcher = storage::Connection::Open(path_, /*read_only=*/true);
  ASSERT_THAT(watcher, IsOk());
  const int64_t version = *(*watcher)->QueryInt("PRAGMA data_version");
  const int64_t batches = coord_->stats().write_batches;
  TimePoint deadline;
  for (int step = 1; step <= 100; ++step) {
    clock_.Advance(milliseconds(1000));
    auto reply = coord_->Heartbeat(lease.job_id, 1, "w1", step, 100);
    ASSERT_THAT(reply, IsOk());
    EXPECT_EQ(reply->lease_expires_at, clock_.Now() + kTtl);
    deadline = reply->lease_expires_at;
  }
  EXPECT_EQ(*(*watcher)->QueryInt("PRAGMA data_version"), version);  // nothing committed
  EXPECT_EQ(coord_->stats().write_batches, batches);
  EXPECT_EQ(coord_->stats().heartbeats_in_memory, 100);
  EXPECT_EQ(StoredDeadline(path_, lease.job_id), ToUnixMillis(lease.expires_at));
  // One flush writes the latest state of the lease in one transaction.
  ASSERT_THAT(coord_->FlushHeartbeats(), IsOk());
  EXPECT_NE(*(*watcher)->QueryInt("PRAGMA data_version"), version);
  EXPECT_EQ(coord_->stats().write_batches, batches + 1);
  EXPECT_EQ(StoredDeadline(path_, lease.job_id), ToUnixMillis(deadline));
  EXPECT_EQ(Job(lease.sweep_id, lease.job_id).progress_step, 100);
  // Nothing new since: the next flush writes nothing.
  ASSERT_THAT(coord_->FlushHeartbeats(), IsOk());
  EXPECT_EQ(coord_->stats().write_batches, batches + 1);
}

TEST_F(HeartbeatTest, ExpiryUsesTheDeadlineInMemory) {
  Submit(1, "r1");
  sweep::Lease lease = MustLease("w1");
  clock_.Advance(kTtl - milliseconds(1000));
  ASSERT_THAT(coord_->Heartbeat(lease.job_id, 1, "w1", 1, 10), IsOk());  // in memory only
  clock_.Advance(milliseconds(2000));  // past the stored deadline, within the live one
  ASSERT_THAT(coord_->ReapExpired(), IsOk());
  EXPECT_TRUE(NothingToLease("w2"));  // the grant's own expiry check agrees
  EXPECT_EQ(Job(lease.sweep_id, lease.job_id).state, JobState::kRunning);
  EXPECT_EQ(Count("SELECT count(*) FROM attempts WHERE outcome = 'lost'"), 0);
  // The check moved the stale stored deadline up to the live one.
  EXPECT_EQ(StoredDeadline(path_, lease.job_id),
            ToUnixMillis(lease.expires_at + kTtl - milliseconds(1000)));
  EXPECT_THAT(coord_->Heartbeat(lease.job_id, 1, "w1", 2, 10), IsOk());
}

TEST_F(HeartbeatTest, AWorkerThatStopsHeartbeatingStillLosesItsLease) {
  Submit(1, "r1");
  sweep::Lease lease = MustLease("w1");
  clock_.Advance(kTtl / 2);
  ASSERT_THAT(coord_->Heartbeat(lease.job_id, 1, "w1", 1, 10), IsOk());
  clock_.Advance(kTtl);  // the worker went silent after that heartbeat
  ASSERT_THAT(coord_->ReapExpired(), IsOk());
  EXPECT_EQ(Count("SELECT count(*) FROM attempts WHERE outcome = 'lost'"), 1);
  sweep::Lease next = MustLease("w2");
  EXPECT_EQ(next.job_id, lease.job_id);
  EXPECT_EQ(next.attempt, 2);
  // The silent worker's late heartbeat and report are fenced off, as before.
  EXPECT_THAT(coord_->Heartbeat(lease.job_id, 1, "w1", 2, 10),
              StatusIs(absl::StatusCode::kAborted, HasSubstr("superseded by 2")));
  EXPECT_THAT(coord_->Report(lease.job_id, 1, OkReport("w1", 1.0, 0.5)),
              StatusIs(absl::StatusCode::kAborted, HasSubstr("superseded by 2")));
  EXPECT_EQ(coord_->stats().live_leases, 1);  // attempt 2 only
}

TEST_F(HeartbeatTest, ACrashThatLosesUnwrittenHeartbeatsStillGivesTheGracePeriod) {
  Submit(1, "r1");
  sweep::Lease lease = MustLease("w1");
  clock_.Advance(kTtl - milliseconds(1000));
  ASSERT_THAT(coord_->Heartbeat(lease.job_id, 1, "w1", 1, 10), IsOk());
  // What a kill -9 leaves: the file without the heartbeat (no flush, no clean close).
  const std::string crash = dir_.File("crash.db");
  std::filesystem::copy_file(path_, crash);
  std::filesystem::copy_file(path_ + "-wal", crash + "-wal");
  EXPECT_EQ(StoredDeadline(crash, lease.job_id), ToUnixMillis(lease.expires_at));
  coord_.reset();
  path_ = crash;
  clock_.Advance(milliseconds(5000));  // down past the stored deadline
  Reopen();
  clock_.Advance(kTtl - milliseconds(1));  // the grace: one ttl from the restart
  EXPECT_TRUE(NothingToLease("w2"));
  EXPECT_THAT(coord_->Heartbeat(lease.job_id, 1, "w1", 2, 10), IsOk());
  EXPECT_THAT(coord_->Report(lease.job_id, 1, OkReport("w1", 1.0, 0.5)), IsOk());
  EXPECT_EQ(Count("SELECT count(*) FROM attempts WHERE outcome = 'lost'"), 0);
}

TEST_F(HeartbeatTest, ACleanRestartWritesTheHeartbeatsHeldInMemory) {
  Submit(1, "r1");
  sweep::Lease lease = MustLease("w1");
  clock_.Advance(milliseconds(3000));
  ASSERT_THAT(coord_->Heartbeat(lease.job_id, 1, "w1", 7, 10), IsOk());
  coord_.reset();  // the destructor flushes before it checkpoints
  EXPECT_EQ(StoredDeadline(path_, lease.job_id), ToUnixMillis(clock_.Now() + kTtl));
  EXPECT_EQ(Count("SELECT progress_step FROM jobs"), 7);
  Reopen();
}

TEST_F(HeartbeatTest, AFlushAfterTheReportLeavesTheFinishedJobAlone) {
  const int64_t sweep = Submit(1, "r1");
  sweep::Lease lease = MustLease("w1");
  ASSERT_THAT(coord_->Heartbeat(lease.job_id, 1, "w1", 9, 10), IsOk());
  ASSERT_THAT(coord_->Report(lease.job_id, 1, OkReport("w1", 1.0, 0.5)), IsOk());
  ASSERT_THAT(coord_->FlushHeartbeats(), IsOk());
  JobRecord job = Job(sweep, lease.job_id);
  EXPECT_EQ(job.state, JobState::kSucceeded);
  EXPECT_FALSE(job.lease_expires_at.has_value());
  EXPECT_EQ(coord_->stats().live_leases, 0);
  EXPECT_THAT(coord_->Heartbeat(lease.job_id, 1, "w1", 10, 10),
              StatusIs(absl::StatusCode::kAborted, HasSubstr("finished (succeeded)")));
}

TEST_F(HeartbeatTest, CancellationReachesRunningJobsAcrossARestart) {
  const int64_t sweep = Submit(2, "r1");
  sweep::Lease first = MustLease("w1");
  auto reply = coord_->Heartbeat(first.job_id, 1, "w1", 1, 10);
  ASSERT_THAT(reply, IsOk());
  EXPECT_FALSE(reply->cancel_requested);
  ASSERT_THAT(coord_->Cancel(sweep), IsOk());
  reply = coord_->Heartbeat(first.job_id, 1, "w1", 2, 10);
  ASSERT_THAT(reply, IsOk());
  EXPECT_TRUE(reply->cancel_requested);
  Reopen();
  reply = coord_->Heartbeat(first.job_id, 1, "w1", 3, 10);
  ASSERT_THAT(reply, IsOk());
  EXPECT_TRUE(reply->cancel_requested);
}

}  // namespace
}  // namespace sweep::server
