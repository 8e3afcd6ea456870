#include "rpc/retry.h"

#include <gtest/gtest.h>

namespace sweep::rpc {
namespace {

// A draining coordinator answers calls it had received but not started with CANCELLED:
// retried like UNAVAILABLE, or a worker would throw away a finished job's report.
TEST(RetryTest, ServerSideTransientCodesAreRetriedOthersAreNot) {
  EXPECT_TRUE(IsRetryable(absl::UnavailableError("draining")));
  EXPECT_TRUE(IsRetryable(absl::CancelledError("server shutting down")));
  EXPECT_TRUE(IsRetryable(absl::DeadlineExceededError("slow")));
  EXPECT_TRUE(IsRetryable(absl::ResourceExhaustedError("threads")));
  EXPECT_FALSE(IsRetryable(absl::AbortedError("stale attempt")));
  EXPECT_FALSE(IsRetryable(absl::InvalidArgumentError("bad curve")));
  EXPECT_FALSE(IsRetryable(absl::AlreadyExistsError("request id reused")));
  EXPECT_FALSE(IsRetryable(absl::OkStatus()));
}

}  // namespace
}  // namespace sweep::rpc
