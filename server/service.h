// SweepService: the thin gRPC adapter over Coordinator (docs/design.md section 1.3). Each handler
// converts the request with proto/convert, calls one Coordinator method and converts the
// answer back; no state, no SQL, no lease logic lives here. SubmitSweep parses and
// validates the sweep text on the server (common/spec), so that every client, including
// a hand-written one, gets the same INVALID_ARGUMENT.
//
// Thread-safe: the sync server calls handlers from many threads; Coordinator is
// thread-safe and this class has no mutable state.
#pragma once

#include <chrono>
#include <cstdint>

#include <string>

#include "common/spec/sweep_spec.h"
#include "server/coordinator.h"
#include "sweep/v1/sweep.grpc.pb.h"

namespace sweep::server {

// What Coordinator::Submit stores for a parsed sweep file: its name, jobs, max_attempts
// and text. SubmitSweep and the in-process `sweep local` (which parses the file once and
// submits it without the RPC) both build it here.
NewSweep NewSweepFromSpec(std::string request_id, spec::SweepSpec spec, bool use_cache);

struct ServiceOptions {
  int64_t max_jobs_per_sweep = 1'000'000;       // grid size limit passed to the spec parser
  std::chrono::milliseconds lease_ttl{30'000};  // told to workers at registration
};

// Not final: server/auth_service.h wraps every handler with the authentication and
// identity checks.
class SweepServiceImpl : public v1::SweepService::Service {
 public:
  SweepServiceImpl(Coordinator& coordinator, const ServiceOptions& options)
      : coordinator_(coordinator), options_(options) {}

  using Ctx = grpc::ServerContext;
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
  // Submit's and Extend's sweep file: the source name's limit, then ParseSweep with this
  // server's job limit (INVALID_ARGUMENT naming the field or file position).
  absl::StatusOr<spec::SweepSpec> ParseSpec(const std::string& text,
                                            const std::string& source_name) const;
  // ReportResult with `next` set: the report and the worker's next leases in one commit
  // (Coordinator::ReportAndLease).
  grpc::Status ReportWithNext(const v1::ReportResultRequest& req, v1::ReportResultResponse* resp);
  Coordinator& coordinator_;
  const ServiceOptions options_;
};

}  // namespace sweep::server
