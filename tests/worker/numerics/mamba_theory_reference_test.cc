// The docs/science.md section 3 `mamba-theory` reference run (d=16, r=4, N=512, tau=0.1,
// float64, seed 0, every training default) for h2/h3/h4 with `gate: sigmoid` and
// `gate: none`. bench/bench_mamba_theory.cc runs the same jobs with 4000 eval prompts;
// here eval_tasks = 2000, the smallest count docs/science.md accepts for conclusions (eval is
// ~5% of a job's time: training dominates). About 25 s of CPU for the six jobs.
//
// What it pins: the paper's role of gating (gate < none for every link, compared on the
// same eval prompts, which the shared eval stream guarantees) and the h2 gated nmse
// against the published 0.23-0.26. h3/h4 values are not pinned: their labels are
// heavy-tailed (E[h4^4] ~ 3500), so 2000 prompts' mean y^2 strays +-50% from E[y^2].
#include <cstdio>
#include <map>
#include <string>
#include <utility>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/job_keys.h"
#include "tests/testing/status_matchers.h"
#include "worker/numerics/run_job.h"

namespace sweep::numerics {
namespace {

using ::sweep::testing::IsOk;

JobConfig ReferenceConfig(const std::string& link, const std::string& gate) {
  JobConfig c;  // K1, T1, eta1, lambda1, T2, lambda2, m: the docs/science.md defaults
  c.model = ModelKind::kMambaTheory, c.d = 16, c.r = 4, c.N = 512, c.link = link, c.tau = 0.1;
  c.gate = ParseEnum<Gate>(gate).value(), c.seed = 0, c.format = PromptFormat::kPaired;
  c.dtype = Dtype::kFloat64;
  c.eval_tasks = 2000, c.eval_lengths = {64, 128, 256, 512};
  return c;
}

TEST(MambaTheoryReferenceTest, GateBeatsNoGateForEveryLinkAndH2MatchesThePaper) {
  std::map<std::pair<std::string, std::string>, JobResult> results;
  for (const std::string link : {"h2", "h3", "h4"}) {
    for (const std::string gate : {"sigmoid", "none"}) {
      absl::StatusOr<JobResult> r = RunJob(ReferenceConfig(link, gate), {});
      ASSERT_THAT(r, IsOk()) << link << " " << gate;
      ASSERT_TRUE(r->divergence.empty()) << link << " " << gate << ": " << r->divergence;
      results[{link, gate}] = *r;
    }
  }
  for (const std::string link : {"h2", "h3", "h4"}) {
    const double gated = results[{link, "sigmoid"}].nmse;
    const double none = results[{link, "none"}].nmse;
    std::printf("%s: nmse gate %.3f, none %.3f\n", link.c_str(), gated, none);
    EXPECT_LT(gated, none) << link << ": gate " << gated << " vs none " << none;
  }
  // Published range over three seeds 0.23-0.26; another implementation's random numbers
  // and 2000 rather than 4000 eval prompts (se ~0.02 here) widen it.
  const JobResult& h2 = results[{"h2", "sigmoid"}];
  EXPECT_GT(h2.nmse, 0.23 - 0.04) << "se " << h2.curve.back().se / h2.ey2;
  EXPECT_LT(h2.nmse, 0.26 + 0.04) << "se " << h2.curve.back().se / h2.ey2;
  // `gate: none` on h2 is linear attention: published 0.67-0.69.
  const double h2_none = results[{"h2", "none"}].nmse;
  EXPECT_GT(h2_none, 0.55);
}

}  // namespace
}  // namespace sweep::numerics
