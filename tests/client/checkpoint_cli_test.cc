// `sweep checkpoints`, `sweep export` and `sweep predict` (client/checkpoints.h,
// client/predict.h) through the real command line, against an in-process coordinator
// (SweepServer on 127.0.0.1:0) and its DB file (--db), with a tiny trained mamba.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "client/cli.h"
#include "client/predict.h"
#include "common/job_keys.h"
#include "common/status.h"
#include "nlohmann/json.hpp"
#include "server/server_runner.h"
#include "tests/client/run_cli.h"
#include "tests/testing/status_matchers.h"
#include "worker/numerics/nets/checkpoint.h"
#include "worker/numerics/nets/trained_model.h"
#include "worker/numerics/run_job.h"

namespace sweep::client {
namespace {

using sweep::testing::IsOk;
using ::testing::HasSubstr;

JobConfig Config(const std::string& model) {
  nlohmann::json j = {{"model", model}, {"d", 4}, {"r", 1}, {"N", 6}};
  if (model != "krr") {
    j.update({{"steps", 20}, {"batch", 8}, {"D", 8}, {"L", 1}, {"eval_tasks", 32}});
  }
  absl::StatusOr<JobConfig> c = ResolveJobConfig(j);
  SWEEP_CHECK(c.ok());
  return *c;
}

std::string Slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class CheckpointCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("ckpt_cli_test_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    numerics::RunHooks hooks;
    hooks.on_trained_checkpoint = [&](std::string b) { bytes_ = std::move(b); };
    ASSERT_THAT(numerics::RunJob(Config("mamba"), hooks), IsOk());
    ASSERT_FALSE(bytes_.empty());
    std::ofstream(dir_ / "m.safetensors", std::ios::binary) << bytes_;
  }
  void TearDown() override {
    server_.reset();
    std::filesystem::remove_all(dir_);
  }
  // A coordinator with a sweep of one mamba and one krr job; the mamba job's checkpoint
  // stored as a worker would. Returns the mamba job's id.
  int64_t StartWithCheckpoint() {
    server::ServerOptions o;
    o.listen = "127.0.0.1:0";
    o.coordinator.db_path = db();
    o.auth = server::ServerAuth::WithRandomTokens();
    auth_ = o.auth;
    auto s = server::SweepServer::Start(o, SystemClock::Get());
    SWEEP_CHECK(s.ok());
    server_ = *std::move(s);
    NewSweep sweep{"req-1", "ck", "", {Config("mamba"), Config("krr")}};
    auto outcome = server_->coordinator().Submit(sweep);
    SWEEP_CHECK(outcome.ok());
    auto jobs = server_->coordinator().ListJobs(outcome->sweep_id, std::nullopt);
    SWEEP_CHECK(jobs.ok());
    for (const auto& j : *jobs) {
      (j.config_json.find("mamba") != std::string::npos ? mamba_ : krr_) = j.job_id;
    }
    CheckpointRecord c;
    c.training_hash = TrainingHash(Config("mamba"));
    c.model = "mamba";
    c.config_json = CanonicalJson(Config("mamba"));
    c.bytes = bytes_;
    c.job_id = mamba_;
    SWEEP_CHECK(server_->coordinator().PutCheckpoint(c).ok());
    return mamba_;
  }
  std::string db() const { return (dir_ / "c.db").string(); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  // The client token in a 0600 file, for `sweep --token-file`.
  std::string TokenFile() const {
    const std::string file = path("client-token");
    std::ofstream(file) << auth_.client_token << "\n";
    std::filesystem::permissions(
        file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    return file;
  }

  std::filesystem::path dir_;
  std::unique_ptr<server::SweepServer> server_;
  server::ServerAuth auth_;
  std::string bytes_;
  int64_t mamba_ = 0, krr_ = 0;
};

TEST_F(CheckpointCliTest, ExportRoundTripsTheStoredBytesViaCoordinatorAndDb) {
  const int64_t job = StartWithCheckpoint();
  const std::string id = std::to_string(job);
  CliRun rpc = RunSweepCli({"--coordinator", server_->address(), "--token-file", TokenFile(),
                            "export", id, "--out", path("a.safetensors")});
  ASSERT_EQ(rpc.code, 0) << rpc.err;
  EXPECT_EQ(Slurp(dir_ / "a.safetensors"), bytes_);
  CliRun file = RunSweepCli({"export", id, "--db", db(), "--out", path("b.safetensors")});
  ASSERT_EQ(file.code, 0) << file.err;
  EXPECT_EQ(Slurp(dir_ / "b.safetensors"), bytes_);

  CliRun list = RunSweepCli({"checkpoints", "ck", "--db", db(), "--format", "csv"});
  ASSERT_EQ(list.code, 0) << list.err;
  EXPECT_THAT(list.out, HasSubstr(TrainingHash(Config("mamba")) + ",mamba," +
                                  std::to_string(bytes_.size()) + "," + id + ","));
  CliRun none = RunSweepCli({"--coordinator", server_->address(), "--token-file", TokenFile(),
                             "export", std::to_string(krr_), "--out", path("k.safetensors")});
  EXPECT_NE(none.code, 0);
  EXPECT_THAT(none.err, HasSubstr("no checkpoint"));
  EXPECT_FALSE(std::filesystem::exists(dir_ / "k.safetensors"));
}

TEST_F(CheckpointCliTest, PredictMatchesNumericsPredict) {
  const nlohmann::json prompts = {{"prompts",
                                   {{{"x", {{1.0, 0.5, -0.25, 0.0}, {0.0, 1.0, 0.0, 2.0}}},
                                     {"y", {0.5, -0.2}},
                                     {"query", {0.3, 0.3, 0.0, -1.0}}},
                                    {{"x", nlohmann::json::array()},
                                     {"y", nlohmann::json::array()},
                                     {"query", {1.0, 2.0, 3.0, 4.0}}}}}};
  std::ofstream(dir_ / "p.json") << prompts.dump();
  CliRun r = RunSweepCli({"predict", path("m.safetensors"), path("p.json"), "--format", "json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const nlohmann::json got = nlohmann::json::parse(r.out);

  absl::StatusOr<PredictInput> in = ParsePredictInput(prompts.dump());
  ASSERT_THAT(in, IsOk());
  auto model = numerics::nets::LoadCheckpoint(bytes_);
  ASSERT_THAT(model, IsOk());
  ASSERT_EQ(got["predictions"].size(), 2u);
  for (size_t p = 0; p < 2; ++p) {
    auto want = numerics::nets::Predict(*model, in->prompts[p]);
    ASSERT_THAT(want, IsOk());
    ASSERT_EQ(got["predictions"][p].size(), static_cast<size_t>(want->rows()));  // N + 1
    for (Eigen::Index n = 0; n < want->rows(); ++n) {
      EXPECT_EQ(got["predictions"][p][n].get<double>(), (*want)(n, 0)) << "prompt " << p;
    }
  }
  EXPECT_EQ(in->prompts[0].x.col(2), Eigen::Vector4d(0.3, 0.3, 0.0, -1.0));  // the query
}

TEST_F(CheckpointCliTest, MalformedPromptsNameTheField) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"prompts":[{"x":[[1,0,0,0]],"y":[1]}]})", "prompts[0].query: missing"},
      {R"({"prompts":[{"x":[[1,0,0,0]],"y":[1,2],"query":[0,0,0,0]}]})", "prompts[0].y"},
      {R"({"prompts":[{"x":[[1,0]],"y":[1],"query":[0,0,0,0]}]})", "prompts[0].x[0]"},
      {R"({"prompts":[{"x":[],"y":[],"query":[0,"a",0,0]}]})", "prompts[0].query[1]"},
      {R"({"sequences":[[[1,0,0,0,0],[1,2]]]})", "sequences[0][1]"},
      {R"({"prompts":[]})", "prompts: expected a non-empty array"},
      {R"({"prompts": [)", "not valid JSON"},
  };
  for (const auto& [text, field] : cases) {
    std::ofstream(dir_ / "bad.json") << text;
    CliRun r = RunSweepCli({"predict", path("m.safetensors"), path("bad.json")});
    EXPECT_NE(r.code, 0) << text;
    EXPECT_THAT(r.err, HasSubstr(field)) << text;
    EXPECT_TRUE(r.out.empty());
  }
}

TEST_F(CheckpointCliTest, PredictRawTokensGivesOnePredictionPerToken) {
  std::ofstream(dir_ / "s.json") << R"({"sequences":[[[1,0,0,0,0],[0,0,0,0,0.5],[0,1,0,0,0]]]})";
  CliRun r = RunSweepCli({"predict", path("m.safetensors"), path("s.json"), "--format", "csv"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("sequence,t,prediction\n0,0,"));
  EXPECT_THAT(r.out, HasSubstr("\n0,2,"));
  CliRun bad = RunSweepCli({"predict", path("p-missing.json"), path("s.json")});
  EXPECT_NE(bad.code, 0);
  EXPECT_THAT(bad.err, HasSubstr("p-missing.json"));
}

}  // namespace
}  // namespace sweep::client
