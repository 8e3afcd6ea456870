// IsRetryable (see retry.h).
#include "rpc/retry.h"

namespace sweep::rpc {

bool IsRetryable(const absl::Status& status) {
  return absl::IsUnavailable(status) || absl::IsDeadlineExceeded(status) ||
         absl::IsResourceExhausted(status);
}

}  // namespace sweep::rpc
