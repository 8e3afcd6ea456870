// A corpus of malformed sweep files: each must be refused with INVALID_ARGUMENT and a
// message that names the position or key and the reason (the regex), never accepted and
// never crash. Jobs are resolved from `base: {model: krr, d: 8, N: 8}` unless a case
// changes it.
#include <string>
#include <vector>

#include "common/spec/sweep_spec.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace sweep::spec {
namespace {

using ::sweep::testing::StatusIs;
using ::testing::ContainsRegex;

struct Malformed {
  const char* name;
  std::string text;
  const char* regex;
};

const std::string kHead = "name: m\n";  // line 1, so `base` is on line 2
const std::string kBase = kHead + "base: {model: krr, d: 8, N: 8}\n";

std::string Nested(int depth) {
  return kHead + "base: {model: krr, d: 8, N: 8, eval_lengths: " + std::string(depth, '[') + "1" +
         std::string(depth, ']') + "}\n";
}

std::string AliasBomb() {
  std::string text = kHead + "a0: &a0 [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n";
  for (int i = 1; i <= 6; ++i) {
    std::string prev = "*a" + std::to_string(i - 1);
    text += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int j = 0; j < 10; ++j) text += (j ? ", " : "") + prev;
    text += "]\n";
  }
  return text;
}

std::string Repeat(std::string_view piece, int times) {
  std::string out;
  for (int i = 0; i < times; ++i) out += piece;
  return out;
}

const std::vector<Malformed>& Corpus() {
  static const std::vector<Malformed> corpus = {
      {"empty", "", "^m\\.yaml: empty document$"},
      {"comment_only", "# nothing\n", "empty document"},
      {"top_level_list", "- a\n- b\n", "^m\\.yaml:1:1: a sweep file is a map"},
      {"top_level_scalar", "hello\n", "a sweep file is a map .*got a string"},
      {"unknown_top_key", kBase + "sedd: 1\n",
       "^m\\.yaml:3:1: unknown key \"sedd\" \\(expected name, base, grid, seeds, exclude or "
       "max_attempts\\)"},
      {"max_attempts_zero", kBase + "max_attempts: 0\n",
       "^m\\.yaml:3:15: max_attempts: expected an integer in 1\\.\\.100, got 0"},
      {"max_attempts_text", kBase + "max_attempts: many\n",
       "max_attempts: expected an integer in 1\\.\\.100, got \"many\""},
      {"missing_name", "base: {model: krr, d: 8, N: 8}\n", "name: required"},
      {"name_number", "name: 5\nbase: {model: krr, d: 8, N: 8}\n",
       "m\\.yaml:1:7: name: expected a non-empty string, got a number"},
      {"name_empty", "name: ''\nbase: {model: krr, d: 8, N: 8}\n",
       "name: expected a non-empty string"},
      {"name_too_long", "name: " + std::string(300, 'x') + "\nbase: {model: krr, d: 8, N: 8}\n",
       "name: longer than 256 bytes"},
      {"duplicate_top_key", kBase + "name: again\n", "m\\.yaml:3:1: duplicate key \"name\""},
      {"base_list", kHead + "base: [1]\n",
       "m\\.yaml:2:7: base: expected a map of job keys, got a list"},
      {"base_null", kHead + "base:\n", "base: expected a map of job keys, got nothing"},
      {"base_unknown_key", kHead + "base: {model: krr, d: 8, N: 8, sedd: 1}\n",
       "m\\.yaml:2:32: base: unknown key \"sedd\""},
      {"base_value_map", kHead + "base: {model: krr, d: {x: 1}, N: 8}\n",
       "m\\.yaml:2:23: base\\.d: expected a value, got a map"},
      {"base_value_null", kHead + "base: {model: krr, d: 8, N: 8, tau: }\n",
       "base\\.tau: expected a value, got nothing"},
      {"wrong_type", kHead + "base: {model: krr, d: abc, N: 8}\n",
       "m\\.yaml:2:23: d: expected an integer, got string \"abc\""},
      {"quoted_number", kHead + "base: {model: krr, d: '8', N: 8}\n",
       "d: expected an integer, got string \"8\""},
      {"fractional_int", kHead + "base: {model: krr, d: 8.5, N: 8}\n",
       "d: expected an integer, got number 8\\.5"},
      {"nan", kHead + "base: {model: krr, d: 8, N: 8, tau: .nan}\n",
       "m\\.yaml:2:37: NaN/inf is not allowed \\(\\.nan\\)"},
      {"inf", kHead + "base: {model: krr, d: 8, N: 8, tau: .inf}\n", "NaN/inf is not allowed"},
      {"minus_inf", kHead + "base: {model: krr, d: 8, N: 8, tau: -.Inf}\n",
       "NaN/inf is not allowed"},
      {"huge_number", kHead + "base: {model: krr, d: 8, N: 8, tau: 1e999}\n",
       "number 1e999 is out of range"},
      {"negative_tau", kHead + "base: {model: krr, d: 8, N: 8, tau: -0.5}\n",
       "m\\.yaml:2:37: tau: -0\\.5 out of range \\[0\\.0, 1000\\.0\\]"},
      {"r_above_d", kHead + "base: {model: krr, d: 8, N: 8, r: 9}\n",
       "m\\.yaml:2:35: r: 9 > d = 8 \\(r must be <= d\\)"},
      {"d_above_limit", kHead + "base: {model: krr, d: 2000, N: 8}\n",
       "d: 2000 out of range \\[1, 1024\\]"},
      {"N_zero", kHead + "base: {model: krr, d: 8, N: 0}\n", "N: 0 out of range \\[1, 65536\\]"},
      {"N_above_limit", kHead + "base: {model: krr, d: 8, N: 100000}\n", "N: 100000 out of range"},
      {"negative_seed", kHead + "base: {model: krr, d: 8, N: 8, seed: -1}\n",
       "seed: -1 out of range"},
      {"bad_link_term", kHead + "base: {model: krr, d: 8, N: 8, link: h2+x3}\n",
       "link \"h2\\+x3\": bad term \"x3\""},
      {"link_degree_too_high", kHead + "base: {model: krr, d: 8, N: 8, link: h9}\n",
       "bad term \"h9\""},
      {"link_constant", kHead + "base: {model: krr, d: 8, N: 8, link: 2*h0}\n",
       "no term of degree >= 1"},
      {"unknown_model", kHead + "base: {model: rnn, d: 8, N: 8}\n",
       "m\\.yaml:2:15: model: unknown model \"rnn\" \\(expected one of: mamba, mamba-theory, "
       "transformer, krr, exec\\)"},
      {"unknown_model_in_grid", kHead + "base: {d: 8, N: 8}\ngrid:\n  model: [krr, rnn]\n",
       "m\\.yaml:4:16: model: unknown model \"rnn\""},
      {"no_model", kHead + "base: {d: 8, N: 8}\n", "model: required \\(set it in base or grid\\)"},
      {"missing_d", kHead + "base: {model: krr, N: 8}\n", "d: required"},
      {"bool_as_int", kHead + "base: {model: mamba, d: 8, N: 8, selective: 1}\n",
       "selective: expected true or false, got number 1"},
      {"unknown_enum", kHead + "base: {model: krr, d: 8, N: 8, kernel: linear}\n",
       "kernel: unknown value \"linear\" \\(expected one of: rbf, poly\\)"},
      {"heads_do_not_divide", kHead + "base: {model: transformer, d: 8, N: 8, D: 30}\n",
       "H: D = 30 is not divisible by H = 4"},
      {"eval_length_above_N", kHead + "base: {model: krr, d: 8, N: 8, eval_lengths: [1, 9]}\n",
       "eval_lengths: 9 > N = 8 \\(entries must lie in 0\\.\\.N\\)"},
      {"eval_length_null", kHead + "base: {model: krr, d: 8, N: 8, eval_lengths: [1, ~]}\n",
       "base\\.eval_lengths: list entries must be values, got nothing"},
      {"grid_list", kBase + "grid: [1, 2]\n",
       "m\\.yaml:3:7: grid: expected a map of key: \\[values\\], got a list"},
      {"grid_unknown_key", kBase + "grid:\n  sedd: [1]\n",
       "m\\.yaml:4:3: grid: unknown key \"sedd\""},
      {"grid_scalar_axis", kHead + "base: {model: krr, N: 8}\ngrid:\n  d: 8\n",
       "m\\.yaml:4:6: grid\\.d: expected a non-empty list of values, got a number"},
      {"grid_empty_axis", kHead + "base: {model: krr, N: 8}\ngrid:\n  d: []\n",
       "grid\\.d: expected a non-empty list of values, got an empty list"},
      {"grid_duplicate_value", kHead + "base: {model: krr, N: 8}\ngrid:\n  d: [8, 16, 8]\n",
       "m\\.yaml:4:14: grid\\.d: duplicate value 8"},
      {"grid_duplicate_int_float", kHead + "base: {model: krr, N: 8}\ngrid:\n  d: [8, 8.0]\n",
       "grid\\.d: duplicate value 8\\.0"},
      {"grid_axis_unused", kBase + "grid:\n  D: [32, 64]\n",
       "m\\.yaml:4:3: grid\\.D: no model of this sweep uses it \\(models: krr\\)"},
      {"grid_and_base", kBase + "grid:\n  d: [8, 16]\n",
       "m\\.yaml:4:3: grid\\.d: d is also set in base"},
      {"grid_bad_value", kHead + "base: {model: krr, N: 8}\ngrid:\n  d: [8, abc]\n",
       "m\\.yaml:4:10: d: expected an integer, got string \"abc\" \\(in grid cell d=\"abc\"\\)"},
      {"seeds_zero", kBase + "seeds: 0\n",
       "m\\.yaml:3:8: seeds: expected an integer in 1\\.\\.1000000 or a map \\{min, max, ci, "
       "metric\\}, got 0"},
      {"seeds_too_many", kBase + "seeds: 2000000\n",
       "seeds: expected an integer in 1\\.\\.1000000 or a map .*, got 2000000"},
      {"seeds_string", kBase + "seeds: abc\n", "seeds: expected an integer .*got \"abc\""},
      {"adaptive_min_over_max", kBase + "seeds: {min: 5, max: 3, ci: 0.1}\n",
       "m\\.yaml:3:8: seeds: min 5 > max 3"},
      {"adaptive_ci_zero", kBase + "seeds: {min: 2, max: 3, ci: 0}\n",
       "seeds\\.ci: must be a finite number > 0, got 0"},
      {"adaptive_ci_negative", kBase + "seeds: {ci: -0.5}\n",
       "seeds\\.ci: must be a finite number > 0, got -0\\.5"},
      {"adaptive_ci_missing", kBase + "seeds: {min: 2, max: 3}\n", "seeds\\.ci: required"},
      {"adaptive_min_one", kBase + "seeds: {min: 1, ci: 0.1}\n",
       "seeds\\.min: expected an integer in 2\\.\\.1000000 \\(a confidence interval needs two"},
      {"adaptive_unknown_key", kBase + "seeds: {min: 2, cl: 0.1}\n",
       "m\\.yaml:3:17: seeds: unknown key \"cl\" \\(expected min, max, ci or metric\\)"},
      {"adaptive_metric", kBase + "seeds: {ci: 0.1, metric: loss}\n",
       "seeds\\.metric: unknown metric \"loss\" \\(expected nmse or mse\\)"},
      {"adaptive_max_string", kBase + "seeds: {ci: 0.1, max: many}\n",
       "seeds\\.max: expected an integer, got \"many\""},
      {"seeds_and_grid_seed", kBase + "grid:\n  seed: [1, 2]\nseeds: 2\n",
       "m\\.yaml:5:1: seeds: seed is also set in grid"},
      {"seeds_and_base_seed", kHead + "base: {model: krr, d: 8, N: 8, seed: 3}\nseeds: 2\n",
       "seeds: seed is also set in base"},
      {"exclude_map", kBase + "exclude: {model: krr}\n",
       "m\\.yaml:3:10: exclude: expected a list of partial configs, got a map"},
      {"exclude_scalar_entry", kBase + "exclude: [1]\n",
       "exclude\\[0\\]: expected a non-empty map, got a number"},
      {"exclude_unknown_key", kBase + "exclude:\n  - {sedd: 1}\n",
       "m\\.yaml:4:6: exclude\\[0\\]: unknown key \"sedd\""},
      {"exclude_never_matches", kBase + "exclude:\n  - {tau: 0.1}\n",
       "exclude\\[0\\]\\.tau: not set in base or grid \\(the entry would never match\\)"},
      {"exclude_everything", kBase + "exclude:\n  - {model: krr}\n",
       "every job of the grid is excluded"},
      {"yaml_unclosed_flow", kHead + "base: {model: krr, d: 8, N: 8\n",
       "^m\\.yaml:[0-9]+:[0-9]+: end of map flow not found"},
      {"yaml_bad_indent", "name: m\n  base: 1\n", "^m\\.yaml:2:7: "},
      {"yaml_unsupported_tag", kHead + "base: {model: krr, d: !!int 8, N: 8}\n",
       "unsupported tag \"tag:yaml\\.org,2002:int\""},
      {"yaml_complex_key", kBase + "? [a]\n: 1\n",
       "m\\.yaml:3:3: a map key must be a plain string"},
      {"too_deep", Nested(70), "nesting deeper than 64"},
      {"alias_bomb", AliasBomb(), "more than 200000 nodes \\(an alias bomb\\?\\)"},
      {"huge_string",
       kHead + "base: {model: krr, d: 8, N: 8, link: " + std::string(70000, 'h') + "}\n",
       "m\\.yaml:2:38: string of 70000 bytes exceeds the limit of 65536"},
      {"json_unknown_key", R"({"name": "j", "base": {"model": "krr", "d": 8, "N": 8, "sedd": 1}})",
       "m\\.yaml:1:56: base: unknown key \"sedd\""},
      {"invalid_utf8_value", kBase + "grid:\n  link: [h2, \"\xff\xfe\"]\n",
       "m\\.yaml:4:14: invalid UTF-8 in a string"},
      {"invalid_utf8_key", kBase + "grid:\n  \xc3\x28: [1]\n",
       "m\\.yaml:4:3: invalid UTF-8 in a key"},
      {"overlong_utf8", kHead + "base: {model: krr, d: 8, N: 8, link: \"\xc0\xaf\"}\n",
       "invalid UTF-8 in a string"},
      {"bad_enum_bytes", kBase + "grid:\n  subspace: [aligned, \"r\xc3\xa9\"]\n",
       "subspace: unknown value \"r\xc3\xa9\""},
      {"json_trailing_garbage",
       R"({"name": "j", "base": {"model": "krr", "d": 8, "N": 8}} garbage)",
       "^m\\.yaml:1:57: content after the first document"},
      {"json_two_objects",
       R"({"name": "j", "base": {"model": "krr", "d": 8, "N": 8}})"
       "\n{\"name\": \"k\"}\n",
       "^m\\.yaml:2:1: content after the first document"},
      {"second_yaml_document", kBase + "---\nname: other\n",
       "^m\\.yaml:3:1: content after the first document"},
      // 1 MiB of "[": refused at the 65th bracket, before yaml-cpp queues a token.
      {"deep_flow_bomb", std::string(1 << 20, '['), "^m\\.yaml:1:65: nesting deeper than 64$"},
      {"deep_flow_map_bomb", kHead + "base: " + Repeat("{a: ", 100000),
       "^m\\.yaml:2:263: nesting deeper than 64$"},
      {"wide_flow_bomb", "[" + Repeat("1,", 300000) + "1]",
       "^m\\.yaml:1:400001: more than 200000 nodes$"},
      {"wide_block_list", Repeat("- 1\n", 200001), "^m\\.yaml:200000:3: more than 200000 nodes$"},
      // Echoed keys and values cannot drive a terminal: ESC and a bidi override escaped.
      {"escape_in_key", kBase + "grid:\n  \"\x1b[2Jsedd\xe2\x80\xae\": [1]\n",
       "unknown key \"\\\\x1B\\[2Jsedd\\\\u\\{202E\\}\""},
      {"json_unclosed_string", R"({"name": "j, "base": {"model": "krr", "d": 8, "N": 8}})",
       "^m\\.yaml:[0-9]+:[0-9]+: "},
  };
  return corpus;
}

void PrintTo(const Malformed& m, std::ostream* os) { *os << m.name; }

class MalformedSpecTest : public ::testing::TestWithParam<Malformed> {};

TEST_P(MalformedSpecTest, IsRefusedWithPositionAndReason) {
  const Malformed& c = GetParam();
  EXPECT_THAT(ParseSweep(c.text, "m.yaml"),
              StatusIs(absl::StatusCode::kInvalidArgument, ContainsRegex(c.regex)));
}

INSTANTIATE_TEST_SUITE_P(Corpus, MalformedSpecTest, ::testing::ValuesIn(Corpus()),
                         [](const ::testing::TestParamInfo<Malformed>& param_info) {
                           return std::string(param_info.param.name);
                         });

TEST(MalformedCorpusTest, HasAtLeastFortyCases) { EXPECT_GE(Corpus().size(), 40u); }

}  // namespace
}  // namespace sweep::spec
