// RpcBackend: the client's side of sweep.v1.SweepService. The query methods implement
// Backend; Submit and Cancel exist only here (a results file is read-only). Every call
// has its deadline from rpc/deadline.h. Thread-safe (gRPC stubs are).
#pragma once

#include <grpcpp/channel.h>

#include <memory>
#include <string>

#include "client/backend.h"
#include "rpc/channel.h"
#include "sweep/v1/sweep.grpc.pb.h"

namespace sweep::client {

struct SubmitReply {
  SubmitOutcome outcome;
  std::string name;
};

class RpcBackend final : public Backend {
 public:
  // `auth`: the client token and TLS files (docs/design.md section 6.5).
  RpcBackend(const std::string& coordinator, const rpc::ChannelAuth& auth);

  // Sends the sweep text; the server validates it (INVALID_ARGUMENT with the message).
  absl::StatusOr<SubmitReply> Submit(const std::string& request_id, const std::string& text,
                                     const std::string& source_name, bool use_cache,
                                     bool fail_fast = false);
  absl::Status Cancel(int64_t sweep_id);
  // `sweep pause|resume|stop` ("pause", "resume", "stop"): returns the queued jobs a
  // stop cancelled.
  absl::StatusOr<int64_t> Control(int64_t sweep_id, const std::string& action);
  // `sweep extend`: adds the file's cells the sweep lacks.
  absl::StatusOr<ExtendOutcome> Extend(int64_t sweep_id, const std::string& text,
                                       const std::string& source_name, bool use_cache);
  // Requeues the sweep's failed jobs of `kinds` ("error", "lost"; empty: both); returns
  // how many.
  absl::StatusOr<int64_t> Retry(int64_t sweep_id, const std::vector<std::string>& kinds);
  // grpc.health.v1 Check of the whole server: true for SERVING.
  absl::StatusOr<bool> Serving();

  absl::StatusOr<std::vector<SweepSummary>> ListSweeps() override;
  absl::StatusOr<SweepSummary> GetSweep(int64_t sweep_id) override;
  absl::StatusOr<AdaptiveCellList> AdaptiveCells(int64_t sweep_id) override;
  absl::StatusOr<std::vector<VerifiedPair>> Verification(int64_t verify_sweep_id) override;
  // `sweep verify`: starts a verification sweep; returns its id and cell count.
  absl::StatusOr<std::pair<int64_t, int64_t>> Verify(int64_t sweep_id, int64_t sample,
                                                     uint64_t seed);
  absl::StatusOr<std::vector<JobRecord>> ListJobs(int64_t sweep_id,
                                                  std::optional<JobState> state) override;
  absl::StatusOr<std::vector<ResultGroup>> Results(const ResultsQuery& q) override;
  absl::StatusOr<std::vector<CurveGroup>> Curves(const ResultsQuery& q) override;
  absl::StatusOr<std::vector<WorkerRecord>> ListWorkers() override;
  absl::StatusOr<std::vector<CheckpointRecord>> ListCheckpoints(
      std::optional<int64_t> sweep_id) override;
  absl::StatusOr<std::optional<CheckpointRecord>> GetCheckpointForJob(int64_t job_id) override;

 private:
  std::string address_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::SweepService::Stub> stub_;
};

}  // namespace sweep::client
