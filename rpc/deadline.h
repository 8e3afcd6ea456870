// The one helper that gives every RPC its deadline (docs/design.md section 6.1): gRPC's default
// deadline is infinite, so no call may leave here without one. Used by the worker, the
// client and the tests.
#pragma once

#include <grpcpp/client_context.h>

#include <chrono>

namespace sweep::rpc {

enum class RpcKind {
  kHeartbeat,  // 5 s
  kReport,     // 30 s (ReportResult, ReleaseJob, RegisterWorker)
  kQuery,      // 30 s (every CLI call, SubmitSweep included)
  kLeasePoll,  // 20 s: the server returns a long poll within 15 s (kLeaseWait)
};

// How long the server may hold a LeaseJob long poll; below the kLeasePoll deadline so
// that a healthy poll never ends in DEADLINE_EXCEEDED.
inline constexpr std::chrono::milliseconds kLeaseWait{15'000};

std::chrono::milliseconds DeadlineFor(RpcKind kind);

// Sets ctx's deadline to now + DeadlineFor(kind).
void SetDeadline(grpc::ClientContext& ctx, RpcKind kind);

}  // namespace sweep::rpc
