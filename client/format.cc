// Table, CSV and JSON output (see format.h).
#include "client/format.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/format_internal.h"
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

std::string RenderTable(const std::vector<std::string>& header, const Rows& rows) {
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
                     {"diverged", g.diverged}});
    }
    return out.dump(2) + "\n";
  }
  std::vector<std::map<std::string, std::string>> keys;
  for (const auto& g : groups) keys.push_back(g.key);
  std::string fixed;
  const std::vector<std::string> columns = KeyColumns(keys, format, &fixed);
  std::vector<std::string> header = columns;
  const int digits = format == Format::kCsv ? 17 : 6;
  for (const char* c : {"count", "mse_mean", "mse_std", "nmse_mean", "nmse_std", "diverged"}) {
    header.push_back(c);
  }
  Rows rows;
  for (const auto& g : groups) {
    std::vector<std::string> r = KeyCells(g.key, columns);
    for (std::string cell : {absl::StrCat(g.count), FormatDouble(g.mse_mean, digits),
                             FormatDouble(g.mse_std, digits), FormatDouble(g.nmse_mean, digits),
                             FormatDouble(g.nmse_std, digits), absl::StrCat(g.diverged)}) {
      r.push_back(cell);
    }
    rows.push_back(r);
  }
  return fixed + Render(format, header, rows);
}

namespace internal {

std::vector<std::string> KeyColumns(const std::vector<std::map<std::string, std::string>>& keys,
                                    Format format, std::string* fixed) {
  std::map<std::string, std::set<std::string>> values;  // column -> distinct values
  for (const auto& k : keys) {
    for (const auto& [name, value] : k) values[name].insert(value);
  }
  std::vector<std::string> columns;
  std::vector<std::string> fixed_cells;
  for (const auto& [name, distinct] : values) {
    // A table for people shows only what varies; the rest goes on one line above it.
    const bool constant = distinct.size() == 1 && keys.size() > 1;
    const bool everywhere =
        std::all_of(keys.begin(), keys.end(), [&](const auto& k) { return k.count(name) > 0; });
    if (format == Format::kTable && constant && everywhere) {
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
    cells.push_back(it == key.end() ? "" : KeyCell(it->second));
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
