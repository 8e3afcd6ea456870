// The one place that sees both the wire types (sweep/v1/sweep.pb.h) and the domain types
// (common/, storage/records.h, server/coordinator.h structs): docs/design.md section 1.3. Every
// other file works with domain types only. Each pair has a round-trip test
// (FromProto(ToProto(x)) == x) in convert_test.cc, among the tests of proto/.
//
// Times travel as unix milliseconds, states as their stable names, doubles as doubles
// (NaN and +-Inf survive). Stateless; thread-safe.
#pragma once

#include <grpcpp/support/status.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/job_result.h"
#include "server/coordinator.h"
#include "storage/records.h"
#include "sweep/v1/sweep.pb.h"

namespace sweep::wire {

// absl and gRPC share status codes, so the code and message cross unchanged.
grpc::Status ToGrpcStatus(const absl::Status& status);
absl::Status FromGrpcStatus(const grpc::Status& status);

v1::JobResult ToProto(const JobResult& r);
JobResult FromProto(const v1::JobResult& p);

v1::JobReport ToProto(const storage::JobReport& r);
storage::JobReport FromProto(const v1::JobReport& p);

v1::Lease ToProto(const storage::Lease& l);
storage::Lease FromProto(const v1::Lease& p);

v1::SweepSummary ToProto(const storage::SweepSummary& s);
storage::SweepSummary FromProto(const v1::SweepSummary& p);

// INVALID_ARGUMENT for an unknown state or failure name (a newer server).
v1::JobRecord ToProto(const storage::JobRecord& j);
absl::StatusOr<storage::JobRecord> FromProto(const v1::JobRecord& p);

v1::WorkerRecord ToProto(const storage::WorkerRecord& w);
storage::WorkerRecord FromProto(const v1::WorkerRecord& p);

v1::ResultsQuery ToProto(const storage::ResultsQuery& q);
storage::ResultsQuery FromProto(const v1::ResultsQuery& p);

v1::ResultGroup ToProto(const storage::ResultGroup& g);
storage::ResultGroup FromProto(const v1::ResultGroup& p);

v1::CurveGroup ToProto(const storage::CurveGroup& g);
storage::CurveGroup FromProto(const v1::CurveGroup& p);

v1::SubmitSweepResponse ToProto(const storage::SubmitOutcome& o);
storage::SubmitOutcome FromProto(const v1::SubmitSweepResponse& p);

v1::Checkpoint ToProto(const storage::CheckpointRecord& c);
storage::CheckpointRecord FromProto(const v1::Checkpoint& p);

v1::RegisterWorkerRequest ToProto(const server::WorkerHello& h);
server::WorkerHello FromProto(const v1::RegisterWorkerRequest& p);

}  // namespace sweep::wire
