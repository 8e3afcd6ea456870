// `sweep verify` (docs/design.md section 4.15): rerun a sample of a sweep's cells on other
// workers and report every metric that differs bit for bit, with both workers' provenance.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "client/backend.h"
#include "client/rpc_backend.h"

namespace sweep::client {

// Starts the verification sweep; with `wait`, follows it to the end (progress on `err`)
// and prints the comparison as CmdShowVerification does.
absl::Status CmdVerify(RpcBackend& rpc, const std::string& sweep, int64_t sample, uint64_t seed,
                       bool wait, std::ostream& out, std::ostream& err);

// Prints a verification sweep's comparison. FAILED_PRECONDITION (exit status 1) when a
// metric differs or a rerun did not succeed.
absl::Status CmdShowVerification(Backend& backend, const std::string& verify_sweep,
                                 std::ostream& out);

// The text of a comparison, and how many cells differ / could not be compared.
struct VerificationText {
  std::string text;
  int64_t differing = 0, unverified = 0;
};
VerificationText FormatVerification(const std::vector<VerifiedPair>& pairs);

}  // namespace sweep::client
