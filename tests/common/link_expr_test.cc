#include "common/link_expr.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace sweep {
namespace {

using ::sweep::testing::IsOk;
using ::sweep::testing::StatusIs;
using ::testing::HasSubstr;

TEST(LinkExprTest, ParsesSumOfWeightedTerms) {
  auto link = ParseLink("0.6*h1+0.8*h3");
  ASSERT_THAT(link, IsOk());
  EXPECT_DOUBLE_EQ(link->c[1], 0.6);
  EXPECT_DOUBLE_EQ(link->c[3], 0.8);
  EXPECT_EQ(link->ie, 1);
  EXPECT_EQ(link->ge, 1);
  EXPECT_EQ(link->degree, 3);
  EXPECT_NEAR(link->Variance(), 1.0, 1e-12);
  EXPECT_NEAR(link->SecondMoment(0.1), 1.01, 1e-12);
}

TEST(LinkExprTest, EvenLinkHasGenerativeExponentTwo) {
  auto link = ParseLink("h2 + h4");
  ASSERT_THAT(link, IsOk());
  EXPECT_EQ(link->ie, 2);
  EXPECT_EQ(link->ge, 2);
  EXPECT_EQ(ParseLink("h3")->ge, 1);
  EXPECT_EQ(ParseLink("h3")->ie, 3);
}

TEST(LinkExprTest, NegativeAndExponentCoefficients) {
  auto link = ParseLink("-0.5*h2 + 1e-1*h4");
  ASSERT_THAT(link, IsOk());
  EXPECT_DOUBLE_EQ(link->c[2], -0.5);
  EXPECT_DOUBLE_EQ(link->c[4], 0.1);
}

TEST(LinkExprTest, RejectsBadTermNamingIt) {
  EXPECT_THAT(ParseLink("h2+x3"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("\"x3\"")));
  EXPECT_THAT(ParseLink("h9"), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("\"h9\"")));
  EXPECT_THAT(ParseLink("nan*h2"), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("nan")));
  EXPECT_THAT(ParseLink(""), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("empty")));
  EXPECT_THAT(ParseLink("h0"), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("degree")));
}

}  // namespace
}  // namespace sweep
