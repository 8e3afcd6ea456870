// The Store's file-level behaviour: migrations, pragmas, reopen, error mapping, NaN.
#include "storage/store.h"

#include <sqlite3.h>

#include <cmath>
#include <fstream>
#include <limits>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/reader.h"
#include "storage/schema.h"
#include "storage/sqlite.h"
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

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_.File("sweep.db");
    auto store = Store::Open(path_);
    ASSERT_THAT(store, IsOk());
    store_ = std::move(*store);
  }
  // Leases the next job to `worker` with a 30 s ttl and reports `mse` for it.
  void RunOne(const std::string& worker, double mse) {
    auto lease = store_->LeaseNext(worker, kT0, std::chrono::seconds(30));
    ASSERT_THAT(lease, IsOk());
    ASSERT_TRUE(lease->has_value());
    ASSERT_THAT(
        store_->Report((*lease)->job_id, (*lease)->attempt, OkReport(worker, mse, mse / 2), kT0),
        IsOk());
  }

  ::sweep::testing::TempDir dir_;
  std::string path_;
  std::unique_ptr<Store> store_;
};

TEST_F(StoreTest, MigratesEmptyFileToLatestVersion) {
  EXPECT_EQ(*store_->connection().QueryInt("PRAGMA user_version"), LatestSchemaVersion());
  for (const char* table : {"sweeps", "jobs", "results", "eval_curves", "loss_curves", "workers",
                            "attempts", "events"}) {
    EXPECT_EQ(*store_->connection().QueryInt(
                  absl::StrCat("SELECT count(*) FROM sqlite_master WHERE name = '", table, "'")),
              1)
        << table;
  }
}

TEST_F(StoreTest, PragmasReadBackAsConfigured) {
  Connection& c = store_->connection();
  EXPECT_EQ(*c.QueryText("PRAGMA journal_mode"), "wal");
  EXPECT_EQ(*c.QueryInt("PRAGMA synchronous"), 2);  // FULL
  EXPECT_EQ(*c.QueryInt("PRAGMA foreign_keys"), 1);
  EXPECT_EQ(*c.QueryInt("PRAGMA busy_timeout"), 5000);
}

TEST_F(StoreTest, ReopenKeepsDataAndDoesNotRemigrate) {
  ASSERT_THAT(store_->SubmitPrepared(Meta("r1"), {Job(R"({"d":8})"), Job(R"({"d":16})")}, kT0),
              IsOk());
  store_.reset();
  auto again = Store::Open(path_);
  ASSERT_THAT(again, IsOk());
  auto reader = Reader::Open(path_);
  ASSERT_THAT(reader, IsOk());
  auto sweeps = (*reader)->ListSweeps();
  ASSERT_THAT(sweeps, IsOk());
  ASSERT_EQ(sweeps->size(), 1u);
  EXPECT_EQ((*sweeps)[0].total, 2);
  EXPECT_EQ((*sweeps)[0].queued, 2);
}

TEST_F(StoreTest, NewerSchemaIsRefused) {
  ASSERT_THAT(store_->connection().Exec("PRAGMA user_version = 99"), IsOk());
  store_.reset();
  EXPECT_THAT(Store::Open(path_),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("newer than this build")));
  EXPECT_THAT(Reader::Open(path_),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("schema version 99")));
}

TEST_F(StoreTest, NonFiniteMetricsRoundTrip) {
  ASSERT_THAT(store_->SubmitPrepared(Meta("r1"), {Job(R"({"d":8})")}, kT0), IsOk());
  auto lease = store_->LeaseNext("w1", kT0, std::chrono::seconds(30));
  ASSERT_TRUE(lease.ok() && lease->has_value());
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  JobReport report = OkReport("w1", 1.0, 0.5);
  report.result.mse = nan;
  report.result.nmse = inf;
  report.result.ey2 = -inf;
  report.result.curve = {EvalPoint{4, nan, inf, -inf}};
  report.result.loss_curve = {LossPoint{0, 1.0}, LossPoint{50, nan}};
  ASSERT_THAT(store_->Report((*lease)->job_id, 1, report, kT0), IsOk());

  auto reader = Reader::Open(path_);
  ASSERT_THAT(reader, IsOk());
  auto got = (*reader)->GetResult((*lease)->job_id);
  ASSERT_THAT(got, IsOk());
  EXPECT_TRUE(std::isnan(got->mse));
  EXPECT_EQ(got->nmse, inf);
  EXPECT_EQ(got->ey2, -inf);
  ASSERT_EQ(got->curve.size(), 1u);
  EXPECT_TRUE(std::isnan(got->curve[0].mse));
  EXPECT_EQ(got->curve[0].se, inf);
  EXPECT_EQ(got->curve[0].nmse, -inf);
  ASSERT_EQ(got->loss_curve.size(), 2u);
  EXPECT_EQ(got->loss_curve[0].loss, 1.0);
  EXPECT_TRUE(std::isnan(got->loss_curve[1].loss));
  // The NaN is recorded as such, not left as an anonymous NULL.
  EXPECT_EQ(*store_->connection().QueryInt("SELECT nan_mask FROM results"), 1);
}

TEST_F(StoreTest, FullDatabaseIsResourceExhaustedAndRecovers) {
  ASSERT_THAT(store_->SubmitPrepared(Meta("small"), {Job(R"({"d":1})")}, kT0), IsOk());
  const int64_t pages = *store_->connection().QueryInt("PRAGMA page_count");
  ASSERT_THAT(store_->connection().Exec(absl::StrCat("PRAGMA max_page_count = ", pages)), IsOk());
  std::vector<PreparedJob> many;
  for (int i = 0; i < 2000; ++i) many.push_back(Job(absl::StrCat(R"({"seed":)", i, "}")));
  EXPECT_THAT(store_->SubmitPrepared(Meta("big"), many, kT0),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("storage full")));
  // Nothing of the failed sweep is visible; reads still work; the file is intact.
  EXPECT_EQ(*store_->connection().QueryInt("SELECT count(*) FROM jobs"), 1);
  EXPECT_EQ(*store_->connection().QueryText("PRAGMA integrity_check"), "ok");
  ASSERT_THAT(store_->connection().Exec("PRAGMA max_page_count = 1000000"), IsOk());
  EXPECT_THAT(store_->SubmitPrepared(Meta("big"), many, kT0), IsOk());
  EXPECT_EQ(*store_->connection().QueryInt("SELECT count(*) FROM jobs"), 2001);
}

TEST_F(StoreTest, LockedDatabaseIsUnavailable) {
  // Another connection holds the write lock; our writer gives up after its busy timeout.
  auto other = Connection::Open(path_, /*read_only=*/false);
  ASSERT_THAT(other, IsOk());
  ASSERT_THAT((*other)->Exec("BEGIN IMMEDIATE"), IsOk());
  ASSERT_THAT(store_->connection().Exec("PRAGMA busy_timeout = 10"), IsOk());
  EXPECT_THAT(store_->SubmitPrepared(Meta("r1"), {Job("{}")}, kT0),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("locked")));
  ASSERT_THAT((*other)->Exec("ROLLBACK"), IsOk());
  EXPECT_THAT(store_->SubmitPrepared(Meta("r1"), {Job("{}")}, kT0), IsOk());
}

TEST_F(StoreTest, GarbageFileIsDataLoss) {
  const std::string bad = dir_.File("bad.db");
  std::ofstream(bad) << std::string(8192, 'x');
  EXPECT_THAT(Store::Open(bad), StatusIs(absl::StatusCode::kDataLoss, ::testing::_));
}

TEST(SqliteStatusTest, MapsCodes) {
  EXPECT_EQ(SqliteStatus(SQLITE_BUSY, nullptr, "x").code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(SqliteStatus(SQLITE_BUSY_SNAPSHOT, nullptr, "x").code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(SqliteStatus(SQLITE_FULL, nullptr, "x").code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(SqliteStatus(SQLITE_CORRUPT, nullptr, "x").code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(SqliteStatus(SQLITE_NOTADB, nullptr, "x").code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(SqliteStatus(SQLITE_IOERR, nullptr, "x").code(), absl::StatusCode::kInternal);
  EXPECT_TRUE(SqliteStatus(SQLITE_OK, nullptr, "x").ok());
}

TEST(ReaderOpenTest, MissingFileIsNotFoundAndForeignFileIsRefused) {
  ::sweep::testing::TempDir dir;
  EXPECT_THAT(Reader::Open(dir.File("none.db")),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("no such file")));
  const std::string empty = dir.File("empty.db");
  {
    auto c = Connection::Open(empty, /*read_only=*/false);
    ASSERT_THAT(c, IsOk());
    ASSERT_THAT((*c)->Exec("CREATE TABLE t(x)"), IsOk());
  }
  EXPECT_THAT(Reader::Open(empty),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("not a sweep database")));
}

TEST_F(StoreTest, ReaderWorksAfterWriterClosedCleanly) {
  ASSERT_THAT(store_->SubmitPrepared(Meta("r1"), {Job(R"({"d":8})")}, kT0), IsOk());
  RunOne("w1", 0.25);
  ASSERT_THAT(store_->Checkpoint(), IsOk());
  store_.reset();  // as a DB copied off a cluster: no writer, maybe no -wal file
  auto reader = Reader::Open(path_);
  ASSERT_THAT(reader, IsOk());
  auto sweep = (*reader)->GetSweep(1);
  ASSERT_THAT(sweep, IsOk());
  EXPECT_EQ(sweep->succeeded, 1);
  EXPECT_THAT((*reader)->GetSweep(2), StatusIs(absl::StatusCode::kNotFound, HasSubstr("sweep 2")));
}

}  // namespace
}  // namespace sweep::storage
