// Secrets (see secret.h).
#include "common/secret.h"

#include <openssl/sha.h>
#include <sys/random.h>

#include <cerrno>
#include <cstdlib>

#include "absl/strings/escaping.h"

namespace sweep {
namespace {

std::string Sha256(std::string_view s) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(s.data()), s.size(), digest);
  return std::string(reinterpret_cast<const char*>(digest), sizeof(digest));
}

}  // namespace

std::string RandomHex(int bytes) {
  std::string raw(static_cast<size_t>(bytes), '\0');
  size_t got = 0;
  while (got < raw.size()) {
    const ssize_t n = getrandom(raw.data() + got, raw.size() - got, 0);
    if (n > 0) {
      got += static_cast<size_t>(n);
    } else if (errno != EINTR) {
      std::abort();  // only on kernels older than 3.17 or a bad buffer: a bug, not input
    }
  }
  return absl::BytesToHexString(raw);
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  const std::string ha = Sha256(a), hb = Sha256(b);
  unsigned char diff = 0;
  for (size_t i = 0; i < ha.size(); ++i) diff |= static_cast<unsigned char>(ha[i] ^ hb[i]);
  return diff == 0;
}

std::string SecretHash(std::string_view secret) { return absl::BytesToHexString(Sha256(secret)); }

}  // namespace sweep
