#include "rpc/deadline.h"

#include <gtest/gtest.h>

namespace sweep::rpc {
namespace {

using std::chrono::milliseconds;

TEST(RpcDeadlineTest, EachKindHasItsDocumentedDeadline) {
  EXPECT_EQ(DeadlineFor(RpcKind::kHeartbeat), milliseconds(5'000));
  EXPECT_EQ(DeadlineFor(RpcKind::kReport), milliseconds(30'000));
  EXPECT_EQ(DeadlineFor(RpcKind::kQuery), milliseconds(30'000));
  EXPECT_EQ(DeadlineFor(RpcKind::kLeasePoll), milliseconds(20'000));
}

TEST(RpcDeadlineTest, ServerLongPollEndsBeforeTheClientDeadline) {
  EXPECT_LT(kLeaseWait, DeadlineFor(RpcKind::kLeasePoll));
}

TEST(RpcDeadlineTest, SetDeadlineSetsAFiniteDeadlineNearNowPlusKind) {
  grpc::ClientContext ctx;
  const auto before = std::chrono::system_clock::now();
  SetDeadline(ctx, RpcKind::kHeartbeat);
  const auto deadline = ctx.deadline();
  EXPECT_GE(deadline, before + milliseconds(5'000));
  EXPECT_LE(deadline, std::chrono::system_clock::now() + milliseconds(5'000));
}

}  // namespace
}  // namespace sweep::rpc
