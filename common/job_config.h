// JobConfig: one job's fully resolved configuration, the flat key namespace of
// docs/science.md section 7 as a typed struct. A job is a pure function of this struct
// (docs/science.md section 5).
//
// The struct carries every key of every model. Which keys a model uses, their defaults,
// ranges and the canonical JSON / config hash live in common/job_keys.h (the key
// registry); code outside the registry reads fields, it never invents defaults.
//
// Keys with a fixed set of values are enums: the registry validated the name once, so
// code that reads a config switches on values and never compares or re-checks strings.
// The names (what sweep files, the canonical JSON and the database hold) live in one
// table per enum in common/job_keys.cc; EnumName / ParseEnum (common/job_keys.h) convert.
// Enumerators are numbered from 0 in the order of those tables.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sweep {

enum class ModelKind : uint8_t { kMamba, kMambaTheory, kTransformer, kKrr, kExec };
enum class PromptFormat : uint8_t { kInterleaved, kPaired };
enum class Schedule : uint8_t { kConstant, kCosine };
enum class Attention : uint8_t { kSoftmax, kLinear };
enum class Gate : uint8_t { kSigmoid, kNone };
enum class KernelKind : uint8_t { kRbf, kPoly };
enum class Features : uint8_t { kAmbient, kIntrinsic };
enum class Dtype : uint8_t { kFloat32, kFloat64 };
enum class Subspace : uint8_t { kAligned, kRandom };

// The free-form parameters of an `exec` job (docs/exec.md): a JSON object of the program's
// own hyperparameters, held as its canonical text (keys sorted, no whitespace) so that
// equal parameters compare and hash equal. "{}" when there are none.
struct ExecParams {
  std::string json = "{}";
  bool operator==(const ExecParams&) const = default;
};

struct JobConfig {
  // --- task (docs/science.md section 1) ---
  ModelKind model = ModelKind::kMamba;  // required: the registry always sets it
  int d = 0;                            // ambient dimension
  int r = 0;                            // intrinsic dimension, 1 <= r <= d
  int N = 0;                            // context length
  std::string link = "h2";              // Hermite expression, e.g. "0.6*h1+0.8*h3"
  double tau = 0.1;                     // label noise level
  Subspace subspace = Subspace::kAligned;
  uint64_t seed = 0;

  // --- prompt format and evaluation (sections 2 and 4) ---
  PromptFormat format = PromptFormat::kInterleaved;  // derived from the model when unset
  int eval_tasks = 1000;
  std::vector<int> eval_lengths;  // resolved: never empty after resolution
  double eps = 0.5;

  // --- training of mamba / transformer (section 3) ---
  // Defaults are the recipe that learned in context on a CPU (docs/figure1.md; defaults
  // version 2, docs/science.md section 7): the first defaults (2000 steps, batch 64, lr
  // 1e-3 constant, no curriculum) learned at none of r = 4, 8.
  int steps = 15000;
  int batch = 32;
  double lr = 3e-3;  // mamba; the transformer's default is 1e-3 (derived, defaults version 3)
  double clip = 1.0;
  int warmup = 0;  // derived when unset: min(200, steps / 10)
  Schedule schedule = Schedule::kCosine;
  // Curriculum on d and N (Garg et al. 2022 style): training starts at
  // ceil(curriculum_start * d) active dimensions and ceil(curriculum_start * N) examples
  // and grows linearly to the full d and N over the first curriculum_ramp * steps steps.
  bool curriculum = true;
  double curriculum_start = 0.25;
  double curriculum_ramp = 0.5;

  // --- mamba shape ---
  int L = 2;
  int D = 64;
  int n = 16;
  int expand = 2;
  int conv = 4;
  bool selective = true;

  // --- transformer ---
  int H = 4;
  Attention attention = Attention::kSoftmax;

  // --- mamba-theory ---
  Gate gate = Gate::kSigmoid;
  int K1 = 200;
  int T1 = 256;
  double eta1 = 0.05;
  double lambda1 = 1e-4;
  int T2 = 8192;
  double lambda2 = 1e-2;
  int m = 256;

  // --- krr ---
  KernelKind kernel = KernelKind::kRbf;
  Features features = Features::kAmbient;

  // --- exec: any program as a job (docs/exec.md) ---
  std::string exec;     // a name in the worker's --allow-exec list, never a command
  ExecParams params;    // the program's own hyperparameters
  int timeout = 3600;   // seconds before the program's process group is killed

  // --- numerics ---
  Dtype dtype = Dtype::kFloat32;
  int threads = 1;

  bool operator==(const JobConfig&) const = default;
};

}  // namespace sweep
