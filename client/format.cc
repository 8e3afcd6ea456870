// Table, CSV and JSON output (see format.h).
#include "client/format.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/format_internal.h"
#include "common/display_text.h"
#include "nlohmann/json.hpp"

namespace sweep::client {
namespace {

using internal::Json;
using internal::JsonDouble;
using internal::KeyCells;
using internal::KeyColumns;
using internal::KeyJson;
using internal::Render;
using internal::Rows;

}  // namespace

absl::StatusOr<Format> ParseFormat(std::string_view name) {
  if (name == "table") return Format::kTable;
  if (name == "csv") return Format::kCsv;
  if (name == "json") return Format::kJson;
  return absl::InvalidArgumentError(
      absl::StrCat("--format: unknown \"", std::string(name), "\" (table|csv|json)"));
}

std::string FormatDouble(double v, int digits) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*g", digits, v);
  return buf;
}

std::string KeyCell(const std::string& json_value) {
  if (json_value.size() >= 2 && json_value.front() == '"' && json_value.back() == '"') {
    Json parsed = Json::parse(json_value, nullptr, /*allow_exceptions=*/false);
    if (parsed.is_string()) return parsed.get<std::string>();
  }
  return json_value;
}

std::string RenderTable(const std::vector<std::string>& header, const Rows& raw_rows) {
  // Cells hold stored text (sweep names, worker ids, error messages) that may come from
  // anyone: escaped for the terminal (common/display_text.h). CSV and JSON stay verbatim
  // for scripts (JSON escapes control characters by its own rules).
  Rows rows = raw_rows;
  for (auto& r : rows) {
    for (std::string& cell : r) cell = EscapeForDisplay(cell);
  }
  std::vector<size_t> width(header.size(), 0);
  for (size_t c = 0; c < header.size(); ++c) width[c] = header[c].size();
  for (const auto& r : rows) {
    for (size_t c = 0; c < r.size() && c < width.size(); ++c)
      width[c] = std::max(width[c], r[c].size());
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (size_t c = 0; c < width.size(); ++c) {
      std::string cell = c < cells.size() ? cells[c] : "";
      absl::StrAppend(&out, cell,
                      c + 1 < width.size() ? std::string(width[c] - cell.size() + 2, ' ') : "");
    }
    return absl::StrCat(out, "\n");
  };
  std::string out = line(header);
  std::vector<std::string> rule;
  for (size_t w : width) rule.push_back(std::string(w, '-'));
  out += line(rule);
  for (const auto& r : rows) out += line(r);
  return out;
}

std::string FormatResults(const std::vector<ResultGroup>& groups, Format format) {
  if (format == Format::kJson) {
    Json out = Json::array();
    for (const auto& g : groups) {
      out.push_back({{"key", KeyJson(g.key)},
                     {"count", g.count},
                     {"mse_mean", JsonDouble(g.mse_mean)},
                     {"mse_std", JsonDouble(g.mse_std)},
                     {"nmse_mean", JsonDouble(g.nmse_mean)},
                     {"nmse_std", JsonDouble(g.nmse_std)},
                     {"diverged", g.diverged},
                     {"mse_se", JsonDouble(g.mse_se)},
                     {"mse_ci_lo", JsonDouble(g.mse_ci_lo)},
                     {"mse_ci_hi", JsonDouble(g.mse_ci_hi)},
                     {"nmse_se", JsonDouble(g.nmse_se)},
                     {"nmse_ci_lo", JsonDouble(g.nmse_ci_lo)},
                     {"nmse_ci_hi", JsonDouble(g.nmse_ci_hi)}});
    }
    return out.dump(2) + "\n";
  }
  std::vector<std::map<std::string, std::string>> keys;
  for (const auto& g : groups) keys.push_back(g.key);
  std::string fixed;
  const std::vector<std::string> columns = KeyColumns(keys, format, &fixed);
  const int digits = format == Format::kCsv ? 17 : 6;
  // Each statistic with its column name. CSV keeps the columns it had before the standard
  // errors and intervals were added first, so that scripts reading by position still
  // work; the table for people groups each metric's statistics together.
  auto cells = [&](const ResultGroup& g) {
    auto d = [&](double v) { return FormatDouble(v, digits); };
    return std::vector<std::pair<std::string, std::string>>{
        {"count", absl::StrCat(g.count)}, {"mse_mean", d(g.mse_mean)},
        {"mse_std", d(g.mse_std)},        {"nmse_mean", d(g.nmse_mean)},
        {"nmse_std", d(g.nmse_std)},      {"diverged", absl::StrCat(g.diverged)},
        {"mse_se", d(g.mse_se)},          {"mse_ci_lo", d(g.mse_ci_lo)},
        {"mse_ci_hi", d(g.mse_ci_hi)},    {"nmse_se", d(g.nmse_se)},
        {"nmse_ci_lo", d(g.nmse_ci_lo)},  {"nmse_ci_hi", d(g.nmse_ci_hi)}};
  };
  const std::vector<int> order = format == Format::kCsv
                                     ? std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}
                                     : std::vector<int>{0, 1, 2, 6, 7, 8, 3, 4, 9, 10, 11, 5};
  std::vector<std::string> header = columns;
  const auto names = cells(ResultGroup{});
  for (int i : order) header.push_back(names[i].first);
  Rows rows;
  for (const auto& g : groups) {
    std::vector<std::string> r = KeyCells(g.key, columns);
    const auto values = cells(g);
    for (int i : order) r.push_back(values[i].second);
    rows.push_back(r);
  }
  return fixed + Render(format, header, rows);
}

namespace internal {

std::vector<std::string> KeyColumns(const std::vector<std::map<std::string, std::string>>& keys,
                                    Format format, std::string* fixed) {
  std::map<std::string, std::set<std::string>> values;  // column -> distinct values
  for (const auto& k : keys) {
    for (const auto& [name, value] : k) {
      // null: a --group-by key this group's model does not use (no value, an empty cell).
      if (format != Format::kTable || value != "null")
        values[name].insert(value);
      else
        values.try_emplace(name);
    }
  }
  std::vector<std::string> columns;
  std::vector<std::string> fixed_cells;
  for (const auto& [name, distinct] : values) {
    if (format != Format::kTable) {
      columns.push_back(name);
      continue;
    }
    // A table for people shows only what varies; the rest goes on one line above it.
    // A key with one value wherever it is set (a model's defaults, such as mamba-theory's
    // K1 next to krr rows without it) is constant too; a key no group sets is left out.
    if (distinct.empty()) continue;
    if (distinct.size() == 1 && keys.size() > 1) {
      fixed_cells.push_back(absl::StrCat(name, "=", KeyCell(*distinct.begin())));
    } else {
      columns.push_back(name);
    }
  }
  if (!fixed_cells.empty()) *fixed = absl::StrCat("fixed: ", absl::StrJoin(fixed_cells, " "), "\n");
  return columns;
}

std::vector<std::string> KeyCells(const std::map<std::string, std::string>& key,
                                  const std::vector<std::string>& columns) {
  std::vector<std::string> cells;
  for (const std::string& c : columns) {
    auto it = key.find(c);
    // null: a --group-by key the group's model does not use; empty as for an absent key.
    cells.push_back(it == key.end() || it->second == "null" ? "" : KeyCell(it->second));
  }
  return cells;
}

// NaN has no JSON literal: non-finite doubles become the strings "nan", "inf", "-inf".
Json JsonDouble(double v) {
  if (std::isfinite(v)) return Json(v);
  return Json(FormatDouble(v, 17));
}

Json KeyJson(const std::map<std::string, std::string>& key) {
  Json j = Json::object();
  for (const auto& [name, value] : key) {
    Json parsed = Json::parse(value, nullptr, /*allow_exceptions=*/false);
    j[name] = parsed.is_discarded() ? Json(value) : parsed;
  }
  return j;
}

// CSV cell: quoted when it holds a comma, quote or newline (RFC 4180).
static std::string CsvCell(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += (c == '"') ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

static std::string RenderCsv(const std::vector<std::string>& header, const Rows& rows) {
  std::string out;
  auto line = [&out](const std::vector<std::string>& cells) {
    std::vector<std::string> quoted;
    for (const std::string& c : cells) quoted.push_back(CsvCell(c));
    absl::StrAppend(&out, absl::StrJoin(quoted, ","), "\n");
  };
  line(header);
  for (const auto& r : rows) line(r);
  return out;
}

std::string Render(Format format, const std::vector<std::string>& header, const Rows& rows) {
  return format == Format::kCsv ? RenderCsv(header, rows) : RenderTable(header, rows);
}

}  // namespace internal

}  // namespace sweep::client
