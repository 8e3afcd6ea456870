// RpcBackend (see rpc_backend.h).
#include "client/rpc_backend.h"

#include <grpcpp/grpcpp.h>

#include <thread>

#include "absl/strings/str_cat.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "proto/convert.h"
#include "rpc/backoff.h"
#include "rpc/channel.h"
#include "rpc/deadline.h"
#include "rpc/retry.h"

namespace sweep::client {

using wire::FromGrpcStatus;
using wire::FromProto;
using wire::ToProto;

namespace {

// One query call with the kQuery deadline, the status mapped back to absl. An
// unreachable coordinator is named, so the user sees which address was tried.
template <typename Req, typename Resp, typename Method>
absl::Status Call(v1::SweepService::Stub& stub, Method method, const Req& req, Resp* resp,
                  const std::string& address) {
  grpc::ClientContext ctx;
  rpc::SetDeadline(ctx, rpc::RpcKind::kQuery);
  absl::Status s = FromGrpcStatus((stub.*method)(&ctx, req, resp));
  if (absl::IsUnavailable(s) || absl::IsDeadlineExceeded(s)) {
    return absl::Status(s.code(), absl::StrCat("coordinator ", address, " (--coordinator or ",
                                               "SWEEP_COORDINATOR): ", std::string(s.message())));
  }
  if (absl::IsUnauthenticated(s)) {  // README.md "Security"
    return absl::Status(s.code(), absl::StrCat(s.message(), " (give the client token: --token-file",
                                               " PATH, SWEEP_TOKEN or SWEEP_TOKEN_FILE)"));
  }
  return s;
}

constexpr int kSubmitAttempts = 4;

}  // namespace

RpcBackend::RpcBackend(const std::string& coordinator, const rpc::ChannelAuth& auth)
    : address_(coordinator),
      channel_(rpc::MakeChannel(coordinator, auth)),
      stub_(v1::SweepService::NewStub(channel_)) {}

absl::StatusOr<SubmitReply> RpcBackend::Submit(const std::string& request_id,
                                               const std::string& text,
                                               const std::string& source_name, bool use_cache,
                                               bool fail_fast) {
  v1::SubmitSweepRequest req;
  req.set_request_id(request_id);
  req.set_spec_text(text);
  req.set_source_name(source_name);
  req.set_use_cache(use_cache);
  req.set_fail_fast(fail_fast);
  v1::SubmitSweepResponse resp;
  // The request id makes a retry safe: a submit that did reach the server before the
  // connection broke returns its first outcome (existing = true), not a second sweep.
  rpc::Backoff backoff(
      rpc::BackoffOptions{std::chrono::milliseconds(200), std::chrono::milliseconds(2'000)});
  absl::Status s;
  for (int attempt = 0; attempt < kSubmitAttempts; ++attempt) {
    s = Call(*stub_, &v1::SweepService::Stub::SubmitSweep, req, &resp, address_);
    if (!rpc::IsRetryable(s)) break;
    std::this_thread::sleep_for(backoff.Next());
  }
  if (!s.ok()) return s;
  return SubmitReply{FromProto(resp), resp.name()};
}

absl::Status RpcBackend::Cancel(int64_t sweep_id) {
  v1::CancelSweepRequest req;
  req.set_sweep_id(sweep_id);
  v1::CancelSweepResponse resp;
  return Call(*stub_, &v1::SweepService::Stub::CancelSweep, req, &resp, address_);
}

absl::StatusOr<int64_t> RpcBackend::Control(int64_t sweep_id, const std::string& action) {
  v1::ControlSweepRequest req;
  req.set_sweep_id(sweep_id);
  req.set_action(action);
  v1::ControlSweepResponse resp;
  absl::Status s = Call(*stub_, &v1::SweepService::Stub::ControlSweep, req, &resp, address_);
  if (!s.ok()) return s;
  return resp.cancelled();
}

absl::StatusOr<ExtendOutcome> RpcBackend::Extend(int64_t sweep_id, const std::string& text,
                                                 const std::string& source_name, bool use_cache) {
  v1::ExtendSweepRequest req;
  req.set_sweep_id(sweep_id);
  req.set_spec_text(text);
  req.set_source_name(source_name);
  req.set_use_cache(use_cache);
  v1::ExtendSweepResponse resp;
  absl::Status s = Call(*stub_, &v1::SweepService::Stub::ExtendSweep, req, &resp, address_);
  if (!s.ok()) return s;
  return ExtendOutcome{resp.added(), resp.cached()};
}

absl::StatusOr<int64_t> RpcBackend::Retry(int64_t sweep_id, const std::vector<std::string>& kinds) {
  v1::RetrySweepRequest req;
  req.set_sweep_id(sweep_id);
  for (const std::string& k : kinds) req.add_kinds(k);
  v1::RetrySweepResponse resp;
  absl::Status s = Call(*stub_, &v1::SweepService::Stub::RetrySweep, req, &resp, address_);
  if (!s.ok()) return s;
  return resp.requeued();
}

absl::StatusOr<bool> RpcBackend::Serving() {
  auto health = grpc::health::v1::Health::NewStub(channel_);
  grpc::ClientContext ctx;
  rpc::SetDeadline(ctx, rpc::RpcKind::kHeartbeat);
  grpc::health::v1::HealthCheckResponse resp;
  absl::Status s =
      FromGrpcStatus(health->Check(&ctx, grpc::health::v1::HealthCheckRequest(), &resp));
  if (!s.ok()) return s;
  return resp.status() == grpc::health::v1::HealthCheckResponse::SERVING;
}

absl::StatusOr<std::vector<SweepSummary>> RpcBackend::ListSweeps() {
  v1::ListSweepsRequest req;
  std::vector<SweepSummary> out;
  // Paged like ListJobs (docs/limits.md); follow the pages to the end.
  do {
    v1::ListSweepsResponse resp;
    absl::Status s = Call(*stub_, &v1::SweepService::Stub::ListSweeps, req, &resp, address_);
    if (!s.ok()) return s;
    for (const auto& p : resp.sweeps()) out.push_back(FromProto(p));
    req.set_page_token(resp.next_page_token());
  } while (!req.page_token().empty());
  return out;
}

absl::StatusOr<SweepSummary> RpcBackend::GetSweep(int64_t sweep_id) {
  v1::GetSweepRequest req;
  req.set_sweep_id(sweep_id);
  v1::GetSweepResponse resp;
  absl::Status s = Call(*stub_, &v1::SweepService::Stub::GetSweep, req, &resp, address_);
  if (!s.ok()) return s;
  return FromProto(resp.sweep());
}

absl::StatusOr<std::vector<VerifiedPair>> RpcBackend::Verification(int64_t verify_sweep_id) {
  v1::GetVerificationRequest req;
  req.set_verify_sweep_id(verify_sweep_id);
  v1::GetVerificationResponse resp;
  absl::Status s = Call(*stub_, &v1::SweepService::Stub::GetVerification, req, &resp, address_);
  if (!s.ok()) return s;
  std::vector<VerifiedPair> out;
  for (const v1::VerifiedPair& p : resp.pairs()) out.push_back(FromProto(p));
  return out;
}

absl::StatusOr<std::pair<int64_t, int64_t>> RpcBackend::Verify(int64_t sweep_id, int64_t sample,
                                                               uint64_t seed) {
  v1::VerifySweepRequest req;
  req.set_sweep_id(sweep_id);
  req.set_sample(sample);
  req.set_seed(seed);
  v1::VerifySweepResponse resp;
  absl::Status s = Call(*stub_, &v1::SweepService::Stub::VerifySweep, req, &resp, address_);
  if (!s.ok()) return s;
  return std::make_pair(resp.verify_sweep_id(), resp.cells());
}

absl::StatusOr<AdaptiveCellList> RpcBackend::AdaptiveCells(int64_t sweep_id) {
  v1::GetAdaptiveCellsRequest req;
  req.set_sweep_id(sweep_id);
  v1::GetAdaptiveCellsResponse resp;
  absl::Status s =
      Call(*stub_, &v1::SweepService::Stub::GetAdaptiveCells, req, &resp, address_);
  if (!s.ok()) return s;
  AdaptiveCellList out;
  for (const v1::AdaptiveCell& c : resp.cells()) out.cells.push_back(FromProto(c));
  out.omitted = resp.omitted();
  return out;
}

absl::StatusOr<std::vector<JobRecord>> RpcBackend::ListJobs(int64_t sweep_id,
                                                            std::optional<JobState> state) {
  v1::ListJobsRequest req;
  req.set_sweep_id(sweep_id);
  if (state) req.set_state(std::string(JobStateName(*state)));
  std::vector<JobRecord> out;
  // The server pages its reply (docs/limits.md); follow the pages to the end.
  do {
    v1::ListJobsResponse resp;
    absl::Status s = Call(*stub_, &v1::SweepService::Stub::ListJobs, req, &resp, address_);
    if (!s.ok()) return s;
    for (const auto& p : resp.jobs()) {
      absl::StatusOr<JobRecord> j = FromProto(p);
      if (!j.ok()) return j.status();
      out.push_back(*std::move(j));
    }
    req.set_page_token(resp.next_page_token());
  } while (!req.page_token().empty());
  return out;
}

absl::StatusOr<std::vector<ResultGroup>> RpcBackend::Results(const ResultsQuery& q) {
  v1::GetResultsRequest req;
  *req.mutable_query() = ToProto(q);
  std::vector<ResultGroup> out;
  do {
    v1::GetResultsResponse resp;
    absl::Status s = Call(*stub_, &v1::SweepService::Stub::GetResults, req, &resp, address_);
    if (!s.ok()) return s;
    for (const auto& p : resp.groups()) out.push_back(FromProto(p));
    req.set_page_token(resp.next_page_token());
  } while (!req.page_token().empty());
  return out;
}

absl::StatusOr<std::vector<CurveGroup>> RpcBackend::Curves(const ResultsQuery& q) {
  v1::GetCurvesRequest req;
  *req.mutable_query() = ToProto(q);
  std::vector<CurveGroup> out;
  do {
    v1::GetCurvesResponse resp;
    absl::Status s = Call(*stub_, &v1::SweepService::Stub::GetCurves, req, &resp, address_);
    if (!s.ok()) return s;
    for (const auto& p : resp.groups()) out.push_back(FromProto(p));
    req.set_page_token(resp.next_page_token());
  } while (!req.page_token().empty());
  return out;
}

absl::StatusOr<std::vector<WorkerRecord>> RpcBackend::ListWorkers() {
  v1::ListWorkersRequest req;
  std::vector<WorkerRecord> out;
  do {
    v1::ListWorkersResponse resp;
    absl::Status s = Call(*stub_, &v1::SweepService::Stub::ListWorkers, req, &resp, address_);
    if (!s.ok()) return s;
    for (const auto& p : resp.workers()) out.push_back(FromProto(p));
    req.set_page_token(resp.next_page_token());
  } while (!req.page_token().empty());
  return out;
}

absl::StatusOr<std::vector<CheckpointRecord>> RpcBackend::ListCheckpoints(
    std::optional<int64_t> sweep_id) {
  v1::ListCheckpointsRequest req;
  if (sweep_id) req.set_sweep_id(*sweep_id);
  v1::ListCheckpointsResponse resp;
  absl::Status s = Call(*stub_, &v1::SweepService::Stub::ListCheckpoints, req, &resp, address_);
  if (!s.ok()) return s;
  std::vector<CheckpointRecord> out;
  for (const auto& p : resp.checkpoints()) out.push_back(FromProto(p));
  return out;
}

absl::StatusOr<std::optional<CheckpointRecord>> RpcBackend::GetCheckpointForJob(int64_t job_id) {
  v1::GetCheckpointForJobRequest req;
  req.set_job_id(job_id);
  v1::GetCheckpointResponse resp;
  absl::Status s = Call(*stub_, &v1::SweepService::Stub::GetCheckpointForJob, req, &resp, address_);
  if (!s.ok()) return s;
  if (!resp.has_checkpoint()) return std::optional<CheckpointRecord>();
  return std::optional<CheckpointRecord>(FromProto(resp.checkpoint()));
}

}  // namespace sweep::client
