// CoordinatorClient (see coordinator_client.h).
#include "worker/coordinator_client.h"

#include <grpcpp/grpcpp.h>

#include "proto/convert.h"
#include "worker/rpc_deadline.h"

namespace sweep::worker {

using wire::FromGrpcStatus;

std::shared_ptr<grpc::Channel> MakeChannel(const std::string& address) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 60'000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 20'000);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  // Reconnect quickly after a coordinator restart: the worker's own backoff paces retries.
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1'000);
  return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
}

bool IsRetryable(const absl::Status& status) {
  return absl::IsUnavailable(status) || absl::IsDeadlineExceeded(status) ||
         absl::IsResourceExhausted(status);
}

CoordinatorClient::CoordinatorClient(std::shared_ptr<grpc::Channel> channel)
    : channel_(std::move(channel)), stub_(v1::SweepService::NewStub(channel_)) {}

absl::StatusOr<std::chrono::milliseconds> CoordinatorClient::Register(
    const server::WorkerHello& hello) {
  grpc::ClientContext ctx;
  SetDeadline(ctx, RpcKind::kReport);
  v1::RegisterWorkerResponse resp;
  absl::Status s = FromGrpcStatus(stub_->RegisterWorker(&ctx, wire::ToProto(hello), &resp));
  if (!s.ok()) return s;
  return std::chrono::milliseconds(resp.lease_ttl_ms());
}

absl::StatusOr<std::optional<storage::Lease>> CoordinatorClient::Lease(
    const std::string& worker_id, std::chrono::milliseconds wait, std::stop_token stop) {
  grpc::ClientContext ctx;
  SetDeadline(ctx, RpcKind::kLeasePoll);
  std::stop_callback cancel(stop, [&ctx] { ctx.TryCancel(); });
  v1::LeaseJobRequest req;
  req.set_worker_id(worker_id);
  req.set_wait_ms(std::min(wait, kLeaseWait).count());
  v1::LeaseJobResponse resp;
  absl::Status s = FromGrpcStatus(stub_->LeaseJob(&ctx, req, &resp));
  if (!s.ok()) return s;
  if (!resp.has_lease()) return std::optional<storage::Lease>();
  return std::optional<storage::Lease>(wire::FromProto(resp.lease()));
}

absl::StatusOr<server::HeartbeatReply> CoordinatorClient::Heartbeat(int64_t job_id, int attempt,
                                                                    const std::string& worker_id,
                                                                    int64_t step, int64_t total) {
  grpc::ClientContext ctx;
  SetDeadline(ctx, RpcKind::kHeartbeat);
  v1::HeartbeatRequest req;
  req.set_job_id(job_id);
  req.set_attempt(attempt);
  req.set_worker_id(worker_id);
  req.set_progress_step(step);
  req.set_progress_total(total);
  v1::HeartbeatResponse resp;
  absl::Status s = FromGrpcStatus(stub_->Heartbeat(&ctx, req, &resp));
  if (!s.ok()) return s;
  return server::HeartbeatReply{resp.cancel_requested(),
                                FromUnixMillis(resp.lease_expires_at_ms())};
}

absl::Status CoordinatorClient::Report(int64_t job_id, int attempt,
                                       const storage::JobReport& report) {
  grpc::ClientContext ctx;
  SetDeadline(ctx, RpcKind::kReport);
  v1::ReportResultRequest req;
  req.set_job_id(job_id);
  req.set_attempt(attempt);
  *req.mutable_report() = wire::ToProto(report);
  v1::ReportResultResponse resp;
  return FromGrpcStatus(stub_->ReportResult(&ctx, req, &resp));
}

absl::Status CoordinatorClient::Release(int64_t job_id, int attempt, const std::string& worker_id) {
  grpc::ClientContext ctx;
  SetDeadline(ctx, RpcKind::kReport);
  v1::ReleaseJobRequest req;
  req.set_job_id(job_id);
  req.set_attempt(attempt);
  req.set_worker_id(worker_id);
  v1::ReleaseJobResponse resp;
  return FromGrpcStatus(stub_->ReleaseJob(&ctx, req, &resp));
}

absl::Status CoordinatorClient::PutCheckpoint(const storage::CheckpointRecord& checkpoint) {
  grpc::ClientContext ctx;
  SetDeadline(ctx, RpcKind::kReport);
  v1::PutCheckpointRequest req;
  *req.mutable_checkpoint() = wire::ToProto(checkpoint);
  v1::PutCheckpointResponse resp;
  return FromGrpcStatus(stub_->PutCheckpoint(&ctx, req, &resp));
}

absl::StatusOr<std::optional<storage::CheckpointRecord>> CoordinatorClient::GetCheckpoint(
    const std::string& training_hash) {
  grpc::ClientContext ctx;
  SetDeadline(ctx, RpcKind::kReport);
  v1::GetCheckpointRequest req;
  req.set_training_hash(training_hash);
  v1::GetCheckpointResponse resp;
  absl::Status s = FromGrpcStatus(stub_->GetCheckpoint(&ctx, req, &resp));
  if (!s.ok()) return s;
  if (!resp.has_checkpoint()) return std::optional<storage::CheckpointRecord>();
  return std::optional<storage::CheckpointRecord>(wire::FromProto(resp.checkpoint()));
}

}  // namespace sweep::worker
