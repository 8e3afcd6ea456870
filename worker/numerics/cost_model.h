// What a job costs before it runs: work by formula, CPU seconds from measured rates, and
// peak memory (docs/performance.md, "Memory per job" and "Time per job"). Pure functions
// of a resolved JobConfig (keys filled by the registry), so `sweep estimate`, a worker
// refusing a job that would not fit, and a coordinator ordering its queue agree.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "common/job_config.h"

namespace sweep::numerics {

// Work of one job in the unit its rate is measured in:
//   mamba, transformer  FLOPs: training 3x forward (forward + the two backward products
//                       of every GEMM) per step, plus the forward pass of evaluation
//   krr                 FLOPs of the kernel matrices and their eigendecompositions
//   mamba-theory        "example-dims": d per example drawn, stage-1 examples weighted 4x
//                       (sampling + forward + hand-written backward), others 1x
// INVALID_ARGUMENT for an unknown model.
absl::StatusOr<double> EstimateJobFlops(const JobConfig& config);

// Single-thread rates, in work units (above) per CPU second.
struct CostRates {
  double net_f32 = 0;  // mamba/transformer float32 FLOP/s
  double net_f64 = 0;  // float64 FLOP/s
  double krr = 0;      // FLOP/s
  double theory = 0;   // example-dims/s
  std::string source;  // where the figures come from ("built-in ..." or a calibration file)
};

// Constants measured on the project's 2-core development machine (docs/performance.md).
CostRates DefaultRates();

// EstimateJobFlops / the model's rate, plus a fixed per-job setup time.
absl::StatusOr<double> EstimateJobSeconds(const JobConfig& config, const CostRates& rates);

// EstimateJobSeconds at DefaultRates(), 0 for a config it cannot cost: the coordinator's
// queue order (longest job first among equals, server/queue_order.h) needs only the order.
double ExpectedJobSeconds(const JobConfig& config);

// Peak resident bytes one job adds to a worker process (the formula of docs/performance.md
// "Memory per job"); an upper bound of the measured peak, within 2x of it.
absl::StatusOr<int64_t> EstimateJobBytes(const JobConfig& config);

// Resident bytes of an idle `sweep-worker` process (code, gRPC, allocator), measured.
constexpr int64_t kWorkerBaseBytes = int64_t(24) << 20;

}  // namespace sweep::numerics
