// Which failed calls a retry loop (the worker's, the client's) may repeat.
#pragma once

#include "absl/status/status.h"

namespace sweep::rpc {

// Whether a failed call may be retried with the same key: the coordinator is away or
// busy, or the outcome is unknown (DEADLINE_EXCEEDED may hide a success).
bool IsRetryable(const absl::Status& status);

}  // namespace sweep::rpc
