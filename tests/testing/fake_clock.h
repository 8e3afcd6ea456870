// A Clock whose time moves only when a test calls Advance(). Thread-safe.
#pragma once

#include <atomic>

#include "common/clock.h"

namespace sweep::testing {

class FakeClock final : public Clock {
 public:
  explicit FakeClock(TimePoint start = FromUnixMillis(1'700'000'000'000))
      : ms_(ToUnixMillis(start)) {}
  TimePoint Now() const override { return FromUnixMillis(ms_.load()); }
  void Advance(std::chrono::milliseconds d) { ms_ += d.count(); }

 private:
  std::atomic<int64_t> ms_;
};

}  // namespace sweep::testing
