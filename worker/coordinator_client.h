// CoordinatorClient: the worker's side of sweep.v1.SweepService, in domain types. One
// call per method, each with its deadline from rpc_deadline.h; no retries here (the
// worker loop decides what to retry). Thread-safe: gRPC stubs and channels are.
#pragma once

#include <grpcpp/channel.h>

#include <chrono>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>

#include "absl/status/statusor.h"
#include "server/coordinator.h"
#include "storage/records.h"
#include "sweep/v1/sweep.grpc.pb.h"

namespace sweep::worker {

// An insecure channel to HOST:PORT with keepalive every 60 s (20 s timeout), also with
// no call open (docs/design.md section 6.4).
std::shared_ptr<grpc::Channel> MakeChannel(const std::string& address);

// Whether a failed call may be retried with the same key: the coordinator is away or
// busy, or the outcome is unknown (DEADLINE_EXCEEDED may hide a success).
bool IsRetryable(const absl::Status& status);

class CoordinatorClient {
 public:
  explicit CoordinatorClient(std::shared_ptr<grpc::Channel> channel);

  // Returns the coordinator's lease ttl (heartbeat every ttl / 3).
  absl::StatusOr<std::chrono::milliseconds> Register(const server::WorkerHello& hello);
  // Long poll for up to `wait`; nullopt when none came. `stop` cancels the poll (CANCELLED).
  absl::StatusOr<std::optional<storage::Lease>> Lease(const std::string& worker_id,
                                                      std::chrono::milliseconds wait,
                                                      std::stop_token stop = {});
  absl::StatusOr<server::HeartbeatReply> Heartbeat(int64_t job_id, int attempt,
                                                   const std::string& worker_id, int64_t step,
                                                   int64_t total);
  absl::Status Report(int64_t job_id, int attempt, const storage::JobReport& report);
  absl::Status Release(int64_t job_id, int attempt, const std::string& worker_id);
  // Checkpoints by training hash (docs/design.md section 4.10); Get returns nullopt when
  // none is stored.
  absl::Status PutCheckpoint(const storage::CheckpointRecord& checkpoint);
  absl::StatusOr<std::optional<storage::CheckpointRecord>> GetCheckpoint(
      const std::string& training_hash);

 private:
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::SweepService::Stub> stub_;
};

}  // namespace sweep::worker
