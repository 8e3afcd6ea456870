// Figure -> gnuplot script text (see gnuplot.h). Pure, so tests read the script.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/gnuplot.h"

namespace sweep::client {
namespace {

// A gnuplot double-quoted string: backslash and quote escaped, no line breaks.
std::string Quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '\\' || c == '"') out += '\\';
    out += (c == '\n' || c == '\r') ? ' ' : c;
  }
  return out + "\"";
}

std::string Num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.10g", v);
  return buf;
}

// Filled point types that stay apart in grey print: circle, square, triangles, diamond,
// pentagon.
constexpr int kPointTypes[] = {7, 5, 9, 11, 13, 15};

std::string BlockName(size_t panel, size_t series) {
  return absl::StrCat("$p", panel + 1, "s", series + 1);
}

// The most legend entries of any panel.
size_t CountLegendRows(const Figure& fig) {
  size_t rows = 0;
  for (const Panel& panel : fig.panels) rows = std::max(rows, panel.series.size());
  return rows;
}

// One y range for every panel, so that panels compare by eye (the point of facets). An
// end fixed by --ylim is kept as given; the other comes from the data.
std::string SharedYRange(const Figure& fig) {
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (const Panel& panel : fig.panels) {
    for (const Series& s : panel.series) {
      for (const PlotPoint& p : s.points) {
        for (double v : {p.y, p.lo, p.hi}) {
          if (!std::isfinite(v) || (fig.logy && v <= 0)) continue;
          lo = std::min(lo, v);
          hi = std::max(hi, v);
        }
      }
    }
  }
  if (fig.ymin) lo = *fig.ymin;
  if (fig.ymax) hi = *fig.ymax;
  if (!(lo <= hi)) {  // no data point, or every point beyond the one fixed end
    if (!fig.ymin && !fig.ymax) return "";
    return absl::StrCat("set yrange [", fig.ymin ? Num(*fig.ymin) : "*", ":",
                        fig.ymax ? Num(*fig.ymax) : "*", "]\n");
  }
  // Headroom at the top for the legend (top right), so that it rarely covers a line.
  const double legend = 0.08 * static_cast<double>(CountLegendRows(fig) + 1);
  if (fig.logy) {
    return absl::StrCat("set yrange [", Num(fig.ymin ? lo : lo / 1.25), ":",
                        Num(fig.ymax ? hi : hi * std::pow(hi / lo * 1.5, legend)), "]\n");
  }
  const double span = hi > lo ? hi - lo : std::max(std::abs(hi), 1e-3);
  return absl::StrCat("set yrange [", Num(fig.ymin ? lo : lo - 0.04 * span), ":",
                      Num(fig.ymax ? hi : hi + legend * span), "]\n");
}

// One x range for every panel, padded so that the error bars at the first and last x are
// not drawn on the frame (categorical axes are padded with `set offsets` instead).
std::string SharedXRange(const Figure& fig) {
  if (fig.categorical_x) return "set offsets 0.5, 0.5, 0, 0\n";
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (const Panel& panel : fig.panels) {
    for (const Series& s : panel.series) {
      for (const PlotPoint& p : s.points) {
        lo = std::min(lo, p.x);
        hi = std::max(hi, p.x);
      }
    }
  }
  if (!(lo <= hi)) return "";
  if (fig.logx) return absl::StrCat("set xrange [", Num(lo / 1.15), ":", Num(hi * 1.15), "]\n");
  const double pad = hi > lo ? 0.04 * (hi - lo) : 1;
  return absl::StrCat("set xrange [", Num(lo - pad), ":", Num(hi + pad), "]\n");
}

}  // namespace

absl::StatusOr<std::string> GnuplotTerminal(const std::string& out_path, int width, int height) {
  const size_t dot = out_path.find_last_of('.');
  const std::string ext =
      dot == std::string::npos ? "" : absl::AsciiStrToLower(out_path.substr(dot + 1));
  if (ext == "png") {
    return absl::StrCat("set terminal pngcairo size ", width, ",", height,
                        " noenhanced font \"sans,10\" background \"white\"");
  }
  if (ext == "svg") {
    return absl::StrCat("set terminal svg size ", width, ",", height,
                        " noenhanced font \"sans,10\" background \"white\"");
  }
  if (ext == "pdf") {
    return absl::StrCat("set terminal pdfcairo size ", Num(width / 100.0), "in,",
                        Num(height / 100.0), "in noenhanced font \"sans,8\"");
  }
  return absl::InvalidArgumentError(
      absl::StrCat("--out: \"", out_path, "\" has no known extension (.png | .svg | .pdf)"));
}

std::string GnuplotScript(const Figure& fig, const std::string& terminal,
                          const std::string& out_path) {
  std::string s =
      absl::StrCat("# Written by `sweep plot`; rerun with `gnuplot THIS_FILE` after restyling.\n",
                   "# Columns of each data block: x, mean, error bar low end, error bar high end",
                   fig.categorical_x ? ", x label" : "", ".\n", terminal, "\n", "set output ",
                   Quote(out_path), "\n\n");
  for (size_t i = 0; i < fig.panels.size(); ++i) {
    for (size_t j = 0; j < fig.panels[i].series.size(); ++j) {
      const Series& series = fig.panels[i].series[j];
      absl::StrAppend(&s, "# ", fig.panels[i].title.empty() ? "" : fig.panels[i].title + ": ",
                      series.label, "\n", BlockName(i, j), " << EOD\n");
      for (const PlotPoint& p : series.points) {
        absl::StrAppend(&s, Num(p.x), " ", Num(p.y), " ", Num(p.lo), " ", Num(p.hi),
                        fig.categorical_x ? " " + Quote(p.x_label) : "", "\n");
      }
      absl::StrAppend(&s, "EOD\n");
    }
  }
  absl::StrAppend(&s, "\nset grid\nset border 3\nset tics nomirror\n",
                  "set key top right samplen 2 title ", Quote(fig.legend_title), "\n",
                  "set xlabel ", Quote(fig.x_label), "\nset ylabel ", Quote(fig.y_label), "\n");
  if (fig.logx) absl::StrAppend(&s, "set logscale x 2\n");
  if (fig.logy) absl::StrAppend(&s, "set logscale y 10\n");
  absl::StrAppend(&s, SharedXRange(fig));
  absl::StrAppend(&s, SharedYRange(fig));
  const size_t n = fig.panels.size();
  if (n > 1) {
    const size_t cols = static_cast<size_t>(std::ceil(std::sqrt(static_cast<double>(n))));
    const size_t rows = (n + cols - 1) / cols;
    absl::StrAppend(&s, "set multiplot layout ", rows, ",", cols, " title ", Quote(fig.title),
                    " font \",12\"\n");
  }
  for (size_t i = 0; i < n; ++i) {
    const Panel& panel = fig.panels[i];
    absl::StrAppend(&s, "\nset title ", Quote(n > 1 ? panel.title : fig.title), "\n");
    std::vector<std::string> plots;
    for (size_t j = 0; j < panel.series.size(); ++j) {
      const Series& series = panel.series[j];
      if (series.points.empty()) continue;  // every point left out (log axes)
      const int color = series.color_index;
      const int pt = kPointTypes[color % std::size(kPointTypes)];
      plots.push_back(absl::StrCat(BlockName(i, j), " using 1:2", fig.error_bars ? ":3:4" : "",
                                   fig.categorical_x ? ":xtic(5)" : "", " with ",
                                   fig.error_bars ? "yerrorlines" : "linespoints", " lc ",
                                   color + 1, " lw 1.5 pt ", pt, " ps 0.8 title ",
                                   Quote(series.label)));
    }
    if (plots.empty()) {
      // gnuplot refuses a plot without points; an empty panel says why instead.
      absl::StrAppend(&s, "set label 1 \"no points to show\" at graph 0.5,0.5 center\n",
                      "plot [1:2] [1:2] NaN notitle\nunset label 1\n");
    } else {
      absl::StrAppend(&s, "plot ", absl::StrJoin(plots, ", \\\n     "), "\n");
    }
  }
  if (n > 1) absl::StrAppend(&s, "unset multiplot\n");
  absl::StrAppend(&s, "unset output\n");
  return s;
}

}  // namespace sweep::client
