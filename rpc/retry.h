// Which failed calls a retry loop (the worker's, the client's) may repeat.
#pragma once

#include "absl/status/status.h"

namespace sweep::rpc {

// Whether a failed call may be retried with the same key: the coordinator is away, busy
// or shutting down (UNAVAILABLE, RESOURCE_EXHAUSTED, CANCELLED), or the outcome is
// unknown (DEADLINE_EXCEEDED may hide a success). A caller that cancels its own call
// checks its stop token before asking.
bool IsRetryable(const absl::Status& status);

}  // namespace sweep::rpc
