// Derived defaults and cross-key checks of a job config (see job_keys_derived.h).
#include "common/job_keys_derived.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/exec_keys.h"
#include "common/link_expr.h"

namespace sweep::keys_internal {
namespace {

using json = nlohmann::json;

constexpr double kTransformerLr = 1e-3;

// mamba and transformer: the end-to-end trained models.
bool IsSequenceModel(ModelKind m) { return m == ModelKind::kMamba || m == ModelKind::kTransformer; }

// A name as a JSON string; invalid UTF-8 is replaced, so this cannot throw.
std::string Quoted(const std::string& name) {
  return json(name).dump(-1, ' ', false, json::error_handler_t::replace);
}

// The N/8, N/4, N/2, N lengths of paired prompts, rounded, >= 1, deduplicated.
std::vector<int> PairedLengths(int N) {
  std::vector<int> out;
  for (int div : {8, 4, 2, 1}) {
    int n = std::max(1, int(std::lround(double(N) / div)));
    if (out.empty() || out.back() != n) out.push_back(n);
  }
  return out;
}

}  // namespace

void FillDerived(const json& partial, JobConfig& c) {
  const bool seq = IsSequenceModel(c.model);
  if (!partial.contains("r")) c.r = std::min(8, c.d);
  // The transformer learns h2 in context only with paired tokens, mamba best with
  // interleaved ones at r = 8 (docs/figure1.md, explorations 4, 11 and 15).
  if (!seq || !partial.contains("format")) {
    c.format = c.model == ModelKind::kMamba ? PromptFormat::kInterleaved : PromptFormat::kPaired;
  }
  // The learning rate by model (defaults version 3): at 3e-3 the transformer stayed at the
  // in-weights level on half or more of the seeds at r = 4 and 8, at 1e-3 it learned in
  // context on every one tried (docs/figure1.md, explorations 25-27); mamba learned at 3e-3.
  if (!seq) {
    c.lr = JobConfig{}.lr;
  } else if (!partial.contains("lr")) {
    c.lr = c.model == ModelKind::kTransformer ? kTransformerLr : JobConfig{}.lr;
  }
  // A short warm-up of the learning rate, never longer than a tenth of the run.
  if (!seq) {
    c.warmup = 0;
  } else if (!partial.contains("warmup")) {
    c.warmup = std::min(200, c.steps / 10);
  }
  if (!partial.contains("eval_lengths")) {
    c.eval_lengths.clear();
    if (c.format == PromptFormat::kInterleaved) {
      for (int n = 0; n <= c.N; ++n) c.eval_lengths.push_back(n);
    } else {
      c.eval_lengths = PairedLengths(c.N);
    }
  }
}

absl::Status CheckCrossKeys(const JobConfig& c) {
  if (c.r > c.d) {
    return absl::InvalidArgumentError(
        absl::StrCat("r: ", c.r, " > d = ", c.d, " (r must be <= d)"));
  }
  if (c.eval_lengths.back() > c.N) {
    return absl::InvalidArgumentError(absl::StrCat("eval_lengths: ", c.eval_lengths.back(),
                                                   " > N = ", c.N, " (entries must lie in 0..N)"));
  }
  if (c.model == ModelKind::kTransformer && c.D % c.H != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("H: D = ", c.D, " is not divisible by H = ", c.H, " (heads split D evenly)"));
  }
  if (c.model == ModelKind::kExec && !IsExecName(c.exec)) {
    return absl::InvalidArgumentError(
        c.exec.empty()
            ? std::string(
                  "exec: required for model exec (a name in the worker's --allow-exec list)")
            : absl::StrCat("exec: bad name ", Quoted(c.exec.substr(0, kMaxExecNameBytes)),
                           " (1..", kMaxExecNameBytes,
                  " bytes of letters, digits, '_', '.', '-', not starting with '.' or '-')"));
  }
  if (IsSequenceModel(c.model) && c.warmup > c.steps) {
    return absl::InvalidArgumentError(
        absl::StrCat("warmup: ", c.warmup, " > steps = ", c.steps, " (warmup must be <= steps)"));
  }
  return ParseLink(c.link).status();
}

void NormalizeLink(JobConfig& c) {
  auto is_space = [](char ch) { return std::isspace(static_cast<unsigned char>(ch)) != 0; };
  c.link.erase(std::remove_if(c.link.begin(), c.link.end(), is_space), c.link.end());
}

}  // namespace sweep::keys_internal
