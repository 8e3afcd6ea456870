// CoordinatorClient (see coordinator_client.h).
#include "worker/coordinator_client.h"

#include <grpcpp/grpcpp.h>

#include "common/status.h"
#include "proto/convert.h"
#include "rpc/deadline.h"

namespace sweep::worker {
namespace {

// The metadata key of the session secret (server/auth.h, which the worker may not include).
constexpr char kSessionKey[] = "x-sweep-session";

// The leases of a LeaseJob or ReportResult reply (`lease`, then `more`). Never more than
// asked for (max_jobs 0 is one), whatever the reply says: each lease takes a slot.
template <typename Reply>
std::vector<sweep::Lease> LeasesOf(const Reply& resp, int max_jobs) {
  std::vector<sweep::Lease> out;
  if (!resp.has_lease()) return out;
  out.push_back(wire::FromProto(resp.lease()));
  for (const v1::Lease& l : resp.more()) {
    if (static_cast<int>(out.size()) >= max_jobs) break;
    out.push_back(wire::FromProto(l));
  }
  return out;
}

// What a lease request says about the worker: its id, how many jobs it takes and what
// fits (cores, executables). Shared by LeaseJob and the lease inside a report.
void FillLeaseRequest(const std::string& worker_id, int max_jobs, const LeaseFit& fit,
                      v1::LeaseJobRequest& req) {
  req.set_worker_id(worker_id);
  req.set_max_jobs(max_jobs);
  req.set_free_cores(fit.free_cores);
  req.set_total_cores(fit.total_cores);
  for (const std::string& name : fit.exec_names) req.add_exec_names(name);
}

v1::ReportResultRequest ReportRequest(int64_t job_id, int attempt, const JobReport& report) {
  v1::ReportResultRequest req;
  req.set_job_id(job_id);
  req.set_attempt(attempt);
  *req.mutable_report() = wire::ToProto(report);
  return req;
}

}  // namespace

using wire::FromGrpcStatus;

CoordinatorClient::CoordinatorClient(std::shared_ptr<grpc::Channel> channel)
    : channel_(std::move(channel)), stub_(v1::SweepService::NewStub(channel_)) {}

void CoordinatorClient::AddSession(grpc::ClientContext& ctx) {
  std::lock_guard lock(session_mu_);
  if (!session_.empty()) ctx.AddMetadata(kSessionKey, session_);
}

absl::StatusOr<std::chrono::milliseconds> CoordinatorClient::Register(const WorkerHello& hello) {
  std::lock_guard registering(register_mu_);
  grpc::ClientContext ctx;
  rpc::SetDeadline(ctx, rpc::RpcKind::kReport);
  AddSession(ctx);
  v1::RegisterWorkerResponse resp;
  absl::Status s = FromGrpcStatus(stub_->RegisterWorker(&ctx, wire::ToProto(hello), &resp));
  if (!s.ok()) return s;
  if (!resp.session_secret().empty()) {
    std::lock_guard lock(session_mu_);
    session_ = resp.session_secret();
  }
  return std::chrono::milliseconds(resp.lease_ttl_ms());
}

absl::StatusOr<std::optional<sweep::Lease>> CoordinatorClient::Lease(const std::string& worker_id,
                                                                     std::chrono::milliseconds wait,
                                                                     std::stop_token stop,
                                                                     LeaseFit fit) {
  // max_jobs 0 is the field left out: the old-style request, answered with one lease.
  SWEEP_ASSIGN_OR_RETURN(std::vector<sweep::Lease> leases,
                         LeaseMany(worker_id, wait, /*max_jobs=*/0, stop, fit));
  if (leases.empty()) return std::optional<sweep::Lease>();
  return std::optional<sweep::Lease>(std::move(leases.front()));
}

absl::StatusOr<std::vector<sweep::Lease>> CoordinatorClient::LeaseMany(
    const std::string& worker_id, std::chrono::milliseconds wait, int max_jobs,
    std::stop_token stop, LeaseFit fit) {
  grpc::ClientContext ctx;
  rpc::SetDeadline(ctx, rpc::RpcKind::kLeasePoll);
  AddSession(ctx);
  std::stop_callback cancel(stop, [&ctx] { ctx.TryCancel(); });
  v1::LeaseJobRequest req;
  FillLeaseRequest(worker_id, max_jobs, fit, req);
  req.set_wait_ms(std::min(wait, rpc::kLeaseWait).count());
  v1::LeaseJobResponse resp;
  absl::Status s = FromGrpcStatus(stub_->LeaseJob(&ctx, req, &resp));
  if (!s.ok()) return s;
  return LeasesOf(resp, max_jobs);
}

absl::StatusOr<HeartbeatReply> CoordinatorClient::Heartbeat(int64_t job_id, int attempt,
                                                            const std::string& worker_id,
                                                            int64_t step, int64_t total) {
  grpc::ClientContext ctx;
  rpc::SetDeadline(ctx, rpc::RpcKind::kHeartbeat);
  AddSession(ctx);
  v1::HeartbeatRequest req;
  req.set_job_id(job_id);
  req.set_attempt(attempt);
  req.set_worker_id(worker_id);
  req.set_progress_step(step);
  req.set_progress_total(total);
  v1::HeartbeatResponse resp;
  absl::Status s = FromGrpcStatus(stub_->Heartbeat(&ctx, req, &resp));
  if (!s.ok()) return s;
  return HeartbeatReply{resp.cancel_requested(), FromUnixMillis(resp.lease_expires_at_ms())};
}

absl::Status CoordinatorClient::Report(int64_t job_id, int attempt, const JobReport& report) {
  grpc::ClientContext ctx;
  rpc::SetDeadline(ctx, rpc::RpcKind::kReport);
  AddSession(ctx);
  const v1::ReportResultRequest req = ReportRequest(job_id, attempt, report);
  v1::ReportResultResponse resp;
  return FromGrpcStatus(stub_->ReportResult(&ctx, req, &resp));
}

absl::StatusOr<std::vector<sweep::Lease>> CoordinatorClient::ReportAndLease(
    int64_t job_id, int attempt, const JobReport& report, int max_jobs, const LeaseFit& fit) {
  grpc::ClientContext ctx;
  rpc::SetDeadline(ctx, rpc::RpcKind::kReport);
  AddSession(ctx);
  v1::ReportResultRequest req = ReportRequest(job_id, attempt, report);
  FillLeaseRequest(report.worker_id, max_jobs, fit, *req.mutable_next());
  v1::ReportResultResponse resp;
  absl::Status s = FromGrpcStatus(stub_->ReportResult(&ctx, req, &resp));
  if (!s.ok()) return s;
  return LeasesOf(resp, max_jobs);
}

absl::Status CoordinatorClient::Release(int64_t job_id, int attempt, const std::string& worker_id) {
  grpc::ClientContext ctx;
  rpc::SetDeadline(ctx, rpc::RpcKind::kReport);
  AddSession(ctx);
  v1::ReleaseJobRequest req;
  req.set_job_id(job_id);
  req.set_attempt(attempt);
  req.set_worker_id(worker_id);
  v1::ReleaseJobResponse resp;
  return FromGrpcStatus(stub_->ReleaseJob(&ctx, req, &resp));
}

absl::Status CoordinatorClient::PutCheckpoint(const CheckpointRecord& checkpoint) {
  grpc::ClientContext ctx;
  rpc::SetDeadline(ctx, rpc::RpcKind::kReport);
  AddSession(ctx);
  v1::PutCheckpointRequest req;
  *req.mutable_checkpoint() = wire::ToProto(checkpoint);
  v1::PutCheckpointResponse resp;
  return FromGrpcStatus(stub_->PutCheckpoint(&ctx, req, &resp));
}

absl::StatusOr<std::optional<CheckpointRecord>> CoordinatorClient::GetCheckpoint(
    const std::string& training_hash) {
  grpc::ClientContext ctx;
  rpc::SetDeadline(ctx, rpc::RpcKind::kReport);
  v1::GetCheckpointRequest req;
  req.set_training_hash(training_hash);
  v1::GetCheckpointResponse resp;
  absl::Status s = FromGrpcStatus(stub_->GetCheckpoint(&ctx, req, &resp));
  if (!s.ok()) return s;
  if (!resp.has_checkpoint()) return std::optional<CheckpointRecord>();
  return std::optional<CheckpointRecord>(wire::FromProto(resp.checkpoint()));
}

}  // namespace sweep::worker
