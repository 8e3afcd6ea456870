// safetensors checkpoints: byte layout, round trip (same predictions after load) and
// rejection of damaged or mismatched files.
#include <cstdint>
#include <cstring>
#include <string>

#include "common/job_keys.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testing/status_matchers.h"
#include "worker/numerics/nets/checkpoint.h"

namespace sweep::numerics::nets {
namespace {

using ::sweep::testing::StatusIs;
using ::testing::HasSubstr;

JobConfig SmallConfig(ModelKind model) {
  JobConfig c;
  c.model = model, c.d = 3, c.r = 2, c.N = 4, c.format = PromptFormat::kInterleaved, c.seed = 3;
  c.eval_lengths = {0, 1, 2, 3, 4};
  c.L = 1, c.D = 8, c.n = 4, c.expand = 2, c.conv = 2, c.H = 2;
  return c;
}

nlohmann::json Header(const std::string& bytes) {
  uint64_t len = 0;
  std::memcpy(&len, bytes.data(), 8);
  return nlohmann::json::parse(bytes.substr(8, len));
}

PromptBatch SomePrompts(int count, int N, int d) {
  PromptBatch p;
  p.count = count, p.N = N, p.d = d;
  p.x = Eigen::MatrixXd::Random(d, count * (N + 1));
  p.y = Eigen::VectorXd::Random(count * (N + 1));
  return p;
}

TEST(CheckpointTest, LayoutIsSafetensors) {
  auto model = TrainedModel::Create(SmallConfig(ModelKind::kMamba));
  ASSERT_TRUE(model.ok()) << model.status();
  const std::string bytes = SaveCheckpoint(*model);
  uint64_t len = 0;
  std::memcpy(&len, bytes.data(), 8);
  EXPECT_EQ(len % 8, 0u);
  const nlohmann::json h = Header(bytes);
  const nlohmann::json& a = h["layers.0.mixer.A_log"];
  EXPECT_EQ(a["dtype"], "F32");
  EXPECT_EQ(a["shape"], nlohmann::json::array({16, 4}));  // (E = expand * D, n)
  const uint64_t begin = a["data_offsets"][0];
  float first_row[4];
  std::memcpy(first_row, bytes.data() + 8 + len + begin, sizeof(first_row));
  // Row-major: A_log[0, k] = log(k + 1) are the first four values.
  EXPECT_FLOAT_EQ(first_row[1], std::log(2.0f));
  EXPECT_FLOAT_EQ(first_row[3], std::log(4.0f));
  EXPECT_EQ(h["layers.0.mixer.D"]["shape"], nlohmann::json::array({16}));
  EXPECT_TRUE(h["__metadata__"]["config"].is_string());
}

// A resolved config (the registry fills defaults and drops keys the model does not use),
// as every real job has: only such a config survives the canonical-JSON round trip.
void ExpectRoundTrip(const std::string& model_name, const std::string& dtype) {
  const auto c = ResolveJobConfig({{"model", model_name},
                                   {"d", 3},
                                   {"N", 4},
                                   {"L", 1},
                                   {"D", 8},
                                   {"n", 4},
                                   {"H", 2},
                                   {"dtype", dtype}});
  ASSERT_TRUE(c.ok()) << c.status();
  auto model = TrainedModel::Create(*c);
  ASSERT_TRUE(model.ok()) << model.status();
  const std::string bytes = SaveCheckpoint(*model);
  auto loaded = LoadCheckpoint(bytes);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->config(), model->config());
  const PromptBatch p = SomePrompts(5, 4, 3);
  const auto before = Predict(*model, p);
  const auto after = Predict(*loaded, p);
  ASSERT_TRUE(before.ok() && after.ok());
  EXPECT_EQ(*before, *after);  // bit-identical weights give bit-identical predictions
  EXPECT_EQ(SaveCheckpoint(*loaded), bytes);
}

// The tensor path alone (independent of the config registry): weights of a model with
// seed 3 loaded into one initialised with seed 4 give seed 3's predictions.
TEST(CheckpointTest, WeightsRoundTripIntoAnotherModel) {
  for (ModelKind name : {ModelKind::kMamba, ModelKind::kTransformer}) {
    JobConfig c = SmallConfig(name);
    auto source = TrainedModel::Create(c);
    c.seed = 4;
    auto target = TrainedModel::Create(c);
    ASSERT_TRUE(source.ok() && target.ok());
    const PromptBatch p = SomePrompts(5, 4, 3);
    const Eigen::MatrixXd want = Predict(*source, p).value();
    EXPECT_NE(Predict(*target, p).value(), want) << EnumName(name);
    ASSERT_THAT(LoadCheckpointWeights(SaveCheckpoint(*source), *target), ::sweep::testing::IsOk());
    EXPECT_EQ(Predict(*target, p).value(), want) << EnumName(name);
  }
}

TEST(CheckpointTest, RejectsMismatchedShapes) {
  auto small = TrainedModel::Create(SmallConfig(ModelKind::kMamba));
  JobConfig c = SmallConfig(ModelKind::kMamba);
  c.n = 8;
  auto wider = TrainedModel::Create(c);
  ASSERT_TRUE(small.ok() && wider.ok());
  EXPECT_THAT(LoadCheckpointWeights(SaveCheckpoint(*small), *wider),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("\"layers.0.mixer.W_B\": shape [4,16] != expected [8,16]")));
  c = SmallConfig(ModelKind::kMamba);
  c.dtype = Dtype::kFloat64;
  auto f64 = TrainedModel::Create(c);
  EXPECT_THAT(LoadCheckpointWeights(SaveCheckpoint(*small), *f64),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("dtype is not F64")));
}

TEST(CheckpointTest, MambaRoundTrip) { ExpectRoundTrip("mamba", "float32"); }
TEST(CheckpointTest, TransformerFloat64RoundTrip) { ExpectRoundTrip("transformer", "float64"); }

TEST(CheckpointTest, RejectsTruncatedAndDamagedBytes) {
  auto model = TrainedModel::Create(SmallConfig(ModelKind::kTransformer));
  ASSERT_TRUE(model.ok());
  const std::string bytes = SaveCheckpoint(*model);
  EXPECT_THAT(LoadCheckpoint(bytes.substr(0, 5)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("8-byte")));
  EXPECT_THAT(LoadCheckpoint(bytes.substr(0, 40)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("header length")));
  std::string garbled = bytes;
  garbled[8] = '#';
  EXPECT_THAT(LoadCheckpoint(garbled),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not a JSON object")));
}

TEST(CheckpointTest, PredictionsReadOnePerContextLength) {
  auto model = TrainedModel::Create(SmallConfig(ModelKind::kMamba));
  ASSERT_TRUE(model.ok());
  const PromptBatch p = SomePrompts(3, 4, 3);
  const auto pred = Predict(*model, p);
  ASSERT_TRUE(pred.ok()) << pred.status();
  EXPECT_EQ(pred->rows(), 5);  // n = 0..4
  EXPECT_EQ(pred->cols(), 3);
  // Causality: the prediction with n examples ignores later tokens.
  PromptBatch q = p;
  q.y[4] += 10;             // the query label is never seen
  q.x.col(3).array() += 1;  // example 3 only enters predictions with n >= 3
  const auto pred_q = Predict(*model, q);
  ASSERT_TRUE(pred_q.ok());
  EXPECT_EQ(pred->topRows(3), pred_q->topRows(3));
  EXPECT_NE(pred->row(3), pred_q->row(3));
  // Tokens in, predictions out: the same numbers through the raw interface.
  Mat<double> tokens;
  BuildTokens(p, PromptFormat::kInterleaved, 3, tokens);
  const auto raw = PredictTokens(*model, {tokens.leftCols(9)});
  ASSERT_TRUE(raw.ok()) << raw.status();
  EXPECT_NEAR((*raw)[0][8], (*pred)(4, 0), 1e-6);
  EXPECT_THAT(PredictTokens(*model, {Eigen::MatrixXd::Zero(2, 3)}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("width")));
}

}  // namespace
}  // namespace sweep::numerics::nets
