// Backoff (see backoff.h).
#include "rpc/backoff.h"

#include <algorithm>

namespace sweep::rpc {

std::chrono::milliseconds Backoff::NextCeiling() const {
  // Doubling stops once past the cap, so 2^attempts never overflows.
  int64_t ceiling = options_.base.count();
  for (int i = 0; i < attempts_ && ceiling < options_.cap.count(); ++i) ceiling *= 2;
  return std::chrono::milliseconds(std::min(ceiling, options_.cap.count()));
}

std::chrono::milliseconds Backoff::Next() {
  const int64_t ceiling = NextCeiling().count();
  ++attempts_;
  std::uniform_int_distribution<int64_t> jitter(0, ceiling);
  return std::chrono::milliseconds(jitter(rng_));
}

}  // namespace sweep::rpc
