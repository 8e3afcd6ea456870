// The steps of ResolveJobConfig (common/job_keys.h) that look at several keys at once:
// the defaults derived from other keys, and the checks across keys. Internal to the key
// registry; kept apart from the per-key table so that each file has one purpose.
#pragma once

#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "common/job_config.h"

namespace sweep::keys_internal {

// Fills the keys whose default depends on the model or on other keys (r, format, lr,
// warmup, eval_lengths), each only where `partial` leaves it out; `c` holds the partial's
// values.
void FillDerived(const nlohmann::json& partial, JobConfig& c);

// Removes whitespace from the link: it carries no meaning there, so it must not split one
// job into two hashes.
void NormalizeLink(JobConfig& c);

// The rules between keys (r <= d, eval_lengths within N, heads divide D, warmup <= steps,
// a valid exec name, a link that parses); the error names the key and the reason.
absl::Status CheckCrossKeys(const JobConfig& c);

}  // namespace sweep::keys_internal
