#include "client/plot.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <map>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "client/format.h"
#include "common/exec_keys.h"
#include "common/job_keys.h"
#include "common/value_order.h"

namespace sweep::client {
namespace {

using Key = std::map<std::string, std::string>;

// A group reduced to what a figure needs: its key and its points, before bucketing.
struct Item {
  const Key* key = nullptr;
  std::vector<PlotPoint> points;
};

bool ValuesLess(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(), ValueLess);
}

// The group's value of `name` as canonical JSON; "null" where its model has no such key.
std::string ValueOf(const Key& key, const std::string& name) {
  auto it = key.find(name);
  return it == key.end() ? "null" : it->second;
}
std::vector<std::string> ValuesOf(const Key& key, const std::vector<std::string>& names) {
  std::vector<std::string> out;
  for (const std::string& n : names) out.push_back(ValueOf(key, n));
  return out;
}

// "mamba-theory" or "krr, intrinsic": the set values; keys a model lacks are skipped.
std::string SeriesLabel(const std::vector<std::string>& values) {
  std::vector<std::string> cells;
  for (const std::string& v : values) {
    if (v != "null") cells.push_back(KeyCell(v));
  }
  return cells.empty() ? "all" : absl::StrJoin(cells, ", ");
}
// "d=16" or "d=16 link=h2".
std::string PanelTitle(const std::vector<std::string>& names,
                       const std::vector<std::string>& values) {
  std::vector<std::string> cells;
  for (size_t i = 0; i < names.size(); ++i) {
    if (values[i] != "null") cells.push_back(absl::StrCat(names[i], "=", KeyCell(values[i])));
  }
  return absl::StrJoin(cells, " ");
}

bool IsNumber(const std::string& json_value) {
  double v = 0;
  auto [ptr, ec] = std::from_chars(json_value.data(), json_value.data() + json_value.size(), v);
  return ec == std::errc() && ptr == json_value.data() + json_value.size();
}

// The point of one mean with its statistics, under --band.
PlotPoint MakePoint(double x, double mean, double se, double ci_lo, double ci_hi, Band band) {
  PlotPoint p{x, mean, mean, mean, ""};
  if (band == Band::kSe && std::isfinite(se)) {
    p.lo = mean - se;
    p.hi = mean + se;
  } else if (band == Band::kCi && std::isfinite(ci_lo) && std::isfinite(ci_hi)) {
    p.lo = ci_lo;
    p.hi = ci_hi;
  }
  return p;
}

// Every --color/--facet/--x key must be set in some group, or the figure would silently
// show one line or one panel.
absl::Status CheckKeysPresent(const std::vector<Item>& items, const PlotOptions& o) {
  auto check = [&](const char* flag, const std::string& name) -> absl::Status {
    for (const Item& it : items) {
      if (ValueOf(*it.key, name) != "null") return absl::OkStatus();
    }
    return absl::InvalidArgumentError(
        absl::StrCat(flag, ": no job of this sweep", " has key \"", name,
                     "\" (its models do not use it, or --where filtered them out)"));
  };
  for (const std::string& k : o.color) {
    if (absl::Status s = check("--color", k); !s.ok()) return s;
  }
  for (const std::string& k : o.facet) {
    if (absl::Status s = check("--facet", k); !s.ok()) return s;
  }
  if (o.x != "n") return check("--x", o.x);
  return absl::OkStatus();
}

// Two groups in one bucket (same panel, line and x) would be averaged into one point
// without saying so: name the keys they differ in.
absl::Status MixedGroupsError(const std::vector<const Item*>& bucket) {
  std::set<std::string> names;
  for (const Item* it : bucket) {
    for (const auto& [k, v] : *it->key) names.insert(k);
  }
  std::vector<std::string> differing;
  for (const std::string& n : names) {
    std::set<std::string, decltype(&ValueLess)> values(&ValueLess);
    for (const Item* it : bucket) values.insert(KeyCell(ValueOf(*it->key, n)));
    if (values.size() > 1) {
      differing.push_back(absl::StrCat(n, " (", absl::StrJoin(values, ", "), ")"));
    }
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "jobs that differ in ", absl::StrJoin(differing, ", "),
      " would be drawn as one line: add the key to --color or --facet, or pick one value "
      "with --where KEY=VALUE"));
}

const char* BandText(Band band) {
  switch (band) {
    case Band::kSe:
      return "bars: mean +/- 1 standard error over seeds";
    case Band::kCi:
      return "bars: 95% confidence interval (Student t over seeds)";
    case Band::kNone:
      return "mean over seeds";
  }
  return "";
}

// Buckets items into panels and series (sorted by their values) and checks that no two
// groups share a point.
absl::StatusOr<Figure> Assemble(std::vector<Item> items, const PlotOptions& o,
                                const std::string& what, const std::string& title) {
  if (absl::Status s = CheckKeysPresent(items, o); !s.ok()) return s;
  using Values = std::vector<std::string>;
  auto less = [](const Values& a, const Values& b) { return ValuesLess(a, b); };
  // panel values -> series values -> items
  std::map<Values, std::map<Values, std::vector<const Item*>, decltype(less)>, decltype(less)>
      buckets(less);
  std::set<Values, decltype(less)> all_series(less);
  for (const Item& it : items) {
    const Values panel = ValuesOf(*it.key, o.facet);
    const Values series = ValuesOf(*it.key, o.color);
    buckets.try_emplace(panel, less).first->second[series].push_back(&it);
    all_series.insert(series);
  }
  std::map<Values, int, decltype(less)> color_index(less);
  for (const Values& s : all_series) color_index.emplace(s, static_cast<int>(color_index.size()));

  Figure fig;
  fig.logx = o.logx;
  fig.logy = o.logy;
  fig.ymin = o.ymin;
  fig.ymax = o.ymax;
  fig.title = o.title.empty() ? absl::StrCat(title, ": ", what) : o.title;
  fig.x_label = o.x == "n" ? "context length n" : o.x;
  fig.y_label = absl::StrCat(o.y, " (", BandText(o.band), ")");
  fig.legend_title = absl::StrJoin(o.color, ", ");
  fig.error_bars = o.band != Band::kNone;
  // Categorical x: every distinct x value gets a position 0, 1, ... in sorted order.
  std::set<std::string, decltype(&ValueLess)> x_values(&ValueLess);
  for (const Item& it : items) {
    for (const PlotPoint& p : it.points) {
      x_values.insert(p.x_label);
      if (!IsNumber(p.x_label)) fig.categorical_x = true;
    }
  }
  for (const auto& [panel_values, series_map] : buckets) {
    Panel panel;
    panel.title = PanelTitle(o.facet, panel_values);
    for (const auto& [series_values, bucket] : series_map) {
      Series series;
      series.label = SeriesLabel(series_values);
      series.color_index = color_index.at(series_values);
      std::map<std::string, std::vector<const Item*>> by_x;  // a point's groups
      for (const Item* it : bucket) {
        for (const PlotPoint& p : it->points) by_x[p.x_label].push_back(it);
      }
      for (const auto& [x, owners] : by_x) {
        if (owners.size() > 1) return MixedGroupsError(owners);
      }
      for (const Item* it : bucket) {
        for (PlotPoint p : it->points) {
          if (fig.categorical_x) {
            p.x = static_cast<double>(std::distance(x_values.begin(), x_values.find(p.x_label)));
            p.x_label = KeyCell(p.x_label);
          }
          // Points a log axis cannot show, and means that are not numbers, are left out.
          if (!std::isfinite(p.y) || (o.logx && p.x <= 0) || (o.logy && p.y <= 0)) continue;
          series.points.push_back(p);
        }
      }
      std::sort(series.points.begin(), series.points.end(),
                [](const PlotPoint& a, const PlotPoint& b) { return a.x < b.x; });
      panel.series.push_back(std::move(series));
    }
    fig.panels.push_back(std::move(panel));
  }
  return fig;
}

}  // namespace

absl::StatusOr<std::vector<std::string>> ParseKeyList(const std::string& flag,
                                                      const std::string& text) {
  std::vector<std::string> keys;
  for (absl::string_view k : absl::StrSplit(text, ',', absl::SkipWhitespace())) {
    keys.emplace_back(absl::StripAsciiWhitespace(k));
  }
  for (size_t i = 0; i < keys.size(); ++i) {
    if (std::find(keys.begin(), keys.begin() + i, keys[i]) != keys.begin() + i) {
      return absl::InvalidArgumentError(
          absl::StrCat(flag, ": key \"", keys[i], "\" is given twice"));
    }
  }
  return keys;
}

absl::Status ParseSize(const std::string& text, int* width, int* height) {
  const size_t x = text.find('x');
  int w = 0, h = 0;
  const char* end = text.data() + text.size();
  if (x != std::string::npos) {
    auto [pw, ew] = std::from_chars(text.data(), text.data() + x, w);
    auto [ph, eh] = std::from_chars(text.data() + x + 1, end, h);
    if (ew == std::errc() && eh == std::errc() && pw == text.data() + x && ph == end && w >= 100 &&
        h >= 100 && w <= 10000 && h <= 10000) {
      *width = w;
      *height = h;
      return absl::OkStatus();
    }
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "--size: \"", text, "\" is not WIDTHxHEIGHT in pixels, each 100 to 10000 (e.g. 900x600)"));
}

absl::Status ParseYLim(const std::string& text, std::optional<double>* lo,
                       std::optional<double>* hi) {
  const size_t colon = text.find(':');
  auto bad = [&](const std::string& why) {
    return absl::InvalidArgumentError(
        absl::StrCat("--ylim: \"", text, "\" ", why, " (LO:HI, e.g. 0:1.2 or :1.2)"));
  };
  if (colon == std::string::npos) return bad("has no ':'");
  auto end = [&](const std::string& part, std::optional<double>* v) -> absl::Status {
    v->reset();
    if (part.empty()) return absl::OkStatus();
    double d = 0;
    if (!absl::SimpleAtod(part, &d) || !std::isfinite(d)) {
      return bad(absl::StrCat("has \"", part, "\", not a finite number"));
    }
    *v = d;
    return absl::OkStatus();
  };
  if (absl::Status s = end(text.substr(0, colon), lo); !s.ok()) return s;
  if (absl::Status s = end(text.substr(colon + 1), hi); !s.ok()) return s;
  if (!*lo && !*hi) return bad("fixes neither end");
  if (*lo && *hi && !(**lo < **hi)) return bad("is not LO < HI");
  return absl::OkStatus();
}

absl::StatusOr<Band> ParseBand(const std::string& text) {
  if (text == "se") return Band::kSe;
  if (text == "ci") return Band::kCi;
  if (text == "none") return Band::kNone;
  return absl::InvalidArgumentError(
      absl::StrCat("--band: unknown \"", text, "\" (se | ci | none)"));
}

absl::Status CheckPlotOptions(const PlotOptions& o) {
  if (o.y != "nmse" && o.y != "mse") {
    return absl::InvalidArgumentError(
        absl::StrCat("--y: unknown metric \"", o.y, "\" (nmse | mse)"));
  }
  const std::vector<std::string>& known = AllJobKeys();
  auto check = [&](const char* flag, const std::string& key) -> absl::Status {
    if (key == "seed") {
      return absl::InvalidArgumentError(absl::StrCat(
          flag, ": \"seed\": a plot shows means over seeds; pick one with --where seed=K"));
    }
    if (!IsExecParamKey(key) && std::find(known.begin(), known.end(), key) == known.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat(flag, ": unknown key \"", key, "\" (not a job key)"));
    }
    return absl::OkStatus();
  };
  std::set<std::string> used;
  auto check_all = [&](const char* flag, const std::vector<std::string>& keys) -> absl::Status {
    for (const std::string& k : keys) {
      if (absl::Status s = check(flag, k); !s.ok()) return s;
      if (!used.insert(k).second) {
        return absl::InvalidArgumentError(absl::StrCat(flag, ": key \"", k,
                                                       "\" is already used by another of --x, "
                                                       "--color, --facet"));
      }
    }
    return absl::OkStatus();
  };
  if (o.x != "n") {
    if (absl::Status s = check_all("--x", {o.x}); !s.ok()) return s;
  }
  if (o.logy && ((o.ymin && *o.ymin <= 0) || (o.ymax && *o.ymax <= 0))) {
    return absl::InvalidArgumentError("--ylim: a log y axis (--logy) needs ends above 0");
  }
  if (absl::Status s = check_all("--color", o.color); !s.ok()) return s;
  return check_all("--facet", o.facet);
}

absl::StatusOr<Figure> FigureFromCurves(const std::vector<CurveGroup>& groups, const PlotOptions& o,
                                        const std::string& title) {
  if (groups.empty()) {
    return absl::FailedPreconditionError(
        "no curves yet: no job of this sweep (after --where) has finished");
  }
  const bool nmse = o.y == "nmse";
  std::vector<Item> items;
  for (const CurveGroup& g : groups) {
    Item it{&g.key, {}};
    for (const CurvePoint& c : g.points) {
      PlotPoint p = nmse
                        ? MakePoint(c.n, c.nmse_mean, c.nmse_se, c.nmse_ci_lo, c.nmse_ci_hi, o.band)
                        : MakePoint(c.n, c.mse_mean, c.mse_se, c.mse_ci_lo, c.mse_ci_hi, o.band);
      p.x_label = absl::StrCat(c.n);
      it.points.push_back(p);
    }
    items.push_back(std::move(it));
  }
  return Assemble(std::move(items), o, absl::StrCat(o.y, " against context length n"), title);
}

absl::StatusOr<Figure> FigureFromResults(const std::vector<ResultGroup>& groups,
                                         const PlotOptions& o, const std::string& title) {
  if (groups.empty()) {
    return absl::FailedPreconditionError(
        "no results yet: no job of this sweep (after --where) has finished");
  }
  const bool nmse = o.y == "nmse";
  std::vector<Item> items;
  for (const ResultGroup& g : groups) {
    const std::string x = ValueOf(g.key, o.x);
    if (x == "null") continue;  // a model without this key has no place on this axis
    const double xv = IsNumber(x) ? std::strtod(x.c_str(), nullptr) : 0;
    PlotPoint p = nmse ? MakePoint(xv, g.nmse_mean, g.nmse_se, g.nmse_ci_lo, g.nmse_ci_hi, o.band)
                       : MakePoint(xv, g.mse_mean, g.mse_se, g.mse_ci_lo, g.mse_ci_hi, o.band);
    p.x_label = x;
    items.push_back(Item{&g.key, {p}});
  }
  if (items.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--x: no job of this sweep has key \"", o.x, "\""));
  }
  return Assemble(std::move(items), o, absl::StrCat(o.y, " at n = N against ", o.x), title);
}

}  // namespace sweep::client
