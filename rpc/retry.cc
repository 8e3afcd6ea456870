// IsRetryable (see retry.h).
#include "rpc/retry.h"

namespace sweep::rpc {

bool IsRetryable(const absl::Status& status) {
  // CANCELLED without our own cancel: a coordinator shutting down cancels calls it had
  // received but not started (docs/design.md section 4.8). Every call retried with these
  // codes is idempotent (reports on (job, attempt), submits on request_id).
  return absl::IsUnavailable(status) || absl::IsDeadlineExceeded(status) ||
         absl::IsResourceExhausted(status) || absl::IsCancelled(status);
}

}  // namespace sweep::rpc
