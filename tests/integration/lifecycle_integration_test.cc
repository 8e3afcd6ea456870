// The lifecycle verbs with the real binaries (docs/design.md section 4.7): `sweep pause`,
// `resume` and `stop` on a running sweep, and `submit --fail-fast` with `sweep status`
// showing the first failure.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

#include "absl/strings/str_cat.h"
#include "common/provenance.h"
#include "storage/reader.h"
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

// Adaptive seeds: with a target no two KRR seeds meet, every cell grows from 2 to its
// max of 4 seeds and `status` and `results` say so; with a loose target the cells stop at
// 2. The `--db` view judges the cells as the coordinator does.
TEST(LifecycleIntegrationTest, AdaptiveSeedsGrowCellsUntilTheTargetOrMax) {
  Cluster c(TestName());
  ASSERT_TRUE(c.StartCoordinator());
  c.StartWorker(2);
  constexpr const char* kTight = R"(name: tight
base: {model: krr, d: 6, r: 2, N: 32, eval_tasks: 100, eval_lengths: [8, 16, 32]}
grid: {link: [h2, h3]}
seeds: {min: 2, max: 4, ci: 1.0e-9}
)";
  CommandResult submit = c.Sweep({"submit", c.WriteFile("tight.yaml", kTight), "--wait"});
  ASSERT_EQ(submit.exit_code, 0) << submit.err;
  EXPECT_THAT(submit.out, HasSubstr("4 jobs"));
  auto n = c.Counts();
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->jobs, 8);
  CommandResult status = c.Sweep({"status", "tight"});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  EXPECT_THAT(status.out, HasSubstr("adaptive seeds: nmse 95% CI half-width <= 1e-09, 2..4"));
  EXPECT_THAT(status.out, HasSubstr("2 cells: 2 at max"));
  EXPECT_THAT(status.out, HasSubstr("link=h3"));
  CommandResult results = c.Sweep({"results", "tight"});
  ASSERT_EQ(results.exit_code, 0) << results.err;
  EXPECT_THAT(results.out, HasSubstr("note: link=h2 at max with 4 seeds"));
  CommandResult offline = c.Sweep({"status", "tight", "--db", c.db()});
  ASSERT_EQ(offline.exit_code, 0) << offline.err;
  EXPECT_THAT(offline.out, HasSubstr("2 cells: 2 at max"));

  std::string loose = kTight;
  loose.replace(loose.find("1.0e-9"), 6, "100");
  loose.replace(loose.find("tight"), 5, "loose");
  ASSERT_EQ(c.Sweep({"submit", c.WriteFile("loose.yaml", loose), "--wait", "--no-cache"}).exit_code,
            0);
  CommandResult met = c.Sweep({"status", "loose"});
  EXPECT_THAT(met.out, HasSubstr("2 cells: 2 met"));
  n = c.Counts();
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->jobs, 12);  // 8 + 2 per cell

  CommandResult extend = c.Sweep({"extend", "tight", c.WriteFile("again.yaml", kTight)});
  EXPECT_NE(extend.exit_code, 0);
  EXPECT_THAT(extend.err, HasSubstr("adaptive seeds"));

  // Bad settings: a clear error naming the field; the coordinator stays up, nothing new.
  std::string bad = kTight;
  bad.replace(bad.find("min: 2, max: 4, ci: 1.0e-9"), 26, "min: 5, max: 3, ci: 0.1");
  CommandResult refused = c.Sweep({"submit", c.WriteFile("bad.yaml", bad)});
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_THAT(refused.err, HasSubstr("seeds: min 5 > max 3"));
  bad.replace(bad.find("min: 5, max: 3, ci: 0.1"), 23, "ci: -1");
  refused = c.Sweep({"submit", c.WriteFile("bad2.yaml", bad)});
  EXPECT_THAT(refused.err, HasSubstr("seeds.ci: must be a finite number > 0, got -1"));
  ASSERT_EQ(c.Sweep({"status", "tight"}).exit_code, 0);
  n = c.Counts();
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->jobs, 12);
}

// `sweep verify`: with two workers, each sampled cell is rerun by the worker that did not
// compute it, and the floats agree bit for bit (one build, one instruction set). Each
// result records its provenance; `--show --db` reads the comparison without a coordinator.
TEST(LifecycleIntegrationTest, VerifyRerunsCellsOnOtherWorkersAndFindsThemIdentical) {
  Cluster c(TestName());
  ASSERT_TRUE(c.StartCoordinator());
  c.StartWorker(1);
  c.StartWorker(1);
  constexpr const char* kSweep = R"(name: audited
base: {model: krr, d: 6, r: 2, N: 32, eval_tasks: 100, eval_lengths: [8, 16, 32]}
seeds: 3
)";
  ASSERT_EQ(c.Sweep({"submit", c.WriteFile("audited.yaml", kSweep), "--wait"}).exit_code, 0);
  CommandResult verify = c.Sweep({"verify", "audited", "--sample", "2", "--seed", "3"});
  ASSERT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  EXPECT_THAT(verify.out, HasSubstr("sweep 1: 2 cells rerun on other workers as sweep 2"));
  EXPECT_THAT(verify.out, HasSubstr("2 cells: 2 identical, 0 differ, 0 not compared"));
  auto jobs = c.Jobs(2);
  ASSERT_TRUE(jobs.ok());
  ASSERT_EQ(jobs->size(), 2u);
  auto originals = c.Jobs(1);
  ASSERT_TRUE(originals.ok());
  for (const JobRecord& rerun : *jobs) {
    for (const JobRecord& o : *originals) {
      if (o.config_hash == rerun.config_hash) {
        EXPECT_NE(o.worker_id, rerun.worker_id);
      }
    }
  }
  auto reader = storage::Reader::Open(c.db());
  ASSERT_TRUE(reader.ok());
  auto pairs = (*reader)->Verification(2);
  ASSERT_TRUE(pairs.ok()) << pairs.status();
  for (const VerifiedPair& p : *pairs) {
    for (const std::string& prov : {p.original_provenance, p.rerun_provenance}) {
      EXPECT_THAT(prov, HasSubstr("\"host\":"));
      EXPECT_THAT(prov, HasSubstr("\"threads\":1"));
      EXPECT_THAT(prov, HasSubstr(absl::StrCat("\"results_version\":", kResultsVersion)));
      EXPECT_THAT(prov, HasSubstr("\"compiler\":\"gcc"));
    }
  }
  CommandResult show = c.Sweep({"verify", "2", "--show", "--db", c.db()});
  EXPECT_EQ(show.exit_code, 0) << show.err;
  EXPECT_THAT(show.out, HasSubstr("identical"));
  CommandResult normal = c.Sweep({"verify", "1", "--show", "--db", c.db()});
  EXPECT_NE(normal.exit_code, 0);
  EXPECT_THAT(normal.err, HasSubstr("not a verification sweep"));
  CommandResult unknown = c.Sweep({"verify", "99"});
  EXPECT_NE(unknown.exit_code, 0);
}

}  // namespace
}  // namespace sweep::integration
