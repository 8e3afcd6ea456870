// The keys of the `exec` model (docs/exec.md) that the generic registry rows of
// common/job_keys.cc cannot check alone: the program name and the free-form `params`
// map. A sweep file sets a parameter either as `params.NAME: value` (gridable like any
// key) or, in canonical JSON, as a `params` object; both end as one canonical object.
//
// Thread-safe: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace sweep {

// Limits on what a sweep file may put into `params` (docs/limits.md).
inline constexpr size_t kMaxExecParams = 256;                // entries of one job's params
inline constexpr size_t kMaxExecParamKeyBytes = 64;          // NAME in params.NAME
inline constexpr size_t kMaxExecParamsJsonBytes = 64 << 10;  // the canonical object
inline constexpr size_t kMaxExecNameBytes = 64;              // the `exec` key
inline constexpr size_t kMaxExecNamesPerWorker = 64;         // sweep-worker --allow-exec

// Whether `name` is a valid exec name: 1..64 bytes of [A-Za-z0-9_.-], not starting with
// '.' or '-' (so it can never be read as a path or an option).
bool IsExecName(std::string_view name);

// Whether `key` has the form `params.NAME` with NAME a valid parameter name
// ([A-Za-z_][A-Za-z0-9_]*, at most kMaxExecParamKeyBytes bytes).
bool IsExecParamKey(std::string_view key);

// Moves every `params.NAME` member of `partial` into its `params` object (created when
// absent). A NAME set both ways is an error naming it.
absl::Status MergeDottedParams(nlohmann::json& partial);

// The canonical text of a params object (keys sorted, no whitespace, -0.0 as 0.0):
// values are numbers, strings, booleans or lists of those; errors name the entry:
// `params.lr: NaN/inf is not allowed`.
absl::StatusOr<std::string> CanonicalExecParams(const nlohmann::json& params);

}  // namespace sweep
