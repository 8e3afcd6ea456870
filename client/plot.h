// `sweep plot`: figures from a sweep's results, drawn by gnuplot (docs/plots.md).
//
// A figure is built in two pure steps that tests check without gnuplot: the query's groups
// become a Figure (panels of labelled series of points with error bars), and the Figure
// becomes a gnuplot script with its data inline (gnuplot.h). Only CmdPlot talks to a
// Backend and runs gnuplot.
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "client/backend.h"
#include "common/records.h"

namespace sweep::client {

// What the error bars show: none, one standard error, or the 95% Student t interval.
enum class Band { kNone, kSe, kCi };

struct PlotOptions {
  std::string x = "n";             // "n": curves against context length; else a job key
  std::string y = "nmse";          // nmse | mse
  std::vector<std::string> color;  // one line per distinct value of these keys
  std::vector<std::string> facet;  // one panel per distinct value of these keys
  Band band = Band::kSe;
  bool logx = false, logy = false;
  std::optional<double> ymin, ymax;  // --ylim: fixed ends of the y axis; unset: from the data
  int width = 900, height = 600;  // pixels (PDF: 100 pixels per inch)
  std::string title;              // empty: `sweep ID "NAME"` plus what it shows
};

// One point of a line: the mean over seeds and the ends of its error bar (both equal to
// y where the bar is undefined: one seed, or --band none).
struct PlotPoint {
  double x = 0, y = 0, lo = 0, hi = 0;
  std::string x_label;  // the x value as text (categorical x axes)
  bool operator==(const PlotPoint&) const = default;
};
struct Series {
  std::string label;    // the --color values, e.g. "mamba-theory" or "krr, intrinsic"
  int color_index = 0;  // the same label has the same colour in every panel
  std::vector<PlotPoint> points;
};
struct Panel {
  std::string title;  // the --facet values, e.g. "d=16"; empty without --facet
  std::vector<Series> series;
};
struct Figure {
  std::string title, x_label, y_label, legend_title;
  bool logx = false, logy = false;
  std::optional<double> ymin, ymax;  // set: that end of the y axis, whatever the data
  bool categorical_x = false;  // x values are not all numbers: evenly spaced, labelled
  bool error_bars = true;      // false for --band none
  std::vector<Panel> panels;
};

// "KEY1,KEY2" -> keys, and "WxH" -> width, height; INVALID_ARGUMENT naming `flag`.
absl::StatusOr<std::vector<std::string>> ParseKeyList(const std::string& flag,
                                                      const std::string& text);
absl::Status ParseSize(const std::string& text, int* width, int* height);
// "LO:HI", either end may be empty (":1.5" fixes only the top); LO < HI when both are
// given. INVALID_ARGUMENT naming --ylim. Whether LO suits a log axis is CheckPlotOptions'.
absl::Status ParseYLim(const std::string& text, std::optional<double>* lo,
                       std::optional<double>* hi);
absl::StatusOr<Band> ParseBand(const std::string& text);

// Checks --x/--y/--color/--facet against the key registry before any query: unknown keys
// and seed (plots average over seeds) are INVALID_ARGUMENT naming the flag and the key.
absl::Status CheckPlotOptions(const PlotOptions& options);

// Curves (grouped by every key but seed) as a figure of y against n. Groups that differ
// in a key that is neither a --color nor a --facet key would be drawn as one line:
// INVALID_ARGUMENT naming that key. A --color/--facet key no group has, and no groups at
// all, are errors too (FAILED_PRECONDITION for an empty sweep).
absl::StatusOr<Figure> FigureFromCurves(const std::vector<CurveGroup>& groups,
                                        const PlotOptions& options, const std::string& title);
// Results (the metric at n = N, grouped by every key but seed) against the job key
// options.x, under the same rules.
absl::StatusOr<Figure> FigureFromResults(const std::vector<ResultGroup>& groups,
                                         const PlotOptions& options, const std::string& title);

struct PlotArgs {
  std::string sweep;
  std::vector<std::string> where;  // "key=value"
  PlotOptions options;
  std::string out;     // FILE.png | FILE.svg | FILE.pdf
  std::string script;  // also save the gnuplot script, data inline, here (optional)
};

// Queries the sweep through `backend`, renders args.out with gnuplot and prints its path.
absl::Status CmdPlot(Backend& backend, const PlotArgs& args, std::ostream& out);

}  // namespace sweep::client
