// bench_nets: training-step speed of the default `mamba` and `transformer` (SCIENCE.md
// section 3 defaults: D 64, L 2, batch 64, N 40, d 16, interleaved: T = 81) on ONE core,
// next to the same run's Eigen float GEMM figure, plus peak RSS. Prints figures; never a
// timed test. FLOPs are counted by formula (see StepFlops): 3x the forward FLOPs (forward
// + the two backward products of every GEMM), the scan counted as 5 E n FLOPs per token
// forward (exp, 2 mul, 2 fma-halves), attention scores and values as 4 T D per token.
// Times are thread CPU time (wall time in brackets), so a busy shared machine does not
// skew the ratio to the GEMM measured in the same run.
//   usage: bench_nets [steps]   (default 20 timed steps after 3 warm-up steps)
#include <sys/resource.h>
#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>

#include <Eigen/Core>

#include "common/link_expr.h"
#include "worker/numerics/nets/trained_model.h"
#include "worker/numerics/nets/trainer.h"
#include "worker/numerics/task.h"

namespace nets = sweep::numerics::nets;

namespace {

constexpr int kD = 64, kL = 2, kBatch = 64, kN = 40, kDim = 16, kn = 16, kE = 128, kH = 4;

// Thread CPU time, not wall time: on a shared machine the wall clock also counts the time
// other processes hold the core, while the ratio to the GEMM must compare our own work.
double CpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}

// Eigen float GEMM (512 x 512 x 512), best of 20: the machine's one-core reference.
double GemmGflops() {
  const int n = 512;
  Eigen::MatrixXf a = Eigen::MatrixXf::Random(n, n), b = Eigen::MatrixXf::Random(n, n), c(n, n);
  double best = 1e9;
  for (int i = 0; i < 20; ++i) {
    const double t0 = CpuSeconds();
    c.noalias() = a * b;
    best = std::min(best, CpuSeconds() - t0);
  }
  std::printf("  (gemm checksum %g)\n", double(c(0, 0)));
  return 2.0 * n * n * n / best / 1e9;
}

double StepFlops(const std::string& model) {
  const double T = 2 * kN + 1, tokens = kBatch * T;
  const double io = 2.0 * (kDim + 1) * kD + 2.0 * kD;  // read-in and readout
  double layer = 0;
  if (model == "mamba") {
    layer = 2.0 * (kD * 2 * kE + kE * kE + 2 * kE * kn + kE * kD) + 5.0 * kE * kn;
  } else {
    layer = 24.0 * kD * kD + 4.0 * T * kD;
  }
  return 3.0 * tokens * (io + kL * layer);
}

// The real task (link h2, r 8): the sampler's cost is part of a training step.
nets::BatchSource TaskPrompts() {
  sweep::numerics::TaskSpec spec;
  spec.d = kDim, spec.r = 8, spec.link = sweep::ParseLink("h2").value(), spec.tau = 0.1;
  auto sampler = std::make_shared<sweep::numerics::TaskSampler>(spec, 1);
  auto rng = std::make_shared<sweep::numerics::TaskRng>(1);
  return [sampler, rng](const nets::CurriculumStage& s, int count,
                        sweep::numerics::PromptBatch& p) {
    sampler->Sample(count, s.N, *rng, p, s.d_active);
  };
}

void BenchModel(const std::string& model, int steps, double gemm) {
  nets::ModelShape shape;
  shape.model = model, shape.d_in = kDim + 1, shape.max_T = 2 * kN + 1;
  shape.L = kL, shape.D = kD, shape.H = kH;
  shape.mixer = nets::MixerShape{kD, kE, kn, 4, true};
  std::mt19937_64 rng(0);
  auto net = nets::MakeModel<float>(shape, rng);
  nets::TrainOptions o;
  o.batch = kBatch, o.d = kDim, o.N = kN, o.steps = 3;
  (void)nets::Train(*net, o, TaskPrompts(), {});  // warm-up: first-touch allocations
  o.steps = steps;
  const auto w0 = std::chrono::steady_clock::now();
  const double t0 = CpuSeconds();
  const auto out = nets::Train(*net, o, TaskPrompts(), {});
  const double s = (CpuSeconds() - t0) / steps;
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - w0).count() / steps;
  const double gflops = StepFlops(model) / s / 1e9;
  std::printf(
      "%-12s %7.1f ms/step (wall %.1f)  %5.1f GFLOP/s  %5.1f%% of GEMM  (%ld params, %.2f "
      "GFLOP/step)%s\n",
      model.c_str(), s * 1e3, wall * 1e3, gflops, 100 * gflops / gemm,
              net->params().NumScalars(), StepFlops(model) / 1e9,
              out.ok() && out->divergence.empty() ? "" : "  [training failed]");
}

}  // namespace

int main(int argc, char** argv) {
  const int steps = argc > 1 ? std::atoi(argv[1]) : 20;
  nets::FixGemmBlocking();  // the blocking every job uses
  const double gemm = GemmGflops();
  std::printf("Eigen float GEMM 512^3, one thread: %.1f GFLOP/s\n", gemm);
  BenchModel("mamba", steps, gemm);
  BenchModel("transformer", steps, gemm);
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  std::printf("peak RSS: %.1f MB\n", usage.ru_maxrss / 1024.0);
  return 0;
}
