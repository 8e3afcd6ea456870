// CoreBudget: the cores of one worker shared by its slots (`sweep-worker --cores`). A slot
// asks the coordinator only for jobs whose `threads` fit the free cores (LeaseFit in
// common/records.h), takes that many while the job runs and gives them back after, so
// `--slots` and `threads` together never run more threads than the worker has cores.
#pragma once

#include <condition_variable>
#include <mutex>
#include <stop_token>

#include "common/records.h"

namespace sweep::worker {

class CoreBudget {
 public:
  explicit CoreBudget(int total) : total_(total < 1 ? 1 : total), free_(total_) {}

  int total() const { return total_; }

  // Waits until at least one core is free (or `stop`), then returns what to ask the
  // coordinator for; nullopt when stopped.
  std::optional<LeaseFit> WaitForFree(std::stop_token stop) {
    std::unique_lock lock(mu_);
    if (!cv_.wait(lock, stop, [&] { return free_ > 0; })) return std::nullopt;
    return LeaseFit{free_, total_};
  }

  // The cores a leased job with `threads` runs on: its threads, capped at the worker's
  // cores (an idle worker takes a job that asks for more; the metrics do not depend on the
  // thread count). Takes them from the budget.
  int Take(int threads) {
    std::lock_guard lock(mu_);
    const int k = std::max(1, std::min(threads, total_));
    free_ -= k;
    return k;
  }

  void Give(int cores) {
    {
      std::lock_guard lock(mu_);
      free_ += cores;
    }
    cv_.notify_all();
  }

  int free() const {
    std::lock_guard lock(mu_);
    return free_;
  }

 private:
  const int total_;
  mutable std::mutex mu_;
  std::condition_variable_any cv_;
  int free_;
};

}  // namespace sweep::worker
