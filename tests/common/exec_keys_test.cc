// The `exec` model's keys (common/exec_keys.h and their rows in common/job_keys.cc): the
// program name, the free-form params and how both enter the canonical JSON and hash.
#include "common/exec_keys.h"

#include "common/job_keys.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace sweep {
namespace {

using ::nlohmann::json;
using ::sweep::testing::IsOk;
using ::sweep::testing::StatusIs;
using ::testing::HasSubstr;

json Exec() { return {{"model", "exec"}, {"exec", "ridge"}, {"d", 4}, {"N", 8}}; }

TEST(ExecKeysTest, CanonicalJsonCarriesTheTaskKeysAndSortedParams) {
  json partial = Exec();
  partial["params.lam"] = 0.1;
  partial["params.alpha"] = std::vector<int>{2, 1};
  partial["dtype"] = "float64";  // a built-in-only key: dropped
  auto c = ResolveJobConfig(partial);
  ASSERT_THAT(c, IsOk());
  EXPECT_EQ(CanonicalJson(*c),
            R"({"N":8,"d":4,"eps":0.5,"eval_lengths":[1,2,4,8],"eval_tasks":1000,)"
            R"("exec":"ridge","link":"h2","model":"exec","params":{"alpha":[2,1],"lam":0.1},)"
            R"("r":4,"seed":0,"subspace":"aligned","tau":0.1,"threads":1,"timeout":3600})");
  // The canonical JSON (what a worker receives) resolves to the same config.
  auto again = ResolveJobConfig(json::parse(CanonicalJson(*c)));
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(*again, *c);
}

TEST(ExecKeysTest, ParamsAreHashedLikeAnyKey) {
  json a = Exec(), b = Exec(), c = Exec();
  a["params.lam"] = 0.1;
  b["params.lam"] = 0.2;
  c["params"] = {{"lam", 0.1}};  // the object form is the same cell as the dotted one
  EXPECT_NE(ConfigHash(*ResolveJobConfig(a)), ConfigHash(*ResolveJobConfig(b)));
  EXPECT_EQ(ConfigHash(*ResolveJobConfig(a)), ConfigHash(*ResolveJobConfig(c)));
}

TEST(ExecKeysTest, OtherModelsIgnoreExecKeys) {
  json krr = {{"model", "krr"}, {"d", 4}, {"N", 8}};
  json with = krr;
  with["params.lam"] = 1;
  with["exec"] = "ridge";
  EXPECT_EQ(*ResolveJobConfig(krr), *ResolveJobConfig(with));
  EXPECT_TRUE(ModelUsesKey("exec", "params.lam"));
  EXPECT_FALSE(ModelUsesKey("krr", "params.lam"));
  EXPECT_FALSE(ModelUsesKey("exec", "dtype"));
}

TEST(ExecKeysTest, BadInputNamesTheKeyAndTheRule) {
  json no_name = Exec();
  no_name.erase("exec");
  EXPECT_THAT(ResolveJobConfig(no_name), StatusIs(absl::StatusCode::kInvalidArgument,
                                                  HasSubstr("exec: required for model exec")));
  json path = Exec();
  path["exec"] = "/bin/sh";
  EXPECT_THAT(ResolveJobConfig(path), StatusIs(absl::StatusCode::kInvalidArgument,
                                               HasSubstr("exec: bad name \"/bin/sh\"")));
  json nan = Exec();
  nan["params.lam"] = std::numeric_limits<double>::quiet_NaN();
  EXPECT_THAT(ResolveJobConfig(nan),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("params.lam: NaN/inf")));
  json nested = Exec();
  nested["params"] = {{"opt", {{"lr", 1}}}};
  EXPECT_THAT(ResolveJobConfig(nested), StatusIs(absl::StatusCode::kInvalidArgument,
                                                 HasSubstr("params.opt: expected a number")));
  json twice = Exec();
  twice["params"] = {{"lam", 1}};
  twice["params.lam"] = 2;
  EXPECT_THAT(ResolveJobConfig(twice),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("params.lam: set both")));
  json bad_key = Exec();
  bad_key["params.2x"] = 1;
  EXPECT_THAT(ResolveJobConfig(bad_key),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unknown key \"params.2x\"")));
  json timeout = Exec();
  timeout["timeout"] = 0;
  EXPECT_THAT(ResolveJobConfig(timeout),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("timeout: 0 out of range")));
}

TEST(ExecKeysTest, NamesAreNeverPathsOrOptions) {
  EXPECT_TRUE(IsExecName("ridge_v2.py"));
  EXPECT_FALSE(IsExecName(""));
  EXPECT_FALSE(IsExecName("-rf"));
  EXPECT_FALSE(IsExecName(".."));
  EXPECT_FALSE(IsExecName("a/b"));
  EXPECT_FALSE(IsExecName("a b"));
  EXPECT_FALSE(IsExecName(std::string(65, 'a')));
}

}  // namespace
}  // namespace sweep
