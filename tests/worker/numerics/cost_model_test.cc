// cost_model.h: the memory formula against the measured peak RSS of one job per model
// (each in a forked child: ru_maxrss minus the child's RSS before the job), and the work
// formulas' scaling.
#include "worker/numerics/cost_model.h"

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include <gtest/gtest.h>

#include "common/job_keys.h"
#include "tests/testing/status_matchers.h"
#include "worker/numerics/run_job.h"

namespace sweep::numerics {
namespace {

using ::sweep::testing::IsOk;

double ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  long size = 0, resident = 0;
  statm >> size >> resident;
  return double(resident) * double(sysconf(_SC_PAGESIZE));
}

// Peak bytes the job adds to a fresh child process; -1 if the job failed.
double MeasuredPeakBytes(const JobConfig& config) {
  int fd[2];
  if (pipe(fd) != 0) return -1;
  const pid_t pid = fork();
  if (pid == 0) {
    close(fd[0]);
    const double rss0 = ResidentBytes();
    const bool ok = RunJob(config, {}).ok();
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    const double peak = ok ? double(ru.ru_maxrss) * 1024.0 - rss0 : -1;
    (void)!write(fd[1], &peak, sizeof peak);
    _exit(0);
  }
  close(fd[1]);
  double peak = -1;
  if (read(fd[0], &peak, sizeof peak) != sizeof peak) peak = -1;
  close(fd[0]);
  waitpid(pid, nullptr, 0);
  return peak;
}

TEST(CostModelTest, MemoryFormulaBoundsTheMeasuredPeakWithinTwoX) {
  // Shapes whose buffers dominate the allocator's noise; few steps (memory does not grow
  // with steps or K1).
  const nlohmann::json jobs[] = {
      {{"model", "mamba"}, {"d", 16}, {"r", 4}, {"N", 40}, {"steps", 2}, {"eval_tasks", 200}},
      {{"model", "transformer"}, {"d", 16}, {"r", 4}, {"N", 40}, {"steps", 2}, {"eval_tasks", 200}},
      {{"model", "krr"},
       {"d", 16},
       {"r", 4},
       {"N", 512},
       {"eval_tasks", 4},
       {"eval_lengths", {512}}},
      {{"model", "mamba-theory"},
       {"d", 16},
       {"r", 4},
       {"N", 512},
       {"K1", 2},
       {"T2", 512},
       {"eval_tasks", 200}},
  };
  for (const nlohmann::json& partial : jobs) {
    absl::StatusOr<JobConfig> config = ResolveJobConfig(partial);
    ASSERT_THAT(config, IsOk()) << partial.dump();
    absl::StatusOr<int64_t> estimate = EstimateJobBytes(*config);
    ASSERT_THAT(estimate, IsOk());
    const double measured = MeasuredPeakBytes(*config);
    ASSERT_GT(measured, 0) << partial.dump();
    std::printf("%s: estimate %.1f MB, measured %.1f MB\n",
                std::string(EnumName(config->model)).c_str(), double(*estimate) / 1e6,
                measured / 1e6);
    EXPECT_GE(double(*estimate), measured) << partial.dump();
    EXPECT_LE(double(*estimate), 2 * measured) << partial.dump();
  }
}

TEST(CostModelTest, WorkScalesWithTheShape) {
  // Without the curriculum, whose ramp (a share of the steps, rounded) makes work not
  // exactly linear in steps.
  JobConfig c = *ResolveJobConfig(
      {{"model", "mamba"}, {"d", 16}, {"r", 4}, {"N", 40}, {"curriculum", false}});
  const double base = *EstimateJobFlops(c);
  c.steps *= 2, c.eval_tasks = 0;
  JobConfig no_eval = c;
  no_eval.steps /= 2;
  EXPECT_NEAR(*EstimateJobFlops(c), 2 * *EstimateJobFlops(no_eval), 1e-6 * base);
  JobConfig k = *ResolveJobConfig({{"model", "krr"}, {"d", 16}, {"r", 4}, {"N", 64}});
  const double krr = *EstimateJobFlops(k);
  k.eval_tasks *= 3;
  EXPECT_NEAR(*EstimateJobFlops(k), 3 * krr, 1e-6 * krr);
}

}  // namespace
}  // namespace sweep::numerics
