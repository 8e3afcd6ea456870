// The one source of time for leases and timestamps (after Envoy's TimeSource). Tests
// inject tests/testing/fake_clock.h and move time with Advance(), never with sleep.
// Implementations are thread-safe.
#pragma once

#include <chrono>

namespace sweep {

using TimePoint = std::chrono::system_clock::time_point;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint Now() const = 0;
};

class SystemClock final : public Clock {
 public:
  TimePoint Now() const override { return std::chrono::system_clock::now(); }
  // A process-wide instance for binaries; tests build their own FakeClock.
  static const SystemClock& Get() {
    static const SystemClock clock;
    return clock;
  }
};

inline int64_t ToUnixMillis(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}
inline TimePoint FromUnixMillis(int64_t ms) { return TimePoint(std::chrono::milliseconds(ms)); }

}  // namespace sweep
