// `sweep verify`, storage half (docs/design.md section 4.15): the verification sweep, the
// worker that computed an original never leases its rerun, and the bit-for-bit diff.
#include <cmath>
#include <limits>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/reader.h"
#include "storage/store.h"
#include "storage/verify_diff.h"
#include "tests/storage/test_util.h"
#include "tests/testing/status_matchers.h"

namespace sweep::storage {
namespace {

using ::sweep::testing::IsOk;
using ::sweep::testing::Job;
using ::sweep::testing::Meta;
using ::sweep::testing::OkReport;
using ::sweep::testing::StatusIs;
using ::testing::HasSubstr;

const TimePoint kT0 = FromUnixMillis(1'700'000'000'000);

TEST(DiffResultsTest, NamesEachMetricWhoseBitsDiffer) {
  const JobResult a = OkReport("w", 0.25, 0.5).result;
  EXPECT_TRUE(DiffResults(a, a).empty());
  JobResult b = a;
  b.mse = std::nextafter(a.mse, 1.0);  // one ulp
  b.curve[1].nmse = 0.75;
  b.loss_curve[0].loss = 2.0;
  const std::vector<MetricDiff> d = DiffResults(a, b);
  ASSERT_EQ(d.size(), 3u);
  EXPECT_EQ(d[0].metric, "mse");
  EXPECT_EQ(d[0].rerun, b.mse);
  EXPECT_EQ(d[1].metric, "curve[n=16].nmse");
  EXPECT_EQ(d[2].metric, "loss[step=0]");
  JobResult nan_a = a, nan_b = a;
  nan_a.nmse = std::numeric_limits<double>::quiet_NaN();
  nan_b.nmse = -std::numeric_limits<double>::quiet_NaN();
  EXPECT_TRUE(DiffResults(nan_a, nan_b).empty());  // storage keeps no NaN payload
}

class VerifyStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = Store::Open(dir_.File("sweep.db"));
    ASSERT_THAT(store, IsOk());
    store_ = std::move(*store);
    auto s = store_->SubmitPrepared(Meta("a"), {Job(R"({"d":4,"seed":0})"),
                                                Job(R"({"d":4,"seed":1})")}, kT0);
    ASSERT_THAT(s, IsOk());
    sweep_ = s->sweep_id;
  }
  void RunAs(const std::string& worker, double mse) {
    auto lease = store_->LeaseNext(worker, kT0, std::chrono::seconds(30));
    ASSERT_THAT(lease, IsOk());
    ASSERT_TRUE(lease->has_value()) << worker << " got no job";
    JobReport r = OkReport(worker, mse, mse / 2);
    r.provenance = R"({"host":")" + worker + R"(","threads":1})";
    ASSERT_THAT(store_->Report((*lease)->job_id, (*lease)->attempt, r, kT0), IsOk());
  }
  ::sweep::testing::TempDir dir_;
  std::unique_ptr<Store> store_;
  int64_t sweep_ = 0;
};

TEST_F(VerifyStoreTest, RerunsOnAnotherWorkerAndComparesBitForBit) {
  EXPECT_THAT(store_->CreateVerification(sweep_, 1, 0, kT0),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("no succeeded job")));
  RunAs("w1", 0.25);
  RunAs("w1", 0.125);
  auto v = store_->CreateVerification(sweep_, 5, 7, kT0);  // more than it has: all of them
  ASSERT_THAT(v, IsOk());
  ASSERT_EQ(v->pairs.size(), 2u);
  // w1 computed both originals: it leases neither rerun.
  auto none = store_->LeaseNext("w1", kT0, std::chrono::seconds(30));
  ASSERT_THAT(none, IsOk());
  EXPECT_FALSE(none->has_value());
  RunAs("w2", 0.25);                         // job of seed 0: same bits
  RunAs("w2", std::nextafter(0.125, 1.0));  // seed 1: one ulp off
  auto reader = Reader::Open(dir_.File("sweep.db"));
  ASSERT_THAT(reader, IsOk());
  auto pairs = (*reader)->Verification(v->sweep_id);
  ASSERT_THAT(pairs, IsOk());
  ASSERT_EQ(pairs->size(), 2u);
  EXPECT_EQ((*pairs)[0].original_worker, "w1");
  EXPECT_EQ((*pairs)[0].rerun_worker, "w2");
  EXPECT_THAT((*pairs)[0].rerun_provenance, HasSubstr(R"("host":"w2")"));
  EXPECT_TRUE((*pairs)[0].diffs.empty());
  // One ulp in mse moves nmse and the curve's mse and nmse at n 0 and 16 (OkReport derives
  // them from it): six metrics, headline first.
  ASSERT_EQ((*pairs)[1].diffs_total, 6);
  EXPECT_EQ((*pairs)[1].diffs[0].metric, "mse");
  EXPECT_EQ((*pairs)[1].diffs[5].metric, "curve[n=16].nmse");
  // The original sweep's results are untouched: still two, computed by w1.
  auto summary = (*reader)->GetSweep(sweep_);
  ASSERT_THAT(summary, IsOk());
  EXPECT_EQ(summary->total, 2);
  EXPECT_THAT((*reader)->Verification(sweep_),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("not a verification")));
}

TEST_F(VerifyStoreTest, BadRequestsAreRefused) {
  EXPECT_THAT(store_->CreateVerification(sweep_ + 100, 1, 0, kT0),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("no such sweep")));
  EXPECT_THAT(store_->CreateVerification(sweep_, 0, 0, kT0),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--sample: 0")));
}

}  // namespace
}  // namespace sweep::storage
