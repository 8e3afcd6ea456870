// The checks of input_checks.h.
#include "common/input_checks.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/display_text.h"
#include "common/exec_keys.h"
#include "common/limits.h"
#include "nlohmann/json.hpp"

namespace sweep {
namespace {

absl::Status CheckLength(std::string_view field, std::string_view value, size_t max_bytes) {
  if (value.size() > max_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(std::string(field), ": ", value.size(),
                                                   " bytes (the limit is ", max_bytes, ")"));
  }
  return absl::OkStatus();
}

// Sorted copy of the keys; the first repeated one, or -1.
template <typename Points, typename Key>
int64_t FirstDuplicate(const Points& points, Key key) {
  std::vector<int64_t> keys;
  keys.reserve(points.size());
  for (const auto& p : points) keys.push_back(key(p));
  std::sort(keys.begin(), keys.end());
  auto it = std::adjacent_find(keys.begin(), keys.end());
  return it == keys.end() ? -1 : *it;
}

}  // namespace

absl::Status CheckWorkerId(std::string_view field, std::string_view worker_id) {
  if (worker_id.empty())
    return absl::InvalidArgumentError(absl::StrCat(std::string(field), ": empty"));
  if (worker_id.size() > limits::kMaxWorkerIdBytes) {
    return absl::InvalidArgumentError(absl::StrCat(std::string(field), ": ", worker_id.size(),
                                                   " bytes (the limit is ",
                                                   limits::kMaxWorkerIdBytes, ")"));
  }
  if (NeedsEscape(worker_id)) {
    return absl::InvalidArgumentError(
        absl::StrCat(std::string(field), ": \"", EscapeForDisplay(worker_id),
                     "\" holds control or format characters (or invalid UTF-8)"));
  }
  return absl::OkStatus();
}

absl::Status CheckWorkerHello(const WorkerHello& hello) {
  if (absl::Status s = CheckWorkerId("worker_id", hello.worker_id); !s.ok()) return s;
  if (absl::Status s = CheckLength("host", hello.host, limits::kMaxHostBytes); !s.ok()) return s;
  if (absl::Status s =
          CheckLength("build_version", hello.build_version, limits::kMaxBuildVersionBytes);
      !s.ok()) {
    return s;
  }
  if (hello.slots < 1 || hello.slots > limits::kMaxSlots) {
    return absl::InvalidArgumentError(
        absl::StrCat("slots: ", hello.slots, " (must be 1..", limits::kMaxSlots, ")"));
  }
  return CheckExecNames(hello.exec_names);
}

absl::Status CheckExecNames(const std::vector<std::string>& names) {
  if (names.size() > kMaxExecNamesPerWorker) {
    return absl::InvalidArgumentError(absl::StrCat("exec_names: ", names.size(), " names (at most ",
                                                   kMaxExecNamesPerWorker, ")"));
  }
  for (size_t i = 0; i < names.size(); ++i) {
    if (!IsExecName(names[i])) {
      return absl::InvalidArgumentError(absl::StrCat(
          "exec_names[", i, "]: not a valid exec name (1..", kMaxExecNameBytes,
          " bytes of letters, digits, '_', '.', '-', not starting with '.' or '-')"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckProgress(int64_t step, int64_t total) {
  if (step < 0 || total < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("progress: step ", step, " of ", total, " (both must be >= 0)"));
  }
  if (total > 0 && step > total) {
    return absl::InvalidArgumentError(
        absl::StrCat("progress: step ", step, " > total ", total, " (must be <= total)"));
  }
  return absl::OkStatus();
}

absl::Status CheckReport(const JobReport& report) {
  if (absl::Status s = CheckWorkerId("report.worker_id", report.worker_id); !s.ok()) return s;
  if (absl::Status s =
          CheckLength("report.build_version", report.build_version, limits::kMaxBuildVersionBytes);
      !s.ok()) {
    return s;
  }
  if (absl::Status s =
          CheckLength("report.provenance", report.provenance, limits::kMaxProvenanceBytes);
      !s.ok()) {
    return s;
  }
  if (!report.provenance.empty()) {
    const nlohmann::json p =
        nlohmann::json::parse(report.provenance, nullptr, /*allow_exceptions=*/false);
    if (!p.is_object()) {
      return absl::InvalidArgumentError("report.provenance: not a JSON object");
    }
  }
  const JobResult& r = report.result;
  if (static_cast<int64_t>(r.curve.size()) > limits::kMaxCurvePoints) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "result.curve: ", r.curve.size(), " points (the limit is ", limits::kMaxCurvePoints, ")"));
  }
  if (static_cast<int64_t>(r.loss_curve.size()) > limits::kMaxLossPoints) {
    return absl::ResourceExhaustedError(absl::StrCat("result.loss_curve: ", r.loss_curve.size(),
                                                     " points (the limit is ",
                                                     limits::kMaxLossPoints, ")"));
  }
  for (const EvalPoint& p : r.curve) {
    if (p.n < 0) return absl::InvalidArgumentError(absl::StrCat("result.curve: n ", p.n, " < 0"));
  }
  for (const LossPoint& p : r.loss_curve) {
    if (p.step < 0) {
      return absl::InvalidArgumentError(absl::StrCat("result.loss_curve: step ", p.step, " < 0"));
    }
  }
  if (int64_t n = FirstDuplicate(r.curve, [](const EvalPoint& p) { return p.n; }); n >= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("result.curve: n ", n, " appears more than once (one point per n)"));
  }
  if (int64_t step = FirstDuplicate(r.loss_curve, [](const LossPoint& p) { return p.step; });
      step >= 0) {
    return absl::InvalidArgumentError(absl::StrCat("result.loss_curve: step ", step,
                                                   " appears more than once (one point per step)"));
  }
  return absl::OkStatus();
}

absl::Status CheckCurveWithin(const JobResult& result, int64_t N) {
  for (const EvalPoint& p : result.curve) {
    if (p.n < 0 || p.n > N) {
      return absl::InvalidArgumentError(
          absl::StrCat("result.curve: n ", p.n, " outside 0..N = 0..", N, " of the job"));
    }
  }
  return absl::OkStatus();
}

std::string TruncateForStorage(std::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return std::string(text);
  const std::string note = absl::StrCat(" ... [truncated from ", text.size(), " bytes]");
  size_t keep = max_bytes > note.size() ? max_bytes - note.size() : 0;
  // Back up over UTF-8 continuation bytes so that no character is cut in half.
  while (keep > 0 && (static_cast<unsigned char>(text[keep]) & 0xC0) == 0x80) --keep;
  return absl::StrCat(std::string(text.substr(0, keep)), note);
}

}  // namespace sweep
