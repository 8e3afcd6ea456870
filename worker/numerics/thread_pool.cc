#include "worker/numerics/thread_pool.h"

#include <algorithm>

namespace sweep::numerics {

ThreadPool::ThreadPool(int threads) : size_(std::max(1, threads)) {
  workers_.reserve(size_ - 1);
  for (int w = 1; w < size_; ++w) workers_.emplace_back([this, w] { WorkerLoop(w); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  start_cv_.notify_all();
  for (std::thread& t : workers_) t.join();
}

void ThreadPool::RunShare(int thread) {
  for (int i = thread; i < count_; i += size_) (*fn_)(i, thread);
}

void ThreadPool::WorkerLoop(int thread) {
  uint64_t seen = 0;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      start_cv_.wait(lock, [&] { return stop_ || generation_ != seen; });
      if (stop_) return;
      seen = generation_;
    }
    RunShare(thread);
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (--pending_ == 0) done_cv_.notify_one();
    }
  }
}

void ThreadPool::ParallelFor(int count, const std::function<void(int, int)>& fn) {
  if (count <= 0) return;
  if (size_ == 1) {
    for (int i = 0; i < count; ++i) fn(i, 0);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    count_ = count;
    fn_ = &fn;
    pending_ = size_ - 1;
    ++generation_;
  }
  start_cv_.notify_all();
  RunShare(0);
  std::unique_lock<std::mutex> lock(mu_);
  done_cv_.wait(lock, [&] { return pending_ == 0; });
  fn_ = nullptr;
}

void OrderedCommit::Reset() {
  std::lock_guard<std::mutex> lock(mu_);
  next_ = 0;
  ready_.clear();
}

void OrderedCommit::Offer(int item, std::function<void()> f) {
  std::unique_lock<std::mutex> lock(mu_);
  if (ready_.size() <= size_t(item)) ready_.resize(item + 1);
  ready_[item] = std::move(f);
  if (committing_) return;  // that thread runs this commit when its turn comes
  committing_ = true;
  while (size_t(next_) < ready_.size() && ready_[next_]) {
    std::function<void()> commit = std::move(ready_[next_]);
    ready_[next_] = nullptr;
    lock.unlock();
    commit();  // one committer at a time (committing_), in item order
    lock.lock();
    ++next_;
    cv_.notify_all();
  }
  committing_ = false;
}

void OrderedCommit::WaitFor(int count) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] { return next_ >= count; });
}

}  // namespace sweep::numerics
