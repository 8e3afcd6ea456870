// `sweep estimate FILE`: what a sweep will cost before it is submitted. Jobs are grouped by
// shape (every key but the seed); per shape the job count, CPU seconds per job and in
// total, and peak memory per job, from worker/numerics/cost_model.h. Rates are the
// built-in constants unless a calibration file exists (`--calibrate` writes one by
// running a few small jobs of each model here). docs/performance.md explains the model.
#pragma once

#include <ostream>
#include <string>

#include "absl/status/statusor.h"
#include "client/format.h"
#include "worker/numerics/cost_model.h"

namespace sweep::client {

struct EstimateArgs {
  std::string file;        // sweep file; may be empty with `calibrate`
  std::string rates_file;  // calibration file read (and written by `calibrate`)
  bool calibrate = false;
  Format format = Format::kTable;
};

absl::Status CmdEstimate(const EstimateArgs& args, std::ostream& out, std::ostream& err);

// Runs small jobs of every model (a few CPU seconds in all) and measures the rates in the
// units of EstimateJobFlops, on this thread's CPU clock.
absl::StatusOr<numerics::CostRates> CalibrateRates();

// The rates file: JSON {"net_f32":..,"net_f64":..,"krr":..,"theory":..}.
absl::Status WriteRates(const numerics::CostRates& rates, const std::string& path);
// NOT_FOUND when the file does not exist; INVALID_ARGUMENT naming the field when a rate is
// missing or not a positive number.
absl::StatusOr<numerics::CostRates> ReadRates(const std::string& path);

// The estimate of `spec_file` as text (table, csv or json) under `rates`.
absl::StatusOr<std::string> FormatEstimate(const std::string& spec_file,
                                           const numerics::CostRates& rates, Format format);

}  // namespace sweep::client
