// Coordinator checkpoints: "train once, evaluate many" (docs/design.md section 4.10). A
// sweep that changes only evaluation keys is told at lease time that its trained model
// is already stored.
#include <thread>
#include <vector>

#include "common/job_keys.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/coordinator.h"
#include "tests/server/coordinator_fixture.h"

namespace sweep::server {
namespace {

using ::sweep::testing::IsOk;
using ::sweep::testing::Meta;
using ::sweep::testing::OkReport;
using ::sweep::testing::StatusIs;
using ::testing::HasSubstr;

// A resolved mamba config; `eps` is an evaluation key, so it leaves TrainingHash alone.
JobConfig Mamba(double eps) {
  auto config = ResolveJobConfig(
      nlohmann::json{{"model", "mamba"}, {"d", 8}, {"N", 16}, {"seed", 1}, {"eps", eps}});
  EXPECT_THAT(config, IsOk());
  return config.ok() ? *config : JobConfig{};
}

CheckpointRecord Checkpoint(const JobConfig& config, std::string bytes,
                            std::optional<int64_t> job_id) {
  CheckpointRecord c;
  c.training_hash = TrainingHash(config);
  c.model = EnumName(config.model);
  c.config_json = CanonicalJson(config);
  c.bytes = std::move(bytes);
  c.job_id = job_id;
  return c;
}

class CoordinatorCheckpointTest : public CoordinatorTest {
 protected:
  int64_t SubmitOne(const JobConfig& config, const std::string& request_id) {
    NewSweep s = Meta(request_id);
    s.jobs = {config};
    auto out = coord_->Submit(s);
    EXPECT_THAT(out, IsOk());
    return out.ok() ? out->sweep_id : -1;
  }
};

TEST_F(CoordinatorCheckpointTest, EvaluationOnlyChangeReusesTheTrainedModel) {
  const JobConfig trained = Mamba(0.5), evaluated = Mamba(0.1);
  ASSERT_EQ(TrainingHash(trained), TrainingHash(evaluated));
  ASSERT_NE(ConfigHash(trained), ConfigHash(evaluated));

  SubmitOne(trained, "r1");
  const sweep::Lease first = MustLease("w1");
  EXPECT_EQ(first.training_hash, TrainingHash(trained));
  EXPECT_FALSE(first.checkpoint_available);
  const std::string weights("\0safetensors\0\xff", 14);
  ASSERT_THAT(coord_->PutCheckpoint(Checkpoint(trained, weights, first.job_id)), IsOk());
  JobReport report = OkReport("w1", 1.0, 0.5);
  report.checkpoint_use = CheckpointUse::kTrained;
  ASSERT_THAT(coord_->Report(first.job_id, first.attempt, report), IsOk());

  // A new sweep with another eps: a new cell (not a cache hit) whose model is stored.
  const int64_t sweep2 = SubmitOne(evaluated, "r2");
  const sweep::Lease second = MustLease("w2");
  EXPECT_EQ(second.sweep_id, sweep2);
  EXPECT_TRUE(second.checkpoint_available);
  auto got = coord_->GetCheckpoint(second.training_hash);
  ASSERT_THAT(got, IsOk());
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->bytes, weights);
  EXPECT_EQ((*got)->job_id, first.job_id);
  EXPECT_EQ((*got)->config_json, CanonicalJson(trained));

  auto for_job = coord_->GetCheckpointForJob(second.job_id);
  ASSERT_TRUE(for_job.ok() && for_job->has_value());
  EXPECT_EQ((*for_job)->training_hash, TrainingHash(trained));
  auto listed = coord_->ListCheckpoints(sweep2);
  ASSERT_THAT(listed, IsOk());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].size_bytes, 14);
  EXPECT_TRUE((*listed)[0].bytes.empty());
}

TEST_F(CoordinatorCheckpointTest, SecondPutIsOkAndKeepsTheFirstBytes) {
  const JobConfig config = Mamba(0.5);
  ASSERT_THAT(coord_->PutCheckpoint(Checkpoint(config, "first", std::nullopt)), IsOk());
  ASSERT_THAT(coord_->PutCheckpoint(Checkpoint(config, "second", std::nullopt)), IsOk());
  auto got = coord_->GetCheckpoint(TrainingHash(config));
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->bytes, "first");
  EXPECT_EQ(Count("SELECT count(*) FROM checkpoints"), 1);
}

TEST_F(CoordinatorCheckpointTest, MissingHashIsNulloptAndBadPutsAreErrors) {
  auto got = coord_->GetCheckpoint("0000");
  ASSERT_THAT(got, IsOk());
  EXPECT_FALSE(got->has_value());
  EXPECT_THAT(coord_->GetCheckpointForJob(5),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("job 5")));
  EXPECT_THAT(coord_->PutCheckpoint(Checkpoint(Mamba(0.5), "", std::nullopt)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("bytes empty")));
  EXPECT_THAT(coord_->PutCheckpoint(Checkpoint(Mamba(0.5), "x", 5)),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("job_id 5")));
}

TEST_F(CoordinatorCheckpointTest, CheckpointSurvivesARestart) {
  const JobConfig config = Mamba(0.5);
  ASSERT_THAT(coord_->PutCheckpoint(Checkpoint(config, "weights", std::nullopt)), IsOk());
  Reopen();
  auto got = coord_->GetCheckpoint(TrainingHash(config));
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->bytes, "weights");
}

TEST_F(CoordinatorCheckpointTest, ConcurrentPutsOfOneHashStoreOneRow) {
  const JobConfig config = Mamba(0.5);
  std::vector<absl::Status> statuses(8);
  {
    std::vector<std::jthread> threads;
    for (int i = 0; i < 8; ++i) {
      threads.emplace_back([&, i] {
        statuses[i] = coord_->PutCheckpoint(Checkpoint(config, absl::StrCat("w", i), std::nullopt));
      });
    }
  }
  for (const absl::Status& s : statuses) EXPECT_THAT(s, IsOk());
  EXPECT_EQ(Count("SELECT count(*) FROM checkpoints"), 1);
  EXPECT_EQ(Count("SELECT count(*) FROM events WHERE kind = 'checkpoint_stored'"), 1);
}

}  // namespace
}  // namespace sweep::server
