// JobConfig: one job's fully resolved configuration, the flat key namespace of
// docs/science.md section 7 as a typed struct. A job is a pure function of this struct
// (docs/science.md section 5).
//
// The struct carries every key of every model. Which keys a model uses, their defaults,
// ranges and the canonical JSON / config hash live in common/job_keys.h (the key
// registry); code outside the registry reads fields, it never invents defaults.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sweep {

struct JobConfig {
  // --- task (docs/science.md section 1) ---
  std::string model;               // "mamba" | "mamba-theory" | "transformer" | "krr"
  int d = 0;                       // ambient dimension
  int r = 0;                       // intrinsic dimension, 1 <= r <= d
  int N = 0;                       // context length
  std::string link = "h2";         // Hermite expression, e.g. "0.6*h1+0.8*h3"
  double tau = 0.1;                // label noise level
  std::string subspace = "aligned";  // "aligned" | "random"
  uint64_t seed = 0;

  // --- prompt format and evaluation (sections 2 and 4) ---
  std::string format;              // "interleaved" | "paired"
  int eval_tasks = 1000;
  std::vector<int> eval_lengths;   // resolved: never empty after resolution
  double eps = 0.5;

  // --- training of mamba / transformer (section 3) ---
  int steps = 2000;
  int batch = 64;
  double lr = 1e-3;
  double clip = 1.0;
  int warmup = 0;
  std::string schedule = "constant";  // "constant" | "cosine"
  // Curriculum on d and N (Garg et al. 2022 style): training starts at
  // ceil(curriculum_start * d) active dimensions and ceil(curriculum_start * N) examples
  // and grows linearly to the full d and N over the first curriculum_ramp * steps steps.
  bool curriculum = false;
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
  std::string attention = "softmax";  // "softmax" | "linear"

  // --- mamba-theory ---
  std::string gate = "sigmoid";    // "sigmoid" | "none"
  int K1 = 200;
  int T1 = 256;
  double eta1 = 0.05;
  double lambda1 = 1e-4;
  int T2 = 8192;
  double lambda2 = 1e-2;
  int m = 256;

  // --- krr ---
  std::string kernel = "rbf";      // "rbf" | "poly"
  std::string features = "ambient";  // "ambient" | "intrinsic"

  // --- numerics ---
  std::string dtype = "float32";   // "float32" | "float64"
  int threads = 1;

  bool operator==(const JobConfig&) const = default;
};

}  // namespace sweep
