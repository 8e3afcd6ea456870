// ThreadPool: the k threads of one job (the `threads` key, docs/science.md section 5).
// A fixed set of threads created with the job and joined when it ends; not global, no
// work stealing. ParallelFor hands out work items by a static rule (item i runs on thread
// i mod k), so which thread runs an item is decided in advance and never by timing.
//
// Determinism is the caller's part: an item must write only its own outputs, and any
// reduction over items must run in item order (OrderedCommit below), never in the order
// threads happen to finish. Then a result does not depend on k at all.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace sweep::numerics {

class ThreadPool {
 public:
  // `threads` >= 1 counts the calling thread: ThreadPool(1) starts no thread and runs
  // everything inline. Values below 1 are treated as 1.
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return size_; }

  // Runs fn(item, thread) for item = 0..count-1; thread w (0 = the caller) runs items
  // w, w + k, w + 2k, ... in increasing order. Returns when every item has run. fn must
  // not throw. Not reentrant: one ParallelFor at a time per pool.
  void ParallelFor(int count, const std::function<void(int item, int thread)>& fn);

 private:
  void WorkerLoop(int thread);
  void RunShare(int thread);

  int size_ = 1;
  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable start_cv_, done_cv_;
  uint64_t generation_ = 0;  // bumped per ParallelFor; workers wait for a new value
  int pending_ = 0;          // workers still running the current generation
  bool stop_ = false;
  int count_ = 0;
  const std::function<void(int, int)>* fn_ = nullptr;
};

// Runs commits in item order 0, 1, 2, ... without making a thread wait for its turn:
// Offer(i, f) records that item i is done and its commit is f; whichever thread finds the
// next item in order offered runs its commit (the offering thread, or the one committing
// at that moment, which goes on with it). So the sum over items has a fixed order while
// a thread that finishes early starts its next item instead of waiting. f must keep
// what it reads unchanged until it has run (WaitFor(i + 1)).
class OrderedCommit {
 public:
  void Reset();
  void Offer(int item, std::function<void()> f);
  // Waits until items 0..count-1 have committed.
  void WaitFor(int count);

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int next_ = 0;                             // the next item to commit
  bool committing_ = false;                  // a thread is running commits now
  std::vector<std::function<void()>> ready_;  // offered, not yet committed (by item)
};

}  // namespace sweep::numerics
