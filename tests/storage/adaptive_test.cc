// Adaptive seeds (docs/design.md section 4.14): the rule against closed forms, and the
// store adding seeds in the report transaction, from the cache, and not past `max`.
#include <cmath>

#include "common/job_keys.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "storage/adaptive_cells.h"
#include "storage/reader.h"
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
const AdaptiveSeeds kTarget{/*min=*/3, /*max=*/20, /*ci=*/1.0, "nmse"};

std::vector<CellJob> Succeeded(const std::vector<double>& values) {
  std::vector<CellJob> jobs;
  for (size_t i = 0; i < values.size(); ++i) {
    jobs.push_back({JobState::kSucceeded, static_cast<int64_t>(i), values[i]});
  }
  return jobs;
}

TEST(JudgeCellTest, WaitsWhileASeedIsQueuedOrRunning) {
  std::vector<CellJob> jobs = Succeeded({1, 2});
  jobs.push_back({JobState::kRunning, 2, std::nan("")});
  const CellJudgement j = JudgeCell(kTarget, "{}", jobs, false);
  EXPECT_EQ(j.cell.verdict, CellVerdict::kRunning);
  EXPECT_EQ(j.add, 0);
  EXPECT_EQ(j.cell.seeds, 3);
  EXPECT_EQ(j.cell.finished, 2);
}

TEST(JudgeCellTest, HalfWidthIsStudentTTimesStandardError) {
  // Values 1, 2, 3: mean 2, sd 1, t_{0.975,2} = 4.302653 -> half-width 4.302653 / sqrt(3).
  const CellJudgement j = JudgeCell(kTarget, "{}", Succeeded({1, 2, 3}), false);
  EXPECT_DOUBLE_EQ(j.cell.mean, 2.0);
  EXPECT_NEAR(j.cell.half_width, 4.302652729696 / std::sqrt(3.0), 1e-9);
  // sd 1 and target 1 need t_{0.975,k-1} / sqrt(k) <= 1: k = 6 gives 2.570582 / 2.449490 =
  // 1.049, k = 7 gives 2.446912 / 2.645751 = 0.925: four seeds more, numbered from 3.
  EXPECT_EQ(j.cell.verdict, CellVerdict::kRunning);
  EXPECT_EQ(j.add, 4);
  EXPECT_EQ(j.next_seed, 3);
}

TEST(JudgeCellTest, EqualValuesMeetAnyTarget) {
  const CellJudgement j = JudgeCell(kTarget, "{}", Succeeded({0.25, 0.25, 0.25}), false);
  EXPECT_EQ(j.cell.verdict, CellVerdict::kMet);
  EXPECT_EQ(j.cell.half_width, 0.0);
  EXPECT_EQ(j.add, 0);
}

TEST(JudgeCellTest, NeverAddsPastMaxAndEndsAtMax) {
  const AdaptiveSeeds small{3, 5, 1.0, "nmse"};
  const CellJudgement grow = JudgeCell(small, "{}", Succeeded({1, 2, 3}), false);
  EXPECT_EQ(grow.add, 2);  // 4 wanted, 2 allowed
  const CellJudgement full = JudgeCell(small, "{}", Succeeded({1, 2, 3, 1, 3}), false);
  EXPECT_EQ(full.cell.verdict, CellVerdict::kAtMax);
  EXPECT_EQ(full.add, 0);
}

TEST(JudgeCellTest, FailedSeedsCountAsSeedsButNotAsValues) {
  std::vector<CellJob> jobs = Succeeded({1});
  jobs.push_back({JobState::kFailed, 1, std::nan("")});
  jobs.push_back({JobState::kSucceeded, 2, std::nan("")});  // diverged to NaN
  const CellJudgement j = JudgeCell(kTarget, "{}", jobs, false);
  EXPECT_EQ(j.cell.values, 1);
  EXPECT_TRUE(std::isnan(j.cell.half_width));
  EXPECT_EQ(j.add, 1);
  EXPECT_EQ(j.next_seed, 3);
}

TEST(JudgeCellTest, AnEndingSweepAddsNothing) {
  const CellJudgement j = JudgeCell(kTarget, "{}", Succeeded({1, 2, 3}), /*sweep_ending=*/true);
  EXPECT_EQ(j.cell.verdict, CellVerdict::kStopped);
  EXPECT_EQ(j.add, 0);
}

// Two krr cells (d 4 and d 8), seeds {min 2, max 4, ci 0.01}: the d 4 cell's seeds agree
// and it stops at 2; the d 8 cell's seeds disagree and it grows to 4 and ends at max.
class AdaptiveStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = Store::Open(dir_.File("sweep.db"));
    ASSERT_THAT(store, IsOk());
    store_ = std::move(*store);
  }
  NewSweep Sweep(const std::string& request_id) {
    NewSweep s = Meta(request_id);
    s.adaptive_seeds = AdaptiveSeeds{2, 4, 0.01, "nmse"};
    for (int d : {4, 8}) {
      for (int seed : {0, 1}) {
        auto config = ResolveJobConfig({{"model", "krr"}, {"d", d}, {"N", 16}, {"seed", seed}});
        SWEEP_CHECK(config.ok());
        s.jobs.push_back(*config);
      }
    }
    return s;
  }
  // Leases and reports every queued job: nmse 0.3 at d 4, 0.1 / 0.5 alternating at d 8.
  int RunQueued() {
    int ran = 0;
    for (;;) {
      auto lease = store_->LeaseNext("w", kT0, std::chrono::seconds(30));
      SWEEP_CHECK(lease.ok());
      if (!lease->has_value()) return ran;
      const auto config = nlohmann::json::parse((*lease)->config_json);
      const bool small = config["d"] == 4;
      const double nmse = small ? 0.3 : (config["seed"].get<int>() % 2 == 0 ? 0.1 : 0.5);
      SWEEP_CHECK(store_->Report((*lease)->job_id, (*lease)->attempt, OkReport("w", nmse, nmse), kT0)
                      .ok());
      ++ran;
    }
  }
  ::sweep::testing::TempDir dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(AdaptiveStoreTest, GrowsOnlyTheCellThatMissesTheTargetAndStopsAtMax) {
  auto submitted = store_->Submit(Sweep("a"), kT0);
  ASSERT_THAT(submitted, IsOk());
  EXPECT_EQ(submitted->jobs_total, 4);
  EXPECT_EQ(RunQueued(), 6);  // 4, then seeds 2 and 3 of d 8 queued in the report of seed 1
  auto reader = Reader::Open(dir_.File("sweep.db"));
  ASSERT_THAT(reader, IsOk());
  auto summary = (*reader)->GetSweep(submitted->sweep_id);
  ASSERT_THAT(summary, IsOk());
  EXPECT_EQ(summary->total, 6);
  EXPECT_EQ(summary->succeeded, 6);
  ASSERT_TRUE(summary->adaptive_seeds.has_value());
  EXPECT_EQ(*summary->adaptive_seeds, (AdaptiveSeeds{2, 4, 0.01, "nmse"}));
  auto cells = (*reader)->AdaptiveCells(submitted->sweep_id);
  ASSERT_THAT(cells, IsOk());
  ASSERT_EQ(cells->size(), 2u);
  EXPECT_THAT((*cells)[0].cell, HasSubstr("\"d\":4"));
  EXPECT_EQ((*cells)[0].verdict, CellVerdict::kMet);
  EXPECT_EQ((*cells)[0].seeds, 2);
  EXPECT_EQ((*cells)[1].verdict, CellVerdict::kAtMax);
  EXPECT_EQ((*cells)[1].seeds, 4);
  EXPECT_EQ((*cells)[1].values, 4);
  EXPECT_DOUBLE_EQ((*cells)[1].mean, 0.3);
}

TEST_F(AdaptiveStoreTest, CellsTheCacheFillsAreJudgedAtSubmit) {
  ASSERT_THAT(store_->Submit(Sweep("a"), kT0), IsOk());
  ASSERT_EQ(RunQueued(), 6);
  // The same sweep again: every seed it starts with is cached, so no report will come;
  // the d 8 cell grows at submit, from the cache too, to its max.
  auto again = store_->Submit(Sweep("b"), kT0);
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(again->jobs_total, 6);
  EXPECT_EQ(again->jobs_cached, 6);
  EXPECT_EQ(RunQueued(), 0);
}

TEST_F(AdaptiveStoreTest, ExtendIsRefusedWithTheReason) {
  auto submitted = store_->Submit(Sweep("a"), kT0);
  ASSERT_THAT(submitted, IsOk());
  EXPECT_THAT(store_->Extend(submitted->sweep_id, "name: x", {}, true, kT0),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("adaptive seeds")));
}

TEST(AdaptiveSeedsJsonTest, RoundTripsAndRefusesBadSettings) {
  const AdaptiveSeeds s{3, 20, 0.02, "mse"};
  auto back = ParseAdaptiveSeedsJson(AdaptiveSeedsJson(s));
  ASSERT_THAT(back, IsOk());
  EXPECT_EQ(*back, s);
  EXPECT_THAT(ParseAdaptiveSeedsJson(R"({"min":5,"max":3,"ci":0.1,"metric":"nmse"})"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("min 5 > max 3")));
  EXPECT_THAT(ParseAdaptiveSeedsJson("[]"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not a {min, max, ci")));
}

}  // namespace
}  // namespace sweep::storage
