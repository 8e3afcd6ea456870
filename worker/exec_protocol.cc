// ExecOutput (see exec_protocol.h): the JSON-lines protocol of exec programs.
#include "worker/exec_protocol.h"

#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "common/display_text.h"
#include "common/limits.h"
#include "common/link_expr.h"
#include "common/status.h"

namespace sweep::worker {
namespace {

using nlohmann::json;

std::string Shown(std::string_view text) {
  constexpr size_t kShow = 60;
  std::string shown = EscapeForDisplay(text.substr(0, kShow));
  if (text.size() > kShow) shown += "...";
  return shown;
}

// A number, or JSON's stand-ins for the values it cannot spell.
absl::StatusOr<double> Number(const std::string& where, const json& v) {
  if (v.is_number()) return v.get<double>();
  if (v.is_null()) return std::numeric_limits<double>::quiet_NaN();
  if (v.is_string()) {
    const std::string& s = v.get_ref<const std::string&>();
    if (s == "nan" || s == "NaN") return std::numeric_limits<double>::quiet_NaN();
    if (s == "inf" || s == "+inf" || s == "Infinity")
      return std::numeric_limits<double>::infinity();
    if (s == "-inf" || s == "-Infinity") return -std::numeric_limits<double>::infinity();
  }
  return absl::InvalidArgumentError(
      absl::StrCat(where, ": expected a number, got ", v.type_name()));
}

absl::StatusOr<int64_t> Integer(const std::string& where, const json& v, int64_t lo, int64_t hi) {
  if (v.is_number_integer() && v.get<int64_t>() >= lo && v.get<int64_t>() <= hi) {
    return v.get<int64_t>();
  }
  return absl::InvalidArgumentError(
      absl::StrCat(where, ": expected an integer in [", lo, ", ", hi, "], got ",
                   Shown(v.dump(-1, ' ', false, json::error_handler_t::replace))));
}

absl::Status Unknown(const std::string& where, const std::string& key, std::string_view expected) {
  return absl::InvalidArgumentError(absl::StrCat(where, ": unknown member \"", Shown(key),
                                                 "\" (expected ", std::string(expected), ")"));
}

}  // namespace

absl::Status ExecOutput::Feed(std::string_view line) {
  ++line_no_;
  if (line.find_first_not_of(" \t\r") == std::string_view::npos) return absl::OkStatus();
  const json doc = json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat("stdout line ", line_no_, ": not a JSON object: \"", Shown(line),
                     "\" (stdout carries only protocol lines; print logs to stderr)"));
  }
  for (const auto& [key, value] : doc.items()) {
    absl::Status s = Member(key, value);
    if (!s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("stdout line ", line_no_, ": ", s.message()));
    }
  }
  return absl::OkStatus();
}

absl::Status ExecOutput::Member(const std::string& key, const json& v) {
  if (key == "version") {
    if (!v.is_number_integer() || v.get<int64_t>() != kExecProtocolVersion) {
      return absl::InvalidArgumentError(absl::StrCat(
          "version: ", Shown(v.dump(-1, ' ', false, json::error_handler_t::replace)),
          " is not supported (this worker speaks version ", kExecProtocolVersion, ")"));
    }
  } else if (key == "progress") {
    int64_t step = 0, total = 0;
    if (v.is_object()) {
      for (const auto& [k, x] : v.items()) {
        if (k != "step" && k != "total") return Unknown("progress", k, "step or total");
      }
      const int64_t kMax = std::numeric_limits<int64_t>::max();
      SWEEP_ASSIGN_OR_RETURN(step, Integer("progress.step", v.value("step", json(0)), 0, kMax));
      SWEEP_ASSIGN_OR_RETURN(total, Integer("progress.total", v.value("total", json(0)), 0, kMax));
    } else if (v.is_number() && v.get<double>() >= 0 && v.get<double>() <= 1) {
      step = std::llround(v.get<double>() * 1000);
      total = 1000;
    } else {
      return absl::InvalidArgumentError(
          "progress: expected {\"step\": S, \"total\": T} or a fraction in [0, 1]");
    }
    // The coordinator refuses a heartbeat whose step passes its total (docs/limits.md).
    if (total > 0 && step > total) {
      return absl::InvalidArgumentError(absl::StrCat("progress: step ", step, " > total ", total));
    }
    if (on_progress_) on_progress_(step, total);
  } else if (key == "loss") {
    if (!v.is_object() || !v.contains("step") || !v.contains("loss") || v.size() != 2) {
      return absl::InvalidArgumentError("loss: expected {\"step\": S, \"loss\": L}");
    }
    if (int64_t(loss_.size()) >= limits::kMaxLossPoints) {
      return absl::ResourceExhaustedError(
          absl::StrCat("loss: more than ", limits::kMaxLossPoints, " points"));
    }
    SWEEP_ASSIGN_OR_RETURN(int64_t step, Integer("loss.step", v["step"], 0, 2'000'000'000));
    SWEEP_ASSIGN_OR_RETURN(double loss, Number("loss.loss", v["loss"]));
    if (!loss_steps_.insert(step).second) {
      return absl::InvalidArgumentError(absl::StrCat("loss: step ", step, " given twice"));
    }
    loss_.push_back(LossPoint{int(step), loss});
  } else if (key == "curve") {
    if (!v.is_array()) return absl::InvalidArgumentError("curve: expected a list of points");
    for (const json& point : v) SWEEP_RETURN_IF_ERROR(CurvePoint(point));
  } else if (key == "metrics") {
    return Metrics(v);
  } else if (key == "diverged") {
    if (!v.is_string() || v.get_ref<const std::string&>().empty()) {
      return absl::InvalidArgumentError("diverged: expected a non-empty string (the reason)");
    }
    divergence_ = v.get<std::string>().substr(0, limits::kMaxErrorBytes);
  } else {
    return Unknown("line", key, "version, progress, loss, curve, metrics or diverged");
  }
  return absl::OkStatus();
}

absl::Status ExecOutput::CurvePoint(const json& point) {
  if (!point.is_object() || !point.contains("n")) {
    return absl::InvalidArgumentError("curve: each point is an object with \"n\"");
  }
  SWEEP_ASSIGN_OR_RETURN(int64_t n, Integer("curve.n", point["n"], 0, 65536));
  const std::string where = absl::StrCat("curve point n = ", n);
  if (curve_.contains(int(n)))
    return absl::InvalidArgumentError(absl::StrCat(where, ": given twice"));
  if (int64_t(curve_.size()) >= limits::kMaxCurvePoints) {
    return absl::ResourceExhaustedError(
        absl::StrCat("curve: more than ", limits::kMaxCurvePoints, " points"));
  }
  Point p;
  for (const auto& [k, x] : point.items()) {
    if (k == "n") continue;
    std::optional<double>* slot = k == "mse"    ? &p.mse
                                  : k == "nmse" ? &p.nmse
                                  : k == "se"   ? &p.se
                                                : nullptr;
    if (slot == nullptr) return Unknown(where, k, "n, mse, nmse or se");
    SWEEP_ASSIGN_OR_RETURN(*slot, Number(absl::StrCat(where, ": ", k), x));
  }
  if (!p.mse && !p.nmse)
    return absl::InvalidArgumentError(absl::StrCat(where, ": needs mse or nmse"));
  curve_[int(n)] = p;
  return absl::OkStatus();
}

absl::Status ExecOutput::Metrics(const json& metrics) {
  if (!metrics.is_object()) return absl::InvalidArgumentError("metrics: expected an object");
  for (const auto& [k, x] : metrics.items()) {
    std::optional<double>* slot = k == "mse"             ? &mse_
                                  : k == "nmse"          ? &nmse_
                                  : k == "ey2"           ? &ey2_
                                  : k == "train_seconds" ? &train_seconds_
                                  : k == "eval_seconds"  ? &eval_seconds_
                                                         : nullptr;
    if (slot == nullptr) {
      return Unknown("metrics", k, "mse, nmse, ey2, train_seconds or eval_seconds");
    }
    SWEEP_ASSIGN_OR_RETURN(*slot, Number(absl::StrCat("metrics.", k), x));
  }
  return absl::OkStatus();
}

absl::StatusOr<JobResult> ExecOutput::Finish(const JobConfig& config) const {
  if (curve_.empty() && !nmse_ && !mse_ && divergence_.empty()) {
    return absl::InvalidArgumentError(
        "the program printed no result: neither a \"curve\" nor \"metrics\" line (docs/exec.md)");
  }
  // A stored curve lies in 0..N of its job (docs/limits.md): say so here, as a job error,
  // rather than have the report refused.
  if (!curve_.empty() && curve_.rbegin()->first > config.N) {
    return absl::InvalidArgumentError(absl::StrCat("curve point n = ", curve_.rbegin()->first,
                                                   " > N = ", config.N,
                                                   " (points lie in 0..N of the job)"));
  }
  SWEEP_ASSIGN_OR_RETURN(LinkExpr link, ParseLink(config.link));
  JobResult r;
  r.ey2 = ey2_.value_or(link.SecondMoment(config.tau));
  r.ie = link.ie;
  r.ge = link.ge;
  for (const auto& [n, p] : curve_) {
    EvalPoint e;
    e.n = n;
    e.mse = p.mse.value_or(*p.nmse * r.ey2);
    e.nmse = p.nmse.value_or(*p.mse / r.ey2);
    e.se = p.se.value_or(0.0);
    r.curve.push_back(e);
    if (!r.n_at_eps && e.nmse <= config.eps) r.n_at_eps = n;
  }
  // As for the built-in models: the headline metrics are the curve's value at its largest n.
  const EvalPoint* last = r.curve.empty() ? nullptr : &r.curve.back();
  r.mse = mse_ ? *mse_ : nmse_ ? *nmse_ * r.ey2 : last ? last->mse : std::nan("");
  r.nmse = nmse_ ? *nmse_ : mse_ ? *mse_ / r.ey2 : last ? last->nmse : std::nan("");
  r.loss_curve = loss_;
  r.train_seconds = train_seconds_.value_or(0.0);
  r.eval_seconds = eval_seconds_.value_or(0.0);
  r.divergence = divergence_;
  return r;
}

}  // namespace sweep::worker
