// The history checker must fail on the histories it exists to catch (a duplicated, a lost
// and a stale success), and pass a valid one with an expired attempt, on hand-written
// databases holding the columns it reads (docs/schema.md).
#include "tests/integration/history_check.h"

#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace sweep::integration {
namespace {

using ::testing::HasSubstr;

class HistoryCheckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = (std::filesystem::temp_directory_path() /
             ("history_" + std::to_string(getpid()) + "_" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db"))
                .string();
    std::filesystem::remove(path_);
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db_), SQLITE_OK);
    Exec(
        "CREATE TABLE jobs (job_id INTEGER PRIMARY KEY, sweep_id INTEGER, attempt INTEGER,"
        " state TEXT);"
        "CREATE TABLE attempts (job_id INTEGER, attempt INTEGER, worker_id TEXT, outcome TEXT,"
        " digest TEXT, PRIMARY KEY (job_id, attempt));"
        "CREATE TABLE events (event_id INTEGER PRIMARY KEY, sweep_id INTEGER, job_id INTEGER,"
        " attempt INTEGER, kind TEXT, worker_id TEXT);"
        "CREATE TABLE results (job_id INTEGER PRIMARY KEY, attempt INTEGER, digest TEXT);");
  }
  void TearDown() override {
    sqlite3_close(db_);
    std::filesystem::remove(path_);
  }
  void Exec(const std::string& sql) {
    char* err = nullptr;
    ASSERT_EQ(sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK) << err;
  }
  // Job `id` of sweep 1: leased by w1, expired, leased by w2 and succeeded (digest d).
  void ValidJob(int id) {
    const std::string j = std::to_string(id);
    Exec("INSERT INTO jobs VALUES (" + j +
         ", 1, 2, 'succeeded');"
         "INSERT INTO attempts VALUES (" +
         j + ", 1, 'w1', 'lost', NULL), (" + j +
         ", 2, 'w2', 'succeeded', 'd');"
         "INSERT INTO events (sweep_id, job_id, attempt, kind, worker_id) VALUES"
         " (1, " +
         j + ", 1, 'leased', 'w1'), (1, " + j +
         ", 1, 'requeued', 'w1'),"
         " (1, " +
         j + ", 2, 'leased', 'w2'), (1, " + j +
         ", 2, 'succeeded', 'w2');"
         "INSERT INTO results VALUES (" +
         j + ", 2, 'd');");
  }
  HistoryReport Check() {
    auto r = CheckHistory(path_, 1);
    EXPECT_THAT(r, sweep::testing::IsOk());
    return r.ok() ? *r : HistoryReport{};
  }

  std::string path_;
  sqlite3* db_ = nullptr;
};

TEST_F(HistoryCheckTest, AValidHistoryWithAnExpiredAttemptPasses) {
  ValidJob(1);
  ValidJob(2);
  HistoryReport r = Check();
  EXPECT_TRUE(r.ok()) << r.Summary();
  EXPECT_EQ(r.exactly_once, 2);
  EXPECT_EQ(r.attempts, 4);
  EXPECT_EQ(r.expired, 2);
  EXPECT_TRUE(r.violations.empty());
}

TEST_F(HistoryCheckTest, ASecondSuccessIsDuplicated) {
  ValidJob(1);
  Exec(
      "UPDATE attempts SET outcome = 'succeeded' WHERE attempt = 1;"
      "INSERT INTO events (sweep_id, job_id, attempt, kind, worker_id) VALUES"
      " (1, 1, 2, 'succeeded', 'w2');");
  HistoryReport r = Check();
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.duplicated, 1);
}

TEST_F(HistoryCheckTest, AJobThatNeverSucceededIsLost) {
  ValidJob(1);
  Exec(
      "INSERT INTO jobs VALUES (2, 1, 1, 'queued');"
      "INSERT INTO attempts VALUES (2, 1, 'w1', 'lost', NULL);"
      "INSERT INTO events (sweep_id, job_id, attempt, kind, worker_id) VALUES"
      " (1, 2, 1, 'leased', 'w1'), (1, 2, 1, 'requeued', 'w1');");
  HistoryReport r = Check();
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.lost, 1);
  EXPECT_EQ(r.exactly_once, 1);
}

TEST_F(HistoryCheckTest, ASuccessFromAStaleLeaseIsUnexpected) {
  // Attempt 1 expired and attempt 2 was granted, then attempt 1's report was accepted.
  Exec(
      "INSERT INTO jobs VALUES (1, 1, 2, 'succeeded');"
      "INSERT INTO attempts VALUES (1, 1, 'w1', 'succeeded', 'd'), (1, 2, 'w2', 'lost', NULL);"
      "INSERT INTO events (sweep_id, job_id, attempt, kind, worker_id) VALUES"
      " (1, 1, 1, 'leased', 'w1'), (1, 1, 1, 'requeued', 'w1'), (1, 1, 2, 'leased', 'w2'),"
      " (1, 1, 1, 'succeeded', 'w1');"
      "INSERT INTO results VALUES (1, 1, 'd');");
  HistoryReport r = Check();
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.unexpected, 1);
  EXPECT_THAT(::testing::PrintToString(r.violations), HasSubstr("not current"));
}

}  // namespace
}  // namespace sweep::integration
