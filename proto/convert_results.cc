// Sweep, job and query conversions (see convert.h).
#include <string>

#include "absl/strings/str_cat.h"
#include "proto/convert.h"

namespace sweep::wire {
namespace {

std::map<std::string, std::string> ToMap(const google::protobuf::Map<std::string, std::string>& m) {
  return std::map<std::string, std::string>(m.begin(), m.end());
}

void FillMap(const std::map<std::string, std::string>& m,
             google::protobuf::Map<std::string, std::string>* out) {
  for (const auto& [k, v] : m) (*out)[k] = v;
}

}  // namespace

v1::SweepSummary ToProto(const SweepSummary& s) {
  v1::SweepSummary p;
  p.set_sweep_id(s.sweep_id);
  p.set_name(s.name);
  p.set_created_at_ms(ToUnixMillis(s.created_at));
  p.set_cancel_requested(s.cancel_requested);
  p.set_total(s.total);
  p.set_queued(s.queued);
  p.set_running(s.running);
  p.set_succeeded(s.succeeded);
  p.set_failed(s.failed);
  p.set_cancelled(s.cancelled);
  p.set_cached(s.cached);
  if (s.first_finished_at) p.set_first_finished_at_ms(ToUnixMillis(*s.first_finished_at));
  if (s.last_finished_at) p.set_last_finished_at_ms(ToUnixMillis(*s.last_finished_at));
  p.set_paused(s.paused);
  p.set_stop_requested(s.stop_requested);
  p.set_fail_fast(s.fail_fast);
  if (s.first_failed_job_id) {
    p.set_first_failed_job_id(*s.first_failed_job_id);
    p.set_first_failure(std::string(FailureKindName(s.first_failure)));
    p.set_first_failure_error(s.first_failure_error);
  }
  if (s.adaptive_seeds) *p.mutable_adaptive_seeds() = ToProto(*s.adaptive_seeds);
  return p;
}

v1::VerifiedPair ToProto(const VerifiedPair& p, int max_diffs) {
  v1::VerifiedPair out;
  out.set_original_job_id(p.original_job_id);
  out.set_rerun_job_id(p.rerun_job_id);
  out.set_rerun_state(std::string(JobStateName(p.rerun_state)));
  out.set_original_worker(p.original_worker);
  out.set_rerun_worker(p.rerun_worker);
  out.set_original_provenance(p.original_provenance);
  out.set_rerun_provenance(p.rerun_provenance);
  for (size_t i = 0; i < p.diffs.size() && i < static_cast<size_t>(max_diffs); ++i) {
    v1::MetricDiff* d = out.add_diffs();
    d->set_metric(p.diffs[i].metric);
    d->set_original(p.diffs[i].original);
    d->set_rerun(p.diffs[i].rerun);
  }
  out.set_diffs_total(p.diffs_total);
  return out;
}

VerifiedPair FromProto(const v1::VerifiedPair& p) {
  VerifiedPair out;
  out.original_job_id = p.original_job_id();
  out.rerun_job_id = p.rerun_job_id();
  out.rerun_state = ParseJobState(p.rerun_state()).value_or(JobState::kQueued);
  out.original_worker = p.original_worker();
  out.rerun_worker = p.rerun_worker();
  out.original_provenance = p.original_provenance();
  out.rerun_provenance = p.rerun_provenance();
  for (const v1::MetricDiff& d : p.diffs()) {
    out.diffs.push_back(MetricDiff{d.metric(), d.original(), d.rerun()});
  }
  out.diffs_total = p.diffs_total();
  return out;
}

v1::AdaptiveSeeds ToProto(const AdaptiveSeeds& s) {
  v1::AdaptiveSeeds p;
  p.set_min(s.min);
  p.set_max(s.max);
  p.set_ci(s.ci);
  p.set_metric(s.metric);
  return p;
}

AdaptiveSeeds FromProto(const v1::AdaptiveSeeds& p) {
  return AdaptiveSeeds{p.min(), p.max(), p.ci(), p.metric()};
}

v1::AdaptiveCell ToProto(const AdaptiveCell& c) {
  v1::AdaptiveCell p;
  p.set_cell(c.cell);
  p.set_seeds(c.seeds);
  p.set_finished(c.finished);
  p.set_values(c.values);
  p.set_mean(c.mean);
  p.set_half_width(c.half_width);
  p.set_verdict(std::string(CellVerdictName(c.verdict)));
  return p;
}

AdaptiveCell FromProto(const v1::AdaptiveCell& p) {
  AdaptiveCell c;
  c.cell = p.cell();
  c.seeds = p.seeds();
  c.finished = p.finished();
  c.values = p.values();
  c.mean = p.mean();
  c.half_width = p.half_width();
  for (CellVerdict v : {CellVerdict::kRunning, CellVerdict::kMet, CellVerdict::kAtMax,
                        CellVerdict::kStopped}) {
    if (CellVerdictName(v) == p.verdict()) c.verdict = v;
  }
  return c;
}

SweepSummary FromProto(const v1::SweepSummary& p) {
  SweepSummary s;
  s.sweep_id = p.sweep_id();
  s.name = p.name();
  s.created_at = FromUnixMillis(p.created_at_ms());
  s.cancel_requested = p.cancel_requested();
  s.total = p.total();
  s.queued = p.queued();
  s.running = p.running();
  s.succeeded = p.succeeded();
  s.failed = p.failed();
  s.cancelled = p.cancelled();
  s.cached = p.cached();
  if (p.has_first_finished_at_ms()) s.first_finished_at = FromUnixMillis(p.first_finished_at_ms());
  if (p.has_last_finished_at_ms()) s.last_finished_at = FromUnixMillis(p.last_finished_at_ms());
  s.paused = p.paused();
  s.stop_requested = p.stop_requested();
  s.fail_fast = p.fail_fast();
  if (p.has_first_failed_job_id()) {
    s.first_failed_job_id = p.first_failed_job_id();
    s.first_failure = ParseFailureKind(p.first_failure()).value_or(FailureKind::kError);
    s.first_failure_error = p.first_failure_error();
  }
  if (p.has_adaptive_seeds()) s.adaptive_seeds = FromProto(p.adaptive_seeds());
  return s;
}

v1::JobRecord ToProto(const JobRecord& j) {
  v1::JobRecord p;
  p.set_job_id(j.job_id);
  p.set_sweep_id(j.sweep_id);
  p.set_state(std::string(JobStateName(j.state)));
  p.set_failure(std::string(FailureKindName(j.failure)));
  p.set_attempt(j.attempt);
  p.set_cached(j.cached);
  p.set_config_hash(j.config_hash);
  p.set_config_json(j.config_json);
  p.set_worker_id(j.worker_id);
  p.set_error(j.error);
  p.set_progress_step(j.progress_step);
  p.set_progress_total(j.progress_total);
  if (j.lease_expires_at) p.set_lease_expires_at_ms(ToUnixMillis(*j.lease_expires_at));
  if (j.leased_at) p.set_leased_at_ms(ToUnixMillis(*j.leased_at));
  return p;
}

absl::StatusOr<JobRecord> FromProto(const v1::JobRecord& p) {
  std::optional<JobState> state = ParseJobState(p.state());
  if (!state)
    return absl::InvalidArgumentError(absl::StrCat("job.state: unknown \"", p.state(), "\""));
  std::optional<FailureKind> failure = ParseFailureKind(p.failure());
  if (!failure) {
    return absl::InvalidArgumentError(absl::StrCat("job.failure: unknown \"", p.failure(), "\""));
  }
  JobRecord j;
  j.job_id = p.job_id();
  j.sweep_id = p.sweep_id();
  j.state = *state;
  j.failure = *failure;
  j.attempt = p.attempt();
  j.cached = p.cached();
  j.config_hash = p.config_hash();
  j.config_json = p.config_json();
  j.worker_id = p.worker_id();
  j.error = p.error();
  j.progress_step = p.progress_step();
  j.progress_total = p.progress_total();
  if (p.has_lease_expires_at_ms()) j.lease_expires_at = FromUnixMillis(p.lease_expires_at_ms());
  if (p.has_leased_at_ms()) j.leased_at = FromUnixMillis(p.leased_at_ms());
  return j;
}

v1::ResultsQuery ToProto(const ResultsQuery& q) {
  v1::ResultsQuery p;
  p.set_sweep_id(q.sweep_id);
  FillMap(q.where, p.mutable_where());
  for (const std::string& k : q.group_by) p.add_group_by(k);
  return p;
}

ResultsQuery FromProto(const v1::ResultsQuery& p) {
  ResultsQuery q;
  q.sweep_id = p.sweep_id();
  q.where = ToMap(p.where());
  q.group_by.assign(p.group_by().begin(), p.group_by().end());
  return q;
}

v1::ResultGroup ToProto(const ResultGroup& g) {
  v1::ResultGroup p;
  FillMap(g.key, p.mutable_key());
  p.set_count(g.count);
  p.set_mse_mean(g.mse_mean);
  p.set_mse_std(g.mse_std);
  p.set_nmse_mean(g.nmse_mean);
  p.set_nmse_std(g.nmse_std);
  p.set_diverged(g.diverged);
  p.set_mse_se(g.mse_se);
  p.set_mse_ci_lo(g.mse_ci_lo);
  p.set_mse_ci_hi(g.mse_ci_hi);
  p.set_nmse_se(g.nmse_se);
  p.set_nmse_ci_lo(g.nmse_ci_lo);
  p.set_nmse_ci_hi(g.nmse_ci_hi);
  return p;
}

ResultGroup FromProto(const v1::ResultGroup& p) {
  ResultGroup g;
  g.key = ToMap(p.key());
  g.count = p.count();
  g.mse_mean = p.mse_mean();
  g.mse_std = p.mse_std();
  g.nmse_mean = p.nmse_mean();
  g.nmse_std = p.nmse_std();
  g.diverged = p.diverged();
  g.mse_se = p.mse_se();
  g.mse_ci_lo = p.mse_ci_lo();
  g.mse_ci_hi = p.mse_ci_hi();
  g.nmse_se = p.nmse_se();
  g.nmse_ci_lo = p.nmse_ci_lo();
  g.nmse_ci_hi = p.nmse_ci_hi();
  return g;
}

v1::CurveGroup ToProto(const CurveGroup& g) {
  v1::CurveGroup p;
  FillMap(g.key, p.mutable_key());
  for (const CurvePoint& c : g.points) {
    v1::CurvePoint* q = p.add_points();
    q->set_n(c.n);
    q->set_count(c.count);
    q->set_mse_mean(c.mse_mean);
    q->set_mse_se(c.mse_se);
    q->set_nmse_mean(c.nmse_mean);
    q->set_nmse_se(c.nmse_se);
    q->set_mse_std(c.mse_std);
    q->set_mse_ci_lo(c.mse_ci_lo);
    q->set_mse_ci_hi(c.mse_ci_hi);
    q->set_nmse_std(c.nmse_std);
    q->set_nmse_ci_lo(c.nmse_ci_lo);
    q->set_nmse_ci_hi(c.nmse_ci_hi);
  }
  return p;
}

CurveGroup FromProto(const v1::CurveGroup& p) {
  CurveGroup g;
  g.key = ToMap(p.key());
  for (const v1::CurvePoint& c : p.points()) {
    CurvePoint q;
    q.n = c.n();
    q.count = c.count();
    q.mse_mean = c.mse_mean();
    q.mse_se = c.mse_se();
    q.nmse_mean = c.nmse_mean();
    q.nmse_se = c.nmse_se();
    q.mse_std = c.mse_std();
    q.mse_ci_lo = c.mse_ci_lo();
    q.mse_ci_hi = c.mse_ci_hi();
    q.nmse_std = c.nmse_std();
    q.nmse_ci_lo = c.nmse_ci_lo();
    q.nmse_ci_hi = c.nmse_ci_hi();
    g.points.push_back(q);
  }
  return g;
}

}  // namespace sweep::wire
