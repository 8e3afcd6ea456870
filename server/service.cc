// Handlers of SweepServiceImpl (see service.h): convert, call, convert back.
#include "server/service.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/limits.h"
#include "common/spec/sweep_spec.h"
#include "proto/convert.h"
#include "server/group_paging.h"
#include "server/paging.h"
#include "spdlog/spdlog.h"

namespace sweep::server {

NewSweep NewSweepFromSpec(std::string request_id, spec::SweepSpec spec, bool use_cache) {
  NewSweep sweep;
  sweep.request_id = std::move(request_id);
  sweep.name = std::move(spec.name);
  sweep.spec_text = std::move(spec.text);
  sweep.jobs = std::move(spec.jobs);
  sweep.use_cache = use_cache;
  sweep.max_attempts = spec.max_attempts;
  sweep.adaptive_seeds = spec.adaptive_seeds;
  return sweep;
}

using wire::FromProto;
using wire::ToGrpcStatus;
using wire::ToProto;

absl::StatusOr<spec::SweepSpec> SweepServiceImpl::ParseSpec(const std::string& text,
                                                            const std::string& source_name) const {
  // The name prefixes every error message: bounded before the parser quotes it.
  if (source_name.size() > limits::kMaxSourceNameBytes) {
    return absl::InvalidArgumentError(absl::StrCat("source_name: ", source_name.size(),
                                                   " bytes (the limit is ",
                                                   limits::kMaxSourceNameBytes, ")"));
  }
  return spec::ParseSweep(text, source_name, spec::SpecOptions{options_.max_jobs_per_sweep});
}

grpc::Status SweepServiceImpl::SubmitSweep(Ctx*, const v1::SubmitSweepRequest* req,
                                           v1::SubmitSweepResponse* resp) {
  if (req->request_id().empty()) {
    return ToGrpcStatus(absl::InvalidArgumentError("request_id: empty (send a fresh UUID)"));
  }
  absl::StatusOr<spec::SweepSpec> parsed = ParseSpec(req->spec_text(), req->source_name());
  if (!parsed.ok()) return ToGrpcStatus(parsed.status());
  NewSweep sweep = NewSweepFromSpec(req->request_id(), *std::move(parsed), req->use_cache());
  sweep.fail_fast = req->fail_fast();
  absl::StatusOr<SubmitOutcome> outcome = coordinator_.Submit(sweep);
  if (!outcome.ok()) return ToGrpcStatus(outcome.status());
  *resp = ToProto(*outcome);
  resp->set_name(sweep.name);
  return grpc::Status::OK;
}

grpc::Status SweepServiceImpl::RegisterWorker(Ctx*, const v1::RegisterWorkerRequest* req,
                                              v1::RegisterWorkerResponse* resp) {
  if (req->worker_id().empty()) {
    return ToGrpcStatus(absl::InvalidArgumentError("worker_id: empty"));
  }
  absl::Status s = coordinator_.RegisterWorker(FromProto(*req));
  resp->set_lease_ttl_ms(options_.lease_ttl.count());
  return ToGrpcStatus(s);
}

grpc::Status SweepServiceImpl::LeaseJob(Ctx* ctx, const v1::LeaseJobRequest* req,
                                        v1::LeaseJobResponse* resp) {
  // The coordinator caps the wait at max_lease_wait (15 s), below the client's 20 s
  // deadline; IsCancelled() ends the poll early when the worker went away.
  auto leases = coordinator_.LeaseBatch(
      req->worker_id(), std::chrono::milliseconds(req->wait_ms()),
      [ctx] { return ctx->IsCancelled(); }, wire::FitFromProto(*req),
      req->max_jobs() == 0 ? 1 : req->max_jobs());  // 0: a worker that predates max_jobs
  if (!leases.ok()) return ToGrpcStatus(leases.status());
  for (size_t i = 0; i < leases->size(); ++i) {
    *(i == 0 ? resp->mutable_lease() : resp->add_more()) = ToProto((*leases)[i]);
  }
  return grpc::Status::OK;
}

grpc::Status SweepServiceImpl::Heartbeat(Ctx*, const v1::HeartbeatRequest* req,
                                         v1::HeartbeatResponse* resp) {
  auto reply = coordinator_.Heartbeat(req->job_id(), req->attempt(), req->worker_id(),
                                      req->progress_step(), req->progress_total());
  if (!reply.ok()) return ToGrpcStatus(reply.status());
  resp->set_cancel_requested(reply->cancel_requested);
  resp->set_lease_expires_at_ms(ToUnixMillis(reply->lease_expires_at));
  return grpc::Status::OK;
}

grpc::Status SweepServiceImpl::ReportResult(Ctx*, const v1::ReportResultRequest* req,
                                            v1::ReportResultResponse* resp) {
  // Counted on the message, before FromProto copies the curves (common/input_checks.h
  // checks the rest on the converted report).
  const v1::JobResult& result = req->report().result();
  if (result.curve_size() > limits::kMaxCurvePoints) {
    return ToGrpcStatus(absl::ResourceExhaustedError(
        absl::StrCat("result.curve: ", result.curve_size(), " points (the limit is ",
                     limits::kMaxCurvePoints, ")")));
  }
  if (result.loss_curve_size() > limits::kMaxLossPoints) {
    return ToGrpcStatus(absl::ResourceExhaustedError(
        absl::StrCat("result.loss_curve: ", result.loss_curve_size(), " points (the limit is ",
                     limits::kMaxLossPoints, ")")));
  }
  if (!req->has_next()) {
    return ToGrpcStatus(
        coordinator_.Report(req->job_id(), req->attempt(), FromProto(req->report())));
  }
  return ReportWithNext(*req, resp);
}

grpc::Status SweepServiceImpl::ReportWithNext(const v1::ReportResultRequest& req,
                                              v1::ReportResultResponse* resp) {
  // The next lease goes to the reporting worker only (over AuthService, both ids are the
  // session's); checked before anything is written.
  const v1::LeaseJobRequest& next = req.next();
  if (!next.worker_id().empty() && next.worker_id() != req.report().worker_id()) {
    return ToGrpcStatus(absl::InvalidArgumentError(
        absl::StrCat("next.worker_id: \"", next.worker_id().substr(0, 64),
                     "\" is not the report's worker (leave it empty)")));
  }
  auto leases = coordinator_.ReportAndLease(
      req.job_id(), req.attempt(), FromProto(req.report()), wire::FitFromProto(next),
      next.max_jobs() == 0 ? 1 : next.max_jobs());  // 0: one, as LeaseJob reads it
  if (!leases.ok()) return ToGrpcStatus(leases.status());
  for (size_t i = 0; i < leases->size(); ++i) {
    *(i == 0 ? resp->mutable_lease() : resp->add_more()) = ToProto((*leases)[i]);
  }
  return grpc::Status::OK;
}

grpc::Status SweepServiceImpl::ReleaseJob(Ctx*, const v1::ReleaseJobRequest* req,
                                          v1::ReleaseJobResponse*) {
  return ToGrpcStatus(coordinator_.Release(req->job_id(), req->attempt(), req->worker_id()));
}

grpc::Status SweepServiceImpl::CancelSweep(Ctx*, const v1::CancelSweepRequest* req,
                                           v1::CancelSweepResponse*) {
  return ToGrpcStatus(coordinator_.Cancel(req->sweep_id()));
}

grpc::Status SweepServiceImpl::RetrySweep(Ctx*, const v1::RetrySweepRequest* req,
                                          v1::RetrySweepResponse* resp) {
  std::vector<FailureKind> kinds;
  for (const std::string& name : req->kinds()) {
    std::optional<FailureKind> kind = ParseFailureKind(name);
    if (!kind || *kind == FailureKind::kNone) {
      return ToGrpcStatus(absl::InvalidArgumentError(absl::StrCat(
          "kinds: unknown failure kind \"", name.substr(0, 64), "\" (expected error or lost)")));
    }
    kinds.push_back(*kind);
  }
  if (kinds.empty()) kinds = {FailureKind::kError, FailureKind::kLost};
  auto requeued = coordinator_.Retry(req->sweep_id(), kinds);
  if (!requeued.ok()) return ToGrpcStatus(requeued.status());
  resp->set_requeued(*requeued);
  return grpc::Status::OK;
}

grpc::Status SweepServiceImpl::ExtendSweep(Ctx*, const v1::ExtendSweepRequest* req,
                                           v1::ExtendSweepResponse* resp) {
  absl::StatusOr<spec::SweepSpec> parsed = ParseSpec(req->spec_text(), req->source_name());
  if (!parsed.ok()) return ToGrpcStatus(parsed.status());
  const NewSweep extension = NewSweepFromSpec("", *std::move(parsed), req->use_cache());
  absl::StatusOr<ExtendOutcome> out = coordinator_.Extend(req->sweep_id(), extension);
  if (!out.ok()) return ToGrpcStatus(out.status());
  resp->set_added(out->added);
  resp->set_cached(out->cached);
  return grpc::Status::OK;
}

grpc::Status SweepServiceImpl::ControlSweep(Ctx*, const v1::ControlSweepRequest* req,
                                            v1::ControlSweepResponse* resp) {
  static const std::pair<const char*, SweepAction> kActions[] = {
      {"pause", SweepAction::kPause}, {"resume", SweepAction::kResume}, {"stop", SweepAction::kStop}};
  for (const auto& [name, action] : kActions) {
    if (req->action() != name) continue;
    absl::StatusOr<int64_t> cancelled = coordinator_.Control(req->sweep_id(), action);
    if (!cancelled.ok()) return ToGrpcStatus(cancelled.status());
    resp->set_cancelled(*cancelled);
    return grpc::Status::OK;
  }
  return ToGrpcStatus(absl::InvalidArgumentError(
      absl::StrCat("action: unknown \"", req->action().substr(0, 64),
                   "\" (pause|resume|stop)")));
}

grpc::Status SweepServiceImpl::ListSweeps(Ctx*, const v1::ListSweepsRequest* req,
                                          v1::ListSweepsResponse* resp) {
  absl::StatusOr<int> page_size = PageSize(req->page_size());
  if (!page_size.ok()) return ToGrpcStatus(page_size.status());
  // Sweep ids are decimal keys, as job ids.
  absl::StatusOr<int64_t> after = ParseJobPageToken(req->page_token());
  if (!after.ok()) return ToGrpcStatus(after.status());
  auto sweeps = coordinator_.ListSweeps();
  if (!sweeps.ok()) return ToGrpcStatus(sweeps.status());
  std::erase_if(*sweeps, [&](const SweepSummary& s) { return s.sweep_id <= *after; });
  resp->set_next_page_token(FillPage(
      *sweeps, *page_size, [](const SweepSummary& s) { return ToProto(s); },
      [resp] { return resp->add_sweeps(); },
      [](const SweepSummary& s) { return std::to_string(s.sweep_id); }));
  return grpc::Status::OK;
}

grpc::Status SweepServiceImpl::GetSweep(Ctx*, const v1::GetSweepRequest* req,
                                        v1::GetSweepResponse* resp) {
  auto sweep = coordinator_.GetSweep(req->sweep_id());
  if (!sweep.ok()) return ToGrpcStatus(sweep.status());
  *resp->mutable_sweep() = ToProto(*sweep);
  return grpc::Status::OK;
}

grpc::Status SweepServiceImpl::GetAdaptiveCells(Ctx*, const v1::GetAdaptiveCellsRequest* req,
                                                v1::GetAdaptiveCellsResponse* resp) {
  absl::StatusOr<std::vector<AdaptiveCell>> cells = coordinator_.AdaptiveCells(req->sweep_id());
  if (!cells.ok()) return ToGrpcStatus(cells.status());
  // The cells a user waits on first; the reply stays far below the message limit.
  std::stable_partition(cells->begin(), cells->end(),
                        [](const AdaptiveCell& c) { return c.verdict != CellVerdict::kMet; });
  constexpr size_t kMaxReplyBytes = size_t{2} << 20;
  for (const AdaptiveCell& c : *cells) {
    if (resp->ByteSizeLong() + c.cell.size() + 64 > kMaxReplyBytes) {
      resp->set_omitted(resp->omitted() + 1);
      continue;
    }
    *resp->add_cells() = ToProto(c);
  }
  return grpc::Status::OK;
}

grpc::Status SweepServiceImpl::VerifySweep(Ctx*, const v1::VerifySweepRequest* req,
                                           v1::VerifySweepResponse* resp) {
  absl::StatusOr<VerifyOutcome> out =
      coordinator_.Verify(req->sweep_id(), req->sample(), req->seed());
  if (!out.ok()) return ToGrpcStatus(out.status());
  resp->set_verify_sweep_id(out->sweep_id);
  resp->set_cells(static_cast<int64_t>(out->pairs.size()));
  return grpc::Status::OK;
}

grpc::Status SweepServiceImpl::GetVerification(Ctx*, const v1::GetVerificationRequest* req,
                                               v1::GetVerificationResponse* resp) {
  absl::StatusOr<std::vector<VerifiedPair>> pairs =
      coordinator_.Verification(req->verify_sweep_id());
  if (!pairs.ok()) return ToGrpcStatus(pairs.status());
  for (const VerifiedPair& p : *pairs) *resp->add_pairs() = ToProto(p, limits::kMaxDiffsPerPair);
  return grpc::Status::OK;
}

grpc::Status SweepServiceImpl::ListJobs(Ctx*, const v1::ListJobsRequest* req,
                                        v1::ListJobsResponse* resp) {
  std::optional<JobState> state;
  if (!req->state().empty()) {
    state = ParseJobState(req->state());
    if (!state) {
      return ToGrpcStatus(absl::InvalidArgumentError(absl::StrCat(
          "state: unknown \"", req->state(), "\" (queued|running|succeeded|failed|cancelled)")));
    }
  }
  absl::StatusOr<int> page_size = PageSize(req->page_size());
  if (!page_size.ok()) return ToGrpcStatus(page_size.status());
  absl::StatusOr<int64_t> after = ParseJobPageToken(req->page_token());
  if (!after.ok()) return ToGrpcStatus(after.status());
  // One record more than the page holds tells whether another page follows.
  auto jobs = coordinator_.ListJobs(req->sweep_id(), state, *after, *page_size + 1);
  if (!jobs.ok()) return ToGrpcStatus(jobs.status());
  resp->set_next_page_token(FillPage(
      *jobs, *page_size, [](const JobRecord& j) { return ToProto(j); },
      [resp] { return resp->add_jobs(); },
      [](const JobRecord& j) { return std::to_string(j.job_id); }));
  return grpc::Status::OK;
}

grpc::Status SweepServiceImpl::GetResults(Ctx*, const v1::GetResultsRequest* req,
                                          v1::GetResultsResponse* resp) {
  absl::StatusOr<int> page_size = PageSize(req->page_size());
  if (!page_size.ok()) return ToGrpcStatus(page_size.status());
  auto after = ParseGroupPageToken(req->page_token());
  if (!after.ok()) return ToGrpcStatus(after.status());
  auto groups = coordinator_.Results(FromProto(req->query()));
  if (!groups.ok()) return ToGrpcStatus(groups.status());
  DropThrough(*groups, *after);
  resp->set_next_page_token(FillPage(
      *groups, *page_size, [](const ResultGroup& g) { return ToProto(g); },
      [resp] { return resp->add_groups(); },
      [](const ResultGroup& g) { return GroupPageToken(g.key); }));
  return grpc::Status::OK;
}

grpc::Status SweepServiceImpl::GetCurves(Ctx*, const v1::GetCurvesRequest* req,
                                         v1::GetCurvesResponse* resp) {
  absl::StatusOr<int> page_size = PageSize(req->page_size());
  if (!page_size.ok()) return ToGrpcStatus(page_size.status());
  auto after = ParseGroupPageToken(req->page_token());
  if (!after.ok()) return ToGrpcStatus(after.status());
  auto groups = coordinator_.Curves(FromProto(req->query()));
  if (!groups.ok()) return ToGrpcStatus(groups.status());
  DropThrough(*groups, *after);
  resp->set_next_page_token(FillPage(
      *groups, *page_size, [](const CurveGroup& g) { return ToProto(g); },
      [resp] { return resp->add_groups(); },
      [](const CurveGroup& g) { return GroupPageToken(g.key); }));
  return grpc::Status::OK;
}

grpc::Status SweepServiceImpl::ListWorkers(Ctx*, const v1::ListWorkersRequest* req,
                                           v1::ListWorkersResponse* resp) {
  absl::StatusOr<int> page_size = PageSize(req->page_size());
  if (!page_size.ok()) return ToGrpcStatus(page_size.status());
  auto workers = coordinator_.ListWorkers(req->page_token(), *page_size + 1);
  if (!workers.ok()) return ToGrpcStatus(workers.status());
  resp->set_next_page_token(FillPage(
      *workers, *page_size, [](const WorkerRecord& w) { return ToProto(w); },
      [resp] { return resp->add_workers(); }, [](const WorkerRecord& w) { return w.worker_id; }));
  return grpc::Status::OK;
}

grpc::Status SweepServiceImpl::PutCheckpoint(Ctx*, const v1::PutCheckpointRequest* req,
                                             v1::PutCheckpointResponse*) {
  return ToGrpcStatus(coordinator_.PutCheckpoint(FromProto(req->checkpoint())));
}

grpc::Status SweepServiceImpl::GetCheckpoint(Ctx*, const v1::GetCheckpointRequest* req,
                                             v1::GetCheckpointResponse* resp) {
  auto checkpoint = coordinator_.GetCheckpoint(req->training_hash());
  if (!checkpoint.ok()) return ToGrpcStatus(checkpoint.status());
  if (checkpoint->has_value()) *resp->mutable_checkpoint() = ToProto(**checkpoint);
  return grpc::Status::OK;
}

grpc::Status SweepServiceImpl::GetCheckpointForJob(Ctx*, const v1::GetCheckpointForJobRequest* req,
                                                   v1::GetCheckpointResponse* resp) {
  auto checkpoint = coordinator_.GetCheckpointForJob(req->job_id());
  if (!checkpoint.ok()) return ToGrpcStatus(checkpoint.status());
  if (checkpoint->has_value()) *resp->mutable_checkpoint() = ToProto(**checkpoint);
  return grpc::Status::OK;
}

grpc::Status SweepServiceImpl::ListCheckpoints(Ctx*, const v1::ListCheckpointsRequest* req,
                                               v1::ListCheckpointsResponse* resp) {
  std::optional<int64_t> sweep_id;
  if (req->has_sweep_id()) sweep_id = req->sweep_id();
  auto checkpoints = coordinator_.ListCheckpoints(sweep_id);
  if (!checkpoints.ok()) return ToGrpcStatus(checkpoints.status());
  for (const CheckpointRecord& c : *checkpoints) *resp->add_checkpoints() = ToProto(c);
  return grpc::Status::OK;
}

}  // namespace sweep::server
