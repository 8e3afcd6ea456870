// The JSON-lines protocol of exec programs (worker/exec_protocol.h).
#include "worker/exec_protocol.h"

#include <cmath>

#include "common/job_keys.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace sweep::worker {
namespace {

using ::sweep::testing::IsOk;
using ::sweep::testing::StatusIs;
using ::testing::HasSubstr;

JobConfig Config() {
  auto c = ResolveJobConfig(
      {{"model", "exec"}, {"exec", "ridge"}, {"d", 4}, {"N", 16}, {"link", "h2"}, {"tau", 0.0}});
  EXPECT_THAT(c, IsOk());
  return *c;
}

TEST(ExecOutputTest, CurveMetricsLossAndProgressMakeTheResult) {
  std::vector<std::pair<int64_t, int64_t>> progress;
  ExecOutput out([&](int64_t s, int64_t t) { progress.emplace_back(s, t); });
  ASSERT_THAT(out.Feed(R"({"version": 1, "progress": {"step": 1, "total": 4}})"), IsOk());
  ASSERT_THAT(out.Feed(R"({"progress": 0.5})"), IsOk());
  ASSERT_THAT(out.Feed(R"({"loss": {"step": 0, "loss": 2.5}})"), IsOk());
  ASSERT_THAT(out.Feed(""), IsOk());  // blank lines are skipped
  ASSERT_THAT(out.Feed(R"({"curve": [{"n": 16, "nmse": 0.25, "se": 0.01}, {"n": 2, "mse": 1.5}]})"),
              IsOk());
  auto r = out.Finish(Config());
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(progress, (std::vector<std::pair<int64_t, int64_t>>{{1, 4}, {500, 1000}}));
  // E[y^2] of h2 with tau 0 is 1: mse and nmse complete each other through it.
  EXPECT_DOUBLE_EQ(r->ey2, 1.0);
  ASSERT_EQ(r->curve.size(), 2u);
  EXPECT_EQ(r->curve[0].n, 2);  // sorted by n
  EXPECT_DOUBLE_EQ(r->curve[0].nmse, 1.5);
  EXPECT_DOUBLE_EQ(r->curve[1].mse, 0.25);
  EXPECT_DOUBLE_EQ(r->curve[1].se, 0.01);
  // Headline metrics: the largest n, as for the built-in models; n_at_eps with eps 0.5.
  EXPECT_DOUBLE_EQ(r->nmse, 0.25);
  EXPECT_EQ(r->n_at_eps, 16);
  EXPECT_EQ(r->ie, 2);
  ASSERT_EQ(r->loss_curve.size(), 1u);
  EXPECT_DOUBLE_EQ(r->loss_curve[0].loss, 2.5);
}

TEST(ExecOutputTest, ExplicitMetricsWinAndNullIsNaN) {
  ExecOutput out;
  ASSERT_THAT(out.Feed(R"({"curve": [{"n": 16, "nmse": 0.25}]})"), IsOk());
  ASSERT_THAT(out.Feed(R"({"metrics": {"nmse": 0.5, "mse": null, "train_seconds": 3}})"), IsOk());
  auto r = out.Finish(Config());
  ASSERT_THAT(r, IsOk());
  EXPECT_DOUBLE_EQ(r->nmse, 0.5);
  EXPECT_TRUE(std::isnan(r->mse));
  EXPECT_DOUBLE_EQ(r->train_seconds, 3);
}

TEST(ExecOutputTest, DivergedIsKeptAsTheReason) {
  ExecOutput out;
  ASSERT_THAT(out.Feed(R"({"diverged": "loss nan at step 80"})"), IsOk());
  auto r = out.Finish(Config());
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->divergence, "loss nan at step 80");
}

TEST(ExecOutputTest, MalformedLinesAreErrorsNamingTheLine) {
  ExecOutput out;
  ASSERT_THAT(out.Feed(R"({"progress": 0.1})"), IsOk());
  EXPECT_THAT(out.Feed("training epoch 3"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("stdout line 2: not a JSON object: \"training epoch 3\"")));
  EXPECT_THAT(out.Feed(R"({"metrc": {}})"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("stdout line 3: line: unknown member \"metrc\"")));
  EXPECT_THAT(out.Feed(R"({"metrics": {"nmsee": 1}})"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unknown member \"nmsee\"")));
  EXPECT_THAT(out.Feed(R"({"curve": [{"n": -1, "mse": 1}]})"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("curve.n")));
  EXPECT_THAT(out.Feed(R"({"curve": [{"n": 4}]})"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("needs mse or nmse")));
  EXPECT_THAT(out.Feed(R"({"curve": [{"n": 4, "mse": "x"}]})"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("expected a number")));
  EXPECT_THAT(out.Feed(R"({"version": 2})"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not supported")));
  EXPECT_THAT(out.Feed("{\"x\x1b[2J\": 1}"),  // echoed text cannot drive a terminal
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("\\x1B[2J")));
}

TEST(ExecOutputTest, RepeatedContextLengthIsRefused) {
  ExecOutput out;
  ASSERT_THAT(out.Feed(R"({"curve": [{"n": 4, "mse": 1}]})"), IsOk());
  EXPECT_THAT(out.Feed(R"({"curve": [{"n": 4, "mse": 2}]})"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("n = 4: given twice")));
}

TEST(ExecOutputTest, WhatStorageWouldRefuseIsAnErrorHere) {
  ExecOutput out;
  EXPECT_THAT(out.Feed(R"({"progress": {"step": 5, "total": 4}})"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("step 5 > total 4")));
  ASSERT_THAT(out.Feed(R"({"loss": {"step": 0, "loss": 1}})"), IsOk());
  EXPECT_THAT(out.Feed(R"({"loss": {"step": 0, "loss": 2}})"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("step 0 given twice")));
  ASSERT_THAT(out.Feed(R"({"curve": [{"n": 17, "mse": 1}]})"), IsOk());
  EXPECT_THAT(out.Finish(Config()),  // N = 16
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("n = 17 > N = 16")));
}

TEST(ExecOutputTest, NoResultIsAnError) {
  ExecOutput out;
  ASSERT_THAT(out.Feed(R"({"progress": 1.0})"), IsOk());
  EXPECT_THAT(out.Finish(Config()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("printed no result")));
}

}  // namespace
}  // namespace sweep::worker
