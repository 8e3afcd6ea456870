// CoordinatorClient: the worker's side of sweep.v1.SweepService, in domain types. One
// call per method, each with its deadline from rpc/deadline.h; no retries here (the
// worker loop decides what to retry). The bearer token rides on the channel
// (rpc/channel.h); the session secret that RegisterWorker returns is kept here and sent
// as metadata `x-sweep-session` on every later call (docs/design.md section 6.5).
// Thread-safe: gRPC stubs and channels are, and the session is behind a mutex.
#pragma once

#include <grpcpp/channel.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "common/records.h"
#include "sweep/v1/sweep.grpc.pb.h"

namespace sweep::worker {

class CoordinatorClient {
 public:
  explicit CoordinatorClient(std::shared_ptr<grpc::Channel> channel);

  // Returns the coordinator's lease ttl (heartbeat every ttl / 3). Presents the current
  // session, if any, so that a re-registration keeps it; stores a new one if issued.
  absl::StatusOr<std::chrono::milliseconds> Register(const WorkerHello& hello);
  // Long poll for up to `wait`; nullopt when none came. `stop` cancels the poll (CANCELLED).
  // `fit`: the worker's free cores (LeaseFit); the coordinator grants only jobs that fit.
  absl::StatusOr<std::optional<sweep::Lease>> Lease(const std::string& worker_id,
                                                    std::chrono::milliseconds wait,
                                                    std::stop_token stop = {}, LeaseFit fit = {});
  // Up to `max_jobs` leases in one call (LeaseJobRequest.max_jobs), for a worker with
  // that many free slots; empty when none came. A coordinator that predates max_jobs
  // grants one.
  absl::StatusOr<std::vector<sweep::Lease>> LeaseMany(const std::string& worker_id,
                                                      std::chrono::milliseconds wait, int max_jobs,
                                                      std::stop_token stop = {}, LeaseFit fit = {});
  absl::StatusOr<HeartbeatReply> Heartbeat(int64_t job_id, int attempt,
                                           const std::string& worker_id, int64_t step,
                                           int64_t total);
  absl::Status Report(int64_t job_id, int attempt, const JobReport& report);
  // Report, asking in the same call for up to `max_jobs` (>= 1) next leases that fit `fit`
  // (ReportResultRequest.next, docs/design.md section 4.3). It never waits: the leases
  // granted, empty when none was ready (or from a coordinator that predates `next` and
  // ignores it). The status is the report's, as Report's.
  absl::StatusOr<std::vector<sweep::Lease>> ReportAndLease(int64_t job_id, int attempt,
                                                           const JobReport& report, int max_jobs,
                                                           const LeaseFit& fit = {});
  absl::Status Release(int64_t job_id, int attempt, const std::string& worker_id);
  // Checkpoints by training hash (docs/design.md section 4.10); Get returns nullopt
  // when none is stored.
  absl::Status PutCheckpoint(const CheckpointRecord& checkpoint);
  absl::StatusOr<std::optional<CheckpointRecord>> GetCheckpoint(const std::string& training_hash);

 private:
  // Adds the session metadata to a call.
  void AddSession(grpc::ClientContext& ctx);

  std::shared_ptr<grpc::Channel> channel_;
  std::mutex session_mu_;
  // Serialises registrations, so that slots re-registering together present the
  // session the first of them got instead of each replacing the other's.
  std::mutex register_mu_;
  std::string session_ ABSL_GUARDED_BY(session_mu_);
  std::unique_ptr<v1::SweepService::Stub> stub_;
};

}  // namespace sweep::worker
