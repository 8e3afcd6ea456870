// Sweep files (common/spec/sweep_spec.h): grid order and counts, seeds, exclude,
// deduplication across models, the job limit, JSON input, file loading and speed.
#include "common/spec/sweep_spec.h"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <tuple>

#include "common/job_keys.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace sweep::spec {
namespace {

using ::sweep::testing::IsOk;
using ::sweep::testing::StatusIs;
using ::testing::HasSubstr;

SweepSpec Parse(const std::string& text, const SpecOptions& options = {}) {
  auto spec = ParseSweep(text, "t.yaml", options);
  EXPECT_THAT(spec, IsOk());
  return spec.ok() ? *spec : SweepSpec{};
}

TEST(SweepSpecTest, BaseOnlyGivesOneResolvedJob) {
  SweepSpec s = Parse("name: one\nbase: {model: krr, d: 8, N: 64}\n");
  EXPECT_EQ(s.name, "one");
  ASSERT_EQ(s.jobs.size(), 1u);
  EXPECT_EQ(s.jobs[0].model, ModelKind::kKrr);
  EXPECT_EQ(s.jobs[0].r, 8);
  EXPECT_EQ(s.jobs[0].eval_lengths, (std::vector<int>{8, 16, 32, 64}));
}

// The lexical pre-scan (yaml_prescan.h) counts brackets only where YAML would: brackets
// in comments, quoted strings and inside plain scalars do not count toward the nesting
// limit, and a document ended by `...` or started by `---` is still one document.
TEST(SweepSpecTest, BracketsInCommentsStringsAndScalarsAreNotNesting) {
  const std::string many(100, '[');
  const std::string text = "--- # " + many + "\nname: \"" + many + "\"\n# " + many +
                           "\nbase: {model: krr, d: 4, N: 8, link: 'h2', subspace: aligned}\n" +
                           "grid: {eval_tasks: [10, 20]}  # {{{{ " + many + "\n...\n";
  auto spec = ParseSweep(text, "b.yaml");
  ASSERT_THAT(spec, IsOk());
  EXPECT_EQ(spec->name, many);
  EXPECT_EQ(spec->jobs.size(), 2u);
}

TEST(SweepSpecTest, MaxAttemptsDefaultsToThreeAndIsReadFromTheFile) {
  EXPECT_EQ(Parse("name: one\nbase: {model: krr, d: 8, N: 64}\n").max_attempts, 3);
  EXPECT_EQ(Parse("name: one\nmax_attempts: 7\nbase: {model: krr, d: 8, N: 64}\n").max_attempts, 7);
}

TEST(SweepSpecTest, GridIsCartesianInFileOrderLastAxisFastest) {
  SweepSpec s = Parse(R"(
name: g
base: {model: krr, N: 32}
grid:
  d: [8, 16]
  link: [h2, h3, h4]
)");
  ASSERT_EQ(s.jobs.size(), 6u);
  const std::vector<std::pair<int, std::string>> want = {{8, "h2"},  {8, "h3"},  {8, "h4"},
                                                         {16, "h2"}, {16, "h3"}, {16, "h4"}};
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(s.jobs[i].d, want[i].first) << i;
    EXPECT_EQ(s.jobs[i].link, want[i].second) << i;
  }
}

TEST(SweepSpecTest, AdaptiveSeedsStartEachCellWithMinSeeds) {
  SweepSpec s = Parse(
      "name: a\nbase: {model: krr, N: 8}\ngrid:\n  d: [4, 8]\n"
      "seeds: {min: 3, max: 10, ci: 0.02, metric: mse}\n");
  ASSERT_EQ(s.jobs.size(), 6u);
  EXPECT_EQ(s.jobs[2].d, 4);
  EXPECT_EQ(s.jobs[2].seed, 2);
  EXPECT_EQ(s.axes, (std::vector<std::string>{"d", "seed"}));
  ASSERT_TRUE(s.adaptive_seeds.has_value());
  EXPECT_EQ(*s.adaptive_seeds, (AdaptiveSeeds{3, 10, 0.02, "mse"}));
  // Defaults: min 3, max 20, nmse.
  SweepSpec d = Parse("name: a\nbase: {model: krr, d: 4, N: 8}\nseeds: {ci: 0.5}\n");
  ASSERT_TRUE(d.adaptive_seeds.has_value());
  EXPECT_EQ(*d.adaptive_seeds, (AdaptiveSeeds{3, 20, 0.5, "nmse"}));
  EXPECT_EQ(d.jobs.size(), 3u);
  EXPECT_FALSE(Parse("name: a\nbase: {model: krr, d: 4, N: 8}\nseeds: 2\n").adaptive_seeds);
}

TEST(SweepSpecTest, SeedsAreTheFastestAxisWhereverWritten) {
  SweepSpec s =
      Parse("seeds: 3\nname: s\nbase: {model: krr, d: 4, N: 8}\ngrid: {tau: [0.1, 0.2]}\n");
  EXPECT_EQ(s.axes, (std::vector<std::string>{"tau", "seed"}));
  ASSERT_EQ(s.jobs.size(), 6u);
  for (size_t i = 0; i < 6; ++i) {
    EXPECT_EQ(s.jobs[i].seed, i % 3) << i;
    EXPECT_DOUBLE_EQ(s.jobs[i].tau, i < 3 ? 0.1 : 0.2) << i;
  }
}

TEST(SweepSpecTest, ExcludeDropsCellsMatchingEveryKeyOfAnEntry) {
  SweepSpec s = Parse(R"(
name: x
base: {N: 16, d: 8}
grid:
  model: [krr, mamba-theory]
  link: [h2, h3]
exclude:
  - {model: krr, link: h3}
  - {link: h4}
)");
  ASSERT_EQ(s.jobs.size(), 3u);
  EXPECT_EQ(s.jobs[0].model, ModelKind::kKrr);
  EXPECT_EQ(s.jobs[0].link, "h2");
  EXPECT_EQ(s.jobs[1].model, ModelKind::kMambaTheory);
  EXPECT_EQ(s.jobs[2].link, "h3");
}

TEST(SweepSpecTest, KeysAModelIgnoresDoNotDuplicateItsJobs) {
  SweepSpec s = Parse(R"(
name: dedup
base: {d: 8, N: 16}
grid:
  model: [mamba, krr]
  D: [32, 64, 128]
  link: [h2, h3]
)");
  // 3 x 2 mamba jobs, and one krr job per link instead of three.
  ASSERT_EQ(s.jobs.size(), 8u);
  int krr = 0;
  for (const JobConfig& j : s.jobs) krr += j.model == ModelKind::kKrr;
  EXPECT_EQ(krr, 2);
  EXPECT_EQ(s.jobs[6].model, ModelKind::kKrr);
  EXPECT_EQ(s.jobs[6].link, "h2");
  EXPECT_EQ(s.jobs[7].link, "h3");
}

TEST(SweepSpecTest, EveryJobHashIsDistinct) {
  SweepSpec s = Parse(
      "name: h\nbase: {model: mamba-theory, d: 8, N: 16}\n"
      "grid: {gate: [sigmoid, none], link: [h2, h3]}\nseeds: 2\n");
  std::set<std::string> hashes;
  for (const JobConfig& j : s.jobs) hashes.insert(ConfigHash(j));
  EXPECT_EQ(hashes.size(), 8u);
}

TEST(SweepSpecTest, JsonDocumentIsAccepted) {
  SweepSpec s = Parse(R"({"name": "j", "base": {"model": "krr", "d": 4, "N": 8},
                          "grid": {"eval_lengths": [[1, 8], [8]]}, "seeds": 2})");
  ASSERT_EQ(s.jobs.size(), 4u);
  EXPECT_EQ(s.jobs[0].eval_lengths, (std::vector<int>{1, 8}));
  EXPECT_EQ(s.jobs[3].eval_lengths, (std::vector<int>{8}));
}

TEST(SweepSpecTest, JobLimitNamesProductAndLimit) {
  SpecOptions options;
  options.max_jobs = 100;
  auto spec = ParseSweep(
      "name: big\nbase: {model: krr, d: 4, N: 8}\n"
      "grid: {tau: [0.1, 0.2, 0.3]}\nseeds: 40\n",
      "big.yaml", options);
  EXPECT_THAT(spec,
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("big.yaml: grid: 3 x 40 = 120 jobs exceeds the limit of 100")));
  options.max_jobs = 120;
  EXPECT_THAT(ParseSweep("name: big\nbase: {model: krr, d: 4, N: 8}\n"
                         "grid: {tau: [0.1, 0.2, 0.3]}\nseeds: 40\n",
                         "big.yaml", options),
              IsOk());
}

TEST(SweepSpecTest, JobLimitProductDoesNotOverflow) {
  // 4 models x 3^40 cells overflows int64; the count must not wrap to a small number.
  std::string text =
      "name: huge\nbase: {d: 4, N: 8}\ngrid:\n"
      "  model: [mamba, mamba-theory, transformer, krr]\n";
  int axes = 0;
  for (const std::string& key : AllJobKeys()) {
    // The exec-only keys would add nothing but a different error.
    if (key == "model" || key == "d" || key == "N" || key == "exec" || key == "params" ||
        key == "timeout" || axes == 40) {
      continue;
    }
    text += "  " + key + ": [1, 2, 3]\n";
    ++axes;
  }
  ASSERT_EQ(axes, 38);
  text += "  d: [1, 2, 3]\n  N: [1, 2, 3]\n";
  text.replace(text.find("base: {d: 4, N: 8}"), 18, "base: {}");
  std::string product = "4";
  for (int i = 0; i < 40; ++i) product += " x 3";
  EXPECT_THAT(ParseSweep(text, "huge.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr(product + " = more than 2^63 jobs exceeds the limit of 1000000")));
}

TEST(SweepSpecTest, TotalEvalLengthsAreBounded) {
  SpecOptions options;
  options.max_eval_entries = 1000;
  // Each interleaved job evaluates 0..N: 2 x 401 entries fit, 3 x 401 do not.
  const std::string text = "name: e\nbase: {model: mamba, d: 4, N: 400}\nseeds: ";
  EXPECT_THAT(
      ParseSweep(text + "3\n", "e.yaml", options),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("eval_lengths: the jobs evaluate more than 1000 context lengths")));
  EXPECT_THAT(ParseSweep(text + "2\n", "e.yaml", options), IsOk());
}

TEST(SweepSpecTest, ResolutionErrorPointsAtTheOffendingValue) {
  auto spec =
      ParseSweep("name: r\nbase: {model: krr, N: 8}\ngrid:\n  d: [8, 4]\n  r: [2, 6]\n", "r.yaml");
  EXPECT_THAT(spec, StatusIs(absl::StatusCode::kInvalidArgument,
                             HasSubstr("r.yaml:5:10: r: 6 > d = 4 (r must be <= d) "
                                       "(in grid cell d=4, r=6)")));
}

TEST(SweepSpecTest, LoadSweepFileUsesTheBaseNameInErrors) {
  const std::string path = ::testing::TempDir() + "/bad_spec.yaml";
  std::ofstream(path) << "name: f\nbase: {model: krr, d: 4, N: 8, sedd: 1}\n";
  EXPECT_THAT(LoadSweepFile(path),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("bad_spec.yaml:2:32: base: unknown key \"sedd\"")));
  std::remove(path.c_str());
  EXPECT_THAT(LoadSweepFile(path), StatusIs(absl::StatusCode::kNotFound, HasSubstr(path)));
}

TEST(SweepSpecTest, ExamplesInTheRepositoryParse) {
  for (const char* name : {"small", "reference", "krr", "mamba-theory", "mamba", "transformer"}) {
    auto spec = LoadSweepFile(std::string(SWEEP_SOURCE_DIR) + "/examples/" + name + ".yaml");
    EXPECT_THAT(spec, IsOk()) << name;
    if (spec.ok()) {
      EXPECT_FALSE(spec->jobs.empty()) << name;
    }
  }
}

TEST(SweepSpecTest, SmallExampleMixesKrrAndGatedTheoryWithoutDuplicates) {
  auto spec = LoadSweepFile(std::string(SWEEP_SOURCE_DIR) + "/examples/small.yaml");
  ASSERT_THAT(spec, IsOk());
  std::map<std::string, int> per_model;
  for (const JobConfig& j : spec->jobs) ++per_model[std::string(EnumName(j.model))];
  // krr: features x link x seeds; mamba-theory: gate x link x seeds.
  EXPECT_EQ(per_model["krr"], 8);
  EXPECT_EQ(per_model["mamba-theory"], 8);
}

TEST(SweepSpecTest, ReferenceExampleMatchesScienceSettings) {
  auto spec = LoadSweepFile(std::string(SWEEP_SOURCE_DIR) + "/examples/reference.yaml");
  ASSERT_THAT(spec, IsOk());
  ASSERT_EQ(spec->jobs.size(), 18u);  // 3 links x 2 gates x 3 seeds
  for (const JobConfig& j : spec->jobs) {
    EXPECT_EQ(j.model, ModelKind::kMambaTheory);
    EXPECT_EQ(std::tie(j.d, j.r, j.N, j.eval_tasks), std::make_tuple(16, 4, 512, 4000));
    EXPECT_EQ(j.dtype, Dtype::kFloat64);
    EXPECT_DOUBLE_EQ(j.tau, 0.1);
  }
}

TEST(SweepSpecTest, FormatDocumentListsEveryJobKey) {
  std::ifstream in(std::string(SWEEP_SOURCE_DIR) + "/docs/sweep-format.md");
  std::stringstream doc;
  doc << in.rdbuf();
  for (const std::string& key : AllJobKeys()) {
    EXPECT_THAT(doc.str(), HasSubstr("| `" + key + "` |")) << key;
  }
}

TEST(SweepSpecTest, FormatDocumentExampleParses) {
  std::ifstream in(std::string(SWEEP_SOURCE_DIR) + "/docs/sweep-format.md");
  std::stringstream doc;
  doc << in.rdbuf();
  const std::string text = doc.str();
  const size_t begin = text.find("```yaml\n");
  ASSERT_NE(begin, std::string::npos);
  const size_t end = text.find("```", begin + 8);
  SweepSpec s = Parse(text.substr(begin + 8, end - begin - 8));
  // krr: 2 features x 2 links x 2 seeds minus the 4 excluded h3 jobs; mamba-theory: 2 x 2 x 2.
  EXPECT_EQ(s.jobs.size(), 12u);
}

// A printed figure, with a generous bound so that a loaded CI machine does not flake.
TEST(SweepSpecTest, ExpandsHundredThousandJobsQuickly) {
  std::string text =
      "name: big\nbase: {model: mamba-theory, d: 16, N: 512}\nseeds: 100\ngrid:\n"
      "  link: [h2, h3, h4, h2+h4, 0.6*h1+0.8*h3]\n  gate: [sigmoid, none]\n  tau: [";
  for (int i = 0; i < 100; ++i) text += (i ? "," : "") + std::to_string(0.01 * i);
  text += "]\n";
  const auto start = std::chrono::steady_clock::now();
  const std::clock_t cpu_start = std::clock();
  auto spec = ParseSweep(text, "big.yaml");
  const double cpu = double(std::clock() - cpu_start) / CLOCKS_PER_SEC;
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_THAT(spec, IsOk());
  EXPECT_EQ(spec->jobs.size(), 100'000u);
  std::printf("expanded %zu jobs in %.3f s wall, %.3f s cpu\n", spec->jobs.size(), seconds, cpu);
  EXPECT_LT(seconds, 5.0);
}

}  // namespace
}  // namespace sweep::spec

namespace sweep::spec {
namespace {

// docs/exec.md: an exec program's own parameters are grid axes like any key.
TEST(SweepSpecTest, ExecParamsAreGridAxesAndExcludeKeys) {
  SweepSpec s = Parse(
      "name: ex\n"
      "base: {model: exec, exec: ridge, d: 4, N: 8, params.method: ridge}\n"
      "grid:\n  params.lam: [0.01, 1]\n  params.iters: [1, 2]\n"
      "exclude:\n  - {params.lam: 1, params.iters: 2}\n"
      "seeds: 2\n");
  ASSERT_EQ(s.jobs.size(), 6u);
  EXPECT_EQ(s.jobs[0].params.json, R"({"iters":1,"lam":0.01,"method":"ridge"})");
  // YAML's 1 is an integer and stays one: the program sees the type the file wrote.
  EXPECT_EQ(s.jobs[5].params.json, R"({"iters":1,"lam":1,"method":"ridge"})");
  EXPECT_EQ(s.jobs[5].seed, 1u);
  EXPECT_THAT(s.axes, ::testing::Contains("params.lam"));
}

TEST(SweepSpecTest, ExecParamsOnAModelWithoutThemAreRefused) {
  EXPECT_THAT(ParseSweep("name: ex\nbase: {model: krr, d: 4, N: 8}\ngrid:\n  params.lam: [1, 2]\n",
                         "t.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("grid.params.lam: no model of this sweep uses it")));
}

}  // namespace
}  // namespace sweep::spec
