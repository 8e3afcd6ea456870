#include "storage/results_query.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <map>
#include <unordered_map>

#include "absl/strings/str_cat.h"
#include "common/exec_keys.h"
#include "common/job_keys.h"
#include "common/status.h"
#include "common/value_order.h"
#include "nlohmann/json.hpp"
#include "storage/nonfinite.h"
#include "storage/student_t.h"

namespace sweep::storage {
namespace {

using GroupKey = std::map<std::string, std::string>;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Welford's running mean and sum of squared deviations; NaN inputs propagate.
struct Moments {
  int64_t n = 0;
  double mean = 0, m2 = 0;
  void Add(double x) {
    ++n;
    const double delta = x - mean;
    mean += delta / static_cast<double>(n);
    m2 += delta * (x - mean);
  }
  double Mean() const { return n > 0 ? mean : kNaN; }
  // Sample standard deviation (n - 1); undefined (NaN) below two values.
  double Std() const { return n > 1 ? std::sqrt(m2 / static_cast<double>(n - 1)) : kNaN; }
  double Se() const { return n > 1 ? Std() / std::sqrt(static_cast<double>(n)) : kNaN; }
  Interval Ci() const { return ConfidenceInterval95(n, Mean(), Se()); }
};

// The statistics of a results group and of a curve point are the same ten fields.
template <typename Stats>
void SetStats(const Moments& mse, const Moments& nmse, Stats& out) {
  out.count = mse.n;
  out.mse_mean = mse.Mean(), out.mse_std = mse.Std(), out.mse_se = mse.Se();
  const Interval mse_ci = mse.Ci();
  out.mse_ci_lo = mse_ci.lo, out.mse_ci_hi = mse_ci.hi;
  out.nmse_mean = nmse.Mean(), out.nmse_std = nmse.Std(), out.nmse_se = nmse.Se();
  const Interval nmse_ci = nmse.Ci();
  out.nmse_ci_lo = nmse_ci.lo, out.nmse_ci_hi = nmse_ci.hi;
}

ResultGroup MakeResultGroup(GroupKey key, const Moments& mse, const Moments& nmse,
                            int64_t diverged) {
  ResultGroup g;
  g.key = std::move(key);
  g.diverged = diverged;
  SetStats(mse, nmse, g);
  return g;
}

CurvePoint MakeCurvePoint(int n, const Moments& mse, const Moments& nmse) {
  CurvePoint p;
  p.n = n;
  SetStats(mse, nmse, p);
  return p;
}

// Only registry keys may be named: they are also the only text spliced into the SQL (as a
// JSON path), and a typo must be an error, not an empty table.
// An exec parameter, `params.NAME`, is a key too (docs/exec.md): NAME is [A-Za-z_0-9]
// only, so the JSON path '$.params.NAME' is safe to splice.
bool ValidKey(const std::string& key) {
  if (IsExecParamKey(key)) return true;
  const std::vector<std::string>& keys = AllJobKeys();
  return std::find(keys.begin(), keys.end(), key) != keys.end();
}

// json::dump throws on invalid UTF-8 (type_error 316), which aborted `sweep results --db`;
// a replacing dump differs from a dropping one exactly when the text has such a byte.
bool ValidUtf8(const std::string& s) {
  using nlohmann::json;
  return json(s).dump(-1, ' ', false, json::error_handler_t::replace) ==
         json(s).dump(-1, ' ', false, json::error_handler_t::ignore);
}

bool KeyLess(const GroupKey& a, const GroupKey& b) { return GroupKeyLess(a, b); }

// The SQL that selects grouping columns, then `extra` columns, from jobs j (joined as the
// caller says), filtered by sweep and `where`. Column 0.. group_cols-1 are the group.
struct Selection {
  std::string sql;
  std::vector<std::string> binds;  // after ?1 = sweep_id
  int group_cols = 0;
};

absl::StatusOr<Selection> BuildSelection(const ResultsQuery& q, const std::string& extra,
                                         const std::string& from_where) {
  Selection s;
  std::string cols;
  if (q.group_by.empty()) {
    cols = "j.config_json";  // every key except seed: see StripSeed
    s.group_cols = 1;
  } else {
    for (const std::string& key : q.group_by) {
      if (!ValidKey(key)) {
        return absl::InvalidArgumentError(
            absl::StrCat("group_by: unknown key \"", key, "\" (not a job key)"));
      }
      absl::StrAppend(&cols, s.group_cols > 0 ? ", " : "", "j.config_json -> '$.", key, "'");
      ++s.group_cols;
    }
  }
  std::string filter;
  for (const auto& [key, value] : q.where) {
    if (!ValidKey(key)) {
      return absl::InvalidArgumentError(
          absl::StrCat("where: unknown key \"", key, "\" (not a job key)"));
    }
    if (!ValidUtf8(value)) {
      return absl::InvalidArgumentError(
          absl::StrCat("where: value of \"", key, "\" is not valid UTF-8"));
    }
    absl::StrAppend(&filter, " AND j.config_json -> '$.", key, "' = ?", s.binds.size() + 2);
    s.binds.push_back(CanonicalWhereValue(value));
  }
  s.sql = absl::StrCat("SELECT ", cols, ", ", extra, " ", from_where, filter);
  return s;
}

// Turns the grouping columns of the current row into a group's raw text (its identity)
// and, once per distinct group, into a GroupKey.
class GroupKeys {
 public:
  GroupKeys(const ResultsQuery& q, int cols) : q_(q), cols_(cols) {}
  std::string Raw(const Statement& st) const {
    if (q_.group_by.empty()) return StripSeed(st.Text(0));
    std::string raw;
    for (int i = 0; i < cols_; ++i) absl::StrAppend(&raw, st.Text(i), "\x1f");
    return raw;
  }
  GroupKey Parse(const Statement& st, const std::string& raw) const {
    GroupKey key;
    if (q_.group_by.empty()) {
      const nlohmann::json obj = nlohmann::json::parse(raw, nullptr, false);
      if (obj.is_object()) {
        for (const auto& [k, v] : obj.items()) {
          if (k == "params" && v.is_object()) {
            // An exec job's parameters are columns of their own, as `params.NAME` names them.
            for (const auto& [name, value] : v.items()) key["params." + name] = value.dump();
          } else {
            key[k] = v.dump();
          }
        }
      }
      return key;
    }
    for (int i = 0; i < cols_; ++i) {
      key[q_.group_by[i]] = st.IsNull(i) ? "null" : st.Text(i);
    }
    return key;
  }

 private:
  const ResultsQuery& q_;
  int cols_;
};

absl::Status CheckSweep(Connection& conn, int64_t sweep_id) {
  SWEEP_ASSIGN_OR_RETURN(Statement * st, conn.Cached("SELECT 1 FROM sweeps WHERE sweep_id = ?"));
  st->Bind(1, sweep_id);
  SWEEP_ASSIGN_OR_RETURN(bool found, st->Step());
  st->Reset();
  if (!found) return absl::NotFoundError(absl::StrCat("sweep ", sweep_id, ": no such sweep"));
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Statement>> PrepareSelection(Connection& conn, const Selection& s,
                                                            int64_t sweep_id) {
  SWEEP_ASSIGN_OR_RETURN(auto st, conn.Prepare(s.sql));
  st->Bind(1, sweep_id);
  for (size_t i = 0; i < s.binds.size(); ++i) st->Bind(static_cast<int>(i) + 2, s.binds[i]);
  return st;
}

struct ResultAcc {
  GroupKey key;
  Moments mse, nmse;
  int64_t diverged = 0;
};

}  // namespace

// The canonical JSON of a config without its seed key, by text surgery: canonical JSON
// (common/job_keys.h) has one top-level "seed" with a number value, and cutting it out
// costs far less than having SQLite parse 100,000 objects (bench_storage).
std::string StripSeed(std::string json) {
  const size_t key = json.find("\"seed\":");
  if (key == std::string::npos) return json;
  size_t end = key + 7;
  while (end < json.size() && json[end] != ',' && json[end] != '}') ++end;
  if (end < json.size() && json[end] == ',') {
    ++end;  // "seed":3, -> drop the comma after it
  } else if (key > 0 && json[key - 1] == ',') {
    return json.erase(key - 1, end - key + 1);  // last key: drop the comma before it
  }
  return json.erase(key, end - key);
}

std::string CanonicalWhereValue(const std::string& value) {
  nlohmann::json parsed = nlohmann::json::parse(value, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded() || parsed.is_object() || parsed.is_array()) {
    return nlohmann::json(value).dump();
  }
  return parsed.dump();
}

absl::StatusOr<std::vector<ResultGroup>> QueryResults(Connection& conn, const ResultsQuery& q) {
  SWEEP_RETURN_IF_ERROR(CheckSweep(conn, q.sweep_id));
  SWEEP_ASSIGN_OR_RETURN(
      Selection sel, BuildSelection(q, "j.state, r.mse, r.nmse, coalesce(r.nan_mask, 0)",
                                    "FROM jobs j LEFT JOIN results r ON r.job_id = j.result_job_id"
                                    " WHERE j.sweep_id = ?1 AND j.state IN ('succeeded', 'failed')"
                                    " AND (j.state = 'succeeded' OR j.failure_kind = 'diverged')"));
  SWEEP_ASSIGN_OR_RETURN(auto st, PrepareSelection(conn, sel, q.sweep_id));
  const GroupKeys keys(q, sel.group_cols);
  const int c = sel.group_cols;
  std::unordered_map<std::string, ResultAcc> groups;
  for (;;) {
    SWEEP_ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    auto [it, inserted] = groups.try_emplace(keys.Raw(*st));
    if (inserted) it->second.key = keys.Parse(*st, it->first);
    if (st->Text(c) != "succeeded") {
      ++it->second.diverged;
      continue;
    }
    const int64_t mask = st->Int(c + 3);
    it->second.mse.Add(ReadMetric(*st, c + 1, mask, kResMse));
    it->second.nmse.Add(ReadMetric(*st, c + 2, mask, kResNmse));
  }
  std::vector<ResultGroup> out;
  out.reserve(groups.size());
  for (auto& [raw, acc] : groups) {
    out.push_back(MakeResultGroup(std::move(acc.key), acc.mse, acc.nmse, acc.diverged));
  }
  std::sort(out.begin(), out.end(),
            [](const ResultGroup& a, const ResultGroup& b) { return KeyLess(a.key, b.key); });
  return out;
}

absl::StatusOr<std::vector<CurveGroup>> QueryCurves(Connection& conn, const ResultsQuery& q) {
  SWEEP_RETURN_IF_ERROR(CheckSweep(conn, q.sweep_id));
  SWEEP_ASSIGN_OR_RETURN(
      Selection sel, BuildSelection(q, "c.n, c.mse, c.nmse, c.nan_mask",
                                    "FROM jobs j JOIN eval_curves c ON c.job_id = j.result_job_id"
                                    " WHERE j.sweep_id = ?1 AND j.state = 'succeeded'"));
  SWEEP_ASSIGN_OR_RETURN(auto st, PrepareSelection(conn, sel, q.sweep_id));
  const GroupKeys keys(q, sel.group_cols);
  const int c = sel.group_cols;
  struct Acc {
    GroupKey key;
    std::map<int, std::pair<Moments, Moments>> by_n;  // n -> (mse, nmse)
  };
  std::unordered_map<std::string, Acc> groups;
  for (;;) {
    SWEEP_ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    auto [it, inserted] = groups.try_emplace(keys.Raw(*st));
    if (inserted) it->second.key = keys.Parse(*st, it->first);
    const int64_t mask = st->Int(c + 3);
    auto& [mse, nmse] = it->second.by_n[static_cast<int>(st->Int(c))];
    mse.Add(ReadMetric(*st, c + 1, mask, kCurveMse));
    nmse.Add(ReadMetric(*st, c + 2, mask, kCurveNmse));
  }
  std::vector<CurveGroup> out;
  for (auto& [raw, acc] : groups) {
    CurveGroup g{std::move(acc.key), {}};
    for (const auto& [n, m] : acc.by_n) {
      g.points.push_back(MakeCurvePoint(n, m.first, m.second));
    }
    out.push_back(std::move(g));
  }
  std::sort(out.begin(), out.end(),
            [](const CurveGroup& a, const CurveGroup& b) { return KeyLess(a.key, b.key); });
  return out;
}

}  // namespace sweep::storage
