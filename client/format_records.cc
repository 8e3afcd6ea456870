// Curves, jobs and workers output (see format.h).
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/format.h"
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

Json CurvesJson(const std::vector<CurveGroup>& groups) {
  Json out = Json::array();
  for (const auto& g : groups) {
    Json points = Json::array();
    for (const auto& p : g.points) {
      points.push_back({{"n", p.n},
                        {"count", p.count},
                        {"mse_mean", JsonDouble(p.mse_mean)},
                        {"mse_se", JsonDouble(p.mse_se)},
                        {"nmse_mean", JsonDouble(p.nmse_mean)},
                        {"nmse_se", JsonDouble(p.nmse_se)},
                        {"mse_std", JsonDouble(p.mse_std)},
                        {"mse_ci_lo", JsonDouble(p.mse_ci_lo)},
                        {"mse_ci_hi", JsonDouble(p.mse_ci_hi)},
                        {"nmse_std", JsonDouble(p.nmse_std)},
                        {"nmse_ci_lo", JsonDouble(p.nmse_ci_lo)},
                        {"nmse_ci_hi", JsonDouble(p.nmse_ci_hi)}});
    }
    out.push_back({{"key", KeyJson(g.key)}, {"points", points}});
  }
  return out;
}

}  // namespace

std::string FormatCurves(const std::vector<CurveGroup>& groups, Format format) {
  if (format == Format::kJson) return CurvesJson(groups).dump(2) + "\n";
  std::vector<std::map<std::string, std::string>> keys;
  for (const auto& g : groups) keys.push_back(g.key);
  std::string fixed;
  const std::vector<std::string> columns = KeyColumns(keys, format, &fixed);
  // As for results: CSV appends the newer statistics after the columns it always had;
  // the table groups each metric's statistics.
  const bool csv = format == Format::kCsv;
  const std::vector<int> order = csv ? std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}
                                     : std::vector<int>{0, 1, 2, 6, 3, 7, 8, 4, 9, 5, 10, 11};
  const int digits = csv ? 17 : 6;
  auto cells = [&](const CurvePoint& p) {
    auto d = [&](double v) { return FormatDouble(v, digits); };
    return std::vector<std::pair<std::string, std::string>>{
        {"n", absl::StrCat(p.n)},        {"count", absl::StrCat(p.count)},
        {"mse_mean", d(p.mse_mean)},     {"mse_se", d(p.mse_se)},
        {"nmse_mean", d(p.nmse_mean)},   {"nmse_se", d(p.nmse_se)},
        {"mse_std", d(p.mse_std)},       {"mse_ci_lo", d(p.mse_ci_lo)},
        {"mse_ci_hi", d(p.mse_ci_hi)},   {"nmse_std", d(p.nmse_std)},
        {"nmse_ci_lo", d(p.nmse_ci_lo)}, {"nmse_ci_hi", d(p.nmse_ci_hi)}};
  };
  std::vector<std::string> header = columns;
  const auto names = cells(CurvePoint{});
  // The context length `n` of a point and the mamba job key `n` (state size) would give
  // two columns of one name: the key's column becomes `key:n` (JSON keeps them apart).
  for (std::string& column : header) {
    for (const auto& [name, value] : names) {
      if (column == name) column = "key:" + column;
    }
  }
  for (int i : order) header.push_back(names[i].first);
  Rows rows;
  for (const auto& g : groups) {
    for (const auto& p : g.points) {
      std::vector<std::string> r = KeyCells(g.key, columns);
      const auto values = cells(p);
      for (int i : order) r.push_back(values[i].second);
      rows.push_back(r);
    }
  }
  return fixed + Render(format, header, rows);
}

std::string FormatJobs(const std::vector<JobRecord>& jobs, Format format) {
  if (format == Format::kJson) {
    Json out = Json::array();
    for (const auto& j : jobs) {
      Json config = Json::parse(j.config_json, nullptr, /*allow_exceptions=*/false);
      out.push_back({{"job_id", j.job_id},
                     {"state", std::string(JobStateName(j.state))},
                     {"failure", std::string(FailureKindName(j.failure))},
                     {"attempt", j.attempt},
                     {"cached", j.cached},
                     {"worker_id", j.worker_id},
                     {"config_hash", j.config_hash},
                     {"config", config.is_discarded() ? Json(j.config_json) : config},
                     {"error", j.error}});
    }
    return out.dump(2) + "\n";
  }
  const std::vector<std::string> header = {"job_id", "state",     "failure",     "attempt",
                                           "cached", "worker_id", "config_hash", "error"};
  Rows rows;
  for (const auto& j : jobs) {
    // Tables show a short hash; CSV keeps the whole one for joins.
    std::string hash = format == Format::kTable ? j.config_hash.substr(0, 12) : j.config_hash;
    rows.push_back({absl::StrCat(j.job_id), std::string(JobStateName(j.state)),
                    std::string(FailureKindName(j.failure)), absl::StrCat(j.attempt),
                    j.cached ? "yes" : "no", j.worker_id, hash, j.error});
  }
  return Render(format, header, rows);
}

std::string FormatWorkers(const std::vector<WorkerRecord>& workers, TimePoint now) {
  Rows rows;
  for (const auto& w : workers) {
    const auto idle = std::chrono::duration_cast<std::chrono::seconds>(now - w.last_seen_at);
    // The SLURM array task as squeue and scancel write it ("1234_2"), blank outside SLURM.
    rows.push_back({w.worker_id, w.host, w.slurm.Label(), absl::StrCat(w.slots),
                    absl::StrCat(w.running), absl::StrCat(w.completed),
                    absl::StrCat(idle.count(), "s ago"), w.build_version,
                    absl::StrJoin(w.exec_names, ",")});  // blank: it runs no exec job
  }
  return RenderTable({"worker_id", "host", "slurm", "slots", "running", "completed", "last_seen",
                      "build", "exec"},
                     rows);
}

}  // namespace sweep::client
