// Checkpoints of trained models: stored once per training hash, read back bit for bit,
// offered to later leases of jobs with the same training hash, and recorded on results.
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/reader.h"
#include "storage/report_digest.h"
#include "storage/store.h"
#include "tests/storage/test_util.h"
#include "tests/testing/status_matchers.h"

namespace sweep::storage {
namespace {

using ::sweep::testing::IsOk;
using ::sweep::testing::Meta;
using ::sweep::testing::OkReport;
using ::sweep::testing::StatusIs;
using ::testing::HasSubstr;

const TimePoint kT0 = FromUnixMillis(1'700'000'000'000);
constexpr std::chrono::seconds kTtl{30};

// Bytes a text API would mangle: every byte value, zeros first and inside, and enough of
// them (with a pseudo-random tail) to spill into SQLite overflow pages.
std::string BinaryBytes(size_t n, uint32_t seed) {
  std::string b(n, '\0');
  uint32_t x = seed;
  for (size_t i = 0; i < n; ++i) {
    x = x * 1664525u + 1013904223u;
    b[i] = static_cast<char>(i < 512 ? (i % 256) : (x >> 24));
  }
  return b;
}

// Two cells that differ only in an evaluation key: one training hash, two config hashes.
PreparedJob MambaJob(const std::string& eval) {
  return PreparedJob{absl::StrCat(R"({"d":8,"eval":)", eval, R"(,"model":"mamba"})"),
                     absl::StrCat("cfg:", eval), "train:mamba-d8", "mamba"};
}

CheckpointRecord Checkpoint(const std::string& hash, std::string bytes,
                            std::optional<int64_t> job_id = std::nullopt) {
  CheckpointRecord c;
  c.training_hash = hash;
  c.model = "mamba";
  c.config_json = R"({"d":8,"eval":1,"model":"mamba"})";
  c.bytes = std::move(bytes);
  c.job_id = job_id;
  return c;
}

class CheckpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_.File("sweep.db");
    auto store = Store::Open(path_);
    ASSERT_THAT(store, IsOk());
    store_ = std::move(*store);
  }
  std::unique_ptr<Reader> OpenReader() {
    auto reader = Reader::Open(path_);
    EXPECT_THAT(reader, IsOk());
    return reader.ok() ? std::move(*reader) : nullptr;
  }
  int64_t Count(const std::string& sql) { return *store_->connection().QueryInt(sql); }

  ::sweep::testing::TempDir dir_;
  std::string path_;
  std::unique_ptr<Store> store_;
};

TEST_F(CheckpointTest, BinaryBytesRoundTripWithMetadata) {
  const std::string bytes = BinaryBytes(300'000, 7);
  ASSERT_EQ(bytes[0], '\0');
  auto put = store_->PutCheckpoint(Checkpoint("train:a", bytes), kT0);
  ASSERT_THAT(put, IsOk());
  EXPECT_TRUE(put->stored);
  EXPECT_EQ(put->sha256, Sha256Hex(bytes));

  auto got = OpenReader()->GetCheckpoint("train:a");
  ASSERT_THAT(got, IsOk());
  ASSERT_TRUE(got->has_value());
  const CheckpointRecord& c = **got;
  EXPECT_EQ(c.bytes.size(), bytes.size());
  EXPECT_TRUE(c.bytes == bytes);  // not EXPECT_EQ: a failure would print 300 kB
  EXPECT_EQ(c.size_bytes, 300'000);
  EXPECT_EQ(c.sha256, Sha256Hex(bytes));
  EXPECT_EQ(c.model, "mamba");
  EXPECT_EQ(c.format, "safetensors");
  EXPECT_EQ(c.config_json, R"({"d":8,"eval":1,"model":"mamba"})");
  EXPECT_EQ(c.job_id, std::nullopt);
  EXPECT_EQ(c.created_at, kT0);
  // Stored as a BLOB, so sqlite3 and Python see bytes, not text cut at the first zero.
  EXPECT_EQ(*store_->connection().QueryText("SELECT typeof(bytes) FROM checkpoints"), "blob");
  EXPECT_EQ(Count("SELECT length(bytes) FROM checkpoints"), 300'000);
}

TEST_F(CheckpointTest, Sha256HexMatchesKnownVector) {
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_F(CheckpointTest, SecondPutOfAHashKeepsTheFirstBytes) {
  const std::string first = BinaryBytes(1000, 1), second = BinaryBytes(1000, 2);
  ASSERT_THAT(store_->PutCheckpoint(Checkpoint("train:a", first), kT0), IsOk());
  auto same = store_->PutCheckpoint(Checkpoint("train:a", first), kT0 + kTtl);
  ASSERT_THAT(same, IsOk());
  EXPECT_FALSE(same->stored);
  EXPECT_TRUE(same->same_bytes);
  auto other = store_->PutCheckpoint(Checkpoint("train:a", second), kT0 + kTtl);
  ASSERT_THAT(other, IsOk());
  EXPECT_FALSE(other->stored);
  EXPECT_FALSE(other->same_bytes);
  EXPECT_EQ(other->sha256, Sha256Hex(first));

  auto got = OpenReader()->GetCheckpoint("train:a");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_TRUE((*got)->bytes == first);
  EXPECT_EQ((*got)->created_at, kT0);
  EXPECT_EQ(Count("SELECT count(*) FROM checkpoints"), 1);
  EXPECT_EQ(Count("SELECT count(*) FROM events WHERE kind = 'checkpoint_stored'"), 1);
}

TEST_F(CheckpointTest, MissingHashIsNullopt) {
  ASSERT_THAT(store_->PutCheckpoint(Checkpoint("train:a", "x"), kT0), IsOk());
  auto got = OpenReader()->GetCheckpoint("train:b");
  ASSERT_THAT(got, IsOk());
  EXPECT_FALSE(got->has_value());
}

TEST_F(CheckpointTest, InvalidPutsAreRefusedAndWriteNothing) {
  ASSERT_THAT(store_->SubmitPrepared(Meta("r1"), {MambaJob("1")}, kT0), IsOk());
  CheckpointRecord bad_format = Checkpoint("train:mamba-d8", "x");
  bad_format.format = "pt";
  EXPECT_THAT(store_->PutCheckpoint(bad_format, kT0),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("format \"pt\"")));
  EXPECT_THAT(store_->PutCheckpoint(Checkpoint("", "x"), kT0),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("training_hash")));
  EXPECT_THAT(store_->PutCheckpoint(Checkpoint("train:mamba-d8", ""), kT0),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("bytes empty")));
  CheckpointRecord bad_sha = Checkpoint("train:mamba-d8", "x");
  bad_sha.sha256 = Sha256Hex("y");
  EXPECT_THAT(store_->PutCheckpoint(bad_sha, kT0),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("sha256")));
  CheckpointRecord bad_size = Checkpoint("train:mamba-d8", "x");
  bad_size.size_bytes = 2;
  EXPECT_THAT(store_->PutCheckpoint(bad_size, kT0),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("size_bytes")));
  EXPECT_THAT(store_->PutCheckpoint(Checkpoint("train:mamba-d8", "x", 99), kT0),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("job_id 99")));
  EXPECT_THAT(store_->PutCheckpoint(Checkpoint("train:other", "x", 1), kT0),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("job 1 has training hash train:mamba-d8")));
  EXPECT_EQ(Count("SELECT count(*) FROM checkpoints"), 0);
  // The right sha256 and size are accepted.
  CheckpointRecord good = Checkpoint("train:mamba-d8", "x", 1);
  good.sha256 = Sha256Hex("x");
  good.size_bytes = 1;
  EXPECT_THAT(store_->PutCheckpoint(good, kT0), IsOk());
}

TEST_F(CheckpointTest, FullDatabaseIsResourceExhaustedAndStoresNothing) {
  const int64_t pages = Count("PRAGMA page_count");
  ASSERT_THAT(store_->connection().Exec(absl::StrCat("PRAGMA max_page_count = ", pages + 2)),
              IsOk());
  EXPECT_THAT(store_->PutCheckpoint(Checkpoint("train:a", BinaryBytes(100'000, 3)), kT0),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("storage full")));
  EXPECT_EQ(Count("SELECT count(*) FROM checkpoints"), 0);
  EXPECT_EQ(*store_->connection().QueryText("PRAGMA integrity_check"), "ok");
}

TEST_F(CheckpointTest, LeaseSaysWhetherTheTrainingHashHasACheckpoint) {
  // Sweep 1 trains; sweep 2 changes only an evaluation key (same training hash).
  ASSERT_THAT(store_->SubmitPrepared(Meta("r1"), {MambaJob("1")}, kT0), IsOk());
  auto first = store_->LeaseNext("w1", kT0, kTtl);
  ASSERT_TRUE(first.ok() && first->has_value());
  EXPECT_EQ((*first)->training_hash, "train:mamba-d8");
  EXPECT_FALSE((*first)->checkpoint_available);
  ASSERT_THAT(store_->PutCheckpoint(Checkpoint("train:mamba-d8", "weights", (*first)->job_id), kT0),
              IsOk());
  ASSERT_THAT(store_->SubmitPrepared(Meta("r2"), {MambaJob("2")}, kT0), IsOk());
  auto second = store_->LeaseNext("w1", kT0, kTtl);
  ASSERT_TRUE(second.ok() && second->has_value());
  EXPECT_EQ((*second)->sweep_id, 2);
  EXPECT_EQ((*second)->training_hash, "train:mamba-d8");
  EXPECT_TRUE((*second)->checkpoint_available);
}

TEST_F(CheckpointTest, ResultsRecordWhetherTheCheckpointWasTrainedOrReused) {
  ASSERT_THAT(
      store_->SubmitPrepared(
          Meta("r1"), {MambaJob("1"), MambaJob("2"), PreparedJob{"{}", "cfg:krr", "t:krr", "krr"}},
          kT0),
      IsOk());
  auto trained = store_->LeaseNext("w1", kT0, kTtl);
  auto reused = store_->LeaseNext("w1", kT0, kTtl);
  auto none = store_->LeaseNext("w1", kT0, kTtl);
  ASSERT_TRUE(trained.ok() && reused.ok() && none.ok() && none->has_value());
  ASSERT_THAT(store_->PutCheckpoint(Checkpoint("train:mamba-d8", "weights", 1), kT0), IsOk());
  JobReport r1 = OkReport("w1", 1.0, 0.5);
  r1.checkpoint_use = CheckpointUse::kTrained;
  r1.checkpoint_sha256 = Sha256Hex("weights");
  JobReport r2 = OkReport("w1", 2.0, 1.0);
  r2.checkpoint_use = CheckpointUse::kReused;  // no sha256: taken from the checkpoints row
  ASSERT_THAT(store_->Report(1, 1, r1, kT0), IsOk());
  ASSERT_THAT(store_->Report(2, 1, r2, kT0), IsOk());
  ASSERT_THAT(store_->Report(3, 1, OkReport("w1", 3.0, 1.5), kT0), IsOk());
  Connection& c = store_->connection();
  EXPECT_EQ(*c.QueryText("SELECT checkpoint_use FROM results WHERE job_id = 1"), "trained");
  EXPECT_EQ(*c.QueryText("SELECT checkpoint_use FROM results WHERE job_id = 2"), "reused");
  EXPECT_EQ(*c.QueryText("SELECT checkpoint_use FROM results WHERE job_id = 3"), "none");
  EXPECT_EQ(*c.QueryText("SELECT checkpoint_sha256 FROM results WHERE job_id = 1"),
            Sha256Hex("weights"));
  EXPECT_EQ(*c.QueryText("SELECT checkpoint_sha256 FROM results WHERE job_id = 2"),
            Sha256Hex("weights"));
  EXPECT_EQ(Count("SELECT checkpoint_sha256 IS NULL FROM results WHERE job_id = 3"), 1);
  // The checkpoint fields are part of the report's identity: a replay must match them.
  EXPECT_THAT(store_->Report(2, 1, r2, kT0), IsOk());
  JobReport r2_trained = r2;
  r2_trained.checkpoint_use = CheckpointUse::kTrained;
  EXPECT_THAT(store_->Report(2, 1, r2_trained, kT0),
              StatusIs(absl::StatusCode::kAborted, HasSubstr("different result")));
}

TEST_F(CheckpointTest, ReaderFindsCheckpointsByJobAndBySweep) {
  ASSERT_THAT(store_->SubmitPrepared(Meta("r1"), {MambaJob("1")}, kT0), IsOk());
  ASSERT_THAT(store_->SubmitPrepared(Meta("r2"), {MambaJob("2")}, kT0), IsOk());
  ASSERT_THAT(store_->SubmitPrepared(Meta("r3"), {PreparedJob{"{}", "c", "t:krr", "krr"}}, kT0),
              IsOk());
  ASSERT_THAT(store_->PutCheckpoint(Checkpoint("train:mamba-d8", BinaryBytes(600, 4), 1), kT0),
              IsOk());
  ASSERT_THAT(store_->PutCheckpoint(Checkpoint("train:unrelated", "u"), kT0 + kTtl), IsOk());
  std::unique_ptr<Reader> reader = OpenReader();

  // Job 2 (sweep 2) reuses what job 1 trained: export finds it from either job.
  auto by_job = reader->GetCheckpointForJob(2);
  ASSERT_THAT(by_job, IsOk());
  ASSERT_TRUE(by_job->has_value());
  EXPECT_EQ((*by_job)->job_id, 1);
  EXPECT_TRUE((*by_job)->bytes == BinaryBytes(600, 4));
  auto krr = reader->GetCheckpointForJob(3);
  ASSERT_THAT(krr, IsOk());
  EXPECT_FALSE(krr->has_value());
  EXPECT_THAT(reader->GetCheckpointForJob(9),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("job 9")));

  auto all = reader->ListCheckpoints(std::nullopt);
  ASSERT_THAT(all, IsOk());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].training_hash, "train:mamba-d8");
  EXPECT_EQ((*all)[0].size_bytes, 600);
  EXPECT_TRUE((*all)[0].bytes.empty());  // listings carry metadata only
  EXPECT_EQ((*all)[1].training_hash, "train:unrelated");
  auto sweep2 = reader->ListCheckpoints(2);
  ASSERT_THAT(sweep2, IsOk());
  ASSERT_EQ(sweep2->size(), 1u);
  EXPECT_EQ((*sweep2)[0].training_hash, "train:mamba-d8");
  auto sweep3 = reader->ListCheckpoints(3);
  ASSERT_THAT(sweep3, IsOk());
  EXPECT_TRUE(sweep3->empty());
  EXPECT_THAT(reader->ListCheckpoints(4),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("sweep 4")));
}

}  // namespace
}  // namespace sweep::storage
