// Secrets: bearer tokens and worker session secrets (docs/design.md section 6.5) are made
// and compared here, by the coordinator, the worker and the client alike.
#pragma once

#include <string>
#include <string_view>

namespace sweep {

// 2 * `bytes` lower-case hex characters from the kernel's random source (getrandom).
std::string RandomHex(int bytes);

// Equality in time that does not depend on where the strings differ, so that a caller
// cannot find a secret one byte at a time by timing the answer. Both sides are hashed
// (SHA-256) first, so a length mismatch costs the same as any other.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

// Hex SHA-256 of a secret: what the coordinator stores instead of a session secret.
std::string SecretHash(std::string_view secret);

}  // namespace sweep
