// Output of the query commands: tables for people, CSV and JSON for scripts. Pure
// functions from records to text, so tests check them byte for byte.
//
// Stable script formats (documented in docs/statistics.md); columns added later
// come last, so that scripts reading CSV by position keep working:
//   results csv:  <group keys...>,count,mse_mean,mse_std,nmse_mean,nmse_std,diverged,
//                 mse_se,mse_ci_lo,mse_ci_hi,nmse_se,nmse_ci_lo,nmse_ci_hi
//   results json: [{"key":{k:v...},"count":..,"mse_mean":..,"mse_std":..,"nmse_mean":..,
//                   "nmse_std":..,"diverged":..,"mse_se":..,"mse_ci_lo":..,
//                   "mse_ci_hi":..,"nmse_se":..,"nmse_ci_lo":..,"nmse_ci_hi":..}, ...]
//   curves csv:   <group keys...>,n,count,mse_mean,mse_se,nmse_mean,nmse_se,mse_std,
//                 mse_ci_lo,mse_ci_hi,nmse_std,nmse_ci_lo,nmse_ci_hi
//   curves json:  [{"key":{...},"points":[{"n":..,"count":..,"mse_mean":..,"mse_se":..,
//                   "nmse_mean":..,"nmse_se":..,"mse_std":..,"mse_ci_lo":..,...}, ...]}]
//   jobs csv:     job_id,state,failure,attempt,cached,worker_id,config_hash,error
//   jobs json:    [{"job_id":..,"state":..,"failure":..,"attempt":..,"cached":..,
//                   "worker_id":..,"config_hash":..,"config":{...},"error":..}, ...]
// Tables show the same statistics, each metric's together (mean, std, se, ci_lo, ci_hi).
// Group key values are the canonical JSON values of the config (numbers, strings); CSV
// and tables print strings unquoted. Doubles print with 6 significant digits in tables,
// 17 in CSV/JSON; NaN and infinities print as nan, inf, -inf (JSON strings "nan", ...).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "common/records.h"

namespace sweep::client {

enum class Format { kTable, kCsv, kJson };
absl::StatusOr<Format> ParseFormat(std::string_view name);

std::string FormatResults(const std::vector<ResultGroup>& groups, Format format);
std::string FormatCurves(const std::vector<CurveGroup>& groups, Format format);
std::string FormatJobs(const std::vector<JobRecord>& jobs, Format format);
std::string FormatWorkers(const std::vector<WorkerRecord>& workers, TimePoint now);
// Adaptive seeds (client/format_adaptive.cc): the per-cell table of `sweep status`, and
// the notes under `sweep results` naming the cells that ended without meeting the target.
struct AdaptiveCellList;
std::string FormatAdaptiveCells(const AdaptiveSeeds& s, const AdaptiveCellList& list);
std::string FormatCellsAtMax(const AdaptiveSeeds& s, const AdaptiveCellList& list);

// A fixed-width text table: header, a rule, rows; columns left-aligned.
std::string RenderTable(const std::vector<std::string>& header,
                        const std::vector<std::vector<std::string>>& rows);

// Double as text: `digits` significant digits; nan, inf, -inf for non-finite values.
std::string FormatDouble(double v, int digits);
// A canonical JSON value as a cell: strings unquoted, everything else as is.
std::string KeyCell(const std::string& json_value);

}  // namespace sweep::client
