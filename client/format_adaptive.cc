// The adaptive-seeds views of `sweep status` and `sweep results` (docs/design.md section
// 4.14): one line per cell, labelled by the keys in which the cells differ.
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "client/backend.h"
#include "client/format.h"
#include "client/format_internal.h"

namespace sweep::client {
namespace {

// A cell's keys as (key -> canonical JSON value text).
std::map<std::string, std::string> CellKey(const std::string& cell) {
  std::map<std::string, std::string> out;
  const internal::Json j = internal::Json::parse(cell, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return out;
  for (const auto& [k, v] : j.items()) out[k] = v.dump();
  return out;
}

std::string Label(const std::map<std::string, std::string>& key,
                  const std::vector<std::string>& columns) {
  std::string out;
  for (const std::string& c : columns) {
    auto it = key.find(c);
    if (it == key.end()) continue;
    absl::StrAppend(&out, out.empty() ? "" : " ", c, "=", KeyCell(it->second));
  }
  return out.empty() ? "(the only cell)" : out;
}

std::vector<std::string> Columns(const std::vector<std::map<std::string, std::string>>& keys) {
  std::string fixed;
  return internal::KeyColumns(keys, Format::kTable, &fixed);
}

}  // namespace

std::string FormatAdaptiveCells(const AdaptiveSeeds& s, const AdaptiveCellList& list) {
  std::map<CellVerdict, int64_t> counts;
  std::vector<std::map<std::string, std::string>> keys;
  for (const AdaptiveCell& c : list.cells) {
    ++counts[c.verdict];
    keys.push_back(CellKey(c.cell));
  }
  std::string out = absl::StrFormat(
      "adaptive seeds: %s 95%% CI half-width <= %s, %d..%d seeds per cell; %d cells:", s.metric,
      FormatDouble(s.ci, 6), s.min, s.max, list.cells.size() + list.omitted);
  for (CellVerdict v : {CellVerdict::kMet, CellVerdict::kRunning, CellVerdict::kAtMax,
                        CellVerdict::kStopped}) {
    if (counts[v] > 0) absl::StrAppend(&out, " ", counts[v], " ", std::string(CellVerdictName(v)), ",");
  }
  if (list.omitted > 0) absl::StrAppend(&out, " ", list.omitted, " met cells not listed,");
  out.back() = '\n';
  const std::vector<std::string> columns = Columns(keys);
  std::vector<std::vector<std::string>> rows;
  for (size_t i = 0; i < list.cells.size(); ++i) {
    const AdaptiveCell& c = list.cells[i];
    rows.push_back({Label(keys[i], columns), absl::StrCat(c.seeds), absl::StrCat(c.finished),
                    absl::StrCat(c.values), FormatDouble(c.mean, 4),
                    FormatDouble(c.half_width, 3), std::string(CellVerdictName(c.verdict))});
  }
  return out + RenderTable({"cell", "seeds", "ended", "values", s.metric + "_mean", "half_width",
                            "verdict"},
                           rows);
}

std::string FormatCellsAtMax(const AdaptiveSeeds& s, const AdaptiveCellList& list) {
  std::vector<std::map<std::string, std::string>> keys;
  for (const AdaptiveCell& c : list.cells) keys.push_back(CellKey(c.cell));
  const std::vector<std::string> columns = Columns(keys);
  std::string out;
  for (size_t i = 0; i < list.cells.size(); ++i) {
    const AdaptiveCell& c = list.cells[i];
    if (c.verdict != CellVerdict::kAtMax && c.verdict != CellVerdict::kStopped) continue;
    absl::StrAppend(&out, "note: ", Label(keys[i], columns), " ", std::string(CellVerdictName(c.verdict)),
                    " with ", c.seeds, " seeds: ", s.metric, " half-width ",
                    FormatDouble(c.half_width, 3), " > target ", FormatDouble(s.ci, 6), "\n");
  }
  return out;
}

}  // namespace sweep::client
