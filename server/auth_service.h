// AuthService: SweepServiceImpl behind authentication and worker identity (docs/design.md
// section 6.5). Every handler first checks the caller's bearer token against the role
// the method needs (UNAUTHENTICATED for no token or an unknown one, PERMISSION_DENIED
// for the other role's token), then, for the worker's calls on a lease, derives the
// worker id from the session secret issued at RegisterWorker: a worker id in the
// request that disagrees is PERMISSION_DENIED, so no caller can act as another worker.
// PutCheckpoint is accepted only from the worker holding a lease on a job with that
// training hash. The health service (grpc.health.v1) is not behind any of this.
//
// Thread-safe: no mutable state; Coordinator is thread-safe.
#pragma once

#include <string>

#include "server/auth.h"
#include "server/service.h"

namespace sweep::server {

enum class Role { kClient, kWorker };

// The role each SweepService method needs; nullopt for a method this table lacks,
// which AuthService refuses (tests check that every method of the proto has a role).
std::optional<Role> RoleOf(const std::string& method);

class AuthService final : public SweepServiceImpl {
 public:
  AuthService(Coordinator& coordinator, const ServiceOptions& options, const ServerAuth& auth)
      : SweepServiceImpl(coordinator, options),
        coordinator_(coordinator),
        options_(options),
        auth_(auth) {}

  grpc::Status SubmitSweep(Ctx*, const v1::SubmitSweepRequest*, v1::SubmitSweepResponse*) override;
  grpc::Status RegisterWorker(Ctx*, const v1::RegisterWorkerRequest*,
                              v1::RegisterWorkerResponse*) override;
  grpc::Status LeaseJob(Ctx*, const v1::LeaseJobRequest*, v1::LeaseJobResponse*) override;
  grpc::Status Heartbeat(Ctx*, const v1::HeartbeatRequest*, v1::HeartbeatResponse*) override;
  grpc::Status ReportResult(Ctx*, const v1::ReportResultRequest*,
                            v1::ReportResultResponse*) override;
  grpc::Status ReleaseJob(Ctx*, const v1::ReleaseJobRequest*, v1::ReleaseJobResponse*) override;
  grpc::Status CancelSweep(Ctx*, const v1::CancelSweepRequest*, v1::CancelSweepResponse*) override;
  grpc::Status RetrySweep(Ctx*, const v1::RetrySweepRequest*, v1::RetrySweepResponse*) override;
  grpc::Status ControlSweep(Ctx*, const v1::ControlSweepRequest*,
                            v1::ControlSweepResponse*) override;
  grpc::Status ExtendSweep(Ctx*, const v1::ExtendSweepRequest*,
                           v1::ExtendSweepResponse*) override;
  grpc::Status ListSweeps(Ctx*, const v1::ListSweepsRequest*, v1::ListSweepsResponse*) override;
  grpc::Status GetSweep(Ctx*, const v1::GetSweepRequest*, v1::GetSweepResponse*) override;
  grpc::Status GetAdaptiveCells(Ctx*, const v1::GetAdaptiveCellsRequest*,
                                v1::GetAdaptiveCellsResponse*) override;
  grpc::Status VerifySweep(Ctx*, const v1::VerifySweepRequest*, v1::VerifySweepResponse*) override;
  grpc::Status GetVerification(Ctx*, const v1::GetVerificationRequest*,
                               v1::GetVerificationResponse*) override;
  grpc::Status ListJobs(Ctx*, const v1::ListJobsRequest*, v1::ListJobsResponse*) override;
  grpc::Status GetResults(Ctx*, const v1::GetResultsRequest*, v1::GetResultsResponse*) override;
  grpc::Status GetCurves(Ctx*, const v1::GetCurvesRequest*, v1::GetCurvesResponse*) override;
  grpc::Status ListWorkers(Ctx*, const v1::ListWorkersRequest*, v1::ListWorkersResponse*) override;
  grpc::Status PutCheckpoint(Ctx*, const v1::PutCheckpointRequest*,
                             v1::PutCheckpointResponse*) override;
  grpc::Status GetCheckpoint(Ctx*, const v1::GetCheckpointRequest*,
                             v1::GetCheckpointResponse*) override;
  grpc::Status GetCheckpointForJob(Ctx*, const v1::GetCheckpointForJobRequest*,
                                   v1::GetCheckpointResponse*) override;
  grpc::Status ListCheckpoints(Ctx*, const v1::ListCheckpointsRequest*,
                               v1::ListCheckpointsResponse*) override;

 private:
  // OK when the call's bearer token holds the role `method` needs.
  grpc::Status Authorize(Ctx* ctx, const char* method) const;
  // The worker id of the call's session; `claimed` (the request's worker id) must be it
  // or empty.
  grpc::Status Identify(Ctx* ctx, const std::string& claimed, std::string* worker) const;
  // With mutual TLS: `worker_id` must be the certificate's CN, or begin with CN + "-".
  grpc::Status MatchCertificate(Ctx* ctx, const std::string& worker_id) const;

  Coordinator& coordinator_;
  const ServiceOptions options_;
  const ServerAuth auth_;
};

}  // namespace sweep::server
