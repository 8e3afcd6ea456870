// Deadlines per RPC kind (see deadline.h).
#include "rpc/deadline.h"

namespace sweep::rpc {

std::chrono::milliseconds DeadlineFor(RpcKind kind) {
  using std::chrono::milliseconds;
  switch (kind) {
    case RpcKind::kHeartbeat:
      return milliseconds(5'000);
    case RpcKind::kReport:
    case RpcKind::kQuery:
      return milliseconds(30'000);
    case RpcKind::kLeasePoll:
      return milliseconds(20'000);
  }
  return milliseconds(30'000);
}

void SetDeadline(grpc::ClientContext& ctx, RpcKind kind) {
  ctx.set_deadline(std::chrono::system_clock::now() + DeadlineFor(kind));
}

}  // namespace sweep::rpc
