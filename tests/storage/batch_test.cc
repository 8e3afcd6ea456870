// Group commit: Store::RunBatch shares one transaction among ops, each under a savepoint.
#include <functional>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/store.h"
#include "storage/transaction.h"
#include "tests/storage/test_util.h"
#include "tests/testing/status_matchers.h"

namespace sweep::storage {
namespace {

using ::sweep::testing::IsOk;
using ::sweep::testing::Job;
using ::sweep::testing::Meta;
using ::sweep::testing::StatusIs;
using ::testing::HasSubstr;

const TimePoint kT0 = FromUnixMillis(1'700'000'000'000);

class BatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = Store::Open(dir_.File("sweep.db"));
    ASSERT_THAT(store, IsOk());
    store_ = std::move(*store);
  }
  std::function<absl::Status()> Register(const std::string& id) {
    return [this, id] {
      WorkerRecord w;
      w.worker_id = id;
      w.host = "host";
      return store_->RegisterWorker(w, kT0);
    };
  }
  int64_t Workers(const std::string& id) {
    return *store_->connection().QueryInt(
        absl::StrCat("SELECT count(*) FROM workers WHERE worker_id = '", id, "'"));
  }

  ::sweep::testing::TempDir dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(BatchTest, AFailingOpIsRolledBackAloneAndTheOthersCommit) {
  const auto first = Register("w1");
  // Writes a row, then fails: its savepoint must undo the row.
  const std::function<absl::Status()> failing = [this]() -> absl::Status {
    auto txn = Transaction::Begin(store_->connection(), Transaction::Mode::kWrite);
    if (!txn.ok()) return txn.status();
    absl::Status s = store_->connection().Exec(
        "INSERT INTO workers(worker_id, host, slots, build_version, registered_at,"
        " last_seen_at) VALUES ('w2', 'h', 1, 'b', 0, 0)");
    if (!s.ok()) return s;
    return absl::InternalError("boom after insert");
  };
  const auto third = Register("w3");
  std::vector<absl::Status> out = store_->RunBatch({&first, &failing, &third});
  ASSERT_EQ(out.size(), 3u);
  EXPECT_THAT(out[0], IsOk());
  EXPECT_THAT(out[1], StatusIs(absl::StatusCode::kInternal, HasSubstr("boom")));
  EXPECT_THAT(out[2], IsOk());
  EXPECT_EQ(Workers("w1"), 1);
  EXPECT_EQ(Workers("w2"), 0);
  EXPECT_EQ(Workers("w3"), 1);
}

TEST_F(BatchTest, ReplaysInTheSameBatchSeeTheFirstReport) {
  ASSERT_THAT(store_->SubmitPrepared(Meta("r1"), {Job("{}")}, kT0), IsOk());
  auto lease = store_->LeaseNext("w1", kT0, std::chrono::seconds(30));
  ASSERT_TRUE(lease.ok() && lease->has_value());
  const JobReport report = ::sweep::testing::OkReport("w1", 1.0, 0.5);
  std::vector<bool> stored(3);
  std::vector<std::function<absl::Status()>> ops;
  for (int i = 0; i < 3; ++i) {
    ops.push_back([&, i]() -> absl::Status {
      auto s = store_->Report((*lease)->job_id, 1, report, kT0);
      if (s.ok()) stored[i] = *s;
      return s.status();
    });
  }
  std::vector<absl::Status> out = store_->RunBatch({&ops[0], &ops[1], &ops[2]});
  for (const absl::Status& s : out) EXPECT_THAT(s, IsOk());
  EXPECT_EQ(stored, (std::vector<bool>{true, false, false}));
  EXPECT_EQ(*store_->connection().QueryInt("SELECT count(*) FROM results"), 1);
}

TEST_F(BatchTest, StatusesMatchWhatIsStoredWhenTheDiskFills) {
  const int64_t pages = *store_->connection().QueryInt("PRAGMA page_count");
  ASSERT_THAT(store_->connection().Exec(absl::StrCat("PRAGMA max_page_count = ", pages + 1)),
              IsOk());
  std::vector<PreparedJob> many;
  for (int i = 0; i < 2000; ++i) many.push_back(Job(absl::StrCat(R"({"seed":)", i, "}")));
  const auto small = Register("w1");
  const std::function<absl::Status()> big = [&] {
    return store_->SubmitPrepared(Meta("big"), many, kT0).status();
  };
  std::vector<absl::Status> out = store_->RunBatch({&small, &big});
  EXPECT_THAT(out[1], StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("storage full")));
  // Whatever SQLite rolled back, an OK means stored and an error means absent.
  EXPECT_EQ(Workers("w1"), out[0].ok() ? 1 : 0);
  EXPECT_EQ(*store_->connection().QueryInt("SELECT count(*) FROM jobs"), 0);
  EXPECT_EQ(*store_->connection().QueryText("PRAGMA integrity_check"), "ok");
}

}  // namespace
}  // namespace sweep::storage
