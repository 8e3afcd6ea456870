// `sweep estimate`: the estimate is within a factor of 2 of what the jobs then take (CPU
// time of this thread, rates calibrated in the same run, on shapes other than the
// calibration's), the table/csv/json outputs, and bad rates files.
#include "client/estimate.h"

#include <time.h>

#include <cstdio>
#include <fstream>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/job_keys.h"
#include "tests/testing/status_matchers.h"
#include "worker/numerics/cost_model.h"
#include "worker/numerics/run_job.h"

namespace sweep::client {
namespace {

using ::sweep::testing::IsOk;
using ::testing::HasSubstr;

double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}

std::string TempFile(const std::string& name, const std::string& text) {
  const std::string path = ::testing::TempDir() + name;
  std::ofstream(path) << text;
  return path;
}

TEST(EstimateTest, WithinAFactorOfTwoOfTheMeasuredCpuTimeOnASmallSweep) {
  absl::StatusOr<numerics::CostRates> rates = CalibrateRates();
  ASSERT_THAT(rates, IsOk());
  // Shapes unlike the calibration jobs: other N, D, L, batch, d, eval settings.
  const nlohmann::json jobs[] = {
      {{"model", "mamba"},
       {"d", 8},
       {"r", 2},
       {"N", 24},
       {"D", 32},
       {"L", 1},
       {"batch", 32},
       {"steps", 80},
       {"eval_tasks", 100}},
      {{"model", "transformer"},
       {"d", 12},
       {"r", 2},
       {"N", 30},
       {"D", 48},
       {"L", 3},
       {"batch", 16},
       {"steps", 40},
       {"eval_tasks", 100}},
      {{"model", "krr"},
       {"d", 8},
       {"r", 2},
       {"N", 100},
       {"eval_tasks", 150},
       {"features", "intrinsic"}},
      {{"model", "mamba-theory"},
       {"d", 8},
       {"r", 2},
       {"N", 256},
       {"K1", 100},
       {"T1", 64},
       {"T2", 2048},
       {"eval_tasks", 300}},
  };
  for (const nlohmann::json& partial : jobs) {
    absl::StatusOr<JobConfig> config = ResolveJobConfig(partial);
    ASSERT_THAT(config, IsOk()) << partial.dump();
    absl::StatusOr<double> estimate = numerics::EstimateJobSeconds(*config, *rates);
    ASSERT_THAT(estimate, IsOk());
    const double t0 = ThreadCpuSeconds();
    ASSERT_THAT(numerics::RunJob(*config, {}), IsOk()) << partial.dump();
    const double measured = ThreadCpuSeconds() - t0;
    std::printf("%s: estimate %.3f s, measured %.3f s CPU\n",
                std::string(EnumName(config->model)).c_str(), *estimate, measured);
    EXPECT_GT(*estimate, measured / 2) << partial.dump();
    EXPECT_LT(*estimate, measured * 2) << partial.dump();
  }
}

constexpr char kSweep[] = R"(name: est
base: {d: 8, r: 2, N: 32, eval_tasks: 100, model: krr}
grid:
  features: [ambient, intrinsic]
seeds: 3
)";

TEST(EstimateTest, GroupsJobsByShapeWithATotal) {
  const std::string file = TempFile("est.yaml", kSweep);
  const numerics::CostRates rates = numerics::DefaultRates();
  absl::StatusOr<std::string> table = FormatEstimate(file, rates, Format::kTable);
  ASSERT_THAT(table, IsOk());
  EXPECT_THAT(*table, HasSubstr("6 jobs, 2 shapes"));
  EXPECT_THAT(*table, HasSubstr("features"));  // the varying key names the shapes
  EXPECT_THAT(*table, HasSubstr("total"));
  absl::StatusOr<std::string> csv = FormatEstimate(file, rates, Format::kCsv);
  ASSERT_THAT(csv, IsOk());
  EXPECT_THAT(*csv, HasSubstr("features,model,jobs,work,cpu_s_per_job,cpu_s,bytes_per_job\n"));
  absl::StatusOr<std::string> json = FormatEstimate(file, rates, Format::kJson);
  ASSERT_THAT(json, IsOk());
  const nlohmann::json j = nlohmann::json::parse(*json);
  ASSERT_EQ(j["shapes"].size(), 2u);
  EXPECT_EQ(j["total"]["jobs"], 6);
  const double per_job = j["shapes"][0]["cpu_seconds_per_job"];
  EXPECT_NEAR(double(j["shapes"][0]["cpu_seconds"]), 3 * per_job, 1e-9);
}

TEST(EstimateTest, RatesFileRoundTripsAndBadFieldsAreNamed) {
  numerics::CostRates rates = numerics::DefaultRates();
  rates.krr = 1.5e9;
  const std::string path = ::testing::TempDir() + "rates.json";
  ASSERT_THAT(WriteRates(rates, path), IsOk());
  absl::StatusOr<numerics::CostRates> back = ReadRates(path);
  ASSERT_THAT(back, IsOk());
  EXPECT_EQ(back->krr, 1.5e9);
  const std::string bad =
      TempFile("bad.json", R"({"net_f32": 1e9, "net_f64": 1e9, "krr": -1, "theory": 1e9})");
  EXPECT_THAT(ReadRates(bad).status().message(), HasSubstr("krr must be a positive number"));
  EXPECT_TRUE(absl::IsNotFound(ReadRates(::testing::TempDir() + "none.json").status()));
}

}  // namespace
}  // namespace sweep::client
