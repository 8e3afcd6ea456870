// Argument parsing of `sweep` (client/cli.h) and query building (commands.h), with no
// coordinator: vectors of arguments in, CliArgs / ResultsQuery out.
#include "client/cli.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "client/local.h"

namespace sweep::client {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

struct Parsed {
  CliArgs args;
  std::string command;
};

Parsed Parse(std::vector<std::string> argv, const char* env = nullptr) {
  CLI::App app;
  Parsed p;
  BuildCli(app, p.args, env);
  std::reverse(argv.begin(), argv.end());  // CLI11 takes a reversed vector
  app.parse(argv);
  p.command = ParsedCommand(app);
  return p;
}

TEST(CliTest, ResultsFlags) {
  Parsed p = Parse({"results", "tiny", "--where", "d=16", "--where", "link=h3", "--group-by", "d,N",
                    "--format", "csv"});
  EXPECT_EQ(p.command, "results");
  EXPECT_EQ(p.args.sweep, "tiny");
  EXPECT_THAT(p.args.where, ElementsAre("d=16", "link=h3"));
  EXPECT_EQ(p.args.group_by, "d,N");
  EXPECT_EQ(p.args.format, "csv");
  EXPECT_EQ(p.args.coordinator, "127.0.0.1:7070");
}

TEST(CliTest, CoordinatorFromEnvironmentAndFlagWins) {
  EXPECT_EQ(Parse({"workers"}, "10.0.0.5:7070").args.coordinator, "10.0.0.5:7070");
  EXPECT_EQ(Parse({"--coordinator", "h:1", "workers"}, "10.0.0.5:7070").args.coordinator, "h:1");
}

TEST(CliTest, SubmitAndLocalFlags) {
  Parsed s = Parse({"submit", "a.yaml", "--wait", "--no-cache"});
  EXPECT_EQ(s.command, "submit");
  EXPECT_EQ(s.args.file, "a.yaml");
  EXPECT_TRUE(s.args.wait);
  EXPECT_TRUE(s.args.no_cache);
  Parsed l = Parse({"local", "b.yaml", "--db", "x.db", "--workers", "3"});
  EXPECT_EQ(l.command, "local");
  EXPECT_EQ(l.args.db, "x.db");
  EXPECT_EQ(l.args.workers, 3);
}

TEST(CliTest, MissingRequiredArgumentIsAParseError) {
  EXPECT_THROW(Parse({"jobs"}), CLI::ParseError);
  EXPECT_THROW(Parse({}), CLI::ParseError);
}

TEST(CliTest, MakeQuerySplitsWhereAndGroupBy) {
  QueryArgs a{"1", {"d=16", "link=0.6*h1+0.8*h3"}, "d, N", Format::kTable};
  absl::StatusOr<ResultsQuery> q = MakeQuery(7, a);
  ASSERT_TRUE(q.ok()) << q.status();
  EXPECT_EQ(q->sweep_id, 7);
  EXPECT_EQ(q->where.at("link"), "0.6*h1+0.8*h3");
  EXPECT_THAT(q->group_by, ElementsAre("d", "N"));
}

TEST(CliTest, MalformedWhereNamesTheFlag) {
  absl::StatusOr<ResultsQuery> q = MakeQuery(1, QueryArgs{"1", {"d16"}, "", Format::kTable});
  EXPECT_EQ(q.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(q.status().message()), HasSubstr("--where: \"d16\""));
}

TEST(CliTest, RequestIdsAreFreshVersion4Uuids) {
  const std::string a = NewRequestId(), b = NewRequestId();
  EXPECT_NE(a, b);
  ASSERT_EQ(a.size(), 36u);
  EXPECT_EQ(a[14], '4');
  EXPECT_NE(std::string("89ab").find(a[19]), std::string::npos);
}

// `sweep local --workers 5000`: the worker refuses more than 1024 slots. That refusal
// used to happen only on the worker's thread, so the sweep stayed queued and the command
// waited for ever; now it fails at once, names the flag, and creates no DB.
TEST(LocalTest, TooManyWorkersFailsAtOnceWithoutCreatingTheDb) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("sweep_local_test_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  LocalArgs args;
  args.file = (dir / "tiny.yaml").string();
  std::ofstream(args.file) << "name: tiny\nbase: {model: krr, d: 4, r: 1, N: 8}\nseeds: 1\n";
  args.db = (dir / "local.db").string();
  args.workers = 5000;
  std::ostringstream out, err;
  absl::Status s = RunLocal(args, out, err);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr("--workers"));
  EXPECT_FALSE(std::filesystem::exists(args.db));
  std::filesystem::remove_all(dir);
}

// A refused file creates no database, and a failing run never removes a file that was
// there before it (here one that is not a database at all: the run fails opening it).
TEST(LocalTest, RefusalsLeaveNoNewDbAndNeverRemoveAnExistingOne) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("sweep_local_keep_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  LocalArgs args;
  args.file = (dir / "tiny.yaml").string();
  args.db = (dir / "local.db").string();
  args.workers = 1;
  std::ostringstream out, err;

  std::ofstream(args.file) << R"({"name": "t", "base": {"model": "krr", "d": 4, "N": 8}} junk)";
  EXPECT_EQ(RunLocal(args, out, err).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(std::filesystem::exists(args.db));

  std::ofstream(args.file, std::ios::trunc) << "name: tiny\nbase: {model: krr, d: 4, N: 8}\n";
  std::ofstream(args.db) << std::string(8192, 'x');
  EXPECT_FALSE(RunLocal(args, out, err).ok());
  ASSERT_TRUE(std::filesystem::exists(args.db));
  EXPECT_EQ(std::filesystem::file_size(args.db), 8192u);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace sweep::client
