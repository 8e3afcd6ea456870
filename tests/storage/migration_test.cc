// Schema upgrades: a file written at version 1 (before checkpoints) opens with this build,
// is migrated to the latest version in one transaction, and keeps every row.
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/reader.h"
#include "storage/schema.h"
#include "storage/sqlite.h"
#include "storage/store.h"
#include "tests/storage/test_util.h"
#include "tests/testing/status_matchers.h"

namespace sweep::storage {
namespace {

using ::sweep::testing::IsOk;
using ::sweep::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

const TimePoint kT0 = FromUnixMillis(1'700'000'000'000);

// One sweep with one succeeded job, its result and curve point, written with the v1 DDL.
constexpr const char* kV1Rows = R"sql(
INSERT INTO sweeps(sweep_id, request_id, name, spec_text, created_at, max_attempts,
                   use_cache, jobs_total, jobs_cached)
  VALUES (1, 'req-1', 'old', 'name: old', 1700000000000, 3, 1, 1, 0);
INSERT INTO jobs(job_id, sweep_id, config_hash, training_hash, config_json, model, state,
                 attempt, result_job_id, created_at, finished_at)
  VALUES (1, 1, 'cfg-1', 'train-1', '{"d":8,"model":"mamba"}', 'mamba', 'succeeded', 1, 1,
          1700000000000, 1700000001000);
INSERT INTO results(job_id, attempt, digest, mse, nmse, n_at_eps, ey2, ie, ge, wall_seconds,
                    train_seconds, eval_seconds, worker_id, build_version, training_hash,
                    created_at)
  VALUES (1, 1, 'digest-1', 0.25, 0.125, 16, 2.0, 2, 2, 3.0, 2.0, 1.0, 'w1', 'old-build',
          'train-1', 1700000001000);
INSERT INTO eval_curves(job_id, n, mse, se, nmse) VALUES (1, 16, 0.25, 0.01, 0.125);
)sql";

class MigrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto conn = Connection::Open(path_, /*read_only=*/false);
    ASSERT_THAT(conn, IsOk());
    ASSERT_THAT(MigrateTo(**conn, 1), IsOk());
    ASSERT_THAT((*conn)->Exec(kV1Rows), IsOk());
    ASSERT_EQ(*(*conn)->QueryInt("PRAGMA user_version"), 1);
  }
  int64_t Count(const std::string& sql) {
    auto conn = Connection::Open(path_, /*read_only=*/true);
    EXPECT_THAT(conn, IsOk());
    return *(*conn)->QueryInt(sql);
  }

  ::sweep::testing::TempDir dir_;
  std::string path_ = dir_.File("v1.db");
};

TEST_F(MigrationTest, LatestVersionHasCheckpoints) {
  EXPECT_GE(LatestSchemaVersion(), 3);
  EXPECT_EQ(Count("SELECT count(*) FROM sqlite_master WHERE name = 'checkpoints'"), 0);
}

TEST_F(MigrationTest, ReaderReadsAVersion1FileWithoutCheckpoints) {
  auto reader = Reader::Open(path_);
  ASSERT_THAT(reader, IsOk());
  auto result = (*reader)->GetResult(1);
  ASSERT_THAT(result, IsOk());
  EXPECT_EQ(result->mse, 0.25);
  auto checkpoint = (*reader)->GetCheckpointForJob(1);
  ASSERT_THAT(checkpoint, IsOk());
  EXPECT_FALSE(checkpoint->has_value());
  auto list = (*reader)->ListCheckpoints(1);
  ASSERT_THAT(list, IsOk());
  EXPECT_TRUE(list->empty());
  EXPECT_EQ(Count("PRAGMA user_version"), 1);  // readers never migrate
}

TEST_F(MigrationTest, ReaderSummarisesAnOldFilesSweepsWithoutLifecycleFlags) {
  // `sweep status|plot --db` on a file from before version 5 (no paused, stop_requested,
  // fail_fast columns): the sweep reads as neither paused nor stopped.
  auto reader = Reader::Open(path_);
  ASSERT_THAT(reader, IsOk());
  auto sweeps = (*reader)->ListSweeps();
  ASSERT_THAT(sweeps, IsOk());
  ASSERT_EQ(sweeps->size(), 1u);
  EXPECT_FALSE((*sweeps)[0].paused);
  EXPECT_FALSE((*sweeps)[0].stop_requested);
  EXPECT_FALSE((*sweeps)[0].fail_fast);
  auto one = (*reader)->GetSweep((*sweeps)[0].sweep_id);
  ASSERT_THAT(one, IsOk());
  EXPECT_EQ(one->total, (*sweeps)[0].total);
}

TEST_F(MigrationTest, ReaderListsWorkersOfAVersion1FileAsOutsideSlurm) {
  {
    auto conn = Connection::Open(path_, /*read_only=*/false);
    ASSERT_THAT(conn, IsOk());
    ASSERT_THAT((*conn)->Exec("INSERT INTO workers(worker_id, host, slots, build_version,"
                              " registered_at, last_seen_at) VALUES ('w1', 'h', 2, 'v', 1, 2)"),
                IsOk());
  }
  auto reader = Reader::Open(path_);
  ASSERT_THAT(reader, IsOk());
  auto workers = (*reader)->ListWorkers();
  ASSERT_THAT(workers, IsOk());
  ASSERT_EQ(workers->size(), 1u);
  EXPECT_EQ((*workers)[0].worker_id, "w1");
  EXPECT_TRUE((*workers)[0].slurm.empty());
  EXPECT_TRUE((*workers)[0].exec_names.empty());  // no exec_names column before version 8
}

TEST_F(MigrationTest, StoreUpgradesVersion1AndKeepsData) {
  auto store = Store::Open(path_);
  ASSERT_THAT(store, IsOk());
  Connection& c = (*store)->connection();
  EXPECT_EQ(*c.QueryInt("PRAGMA user_version"), LatestSchemaVersion());
  EXPECT_EQ(*c.QueryInt("SELECT count(*) FROM jobs WHERE state = 'succeeded'"), 1);
  EXPECT_EQ(*c.QueryText("SELECT digest FROM results WHERE job_id = 1"), "digest-1");
  EXPECT_EQ(*c.QueryInt("SELECT count(*) FROM eval_curves"), 1);
  // Old results trained (or not) before checkpoints were kept: recorded as 'none'.
  EXPECT_EQ(*c.QueryText("SELECT checkpoint_use FROM results WHERE job_id = 1"), "none");
  EXPECT_EQ(*c.QueryInt("SELECT checkpoint_sha256 IS NULL FROM results"), 1);
  EXPECT_EQ(*c.QueryText("PRAGMA integrity_check"), "ok");
  EXPECT_EQ(*c.QueryInt("SELECT count(*) FROM pragma_foreign_key_check"), 0);
  // Version 7: the result-cache index holds the hash alone (a state change moves no
  // entry), and the cache still finds the old succeeded job by it.
  EXPECT_EQ(*c.QueryText("SELECT group_concat(name) FROM pragma_index_info('jobs_by_config_hash')"),
            "config_hash");
  EXPECT_EQ(*c.QueryInt("SELECT result_job_id FROM jobs WHERE config_hash = (SELECT"
                        " config_hash FROM jobs WHERE job_id = 1) AND state = 'succeeded'"),
            1);

  // The upgraded file takes checkpoints for its old jobs and readers find them.
  CheckpointRecord ck;
  ck.training_hash = "train-1";
  ck.model = "mamba";
  ck.config_json = R"({"d":8,"model":"mamba"})";
  ck.bytes = std::string("\0\1\2", 3);
  ck.job_id = 1;
  ASSERT_THAT((*store)->PutCheckpoint(ck, kT0), IsOk());
  auto reader = Reader::Open(path_);
  ASSERT_THAT(reader, IsOk());
  auto sweeps = (*reader)->ListSweeps();
  ASSERT_THAT(sweeps, IsOk());
  ASSERT_EQ(sweeps->size(), 1u);
  EXPECT_EQ((*sweeps)[0].succeeded, 1);
  auto got = (*reader)->GetCheckpointForJob(1);
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->bytes, std::string("\0\1\2", 3));
}

TEST_F(MigrationTest, FailedMigrationLeavesTheFileAtItsVersion) {
  {  // A stray table in the way makes version 2's CREATE TABLE fail midway.
    auto conn = Connection::Open(path_, /*read_only=*/false);
    ASSERT_THAT(conn, IsOk());
    ASSERT_THAT((*conn)->Exec("CREATE TABLE checkpoints(x)"), IsOk());
  }
  // The message names the kind of failure; SQLite's text (which quotes the schema) is in
  // the payload, for logs only.
  auto opened = Store::Open(path_);
  EXPECT_THAT(opened, StatusIs(absl::StatusCode::kInternal, HasSubstr("storage error")));
  EXPECT_THAT(std::string(opened.status().message()), Not(HasSubstr("CREATE")));
  const auto detail = opened.status().GetPayload(kSqliteDetailUrl);
  ASSERT_TRUE(detail.has_value());
  EXPECT_THAT(std::string(*detail), HasSubstr("already exists"));
  EXPECT_EQ(Count("PRAGMA user_version"), 1);
  // The ALTERs that follow the failing statement in the same migration did not apply.
  EXPECT_EQ(Count("SELECT count(*) FROM pragma_table_info('results')"
                  " WHERE name = 'checkpoint_use'"),
            0);
  EXPECT_EQ(Count("SELECT count(*) FROM results"), 1);
}

}  // namespace
}  // namespace sweep::storage
