// One `mamba-theory` job at the docs/science.md section 3 reference settings (d=16, r=4,
// N=512, tau=0.1, 4000 eval prompts, float64), on one thread; prints the nmse next to the
// reference ranges, the job's CPU and wall time, and the share of that CPU time spent
// drawing the job's prompts (the same Sample() calls, timed on their own in the same
// run), then the same job with `threads: 2` (speed-up, and a check that the metrics are
// the same floats). The PyTorch reference takes about 22 s per job.
//
//   bench_mamba_theory                 one job: link h3, gate sigmoid, seed 0
//   bench_mamba_theory h4 none 2       link, gate, seed
//   bench_mamba_theory all [seed]      h2/h3/h4 x sigmoid/none
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "common/job_keys.h"
#include "worker/numerics/eval.h"
#include "worker/numerics/rng.h"
#include "worker/numerics/run_job.h"
#include "worker/numerics/task.h"

namespace {

struct Range {
  const char* link;
  const char* gate;
  double lo, hi;  // docs/science.md section 3, three seeds
};
constexpr Range kRanges[] = {
    {"h2", "sigmoid", 0.23, 0.26}, {"h3", "sigmoid", 0.53, 0.56}, {"h4", "sigmoid", 0.61, 0.65},
    {"h2", "none", 0.67, 0.69},    {"h3", "none", 0.92, 0.97},    {"h4", "none", 0.67, 0.75},
};

sweep::JobConfig ReferenceConfig(const std::string& link, sweep::Gate gate, uint64_t seed) {
  sweep::JobConfig c;
  c.model = sweep::ModelKind::kMambaTheory;
  c.d = 16, c.r = 4, c.N = 512, c.link = link, c.tau = 0.1;
  c.gate = gate, c.seed = seed, c.format = sweep::PromptFormat::kPaired;
  c.dtype = sweep::Dtype::kFloat64;
  c.eval_tasks = 4000, c.eval_lengths = {64, 128, 256, 512};
  return c;  // K1, T1, eta1, lambda1, T2, lambda2, m: the JobConfig defaults
}

// nmse of predicting 0 on the same eval prompts: the eval set's own mean y_q^2 / E[y^2].
// For h3/h4 it strays far from 1 (heavy tails), and every model's nmse strays with it.
double ZeroPredictorNmse(const sweep::JobConfig& c) {
  absl::StatusOr<sweep::numerics::TaskSampler> sampler =
      sweep::numerics::TaskSampler::FromConfig(c);
  auto zero = [](const sweep::numerics::PromptBatch&, const std::vector<int>&,
                 Eigen::MatrixXd& pred) {
    pred.setZero();
    return absl::OkStatus();
  };
  absl::StatusOr<std::vector<sweep::EvalPoint>> curve =
      sweep::numerics::Evaluate(c, *sampler, zero, {});
  return curve.ok() ? curve->back().nmse : -1;
}

double CpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}

double ProcessSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}

// CPU seconds of the job's prompt draws alone: stage 1 (K1 batches of T1), stage 2 (T2 in
// chunks of 256) and evaluation (eval_tasks in chunks of 200), from the job's streams.
double SamplingSeconds(const sweep::JobConfig& c) {
  namespace nx = sweep::numerics;
  absl::StatusOr<nx::TaskSampler> sampler = nx::TaskSampler::FromConfig(c);
  if (!sampler.ok()) return -1;
  nx::PromptBatch b;
  const double t0 = CpuSeconds();
  nx::TaskRng train = nx::MakeTaskStream(c.seed, nx::Stream::kTrain);
  for (int k = 0; k < c.K1; ++k) sampler->Sample(c.T1, c.N, train, b);
  nx::TaskRng stage2 = nx::MakeTaskStream(c.seed, nx::Stream::kStage2);
  for (int done = 0; done < c.T2; done += 256)
    sampler->Sample(std::min(256, c.T2 - done), c.N, stage2, b);
  nx::TaskRng eval = nx::MakeTaskStream(c.seed, nx::Stream::kEval);
  for (int done = 0; done < c.eval_tasks; done += 200) {
    sampler->Sample(std::min(200, c.eval_tasks - done), c.N, eval, b);
  }
  return CpuSeconds() - t0;
}

int RunOne(const std::string& link, const std::string& gate, uint64_t seed) {
  absl::StatusOr<sweep::Gate> gate_value = sweep::ParseEnum<sweep::Gate>(gate);
  if (!gate_value.ok()) {
    std::fprintf(stderr, "%s\n", gate_value.status().ToString().c_str());
    return 1;
  }
  const auto start = std::chrono::steady_clock::now();
  const double cpu0 = CpuSeconds();
  absl::StatusOr<sweep::JobResult> r =
      sweep::numerics::RunJob(ReferenceConfig(link, *gate_value, seed), {});
  const double cpu = CpuSeconds() - cpu0;
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!r.ok()) {
    std::fprintf(stderr, "%s\n", r.status().ToString().c_str());
    return 1;
  }
  const double sampling = SamplingSeconds(ReferenceConfig(link, *gate_value, seed));
  // The same job with `threads: 2`: the metrics must be the same floats; the speed-up in
  // wall time (meaningful on an idle machine only) and on the critical path (threads-1
  // CPU over the busier thread's CPU: the caller's, or the other = process - caller).
  sweep::JobConfig two = ReferenceConfig(link, *gate_value, seed);
  two.threads = 2;
  const auto start2 = std::chrono::steady_clock::now();
  const double cpu2 = CpuSeconds(), proc2 = ProcessSeconds();
  absl::StatusOr<sweep::JobResult> r2 = sweep::numerics::RunJob(two, {});
  const double caller2 = CpuSeconds() - cpu2, other2 = ProcessSeconds() - proc2 - caller2;
  const double wall2 =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start2).count();
  const bool same = r2.ok() && r2->curve == r->curve && r2->loss_curve == r->loss_curve;
  double lo = 0, hi = 0;
  for (const Range& range : kRanges) {
    if (link == range.link && gate == range.gate) lo = range.lo, hi = range.hi;
  }
  std::printf(
      "link=%s gate=%-7s seed=%llu nmse=%.3f (se %.3f) reference %.2f-%.2f  "
      "zero-predictor %.3f\n  job %.2f s CPU (wall %.2f s: train %.2f s, eval %.2f s), "
      "sampling %.2f s CPU = %.0f%% of the job\n",
      link.c_str(), gate.c_str(), static_cast<unsigned long long>(seed), r->nmse,
      r->curve.back().se / r->ey2, lo, hi,
      ZeroPredictorNmse(ReferenceConfig(link, *gate_value, seed)), cpu, wall, r->train_seconds,
      r->eval_seconds, sampling, 100 * sampling / cpu);
  std::printf(
      "  threads 2: wall %.2f s, busier thread %.2f s CPU: speed-up %.2fx wall, %.2fx "
      "critical-path CPU; metrics %s\n",
      wall2, std::max(caller2, other2), wall / wall2, cpu / std::max(caller2, other2),
      same ? "bit-identical" : "DIFFER");
  std::fflush(stdout);
  return same ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && args[0] == "all") {
    const uint64_t seed = args.size() > 1 ? std::strtoull(args[1].c_str(), nullptr, 10) : 0;
    int rc = 0;
    for (const char* gate : {"sigmoid", "none"}) {
      for (const char* link : {"h2", "h3", "h4"}) rc |= RunOne(link, gate, seed);
    }
    return rc;
  }
  const std::string link = args.size() > 0 ? args[0] : "h3";
  const std::string gate = args.size() > 1 ? args[1] : "sigmoid";
  const uint64_t seed = args.size() > 2 ? std::strtoull(args[2].c_str(), nullptr, 10) : 0;
  return RunOne(link, gate, seed);
}
