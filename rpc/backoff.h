// Exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff And
// Jitter"; docs/design.md section 6.3): the n-th retry waits a uniform random time in
// [0, min(cap, base * 2^n)], so that many workers retrying after a coordinator restart
// do not come back in lock step. Not thread-safe: one Backoff per retry loop.
#pragma once

#include <chrono>
#include <cstdint>
#include <random>

namespace sweep::rpc {

struct BackoffOptions {
  std::chrono::milliseconds base{100};    // ceiling of the first wait
  std::chrono::milliseconds cap{30'000};  // ceiling of every wait
};

class Backoff {
 public:
  explicit Backoff(const BackoffOptions& options = {}, uint64_t seed = std::random_device{}())
      : options_(options), rng_(seed) {}

  // The ceiling of the next wait (before jitter): base * 2^attempts, capped.
  std::chrono::milliseconds NextCeiling() const;
  // The next wait, uniform in [0, NextCeiling()]; advances the attempt count.
  std::chrono::milliseconds Next();
  // After a success: the next failure starts from `base` again.
  void Reset() { attempts_ = 0; }
  int attempts() const { return attempts_; }

 private:
  BackoffOptions options_;
  std::mt19937_64 rng_;
  int attempts_ = 0;
};

}  // namespace sweep::rpc
