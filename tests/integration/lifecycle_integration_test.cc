// The lifecycle verbs with the real binaries (docs/design.md section 4.7): `sweep pause`,
// `resume` and `stop` on a running sweep, and `submit --fail-fast` with `sweep status`
// showing the first failure.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

#include "tests/integration/cluster.h"
#include "tests/testing/status_matchers.h"

namespace sweep::integration {
namespace {

using std::chrono::seconds;
using ::testing::HasSubstr;

std::string TestName() { return ::testing::UnitTest::GetInstance()->current_test_info()->name(); }

// 8 mamba-theory jobs of about a second each.
constexpr const char* kSlow = R"(name: slow
base: {model: mamba-theory, d: 6, r: 2, N: 32, K1: 300, T2: 1024, eval_tasks: 100}
grid: {link: [h2, h3]}
seeds: 4
)";

TEST(LifecycleIntegrationTest, PauseHoldsTheQueueResumeFinishesItStopEndsAnother) {
  Cluster c(TestName());
  ASSERT_TRUE(c.StartCoordinator());
  c.StartWorker(1);
  ASSERT_EQ(c.Sweep({"submit", c.WriteFile("slow.yaml", kSlow)}).exit_code, 0);
  ASSERT_TRUE(c.WaitForSummary(
      1, [](const SweepSummary& s) { return s.running + s.succeeded >= 1; }, seconds(30)));
  CommandResult pause = c.Sweep({"pause", "slow"});
  ASSERT_EQ(pause.exit_code, 0) << pause.err;
  EXPECT_THAT(pause.out, HasSubstr("sweep 1: paused"));
  // The job that was running finishes; after it nothing more is leased.
  ASSERT_TRUE(c.WaitForSummary(
      1, [](const SweepSummary& s) { return s.running == 0; }, seconds(30)));
  const int64_t done_at_pause = c.Summary(1)->succeeded;
  std::this_thread::sleep_for(seconds(2));  // a worker polling all the while
  EXPECT_EQ(c.Summary(1)->succeeded, done_at_pause);
  EXPECT_EQ(c.Summary(1)->running, 0);
  EXPECT_THAT(c.Sweep({"status", "slow"}).out, HasSubstr("[paused]"));

  ASSERT_EQ(c.Sweep({"resume", "slow"}).exit_code, 0);
  CommandResult wait = c.Sweep({"status", "slow", "--wait"}, 120);
  EXPECT_EQ(wait.exit_code, 0) << wait.err;
  EXPECT_EQ(c.Summary(1)->succeeded, 8);

  // stop: the queued jobs are cancelled, the running one stores its result.
  ASSERT_EQ(c.Sweep({"submit", "--no-cache", c.WriteFile("slow2.yaml", kSlow)}).exit_code, 0);
  ASSERT_TRUE(c.WaitForSummary(
      2, [](const SweepSummary& s) { return s.running == 1; }, seconds(30)));
  CommandResult stop = c.Sweep({"stop", "2"});
  ASSERT_EQ(stop.exit_code, 0) << stop.err;
  EXPECT_THAT(stop.out, HasSubstr("queued jobs cancelled, running ones finish"));
  ASSERT_TRUE(c.WaitForSummary(
      2, [](const SweepSummary& s) { return s.running == 0 && s.queued == 0; }, seconds(30)));
  auto s = c.Summary(2);
  EXPECT_EQ(s->succeeded + s->cancelled, 8);
  EXPECT_GE(s->succeeded, 1);  // the job running at the stop finished
  EXPECT_TRUE(s->stop_requested);
  EXPECT_THAT(c.Sweep({"status", "2"}).out, HasSubstr("[stopped]"));
  EXPECT_THAT(c.Sweep({"pause", "99"}).err, HasSubstr("99"));  // unknown sweep: an error
  EXPECT_NE(c.Sweep({"pause", "99"}).exit_code, 0);
}

TEST(LifecycleIntegrationTest, FailFastCancelsTheRestAndStatusShowsTheFirstFailure) {
  Cluster c(TestName());
  ASSERT_TRUE(c.StartCoordinator());
  // A worker that allows 1 MB per job refuses each job with RESOURCE_EXHAUSTED: an error.
  c.SetFlags({}, {"--memory-mb", "1"}, {});
  const std::string file = c.WriteFile("big.yaml", R"(name: big
base: {model: mamba, d: 4, r: 2, N: 16, D: 256, batch: 64, steps: 2, eval_tasks: 20}
seeds: 5
)");
  ASSERT_EQ(c.Sweep({"submit", file, "--fail-fast"}).exit_code, 0);
  c.StartWorker(1);
  CommandResult wait = c.Sweep({"status", "big", "--wait"}, 60);
  EXPECT_NE(wait.exit_code, 0);  // not every job succeeded
  auto s = c.Summary(1);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->failed, 1);
  EXPECT_EQ(s->cancelled, 4);
  EXPECT_TRUE(s->fail_fast);
  CommandResult status = c.Sweep({"status", "big"});
  EXPECT_THAT(status.out, HasSubstr("[fail-fast]"));
  EXPECT_THAT(status.out, HasSubstr("first failure: job"));
  EXPECT_THAT(status.out, HasSubstr("RESOURCE_EXHAUSTED"));
}

// `sweep extend`: a finished sweep gets a third seed; its one results view counts 3 per
// cell, the first two seeds are not recomputed, and a changed base is refused.
TEST(LifecycleIntegrationTest, ExtendAddsASeedToAFinishedSweepInPlace) {
  Cluster c(TestName());
  ASSERT_TRUE(c.StartCoordinator());
  c.StartWorker(2);
  constexpr const char* kTwo = R"(name: grow
base: {model: krr, d: 6, r: 2, N: 32, eval_tasks: 100, eval_lengths: [8, 16, 32]}
grid: {link: [h2, h3]}
seeds: 2
)";
  ASSERT_EQ(c.Sweep({"submit", c.WriteFile("two.yaml", kTwo), "--wait"}).exit_code, 0);
  std::string three = kTwo;
  three.replace(three.find("seeds: 2"), 8, "seeds: 3");
  CommandResult extend = c.Sweep({"extend", "grow", c.WriteFile("three.yaml", three)});
  ASSERT_EQ(extend.exit_code, 0) << extend.err;
  EXPECT_THAT(extend.out, HasSubstr("sweep 1: 2 cells added (0 cached)"));
  ASSERT_EQ(c.Sweep({"status", "grow", "--wait"}).exit_code, 0);
  CommandResult results = c.Sweep({"results", "grow", "--format", "csv"});
  ASSERT_EQ(results.exit_code, 0) << results.err;
  EXPECT_THAT(results.out, HasSubstr(",3,"));  // 3 seeds per cell now
  auto n = c.Counts();
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->jobs, 6);
  EXPECT_EQ(n->succeeded_attempts, 6);  // the first 4 were not run again
  std::string changed = three;
  changed.replace(changed.find("d: 6"), 4, "d: 7");
  CommandResult refused = c.Sweep({"extend", "grow", c.WriteFile("changed.yaml", changed)});
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_THAT(refused.err, HasSubstr("no cell with d 6"));
}

}  // namespace
}  // namespace sweep::integration
