// Checkpoint reuse with the real binaries (docs/checkpoints.md, "Using checkpoints"):
// sweepd + a sweep-worker process; a second sweep that differs only in eval_tasks reuses
// the models of the first, and `sweep checkpoints` / `sweep export` give the stored
// bytes over RPC and from the DB file alike.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "storage/reader.h"
#include "tests/integration/cluster.h"
#include "tests/testing/status_matchers.h"

namespace sweep::integration {
namespace {

using sweep::testing::IsOk;
using ::testing::HasSubstr;

constexpr const char* kTinyNets = R"(name: %s
base: {d: 4, r: 1, N: 6, steps: 20, batch: 8, D: 8, L: 1, eval_tasks: %d}
grid:
  model: [mamba, transformer]
seeds: 1
)";

std::string SweepFile(const char* name, int eval_tasks) {
  char buf[256];
  std::snprintf(buf, sizeof buf, kTinyNets, name, eval_tasks);
  return buf;
}

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(CheckpointIntegrationTest, SecondSweepReusesModelsAndExportRoundTrips) {
  Cluster c(::testing::UnitTest::GetInstance()->current_test_info()->name());
  ASSERT_TRUE(c.StartCoordinator());
  c.StartWorker(1);
  CommandResult a = c.Sweep({"submit", c.WriteFile("a.yaml", SweepFile("first", 64)), "--wait"});
  ASSERT_EQ(a.exit_code, 0) << a.out << a.err;
  CommandResult b = c.Sweep({"submit", c.WriteFile("b.yaml", SweepFile("second", 128)), "--wait"});
  ASSERT_EQ(b.exit_code, 0) << b.out << b.err;

  // Two models, two checkpoints (one per training hash), made by the first sweep's jobs.
  CommandResult list = c.Sweep({"checkpoints", "--format", "csv"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_EQ(std::count(list.out.begin(), list.out.end(), '\n'), 3) << list.out;
  CommandResult second = c.Sweep({"checkpoints", "second", "--format", "csv"});
  EXPECT_EQ(second.out, list.out);  // the second sweep's jobs map to the same checkpoints

  auto reader = storage::Reader::Open(c.db());
  ASSERT_THAT(reader, IsOk());
  auto jobs = c.Jobs(2);
  ASSERT_THAT(jobs, IsOk());
  ASSERT_EQ(jobs->size(), 2u);
  for (const JobRecord& j : *jobs) {
    auto result = (*reader)->GetResult(j.job_id);
    ASSERT_THAT(result, IsOk());
    EXPECT_TRUE(result->loss_curve.empty()) << "job " << j.job_id << " trained again";
    auto stored = (*reader)->GetCheckpointForJob(j.job_id);
    ASSERT_THAT(stored, IsOk());
    ASSERT_TRUE(stored->has_value());
    const std::string id = std::to_string(j.job_id);
    const std::string rpc_file = c.dir() + "/rpc-" + id + ".safetensors";
    const std::string db_file = c.dir() + "/db-" + id + ".safetensors";
    CommandResult e1 = c.Sweep({"export", id, "--out", rpc_file});
    ASSERT_EQ(e1.exit_code, 0) << e1.err;
    CommandResult e2 = c.Sweep({"export", id, "--db", c.db(), "--out", db_file});
    ASSERT_EQ(e2.exit_code, 0) << e2.err;
    EXPECT_EQ(Slurp(rpc_file), (*stored)->bytes);
    EXPECT_EQ(Slurp(db_file), (*stored)->bytes);
  }
}

}  // namespace
}  // namespace sweep::integration
