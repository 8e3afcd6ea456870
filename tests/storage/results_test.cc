// Results and Curves aggregation with known numbers, where-filters and group-by.
#include <cmath>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/reader.h"
#include "storage/results_query.h"
#include "storage/store.h"
#include "tests/storage/test_util.h"
#include "tests/testing/status_matchers.h"

namespace sweep::storage {
namespace {

using ::sweep::testing::IsOk;
using ::sweep::testing::Job;
using ::sweep::testing::Meta;
using ::sweep::testing::OkReport;
using ::sweep::testing::StatusIs;
using ::testing::DoubleNear;
using ::testing::HasSubstr;

const TimePoint kT0 = FromUnixMillis(1'700'000'000'000);
using Key = std::map<std::string, std::string>;

// Six jobs: (d, link, seed) -> mse; nmse = mse / 2. One diverges.
class ResultsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_.File("sweep.db");
    auto store = Store::Open(path_);
    ASSERT_THAT(store, IsOk());
    store_ = std::move(*store);
    ASSERT_THAT(
        store_->SubmitPrepared(
            Meta("r1"),
            {Job(R"({"d":8,"link":"h2","seed":0})"), Job(R"({"d":8,"link":"h2","seed":1})"),
             Job(R"({"d":8,"link":"h3","seed":0})"), Job(R"({"d":16,"link":"h2","seed":0})"),
             Job(R"({"d":16,"link":"h2","seed":1})"), Job(R"({"d":16,"link":"h2","seed":2})")},
            kT0),
        IsOk());
    for (double mse : {1.0, 3.0, 2.0, 4.0, -1.0, 6.0}) Run(mse);
    auto reader = Reader::Open(path_);
    ASSERT_THAT(reader, IsOk());
    reader_ = std::move(*reader);
  }
  // Leases the next job and reports mse, or a divergence when mse < 0.
  void Run(double mse) {
    auto lease = store_->LeaseNext("w1", kT0, std::chrono::seconds(30));
    ASSERT_TRUE(lease.ok() && lease->has_value());
    JobReport report = OkReport("w1", std::abs(mse), std::abs(mse) / 2);
    if (mse < 0) report.result.divergence = "diverged at step 50: loss nan";
    ASSERT_THAT(store_->Report((*lease)->job_id, (*lease)->attempt, report, kT0), IsOk());
  }

  ::sweep::testing::TempDir dir_;
  std::string path_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<Reader> reader_;
};

TEST_F(ResultsTest, DefaultGroupsByEveryKeyButSeed) {
  auto groups = reader_->Results(ResultsQuery{1, {}, {}});
  ASSERT_THAT(groups, IsOk());
  ASSERT_EQ(groups->size(), 3u);
  // Sorted by key with numbers compared numerically: d=8 before d=16.
  EXPECT_EQ((*groups)[0].key, (Key{{"d", "8"}, {"link", "\"h2\""}}));
  EXPECT_EQ((*groups)[0].count, 2);
  EXPECT_DOUBLE_EQ((*groups)[0].mse_mean, 2.0);
  EXPECT_THAT((*groups)[0].mse_std, DoubleNear(std::sqrt(2.0), 1e-12));
  EXPECT_DOUBLE_EQ((*groups)[0].nmse_mean, 1.0);
  EXPECT_EQ((*groups)[1].key, (Key{{"d", "8"}, {"link", "\"h3\""}}));
  EXPECT_EQ((*groups)[1].count, 1);
  EXPECT_TRUE(std::isnan((*groups)[1].mse_std));  // sample std of one value is undefined
  EXPECT_EQ((*groups)[2].key, (Key{{"d", "16"}, {"link", "\"h2\""}}));
  EXPECT_EQ((*groups)[2].count, 2);
  EXPECT_EQ((*groups)[2].diverged, 1);
  EXPECT_DOUBLE_EQ((*groups)[2].mse_mean, 5.0);
}

TEST_F(ResultsTest, GroupByOneKeyPoolsTheOthers) {
  auto groups = reader_->Results(ResultsQuery{1, {}, {"link"}});
  ASSERT_THAT(groups, IsOk());
  ASSERT_EQ(groups->size(), 2u);
  EXPECT_EQ((*groups)[0].key, (Key{{"link", "\"h2\""}}));
  EXPECT_EQ((*groups)[0].count, 4);
  EXPECT_DOUBLE_EQ((*groups)[0].mse_mean, 3.5);
  EXPECT_THAT((*groups)[0].mse_std, DoubleNear(std::sqrt(13.0 / 3.0), 1e-12));
  EXPECT_EQ((*groups)[0].diverged, 1);
  EXPECT_EQ((*groups)[1].count, 1);
}

TEST_F(ResultsTest, WhereComparesCanonicalJson) {
  for (const char* link : {"h3", "\"h3\""}) {
    auto groups = reader_->Results(ResultsQuery{1, {{"link", link}}, {"d"}});
    ASSERT_THAT(groups, IsOk());
    ASSERT_EQ(groups->size(), 1u) << link;
    EXPECT_EQ((*groups)[0].key, (Key{{"d", "8"}}));
    EXPECT_DOUBLE_EQ((*groups)[0].mse_mean, 2.0);
  }
  auto d16 = reader_->Results(ResultsQuery{1, {{"d", "16"}}, {"d"}});
  ASSERT_THAT(d16, IsOk());
  ASSERT_EQ(d16->size(), 1u);
  EXPECT_EQ((*d16)[0].count, 2);
  auto none = reader_->Results(ResultsQuery{1, {{"d", "\"16\""}}, {"d"}});
  ASSERT_THAT(none, IsOk());
  EXPECT_TRUE(none->empty());  // the string "16" is not the number 16
}

TEST_F(ResultsTest, CurvesAverageOverJobsWithStandardError) {
  auto curves = reader_->Curves(ResultsQuery{1, {{"link", "h2"}}, {"d"}});
  ASSERT_THAT(curves, IsOk());
  ASSERT_EQ(curves->size(), 2u);
  const CurveGroup& d8 = (*curves)[0];
  EXPECT_EQ(d8.key, (Key{{"d", "8"}}));
  ASSERT_EQ(d8.points.size(), 2u);
  // Jobs with mse 1 and 3: the curve is (n=0: 2*mse, n=16: mse).
  EXPECT_EQ(d8.points[0].n, 0);
  EXPECT_EQ(d8.points[0].count, 2);
  EXPECT_DOUBLE_EQ(d8.points[0].mse_mean, 4.0);
  EXPECT_THAT(d8.points[0].mse_se, DoubleNear(2.0, 1e-12));
  EXPECT_EQ(d8.points[1].n, 16);
  EXPECT_DOUBLE_EQ(d8.points[1].mse_mean, 2.0);
  EXPECT_THAT(d8.points[1].mse_se, DoubleNear(1.0, 1e-12));
  EXPECT_THAT(d8.points[1].nmse_se, DoubleNear(0.5, 1e-12));
  // The diverged job has no eval curve in the aggregate: d=16 averages mse 4 and 6.
  EXPECT_DOUBLE_EQ((*curves)[1].points[1].mse_mean, 5.0);
  EXPECT_EQ((*curves)[1].points[1].count, 2);
}

// The statistics people cite: se = std / sqrt(count) and mean -/+ t_{0.975,count-1} se.
// d=8,h2 has mse 1 and 3 (mean 2, std sqrt 2, se 1: t_{0.975,1} = 12.706); d=16,h2 pools
// 4 and 6 with one diverged seed, counted apart and not averaged.
TEST_F(ResultsTest, ResultsCarryStandardErrorAndStudentTInterval) {
  auto groups = reader_->Results(ResultsQuery{1, {}, {"d", "link"}});
  ASSERT_THAT(groups, IsOk());
  ASSERT_EQ(groups->size(), 3u);
  const ResultGroup& g = (*groups)[0];
  EXPECT_THAT(g.mse_se, DoubleNear(1.0, 1e-12));
  EXPECT_THAT(g.mse_ci_lo, DoubleNear(2.0 - 12.7062047, 1e-6));
  EXPECT_THAT(g.mse_ci_hi, DoubleNear(2.0 + 12.7062047, 1e-6));
  EXPECT_THAT(g.nmse_se, DoubleNear(0.5, 1e-12));
  EXPECT_THAT(g.nmse_ci_hi, DoubleNear(1.0 + 0.5 * 12.7062047, 1e-6));
  // One seed: no spread, so no interval.
  EXPECT_TRUE(std::isnan((*groups)[1].mse_se));
  EXPECT_TRUE(std::isnan((*groups)[1].nmse_ci_lo));
  EXPECT_TRUE(std::isnan((*groups)[1].nmse_ci_hi));
  EXPECT_EQ((*groups)[2].count, 2);
  EXPECT_EQ((*groups)[2].diverged, 1);
  EXPECT_THAT((*groups)[2].mse_ci_lo, DoubleNear(5.0 - 12.7062047, 1e-6));
}

TEST_F(ResultsTest, CurvePointsCarryStdAndStudentTInterval) {
  auto curves = reader_->Curves(ResultsQuery{1, {{"d", "8"}, {"link", "h2"}}, {"d"}});
  ASSERT_THAT(curves, IsOk());
  ASSERT_EQ(curves->size(), 1u);
  ASSERT_EQ((*curves)[0].points.size(), 2u);
  const CurvePoint& p = (*curves)[0].points[1];  // n = 16: mse 1 and 3
  EXPECT_EQ(p.n, 16);
  EXPECT_THAT(p.mse_std, DoubleNear(std::sqrt(2.0), 1e-12));
  EXPECT_THAT(p.mse_ci_lo, DoubleNear(2.0 - 12.7062047, 1e-6));
  EXPECT_THAT(p.nmse_std, DoubleNear(std::sqrt(0.5), 1e-12));
  EXPECT_THAT(p.nmse_ci_hi, DoubleNear(1.0 + 0.5 * 12.7062047, 1e-6));
}

TEST_F(ResultsTest, CachedJobsCountInTheirOwnSweep) {
  auto cached = store_->SubmitPrepared(
      Meta("r2"), {Job(R"({"d":8,"link":"h2","seed":1})"), Job(R"({"d":32,"seed":0})")}, kT0);
  ASSERT_THAT(cached, IsOk());
  EXPECT_EQ(cached->jobs_cached, 1);
  auto groups = reader_->Results(ResultsQuery{cached->sweep_id, {}, {"d"}});
  ASSERT_THAT(groups, IsOk());
  ASSERT_EQ(groups->size(), 1u);  // the queued d=32 job has no result yet
  EXPECT_DOUBLE_EQ((*groups)[0].mse_mean, 3.0);
  auto summary = reader_->GetSweep(cached->sweep_id);
  ASSERT_THAT(summary, IsOk());
  EXPECT_EQ(summary->succeeded, 1);
  EXPECT_EQ(summary->cached, 1);
  EXPECT_EQ(summary->queued, 1);
}

TEST_F(ResultsTest, BadKeysAndUnknownSweepsAreRefused) {
  EXPECT_THAT(reader_->Results(ResultsQuery{1, {}, {"d'; DROP TABLE jobs"}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("group_by")));
  EXPECT_THAT(reader_->Curves(ResultsQuery{1, {{"a b", "1"}}, {}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("where")));
  // A typo in a key is an error, not an empty table.
  EXPECT_THAT(
      reader_->Results(ResultsQuery{1, {{"lnk", "h2"}}, {}}),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("where: unknown key \"lnk\"")));
  EXPECT_THAT(
      reader_->Results(ResultsQuery{1, {}, {"modle"}}),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("group_by: unknown key \"modle\"")));
  // Invalid UTF-8 in a value used to throw out of json::dump and abort the CLI.
  EXPECT_THAT(reader_->Results(ResultsQuery{1, {{"link", "h2\xff"}}, {}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("UTF-8")));
  EXPECT_THAT(reader_->Curves(ResultsQuery{1, {{"link", "\xc3"}}, {}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("\"link\"")));
  EXPECT_THAT(reader_->Results(ResultsQuery{9, {}, {}}),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("sweep 9")));
}

TEST(StripSeedTest, RemovesTheSeedKeyWherever) {
  EXPECT_EQ(StripSeed(R"({"a":1,"seed":12,"z":"h2"})"), R"({"a":1,"z":"h2"})");
  EXPECT_EQ(StripSeed(R"({"a":1,"seed":3})"), R"({"a":1})");
  EXPECT_EQ(StripSeed(R"({"seed":3})"), "{}");
  EXPECT_EQ(StripSeed(R"({"a":[1,2],"d":8})"), R"({"a":[1,2],"d":8})");
}

TEST(CanonicalWhereValueTest, JsonOrBareString) {
  EXPECT_EQ(CanonicalWhereValue("16"), "16");
  EXPECT_EQ(CanonicalWhereValue("0.10"), "0.1");
  EXPECT_EQ(CanonicalWhereValue("true"), "true");
  EXPECT_EQ(CanonicalWhereValue("h3"), "\"h3\"");
  EXPECT_EQ(CanonicalWhereValue("\"h3\""), "\"h3\"");
  EXPECT_EQ(CanonicalWhereValue("0.6*h1+0.8*h3"), "\"0.6*h1+0.8*h3\"");
}

}  // namespace
}  // namespace sweep::storage
