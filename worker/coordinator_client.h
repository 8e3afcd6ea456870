// CoordinatorClient: the worker's side of sweep.v1.SweepService, in domain types. One
// call per method, each with its deadline from rpc/deadline.h; no retries here (the
// worker loop decides what to retry). Thread-safe: gRPC stubs and channels are.
#pragma once

#include <grpcpp/channel.h>

#include <chrono>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>

#include "absl/status/statusor.h"
#include "common/records.h"
#include "sweep/v1/sweep.grpc.pb.h"

namespace sweep::worker {

class CoordinatorClient {
 public:
  explicit CoordinatorClient(std::shared_ptr<grpc::Channel> channel);

  // Returns the coordinator's lease ttl (heartbeat every ttl / 3).
  absl::StatusOr<std::chrono::milliseconds> Register(const WorkerHello& hello);
  // Long poll for up to `wait`; nullopt when none came. `stop` cancels the poll (CANCELLED).
  // `fit`: the worker's free cores (LeaseFit); the coordinator grants only jobs that fit.
  absl::StatusOr<std::optional<sweep::Lease>> Lease(const std::string& worker_id,
                                                    std::chrono::milliseconds wait,
                                                    std::stop_token stop = {}, LeaseFit fit = {});
  absl::StatusOr<HeartbeatReply> Heartbeat(int64_t job_id, int attempt,
                                           const std::string& worker_id, int64_t step,
                                           int64_t total);
  absl::Status Report(int64_t job_id, int attempt, const JobReport& report);
  absl::Status Release(int64_t job_id, int attempt, const std::string& worker_id);
  // Checkpoints by training hash (docs/design.md section 4.10); Get returns nullopt
  // when none is stored.
  absl::Status PutCheckpoint(const CheckpointRecord& checkpoint);
  absl::StatusOr<std::optional<CheckpointRecord>> GetCheckpoint(const std::string& training_hash);

 private:
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::SweepService::Stub> stub_;
};

}  // namespace sweep::worker
