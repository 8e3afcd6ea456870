// The one place that sees both the wire types (sweep/v1/sweep.pb.h) and the domain types
// (common/: JobConfig, JobResult and the records of common/records.h): docs/design.md section 1.3.
// Every other file works with domain types only. Each pair has a round-trip test
// (FromProto(ToProto(x)) == x) in tests/proto/convert_test.cc.
//
// Times travel as unix milliseconds, states as their stable names, doubles as doubles
// (NaN and +-Inf survive). Stateless; thread-safe.
#pragma once

#include <grpcpp/support/status.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/job_result.h"
#include "common/records.h"
#include "sweep/v1/sweep.pb.h"

namespace sweep::wire {

// absl and gRPC share status codes, so the code and message cross unchanged.
grpc::Status ToGrpcStatus(const absl::Status& status);
absl::Status FromGrpcStatus(const grpc::Status& status);

v1::JobResult ToProto(const JobResult& r);
JobResult FromProto(const v1::JobResult& p);

v1::JobReport ToProto(const JobReport& r);
JobReport FromProto(const v1::JobReport& p);

v1::Lease ToProto(const sweep::Lease& l);

// What a lease request can take (the worker's free cores and exec names).
LeaseFit FitFromProto(const v1::LeaseJobRequest& p);
sweep::Lease FromProto(const v1::Lease& p);

v1::SweepSummary ToProto(const SweepSummary& s);
SweepSummary FromProto(const v1::SweepSummary& p);
// A verified pair with at most `max_diffs` of its differing metrics (diffs_total counts all).
v1::VerifiedPair ToProto(const VerifiedPair& p, int max_diffs);
VerifiedPair FromProto(const v1::VerifiedPair& p);
v1::AdaptiveSeeds ToProto(const AdaptiveSeeds& s);
AdaptiveSeeds FromProto(const v1::AdaptiveSeeds& p);
v1::AdaptiveCell ToProto(const AdaptiveCell& c);
AdaptiveCell FromProto(const v1::AdaptiveCell& p);

// INVALID_ARGUMENT for an unknown state or failure name (a newer server).
v1::JobRecord ToProto(const JobRecord& j);
absl::StatusOr<JobRecord> FromProto(const v1::JobRecord& p);

v1::WorkerRecord ToProto(const WorkerRecord& w);
WorkerRecord FromProto(const v1::WorkerRecord& p);

v1::ResultsQuery ToProto(const ResultsQuery& q);
ResultsQuery FromProto(const v1::ResultsQuery& p);

v1::ResultGroup ToProto(const ResultGroup& g);
ResultGroup FromProto(const v1::ResultGroup& p);

v1::CurveGroup ToProto(const CurveGroup& g);
CurveGroup FromProto(const v1::CurveGroup& p);

v1::SubmitSweepResponse ToProto(const SubmitOutcome& o);
SubmitOutcome FromProto(const v1::SubmitSweepResponse& p);

v1::Checkpoint ToProto(const CheckpointRecord& c);
CheckpointRecord FromProto(const v1::Checkpoint& p);

v1::RegisterWorkerRequest ToProto(const WorkerHello& h);
WorkerHello FromProto(const v1::RegisterWorkerRequest& p);

}  // namespace sweep::wire
