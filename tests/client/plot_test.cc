// `sweep plot` (client/plot.h, client/gnuplot.h): figures from groups, the gnuplot script,
// real PNG/SVG renders (skipped without gnuplot), and the whole command on a fixture
// database of two models x two d values.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/wait.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "client/backend.h"
#include "client/cli.h"
#include "client/gnuplot.h"
#include "client/plot.h"
#include "storage/store.h"
#include "tests/client/run_cli.h"
#include "tests/storage/test_util.h"
#include "tests/testing/status_matchers.h"

extern char** environ;

namespace sweep::client {
namespace {

using sweep::testing::IsOk;
using sweep::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

// One curve point with se 0.1 and a CI of +/- 0.3.
CurvePoint Point(int n, double nmse) {
  CurvePoint p;
  p.n = n;
  p.count = 3;
  p.nmse_mean = nmse;
  p.nmse_se = 0.1;
  p.nmse_ci_lo = nmse - 0.3;
  p.nmse_ci_hi = nmse + 0.3;
  p.mse_mean = 2 * nmse;
  p.mse_se = 0.2;
  p.mse_ci_lo = 2 * nmse - 0.6;
  p.mse_ci_hi = 2 * nmse + 0.6;
  return p;
}

// Two models x two d, N 64 everywhere; the curve's level says which group it is.
std::vector<CurveGroup> Curves() {
  std::vector<CurveGroup> out;
  for (const char* model : {"\"krr\"", "\"mamba\""}) {
    for (const char* d : {"8", "16"}) {
      const double level = (model[1] == 'k' ? 0.5 : 0.2) * (d[0] == '8' ? 1 : 2);
      out.push_back({{{"model", model}, {"d", d}, {"N", "64"}},
                     {Point(16, level), Point(32, level / 2), Point(64, level / 4)}});
    }
  }
  return out;
}

PlotOptions ByModelPerD() {
  PlotOptions o;
  o.color = {"model"};
  o.facet = {"d"};
  return o;
}

TEST(PlotFigureTest, TwoModelsTimesTwoDGiveTwoPanelsOfTwoLines) {
  absl::StatusOr<Figure> fig = FigureFromCurves(Curves(), ByModelPerD(), "sweep 1 \"f\"");
  ASSERT_THAT(fig, IsOk());
  ASSERT_EQ(fig->panels.size(), 2u);
  EXPECT_EQ(fig->panels[0].title, "d=8");  // numeric order, not text order
  EXPECT_EQ(fig->panels[1].title, "d=16");
  for (const Panel& p : fig->panels) {
    ASSERT_EQ(p.series.size(), 2u);
    EXPECT_EQ(p.series[0].label, "krr");
    EXPECT_EQ(p.series[1].label, "mamba");
    EXPECT_EQ(p.series[1].color_index, 1);  // the same colour in both panels
    ASSERT_EQ(p.series[0].points.size(), 3u);
  }
  const PlotPoint& p = fig->panels[1].series[1].points[0];  // mamba, d 16, n 16
  EXPECT_EQ(p.x, 16);
  EXPECT_DOUBLE_EQ(p.y, 0.4);
  EXPECT_DOUBLE_EQ(p.lo, 0.3);  // --band se by default
  EXPECT_DOUBLE_EQ(p.hi, 0.5);
  EXPECT_EQ(fig->title, "sweep 1 \"f\": nmse against context length n");
  EXPECT_EQ(fig->x_label, "context length n");
  EXPECT_THAT(fig->y_label, HasSubstr("standard error"));
}

TEST(PlotFigureTest, BandChoosesTheErrorBarAndYTheMetric) {
  PlotOptions o = ByModelPerD();
  o.band = Band::kCi;
  o.y = "mse";
  absl::StatusOr<Figure> fig = FigureFromCurves(Curves(), o, "t");
  ASSERT_THAT(fig, IsOk());
  const PlotPoint& p = fig->panels[0].series[0].points[0];  // krr, d 8, n 16: mse 1.0
  EXPECT_DOUBLE_EQ(p.y, 1.0);
  EXPECT_DOUBLE_EQ(p.lo, 0.4);
  EXPECT_DOUBLE_EQ(p.hi, 1.6);
  EXPECT_THAT(fig->y_label, HasSubstr("95% confidence interval"));
  o.band = Band::kNone;
  fig = FigureFromCurves(Curves(), o, "t");
  ASSERT_THAT(fig, IsOk());
  EXPECT_FALSE(fig->error_bars);
  EXPECT_EQ(fig->panels[0].series[0].points[0].lo, 1.0);
}

TEST(PlotFigureTest, UnknownAndMissingKeysAreErrorsNamingThem) {
  PlotOptions o = ByModelPerD();
  o.color = {"modle"};
  EXPECT_THAT(CheckPlotOptions(o), StatusIs(absl::StatusCode::kInvalidArgument,
                                            HasSubstr("--color: unknown key \"modle\"")));
  o = ByModelPerD();
  o.facet = {"dd"};
  EXPECT_THAT(CheckPlotOptions(o), StatusIs(absl::StatusCode::kInvalidArgument,
                                            HasSubstr("--facet: unknown key \"dd\"")));
  o = ByModelPerD();
  o.x = "nope";
  EXPECT_THAT(CheckPlotOptions(o),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--x: unknown key \"nope\"")));
  o = ByModelPerD();
  o.facet = {"model"};
  EXPECT_THAT(CheckPlotOptions(o),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("\"model\" is already used")));
  o = ByModelPerD();
  o.color = {"seed"};
  EXPECT_THAT(CheckPlotOptions(o),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--where seed=K")));
  // A real key that no job of the sweep sets (krr and mamba have no gate).
  o = ByModelPerD();
  o.color = {"model", "gate"};
  ASSERT_THAT(CheckPlotOptions(o), IsOk());
  EXPECT_THAT(FigureFromCurves(Curves(), o, "t"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("--color: no job of this sweep has key \"gate\"")));
  o = ByModelPerD();
  o.facet = {"gate"};
  EXPECT_THAT(FigureFromCurves(Curves(), o, "t"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--facet: no job")));
}

TEST(PlotFigureTest, JobsDifferingInAnUnplottedKeyAreNotMergedSilently) {
  PlotOptions o;
  o.color = {"model"};  // d varies but is neither colour nor facet
  EXPECT_THAT(FigureFromCurves(Curves(), o, "t"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("differ in d (8, 16) would be drawn as one line")));
}

TEST(PlotFigureTest, NoCurvesYetIsAnError) {
  EXPECT_THAT(FigureFromCurves({}, ByModelPerD(), "t"),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("no curves yet")));
  EXPECT_THAT(FigureFromResults({}, ByModelPerD(), "t"),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("no results yet")));
}

TEST(PlotFigureTest, ResultsAgainstAJobKey) {
  std::vector<ResultGroup> groups(4);
  const char* models[] = {"\"krr\"", "\"krr\"", "\"mamba\"", "\"mamba\""};
  const char* ds[] = {"16", "8", "16", "8"};
  for (int i = 0; i < 4; ++i) {
    groups[i].key = {{"model", models[i]}, {"d", ds[i]}};
    groups[i].count = 2;
    groups[i].nmse_mean = 0.1 * (i + 1);
    groups[i].nmse_se = 0.01;
    groups[i].nmse_ci_lo = groups[i].nmse_ci_hi = std::nan("");  // falls back to the mean
  }
  PlotOptions o;
  o.x = "d";
  o.color = {"model"};
  o.band = Band::kCi;
  absl::StatusOr<Figure> fig = FigureFromResults(groups, o, "s");
  ASSERT_THAT(fig, IsOk());
  ASSERT_EQ(fig->panels.size(), 1u);
  ASSERT_EQ(fig->panels[0].series.size(), 2u);
  const std::vector<PlotPoint>& krr = fig->panels[0].series[0].points;
  ASSERT_EQ(krr.size(), 2u);
  EXPECT_EQ(krr[0].x, 8);  // sorted by x
  EXPECT_DOUBLE_EQ(krr[0].y, 0.2);
  EXPECT_DOUBLE_EQ(krr[0].lo, 0.2);
  EXPECT_EQ(fig->x_label, "d");
  EXPECT_EQ(fig->title, "s: nmse at n = N against d");
}

TEST(PlotFigureTest, LogAxesLeaveOutPointsTheyCannotShow) {
  std::vector<CurveGroup> groups = {
      {{{"model", "\"krr\""}}, {Point(0, 0.5), Point(8, 0.0), Point(16, 0.25)}}};
  PlotOptions o;
  o.logx = true;
  o.logy = true;
  absl::StatusOr<Figure> fig = FigureFromCurves(groups, o, "t");
  ASSERT_THAT(fig, IsOk());
  ASSERT_EQ(fig->panels[0].series[0].points.size(), 1u);
  EXPECT_EQ(fig->panels[0].series[0].points[0].x, 16);
}

TEST(PlotScriptTest, OneDataBlockAndOnePlotElementPerLine) {
  absl::StatusOr<Figure> fig = FigureFromCurves(Curves(), ByModelPerD(), "sweep 1 \"f\"");
  ASSERT_THAT(fig, IsOk());
  const std::string script = GnuplotScript(*fig, "set terminal svg size 900,600", "o.svg");
  EXPECT_THAT(script, HasSubstr("set multiplot layout 1,2 title \"sweep 1 \\\"f\\\": nmse"));
  EXPECT_THAT(script, HasSubstr("set title \"d=8\""));
  EXPECT_THAT(script, HasSubstr("set title \"d=16\""));
  for (const char* block : {"$p1s1 << EOD", "$p1s2 << EOD", "$p2s1 << EOD", "$p2s2 << EOD"}) {
    EXPECT_THAT(script, HasSubstr(block));
  }
  EXPECT_THAT(script, Not(HasSubstr("$p3s1")));
  EXPECT_THAT(script, HasSubstr("$p2s2 << EOD\n16 0.4 0.3 0.5\n32 0.2 0.1 0.3\n"));
  const std::regex plot_element(R"(\$p\d+s\d+ using 1:2:3:4 with yerrorlines)");
  const auto n = std::distance(std::sregex_iterator(script.begin(), script.end(), plot_element),
                               std::sregex_iterator());
  EXPECT_EQ(n, 4);
  EXPECT_THAT(script, HasSubstr("title \"mamba\""));
  EXPECT_THAT(script, HasSubstr("set output \"o.svg\""));
}

TEST(PlotScriptTest, YLimFixesTheEndsItNamesAndLeavesTheOtherToTheData) {
  PlotOptions o = ByModelPerD();
  ASSERT_THAT(ParseYLim("0:1", &o.ymin, &o.ymax), IsOk());
  absl::StatusOr<Figure> fig = FigureFromCurves(Curves(), o, "t");
  ASSERT_THAT(fig, IsOk());
  EXPECT_THAT(GnuplotScript(*fig, "set terminal svg", "o.svg"), HasSubstr("set yrange [0:1]\n"));
  // Only the top: the bottom still comes from the data: the lowest bar end (0.05 - one
  // standard error 0.1) less 4% of the span (2.05).
  ASSERT_THAT(ParseYLim(":2", &o.ymin, &o.ymax), IsOk());
  EXPECT_FALSE(o.ymin.has_value());
  fig = FigureFromCurves(Curves(), o, "t");
  ASSERT_THAT(fig, IsOk());
  const std::string script = GnuplotScript(*fig, "set terminal svg", "o.svg");
  EXPECT_THAT(script, HasSubstr(":2]\n"));
  EXPECT_THAT(script, HasSubstr("set yrange [-0.132:2]"));
  for (const char* bad : {"1", "a:2", "2:1", "1:1", ":", "0:inf"}) {
    EXPECT_THAT(ParseYLim(bad, &o.ymin, &o.ymax),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--ylim")))
        << bad;
  }
  o.logy = true;
  ASSERT_THAT(ParseYLim("0:1", &o.ymin, &o.ymax), IsOk());
  EXPECT_THAT(CheckPlotOptions(o),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--logy")));
}

TEST(PlotScriptTest, TerminalByExtension) {
  EXPECT_THAT(GnuplotTerminal("a.png", 900, 600), IsOk());
  EXPECT_THAT(*GnuplotTerminal("a.PNG", 900, 600), HasSubstr("pngcairo size 900,600"));
  EXPECT_THAT(*GnuplotTerminal("a.svg", 640, 480), HasSubstr("svg size 640,480"));
  EXPECT_THAT(*GnuplotTerminal("a.pdf", 900, 600), HasSubstr("pdfcairo size 9in,6in"));
  EXPECT_THAT(GnuplotTerminal("a.jpg", 900, 600),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--out")));
  int w = 0, h = 0;
  EXPECT_THAT(ParseSize("1200x800", &w, &h), IsOk());
  EXPECT_EQ(w, 1200);
  EXPECT_EQ(h, 800);
  EXPECT_THAT(ParseSize("1200", &w, &h),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--size")));
  EXPECT_THAT(ParseSize("12x800", &w, &h),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("100 to 10000")));
  EXPECT_THAT(ParseBand("sd"), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--band")));
}

TEST(PlotRunTest, MissingGnuplotNamesThePackage) {
  EXPECT_THAT(
      RunGnuplot("set print \"-\"\n", "sweep-test-no-such-gnuplot"),
      StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("apt-get install gnuplot-nox")));
}

// --- renders with the real gnuplot -------------------------------------------------

bool HaveGnuplot() {
  pid_t pid = 0;
  char name[] = "gnuplot";
  char flag[] = "--version";
  char* argv[] = {name, flag, nullptr};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  const int rc = posix_spawnp(&pid, "gnuplot", &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return false;
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

#define SKIP_WITHOUT_GNUPLOT()                                                            \
  if (!HaveGnuplot())                                                                     \
  GTEST_SKIP() << "gnuplot is not installed (apt-get install gnuplot-nox): render tests " \
                  "skipped"

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

uint32_t BigEndian32(const std::string& s, size_t at) {
  return (uint32_t{static_cast<uint8_t>(s[at])} << 24) |
         (uint32_t{static_cast<uint8_t>(s[at + 1])} << 16) |
         (uint32_t{static_cast<uint8_t>(s[at + 2])} << 8) |
         uint32_t{static_cast<uint8_t>(s[at + 3])};
}

// The concatenated IDAT payloads of a PNG (its compressed pixels).
std::string IdatData(const std::string& png) {
  std::string data;
  for (size_t at = 8; at + 8 <= png.size();) {
    const uint32_t len = BigEndian32(png, at);
    if (png.compare(at + 4, 4, "IDAT") == 0) data += png.substr(at + 8, len);
    at += 12 + len;
  }
  return data;
}

TEST(PlotRenderTest, PngHasTheAskedSizeAndIsNotBlank) {
  SKIP_WITHOUT_GNUPLOT();
  ::sweep::testing::TempDir dir;
  absl::StatusOr<Figure> fig = FigureFromCurves(Curves(), ByModelPerD(), "sweep 1 \"f\"");
  ASSERT_THAT(fig, IsOk());
  const std::string out = dir.File("fig.png");
  ASSERT_THAT(RunGnuplot(GnuplotScript(*fig, *GnuplotTerminal(out, 640, 480), out)), IsOk());
  const std::string png = Slurp(out);
  ASSERT_GE(png.size(), 33u);
  ASSERT_EQ(png.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  ASSERT_EQ(png.substr(12, 4), "IHDR");
  EXPECT_EQ(BigEndian32(png, 16), 640u);
  EXPECT_EQ(BigEndian32(png, 20), 480u);
  // The same canvas with nothing drawn on it: the figure's pixels must differ from it.
  const std::string blank_path = dir.File("blank.png");
  ASSERT_THAT(
      RunGnuplot(absl::StrCat(*GnuplotTerminal(blank_path, 640, 480), "\nset output \"", blank_path,
                              "\"\nunset border\nunset tics\nunset key\n"
                              "plot [0:1] [0:1] NaN notitle\n")),
      IsOk());
  const std::string blank = Slurp(blank_path);
  EXPECT_EQ(BigEndian32(blank, 16), 640u);
  EXPECT_NE(IdatData(png), IdatData(blank));
  EXPECT_GT(IdatData(png).size(), 4 * IdatData(blank).size());  // lines, text, points
}

TEST(PlotRenderTest, SvgHasTheAskedSizeAndOneLegendEntryPerLine) {
  SKIP_WITHOUT_GNUPLOT();
  ::sweep::testing::TempDir dir;
  absl::StatusOr<Figure> fig = FigureFromCurves(Curves(), ByModelPerD(), "sweep 1 \"f\"");
  ASSERT_THAT(fig, IsOk());
  const std::string out = dir.File("fig.svg");
  ASSERT_THAT(RunGnuplot(GnuplotScript(*fig, *GnuplotTerminal(out, 900, 600), out)), IsOk());
  const std::string svg = Slurp(out);
  EXPECT_THAT(svg, HasSubstr("width=\"900\" height=\"600\""));
  // gnuplot wraps each plotted line in <g id="gnuplot_plot_K..."> with its legend text
  // and its path: 2 panels x 2 lines.
  const std::regex element(R"re(<g id="gnuplot_plot_\d+[a-z]")re");
  EXPECT_EQ(
      std::distance(std::sregex_iterator(svg.begin(), svg.end(), element), std::sregex_iterator()),
      4);
  const std::regex legend(R"(<text>(krr|mamba)</text>)");
  EXPECT_EQ(
      std::distance(std::sregex_iterator(svg.begin(), svg.end(), legend), std::sregex_iterator()),
      4);
  EXPECT_THAT(svg, HasSubstr("<text>d=16</text>"));
  EXPECT_THAT(svg, HasSubstr("<path"));
}

TEST(PlotRenderTest, PdfAndCategoricalAxesRender) {
  SKIP_WITHOUT_GNUPLOT();
  ::sweep::testing::TempDir dir;
  std::vector<ResultGroup> groups(2);
  groups[0].key = {{"model", "\"krr\""}, {"link", "\"h3\""}};
  groups[1].key = {{"model", "\"krr\""}, {"link", "\"h2\""}};
  groups[0].nmse_mean = 0.7;
  groups[1].nmse_mean = 0.2;
  PlotOptions o;
  o.x = "link";
  o.color = {"model"};
  absl::StatusOr<Figure> fig = FigureFromResults(groups, o, "s");
  ASSERT_THAT(fig, IsOk());
  ASSERT_TRUE(fig->categorical_x);
  const std::string out = dir.File("fig.pdf");
  const std::string script = GnuplotScript(*fig, *GnuplotTerminal(out, 900, 600), out);
  // Positions 0, 1 in sorted order, labelled by the values.
  EXPECT_THAT(script, HasSubstr("0 0.2 0.2 0.2 \"h2\"\n1 0.7 0.7 0.7 \"h3\"\n"));
  EXPECT_THAT(script, HasSubstr("using 1:2:3:4:xtic(5)"));
  ASSERT_THAT(RunGnuplot(script), IsOk());
  EXPECT_EQ(Slurp(out).substr(0, 5), "%PDF-");
}

TEST(PlotRenderTest, GnuplotErrorsComeBackWithItsMessage) {
  SKIP_WITHOUT_GNUPLOT();
  EXPECT_THAT(RunGnuplot("set terminal svg\nset output \"/dev/null\"\nplot $nosuchblock\n"),
              StatusIs(absl::StatusCode::kInternal, HasSubstr("gnuplot failed")));
}

// --- the whole command on a fixture database ---------------------------------------

// Two models x two d x two seeds, each job reporting nmse by model and d.
class PlotCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_.File("sweep.db");
    auto store = storage::Store::Open(path_);
    ASSERT_THAT(store, IsOk());
    std::vector<storage::PreparedJob> jobs;
    for (const char* model : {"krr", "mamba"}) {
      for (int d : {8, 16}) {
        for (int seed : {0, 1}) {
          jobs.push_back(::sweep::testing::Job(
              absl::StrCat(R"({"d":)", d, R"(,"model":")", model, R"(","seed":)", seed, "}"),
              model));
        }
      }
    }
    const TimePoint t0 = FromUnixMillis(1'700'000'000'000);
    ASSERT_THAT((*store)->SubmitPrepared(::sweep::testing::Meta("p"), jobs, t0), IsOk());
    for (size_t i = 0; i < jobs.size(); ++i) {
      auto lease = (*store)->LeaseNext("w", t0, std::chrono::seconds(30));
      ASSERT_TRUE(lease.ok() && lease->has_value());
      const double nmse = 0.1 * static_cast<double>(i + 1);
      ASSERT_THAT((*store)->Report((*lease)->job_id, (*lease)->attempt,
                                   ::sweep::testing::OkReport("w", 2 * nmse, nmse), t0),
                  IsOk());
    }
  }

  int Run(std::vector<std::string> argv, std::string* out, std::string* err) {
    CliRun r = RunSweepCli(std::move(argv));
    *out = r.out;
    *err = r.err;
    return r.code;
  }

  ::sweep::testing::TempDir dir_;
  std::string path_;
};

TEST_F(PlotCommandTest, FixtureGivesTwoFacetsOfTwoLines) {
  SKIP_WITHOUT_GNUPLOT();
  const std::string svg = dir_.File("fig.svg");
  const std::string script = dir_.File("fig.gp");
  std::string out, err;
  ASSERT_EQ(Run({"plot", "1", "--db", path_, "--color", "model", "--facet", "d", "--out", svg,
                 "--script", script, "--size", "800x500", "--band", "ci"},
                &out, &err),
            0)
      << err;
  EXPECT_EQ(out, absl::StrCat("wrote ", svg, ": 2 panels, 4 lines\n"));
  const std::string text = Slurp(script);
  EXPECT_THAT(text, HasSubstr("set multiplot layout 1,2 title \"sweep 1 \\\"test-p\\\""));
  EXPECT_THAT(text, HasSubstr("$p2s2 << EOD"));
  EXPECT_THAT(text, Not(HasSubstr("$p3s1")));
  EXPECT_THAT(text, Not(HasSubstr("$p2s3")));
  const std::string image = Slurp(svg);
  EXPECT_THAT(image, HasSubstr("width=\"800\" height=\"500\""));
  const std::regex legend(R"(<text>(krr|mamba)</text>)");
  EXPECT_EQ(std::distance(std::sregex_iterator(image.begin(), image.end(), legend),
                          std::sregex_iterator()),
            4);
  // --x d: the final nmse against d, one line per model, from the results.
  ASSERT_EQ(Run({"plot", "1", "--db", path_, "--x", "d", "--color", "model", "--out",
                 dir_.File("d.png"), "--logy"},
                &out, &err),
            0)
      << err;
  EXPECT_EQ(out, absl::StrCat("wrote ", dir_.File("d.png"), ": 1 panel, 2 lines\n"));
}

TEST_F(PlotCommandTest, BadKeysAndFilteredOutSweepsAreErrors) {
  std::string out, err;
  EXPECT_EQ(
      Run({"plot", "1", "--db", path_, "--color", "modl", "--out", dir_.File("a.png")}, &out, &err),
      1);
  EXPECT_THAT(err, HasSubstr("--color: unknown key \"modl\""));
  EXPECT_EQ(Run({"plot", "1", "--db", path_, "--color", "model", "--facet", "gate", "--out",
                 dir_.File("a.png")},
                &out, &err),
            1);
  EXPECT_THAT(err, HasSubstr("--facet: no job of this sweep has key \"gate\""));
  EXPECT_EQ(Run({"plot", "1", "--db", path_, "--color", "model", "--facet", "d", "--where", "d=32",
                 "--out", dir_.File("a.png")},
                &out, &err),
            1);
  EXPECT_THAT(err, HasSubstr("sweep 1: no curves yet"));
  EXPECT_EQ(Run({"plot", "1", "--db", path_, "--color", "model", "--out", dir_.File("a.png")}, &out,
                &err),
            1);
  EXPECT_THAT(err, HasSubstr("differ in d (8, 16)"));
  EXPECT_EQ(Run({"plot", "1", "--db", path_, "--out", dir_.File("a.gif")}, &out, &err), 1);
  EXPECT_THAT(err, HasSubstr("--out"));
  EXPECT_FALSE(std::filesystem::exists(dir_.File("a.png")));
}

}  // namespace
}  // namespace sweep::client
