// nets_fingerprint: whole jobs of every trained model (and a small mamba-theory job) at
// threads 1 and 2, each reduced to one 64-bit hash of every float of its result (nmse,
// mse, the ICL curve, the loss curve) plus the final nmse to 17 digits. Run it before and
// after a speed change: equal hashes mean the change kept every metric bit-identical
// (docs/science.md section 5: otherwise it is a new results version). A few CPU seconds.
//
//   nets_fingerprint            every job below
//   nets_fingerprint mamba      only the jobs whose name starts with "mamba"
#include <bit>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "common/job_keys.h"
#include "worker/numerics/run_job.h"

namespace {

struct Job {
  std::string name;
  sweep::JobConfig config;
};

// The bench_nets shapes (D 64, L 2, d 16, N 40), fewer steps and prompts; float64 and the
// transformer on a smaller shape so that the whole run stays short.
sweep::JobConfig Net(const std::string& model, sweep::Dtype dtype, int threads) {
  sweep::JobConfig c;
  c.model = sweep::ParseEnum<sweep::ModelKind>(model).value();
  c.d = 16, c.r = 8, c.N = 40, c.link = "h2", c.tau = 0.1, c.seed = 1;
  c.format = sweep::PromptFormat::kInterleaved;
  c.steps = 24, c.batch = 64, c.eval_tasks = 200, c.eval_lengths = {10, 20, 40};
  // The training defaults before defaults version 2, so that hashes compare across it.
  c.lr = 1e-3, c.schedule = sweep::Schedule::kConstant, c.curriculum = false;
  c.dtype = dtype, c.threads = threads;
  if (dtype == sweep::Dtype::kFloat64) c.D = 32, c.batch = 20, c.steps = 12;
  return c;
}

sweep::JobConfig Theory(int threads) {
  sweep::JobConfig c;
  c.model = sweep::ModelKind::kMambaTheory;
  c.d = 16, c.r = 4, c.N = 128, c.link = "h3", c.tau = 0.1, c.seed = 2;
  c.gate = sweep::Gate::kSigmoid, c.format = sweep::PromptFormat::kPaired;
  c.dtype = sweep::Dtype::kFloat64, c.K1 = 40, c.T2 = 2048;
  c.eval_tasks = 400, c.eval_lengths = {32, 64, 128};
  c.threads = threads;
  return c;
}

// The mamba variants whose float paths differ from the default shape's: the LTI ablation
// (selective false), no convolution, a paired prompt, and E = 42 and n = 20 (the scan's
// generic float path: E not a multiple of 8 channels is not chunked).
sweep::JobConfig MambaVariant(const std::string& variant, int threads) {
  sweep::JobConfig c = Net("mamba", sweep::Dtype::kFloat32, threads);
  c.steps = 12, c.batch = 24, c.D = 32;
  if (variant == "lti") c.selective = false;
  if (variant == "noconv") c.conv = 0;
  if (variant == "paired") c.format = sweep::PromptFormat::kPaired;
  if (variant == "generic") c.D = 21, c.n = 20;
  return c;
}

uint64_t Mix(uint64_t h, double v) {
  h ^= std::bit_cast<uint64_t>(v);
  return h * 0x100000001b3ULL;  // FNV-1a step over whole words
}

}  // namespace

int main(int argc, char** argv) {
  const std::string only = argc > 1 ? argv[1] : "";
  std::vector<Job> jobs;
  for (int k : {1, 2}) {
    const std::string t = " threads " + std::to_string(k);
    jobs.push_back({"mamba float32" + t, Net("mamba", sweep::Dtype::kFloat32, k)});
    jobs.push_back({"mamba float64" + t, Net("mamba", sweep::Dtype::kFloat64, k)});
    for (const char* v : {"lti", "noconv", "paired", "generic"}) {
      jobs.push_back({std::string("mamba ") + v + t, MambaVariant(v, k)});
    }
    jobs.push_back({"transformer float32" + t, Net("transformer", sweep::Dtype::kFloat32, k)});
    jobs.push_back({"mamba-theory" + t, Theory(k)});
  }
  int failed = 0;
  for (const Job& job : jobs) {
    if (job.name.rfind(only, 0) != 0) continue;
    absl::StatusOr<sweep::JobResult> r = sweep::numerics::RunJob(job.config, {});
    if (!r.ok()) {
      std::printf("%-28s %s\n", job.name.c_str(), r.status().ToString().c_str());
      ++failed;
      continue;
    }
    uint64_t h = 0xcbf29ce484222325ULL;
    h = Mix(Mix(h, r->mse), r->nmse);
    for (const sweep::EvalPoint& p : r->curve) h = Mix(Mix(Mix(h, p.mse), p.se), p.nmse);
    for (const sweep::LossPoint& p : r->loss_curve) h = Mix(h, p.loss);
    std::printf("%-28s %016llx  nmse %.17g  final loss %.9g%s\n", job.name.c_str(),
                static_cast<unsigned long long>(h), r->nmse,
                r->loss_curve.empty() ? 0.0 : r->loss_curve.back().loss,
                r->divergence.empty() ? "" : "  (diverged)");
    std::fflush(stdout);
  }
  return failed == 0 ? 0 : 1;
}
