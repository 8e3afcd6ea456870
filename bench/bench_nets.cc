// bench_nets: training-step speed of the default `mamba` and `transformer` (docs/science.md
// section 3 defaults: D 64, L 2, batch 64, N 40, d 16, interleaved: T = 81) at threads 1
// and 2, next to the same run's one-thread Eigen float GEMM figure, plus peak RSS. Prints
// figures and whether the targets of docs/performance.md are met; never a timed test.
// FLOPs are counted by formula (see StepFlops): 3x the forward FLOPs (forward + the two
// backward products of every GEMM), the scan counted as 5 E n FLOPs per token forward
// (exp, 2 mul, 2 fma-halves), attention scores and values as 4 T D per token.
//
// Every target is a ratio measured inside this run, so a loaded machine reads the same:
//  - per-core efficiency: threads-1 GFLOP/s over the GEMM's, both in thread CPU time (on
//    a shared machine the wall clock also counts the time other processes hold the core);
//  - speed-up: threads-1 time over threads-2 time. Printed twice: in wall time (what a
//    user sees; only meaningful on an idle machine) and in CPU time of the busier of the
//    two threads (the critical path: work balance and serial parts, not other tenants).
//  - the machine's own 2-core scaling: two independent threads-1 runs side by side,
//    their combined throughput over one run's. Two cores share the L3 cache, memory
//    bandwidth and the clock budget, so this is the most two threads can give on this
//    machine; the threads-2 speed-up is printed as a share of it too.
//   usage: bench_nets [steps [model [repeats]]]   (default 20 timed steps after 3 warm-up
//          steps; model mamba or transformer runs only that one, e.g. under perf record;
//          repeats R > 1 times each training run and the GEMM reference R times, threads
//          1 and 2 alternating, and keeps the best of each figure, as the GEMM reference
//          keeps its best of 20: on a shared machine the other processes only add time)
#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <barrier>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <thread>

#include <Eigen/Core>

#include "common/job_keys.h"
#include "common/link_expr.h"
#include "worker/numerics/nets/trained_model.h"
#include "worker/numerics/nets/trainer.h"
#include "worker/numerics/task.h"

namespace nets = sweep::numerics::nets;

namespace {

constexpr int kD = 64, kL = 2, kBatch = 64, kN = 40, kDim = 16, kn = 16, kE = 128, kH = 4;

double Clock(clockid_t id) {
  timespec ts{};
  clock_gettime(id, &ts);
  return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}
// Thread CPU time, not wall time: on a shared machine the wall clock also counts the time
// other processes hold the core, while the ratio to the GEMM must compare our own work.
double CpuSeconds() { return Clock(CLOCK_THREAD_CPUTIME_ID); }

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

double StepFlops(sweep::ModelKind model) {
  const double T = 2 * kN + 1, tokens = kBatch * T;
  const double io = 2.0 * (kDim + 1) * kD + 2.0 * kD;  // read-in and readout
  double layer = 0;
  if (model == sweep::ModelKind::kMamba) {
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
  return
      [sampler, rng](const nets::CurriculumStage& s, int count, sweep::numerics::PromptBatch& p) {
        sampler->Sample(count, s.N, *rng, p, s.d_active);
      };
}

struct Timing {
  double cpu = 0;       // CPU seconds per step of the calling thread
  double critical = 0;  // CPU seconds per step of the busier thread (the pool's other one
                        // = process CPU - caller CPU: the bench starts no other thread)
  double wall = 0;      // wall seconds per step
  bool ok = true;
};

// `start`, when given, is waited on between the warm-up and the timed steps (side by side
// runs start their timed steps together).
Timing TimeTraining(sweep::ModelKind model, int threads, int steps,
                    std::barrier<>* start = nullptr) {
  nets::ModelShape shape;
  shape.model = model, shape.d_in = kDim + 1, shape.max_T = 2 * kN + 1;
  shape.L = kL, shape.D = kD, shape.H = kH;
  shape.mixer = nets::MixerShape{kD, kE, kn, 4, true};
  std::mt19937_64 rng(0);
  auto net = nets::MakeModel<float>(shape, rng);
  nets::TrainOptions o;
  o.batch = kBatch, o.d = kDim, o.N = kN, o.steps = 3, o.threads = threads;
  (void)nets::Train(*net, o, TaskPrompts(), {});  // warm-up: first-touch allocations
  o.steps = steps;
  if (start != nullptr) start->arrive_and_wait();
  const auto w0 = std::chrono::steady_clock::now();
  const double t0 = CpuSeconds(), p0 = Clock(CLOCK_PROCESS_CPUTIME_ID);
  const auto out = nets::Train(*net, o, TaskPrompts(), {});
  Timing t;
  t.cpu = (CpuSeconds() - t0) / steps;
  const double other = (Clock(CLOCK_PROCESS_CPUTIME_ID) - p0) / steps - t.cpu;
  t.critical = std::max(t.cpu, other);
  t.wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - w0).count() / steps;
  t.ok = out.ok() && out->divergence.empty();
  return t;
}

// Two threads-1 runs at once, each on its own thread: the slower one's wall per step.
double SideBySideWall(sweep::ModelKind model, int steps) {
  std::barrier<> start(2);
  Timing a, b;
  std::thread other([&] { b = TimeTraining(model, 1, steps, &start); });
  a = TimeTraining(model, 1, steps, &start);
  other.join();
  return std::max(a.wall, b.wall);
}

const char* Met(bool met) { return met ? "met" : "NOT met"; }

// The best (smallest) of each figure over the runs.
void KeepBest(const Timing& t, Timing& best, bool first) {
  if (first) {
    best = t;
    return;
  }
  best.cpu = std::min(best.cpu, t.cpu);
  best.critical = std::min(best.critical, t.critical);
  best.wall = std::min(best.wall, t.wall);
  best.ok = best.ok && t.ok;
}

void BenchModel(sweep::ModelKind model, int steps, int repeats, double gemm) {
  const std::string name(sweep::EnumName(model));
  Timing one, two;
  double pair_wall = 0;
  for (int r = 0; r < repeats; ++r) {
    KeepBest(TimeTraining(model, 1, steps), one, r == 0);
    KeepBest(TimeTraining(model, 2, steps), two, r == 0);
    const double pair = SideBySideWall(model, steps);
    pair_wall = r == 0 ? pair : std::min(pair_wall, pair);
  }
  const double flops = StepFlops(model);
  const double gflops = flops / one.cpu / 1e9;
  const double share = gflops / gemm;
  const double wall_speedup = one.wall / two.wall;
  const double cpu_speedup = one.cpu / two.critical;
  std::printf("%s (%.2f GFLOP/step)%s%s\n", name.c_str(), flops / 1e9,
              repeats > 1 ? "  best of each figure over the repeats" : "",
              one.ok && two.ok ? "" : "  [training failed]");
  std::printf(
      "  threads 1: %7.1f ms/step CPU (wall %.1f)  %5.1f GFLOP/s  %5.1f%% of GEMM"
      "   target >= 50%%: %s\n",
      one.cpu * 1e3, one.wall * 1e3, gflops, 100 * share, Met(share >= 0.5));
  std::printf("  threads 2: %7.1f ms/step wall, busier thread %.1f ms CPU\n", two.wall * 1e3,
              two.critical * 1e3);
  std::printf(
      "  speed-up 2 threads: %.2fx wall, %.2fx critical-path CPU"
      "   target >= 1.8x: wall %s, CPU %s\n",
      wall_speedup, cpu_speedup, Met(wall_speedup >= 1.8), Met(cpu_speedup >= 1.8));
  const double machine = 2 * one.wall / pair_wall;
  std::printf(
      "  two threads-1 runs side by side: %.2fx the throughput of one (this machine's 2-core"
      " scaling);\n  threads 2 reaches %.0f%% of it\n",
      machine, 100 * wall_speedup / machine);
}

}  // namespace

int main(int argc, char** argv) {
  const int steps = argc > 1 ? std::atoi(argv[1]) : 20;
  nets::FixGemmBlocking();  // the blocking every job uses
  const int repeats = argc > 3 ? std::max(1, std::atoi(argv[3])) : 1;
  double gemm = 0;
  for (int r = 0; r < repeats; ++r) gemm = std::max(gemm, GemmGflops());
  std::printf("Eigen float GEMM 512^3, one thread: %.1f GFLOP/s\n", gemm);
  // The same GEMM on both cores at once: what sharing the machine costs compute-bound
  // code that stays in cache (the clock, not memory), for the side-by-side figures below.
  double pair[2] = {0, 0};
  {
    std::thread other([&] { pair[1] = GemmGflops(); });
    pair[0] = GemmGflops();
    other.join();
  }
  std::printf("  two at once: %.1f / %.1f GFLOP/s each (%.0f%% of one alone)\n", pair[0], pair[1],
              100 * std::min(pair[0], pair[1]) / gemm);
  const std::string only = argc > 2 ? argv[2] : "";
  for (const sweep::ModelKind model : {sweep::ModelKind::kMamba, sweep::ModelKind::kTransformer}) {
    if (only.empty() || only == sweep::EnumName(model)) BenchModel(model, steps, repeats, gemm);
  }
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  std::printf("peak RSS: %.1f MB\n", usage.ru_maxrss / 1024.0);
  return 0;
}
