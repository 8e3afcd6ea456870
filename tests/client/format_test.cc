#include "client/format.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "nlohmann/json.hpp"

namespace sweep::client {
namespace {

using ::testing::HasSubstr;

const double kNaN = std::numeric_limits<double>::quiet_NaN();
const double kInf = std::numeric_limits<double>::infinity();

std::vector<ResultGroup> Groups() {
  return {{{{"d", "16"}, {"link", "\"h3\""}},
           3,
           0.5,
           0.125,
           0.25,
           0.0625,
           0,
           0.25,
           0.125,
           0.875,
           0.125,
           0.0625,
           0.4375},
          {{{"d", "32"}, {"link", "\"0.6*h1+0.8*h3\""}},
           2,
           kNaN,
           kInf,
           1.5,
           0,
           1,
           kNaN,
           kNaN,
           kNaN,
           0,
           1.5,
           1.5}};
}

TEST(FormatTest, ResultsCsvHasStableHeaderAndFullPrecision) {
  const std::string csv = FormatResults(Groups(), Format::kCsv);
  EXPECT_EQ(csv,
            "d,link,count,mse_mean,mse_std,nmse_mean,nmse_std,diverged,"
            "mse_se,mse_ci_lo,mse_ci_hi,nmse_se,nmse_ci_lo,nmse_ci_hi\n"
            "16,h3,3,0.5,0.125,0.25,0.0625,0,0.25,0.125,0.875,0.125,0.0625,0.4375\n"
            "32,0.6*h1+0.8*h3,2,nan,inf,1.5,0,1,nan,nan,nan,0,1.5,1.5\n");
}

TEST(FormatTest, ResultsJsonKeepsTypedKeysAndSpellsNonFiniteAsStrings) {
  nlohmann::json j = nlohmann::json::parse(FormatResults(Groups(), Format::kJson));
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(j[0]["key"]["d"], 16);
  EXPECT_EQ(j[0]["key"]["link"], "h3");
  EXPECT_EQ(j[0]["count"], 3);
  EXPECT_EQ(j[0]["mse_mean"], 0.5);
  EXPECT_EQ(j[1]["mse_mean"], "nan");
  EXPECT_EQ(j[1]["mse_std"], "inf");
  EXPECT_EQ(j[1]["diverged"], 1);
  EXPECT_EQ(j[0]["nmse_se"], 0.125);
  EXPECT_EQ(j[0]["nmse_ci_lo"], 0.0625);
  EXPECT_EQ(j[0]["nmse_ci_hi"], 0.4375);
  EXPECT_EQ(j[1]["mse_ci_lo"], "nan");
}

TEST(FormatTest, ResultsTableAlignsColumns) {
  const std::string table = FormatResults(Groups(), Format::kTable);
  std::vector<std::string> lines;
  std::stringstream in(table);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  ASSERT_EQ(lines.size(), 4u);  // header, rule, two rows
  EXPECT_THAT(lines[0], HasSubstr("mse_mean"));
  EXPECT_EQ(lines[1].find_first_not_of("- "), std::string::npos);
  // "count" starts at the same column in every line.
  const size_t col = lines[0].find("count");
  EXPECT_EQ(lines[2].substr(col, 1), "3");
  EXPECT_EQ(lines[3].substr(col, 1), "2");
  EXPECT_THAT(lines[3], HasSubstr("nan"));
  // Each metric's statistics side by side, diverged last.
  EXPECT_LT(lines[0].find("mse_ci_hi"), lines[0].find("nmse_mean"));
  EXPECT_LT(lines[0].find("nmse_mean"), lines[0].find("nmse_se"));
  EXPECT_LT(lines[0].find("nmse_ci_hi"), lines[0].find("diverged"));
}

// A model's defaults (mamba-theory's K1 next to krr rows that lack it) are one value
// wherever they are set: they belong on the fixed line, not in a column. A --group-by
// key no group sets (null everywhere) is no column at all.
TEST(FormatTest, TableMovesKeysConstantWhereSetToTheFixedLineAndDropsEmptyOnes) {
  std::vector<ResultGroup> groups(3);
  groups[0].key = {
      {"model", "\"mamba-theory\""}, {"K1", "200"}, {"gate", "\"none\""}, {"kernel", "null"}};
  groups[1].key = {
      {"model", "\"mamba-theory\""}, {"K1", "200"}, {"gate", "\"sigmoid\""}, {"kernel", "null"}};
  groups[2].key = {{"model", "\"krr\""}, {"gate", "null"}, {"kernel", "null"}};
  const std::string table = FormatResults(groups, Format::kTable);
  EXPECT_EQ(table.substr(0, table.find('\n')), "fixed: K1=200");
  const std::string header = table.substr(table.find('\n') + 1);
  EXPECT_EQ(header.rfind("gate ", 0), 0u) << header;
  EXPECT_THAT(header, HasSubstr("model"));
  EXPECT_EQ(header.find("kernel"), std::string::npos);
  EXPECT_EQ(table.find("null"), std::string::npos);  // krr's unset gate is an empty cell
  // CSV keeps every column for scripts.
  EXPECT_EQ(FormatResults(groups, Format::kCsv).rfind("K1,gate,kernel,model,count", 0), 0u);
}

TEST(FormatTest, TableMovesConstantKeysToAFixedLineButCsvKeepsThem) {
  std::vector<ResultGroup> groups = Groups();
  groups[1].key["d"] = "16";  // d is now the same in every group
  const std::string table = FormatResults(groups, Format::kTable);
  EXPECT_EQ(table.substr(0, table.find('\n')), "fixed: d=16");
  const std::string header = table.substr(table.find('\n') + 1);
  EXPECT_EQ(header.rfind("link", 0), 0u);  // the d column is gone
  EXPECT_EQ(FormatResults(groups, Format::kCsv).rfind("d,link,count", 0), 0u);
}

TEST(FormatTest, CsvQuotesCellsWithCommasAndQuotes) {
  JobRecord j;
  j.job_id = 1;
  j.state = JobState::kFailed;
  j.failure = FailureKind::kError;
  j.error = "link: bad term \"x\", expected hN";
  const std::string csv = FormatJobs({j}, Format::kCsv);
  EXPECT_THAT(csv, HasSubstr("\"link: bad term \"\"x\"\", expected hN\""));
  EXPECT_THAT(csv, HasSubstr("1,failed,error,0,no"));
}

TEST(FormatTest, CurvesCsvHasOneRowPerPoint) {
  std::vector<CurveGroup> groups = {
      {{{"N", "64"}},
       {{8, 2, 0.5, 0.05, 0.9, 0.01, 0.25, 0.125, 0.875, 0.5, 0.75, 1.25},
        {16, 2, kNaN, 0, 0.8, 0.02, kNaN, kNaN, kNaN, 0.5, 0.5, 1}}}};
  EXPECT_EQ(FormatCurves(groups, Format::kCsv),
            "N,n,count,mse_mean,mse_se,nmse_mean,nmse_se,mse_std,mse_ci_lo,mse_ci_hi,nmse_std,"
            "nmse_ci_lo,nmse_ci_hi\n"
            "64,8,2,0.5,0.050000000000000003,0.90000000000000002,0.01,0.25,0.125,0.875,0.5,"
            "0.75,1.25\n"
            "64,16,2,nan,0,0.80000000000000004,0.02,nan,nan,nan,0.5,0.5,1\n");
  nlohmann::json j = nlohmann::json::parse(FormatCurves(groups, Format::kJson));
  EXPECT_EQ(j[0]["points"][1]["n"], 16);
  EXPECT_EQ(j[0]["points"][1]["mse_mean"], "nan");
  EXPECT_EQ(j[0]["points"][0]["nmse_ci_hi"], 1.25);
  EXPECT_EQ(j[0]["points"][0]["nmse_std"], 0.5);
}

// A sweep mixing mamba (job key `n`, its state size) with other models: the key's
// column is `key:n`, so the context length keeps the one column named `n`.
TEST(FormatTest, CurvesCsvRenamesAKeyColumnThatCollidesWithThePointColumns) {
  const CurvePoint p{8, 1, 0.5, 0, 0.5, 0, kNaN, kNaN, kNaN, kNaN, kNaN, kNaN};
  std::vector<CurveGroup> groups = {{{{"model", "mamba"}, {"n", "16"}}, {p}},
                                    {{{"model", "krr"}}, {p}}};
  const std::string csv = FormatCurves(groups, Format::kCsv);
  EXPECT_THAT(csv, ::testing::StartsWith("model,key:n,n,count,"));
  EXPECT_THAT(csv, HasSubstr("\nmamba,16,8,1,"));
}

TEST(FormatTest, JobsJsonEmbedsTheConfigAsAnObject) {
  JobRecord j;
  j.job_id = 5;
  j.config_json = R"({"d":8,"model":"krr"})";
  nlohmann::json out = nlohmann::json::parse(FormatJobs({j}, Format::kJson));
  EXPECT_EQ(out[0]["config"]["d"], 8);
  EXPECT_EQ(out[0]["state"], "queued");
}

TEST(FormatTest, ParseFormatNamesTheFlagOnError) {
  EXPECT_EQ(*ParseFormat("csv"), Format::kCsv);
  EXPECT_EQ(*ParseFormat("json"), Format::kJson);
  absl::StatusOr<Format> bad = ParseFormat("xml");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("--format"));
}

TEST(FormatTest, DoublesAndKeyCells) {
  EXPECT_EQ(FormatDouble(0.1, 6), "0.1");
  EXPECT_EQ(FormatDouble(-kInf, 6), "-inf");
  EXPECT_EQ(KeyCell("\"h3\""), "h3");
  EXPECT_EQ(KeyCell("16"), "16");
  EXPECT_EQ(KeyCell("true"), "true");
}

TEST(FormatTest, WorkersTableShowsTheSlurmArrayTaskAndExecProgramsOfEachWorker) {
  const TimePoint now = FromUnixMillis(100'000);
  WorkerRecord slurm{"vm-1-a", "node7", 2,  "v", now, now, 1, 4, SlurmTask{"1236", "1234", "2"},
                     {"ridge", "gp.v2"}};
  WorkerRecord plain{"vm-2-b", "laptop", 1, "v", now, now, 0, 0, {}};
  const std::string table = FormatWorkers({slurm, plain}, now);
  EXPECT_THAT(table, ::testing::HasSubstr("slurm"));
  // squeue's and scancel's spelling of an array task, on the worker's own row.
  EXPECT_THAT(table, ::testing::ContainsRegex("vm-1-a +node7 +1234_2 +2 "));
  EXPECT_THAT(table, ::testing::ContainsRegex("vm-2-b +laptop +1 "));
  // The exec programs each worker allows, last; blank for one that runs none.
  EXPECT_THAT(table, ::testing::ContainsRegex("vm-1-a .* v +ridge,gp.v2\n"));
  EXPECT_THAT(table, ::testing::ContainsRegex("vm-2-b .* v *\n"));
}

// Stored text reaches the terminal escaped: a worker id with an escape sequence and an
// error message with a bidi override cannot clear the screen or reorder the line.
TEST(FormatTest, TablesEscapeControlAndBidiCharactersOfStoredText) {
  WorkerRecord w;
  w.worker_id = "w\x1b[2J";
  w.host =
      "h\xe2\x80\xae"
      "evil";
  const std::string workers = FormatWorkers({w}, TimePoint{});
  EXPECT_THAT(workers, HasSubstr("w\\x1B[2J"));
  EXPECT_THAT(workers, HasSubstr("h\\u{202E}evil"));
  EXPECT_EQ(workers.find('\x1b'), std::string::npos);
  JobRecord j;
  j.error = "boom\r\nfake line";
  const std::string jobs = FormatJobs({j}, Format::kTable);
  EXPECT_THAT(jobs, HasSubstr("boom\\x0D\\x0Afake line"));
}

}  // namespace
}  // namespace sweep::client
