// RpcBackend (see rpc_backend.h).
#include "client/rpc_backend.h"

#include <grpcpp/grpcpp.h>

#include "grpc/health/v1/health.grpc.pb.h"
#include "proto/convert.h"
#include "worker/coordinator_client.h"
#include "worker/rpc_deadline.h"

namespace sweep::client {

using wire::FromGrpcStatus;
using wire::FromProto;
using wire::ToProto;

namespace {

// One query call with the kQuery deadline, the status mapped back to absl.
template <typename Req, typename Resp, typename Method>
absl::Status Call(v1::SweepService::Stub& stub, Method method, const Req& req, Resp* resp) {
  grpc::ClientContext ctx;
  worker::SetDeadline(ctx, worker::RpcKind::kQuery);
  return FromGrpcStatus((stub.*method)(&ctx, req, resp));
}

}  // namespace

RpcBackend::RpcBackend(const std::string& coordinator)
    : channel_(worker::MakeChannel(coordinator)), stub_(v1::SweepService::NewStub(channel_)) {}

absl::StatusOr<SubmitReply> RpcBackend::Submit(const std::string& request_id,
                                               const std::string& text,
                                               const std::string& source_name, bool use_cache) {
  v1::SubmitSweepRequest req;
  req.set_request_id(request_id);
  req.set_spec_text(text);
  req.set_source_name(source_name);
  req.set_use_cache(use_cache);
  v1::SubmitSweepResponse resp;
  absl::Status s = Call(*stub_, &v1::SweepService::Stub::SubmitSweep, req, &resp);
  if (!s.ok()) return s;
  return SubmitReply{FromProto(resp), resp.name()};
}

absl::Status RpcBackend::Cancel(int64_t sweep_id) {
  v1::CancelSweepRequest req;
  req.set_sweep_id(sweep_id);
  v1::CancelSweepResponse resp;
  return Call(*stub_, &v1::SweepService::Stub::CancelSweep, req, &resp);
}

absl::StatusOr<bool> RpcBackend::Serving() {
  auto health = grpc::health::v1::Health::NewStub(channel_);
  grpc::ClientContext ctx;
  worker::SetDeadline(ctx, worker::RpcKind::kHeartbeat);
  grpc::health::v1::HealthCheckResponse resp;
  absl::Status s = FromGrpcStatus(health->Check(&ctx, grpc::health::v1::HealthCheckRequest(), &resp));
  if (!s.ok()) return s;
  return resp.status() == grpc::health::v1::HealthCheckResponse::SERVING;
}

absl::StatusOr<std::vector<storage::SweepSummary>> RpcBackend::ListSweeps() {
  v1::ListSweepsResponse resp;
  absl::Status s = Call(*stub_, &v1::SweepService::Stub::ListSweeps, v1::ListSweepsRequest(), &resp);
  if (!s.ok()) return s;
  std::vector<storage::SweepSummary> out;
  for (const auto& p : resp.sweeps()) out.push_back(FromProto(p));
  return out;
}

absl::StatusOr<storage::SweepSummary> RpcBackend::GetSweep(int64_t sweep_id) {
  v1::GetSweepRequest req;
  req.set_sweep_id(sweep_id);
  v1::GetSweepResponse resp;
  absl::Status s = Call(*stub_, &v1::SweepService::Stub::GetSweep, req, &resp);
  if (!s.ok()) return s;
  return FromProto(resp.sweep());
}

absl::StatusOr<std::vector<storage::JobRecord>> RpcBackend::ListJobs(
    int64_t sweep_id, std::optional<JobState> state) {
  v1::ListJobsRequest req;
  req.set_sweep_id(sweep_id);
  if (state) req.set_state(std::string(JobStateName(*state)));
  v1::ListJobsResponse resp;
  absl::Status s = Call(*stub_, &v1::SweepService::Stub::ListJobs, req, &resp);
  if (!s.ok()) return s;
  std::vector<storage::JobRecord> out;
  for (const auto& p : resp.jobs()) {
    absl::StatusOr<storage::JobRecord> j = FromProto(p);
    if (!j.ok()) return j.status();
    out.push_back(*std::move(j));
  }
  return out;
}

absl::StatusOr<std::vector<storage::ResultGroup>> RpcBackend::Results(
    const storage::ResultsQuery& q) {
  v1::GetResultsRequest req;
  *req.mutable_query() = ToProto(q);
  v1::GetResultsResponse resp;
  absl::Status s = Call(*stub_, &v1::SweepService::Stub::GetResults, req, &resp);
  if (!s.ok()) return s;
  std::vector<storage::ResultGroup> out;
  for (const auto& p : resp.groups()) out.push_back(FromProto(p));
  return out;
}

absl::StatusOr<std::vector<storage::CurveGroup>> RpcBackend::Curves(
    const storage::ResultsQuery& q) {
  v1::GetCurvesRequest req;
  *req.mutable_query() = ToProto(q);
  v1::GetCurvesResponse resp;
  absl::Status s = Call(*stub_, &v1::SweepService::Stub::GetCurves, req, &resp);
  if (!s.ok()) return s;
  std::vector<storage::CurveGroup> out;
  for (const auto& p : resp.groups()) out.push_back(FromProto(p));
  return out;
}

absl::StatusOr<std::vector<storage::WorkerRecord>> RpcBackend::ListWorkers() {
  v1::ListWorkersResponse resp;
  absl::Status s = Call(*stub_, &v1::SweepService::Stub::ListWorkers, v1::ListWorkersRequest(), &resp);
  if (!s.ok()) return s;
  std::vector<storage::WorkerRecord> out;
  for (const auto& p : resp.workers()) out.push_back(FromProto(p));
  return out;
}

}  // namespace sweep::client
