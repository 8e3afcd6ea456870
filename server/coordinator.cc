#include "server/coordinator.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <stop_token>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/input_checks.h"
#include "common/limits.h"
#include "common/status.h"
#include "server/coordinator_impl.h"
#include "spdlog/spdlog.h"
#include "storage/reader.h"
#include "storage/store.h"

namespace sweep::server {
absl::Status CoordinatorOptions::Validate() const {
  if (db_path.empty()) return absl::InvalidArgumentError("db_path: empty");
  if (lease_ttl.count() <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("lease_ttl: ", lease_ttl.count(), " ms (must be > 0)"));
  }
  if (reap_interval.count() <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("reap_interval: ", reap_interval.count(), " ms (must be > 0)"));
  }
  if (max_lease_wait.count() < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_lease_wait: ", max_lease_wait.count(), " ms (must be >= 0)"));
  }
  if (max_running_leases < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_running_leases: ", max_running_leases, " (must be >= 1)"));
  }
  if (heartbeat_flush_interval.count() <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "heartbeat_flush_interval: ", heartbeat_flush_interval.count(), " ms (must be > 0)"));
  }
  if (max_jobs_per_sweep < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_jobs_per_sweep: ", max_jobs_per_sweep, " (must be >= 1)"));
  }
  return absl::OkStatus();
}

absl::Status Coordinator::Impl::Write(std::unique_lock<std::mutex>& lock,
                                      const std::function<absl::Status()>& body) {
  auto self = std::make_shared<Writer>();
  self->body = &body;
  writers.push_back(self);
  while (!self->done && writers.front() != self) self->cv.wait(lock);
  if (self->done) return self->status;  // a leader committed it for us
  std::vector<std::shared_ptr<Writer>> batch;
  std::vector<const std::function<absl::Status()>*> ops;
  for (const std::shared_ptr<Writer>& w : writers) {
    if (batch.size() == kMaxBatch) break;
    batch.push_back(w);
    ops.push_back(w->body);
  }
  lock.unlock();  // only the leader touches the Store; others may queue meanwhile
  const auto started = std::chrono::steady_clock::now();
  std::vector<absl::Status> statuses = store->RunBatch(ops);
  write_busy_us += std::chrono::duration_cast<std::chrono::microseconds>(
                       std::chrono::steady_clock::now() - started)
                       .count();
  ++write_batches;
  write_ops += static_cast<int64_t>(ops.size());
  lock.lock();
  for (size_t i = 0; i < batch.size(); ++i) {
    writers.pop_front();
    batch[i]->status = std::move(statuses[i]);
    batch[i]->done = true;
  }
  std::shared_ptr<Writer> next = writers.empty() ? nullptr : writers.front();
  // Signalled with mu released: a caller woken while the leader still held mu would only
  // block on it again (a second sleep and wake-up per write, seen as futex lock waits in
  // perf). `batch` and `next` keep the Writers alive until they are signalled.
  lock.unlock();
  for (const std::shared_ptr<Writer>& w : batch) {
    if (w != self) w->cv.notify_one();
  }
  if (next) next->cv.notify_one();  // the next leader
  lock.lock();
  return self->status;
}

absl::Status Coordinator::Impl::ReapLocked(std::unique_lock<std::mutex>& lock) {
  int64_t expired = 0;
  SWEEP_RETURN_IF_ERROR(Write(lock, [&]() -> absl::Status {
    SWEEP_ASSIGN_OR_RETURN(expired, store->ReapExpired(clock.Now()));
    // A job failed as lost, here or in a lease call's own expiry check, may have
    // cancelled its --fail-fast sweep: the heartbeats the lease table answers must say so.
    return SyncCancelled();
  }));
  if (expired > 0) {
    spdlog::warn("{} expired lease(s) requeued or failed", expired);
    WakeLocked();
  }
  return absl::OkStatus();
}

absl::Status Coordinator::Impl::SyncCancelled() {
  SWEEP_ASSIGN_OR_RETURN(std::vector<int64_t> cancelled, store->CancelledSweeps());
  table.ReplaceCancelled(cancelled);
  return absl::OkStatus();
}

absl::Status Coordinator::Impl::FlushLocked(std::unique_lock<std::mutex>& lock) {
  LeaseFlush flush = table.TakeDirty();
  if (flush.empty()) return absl::OkStatus();
  std::vector<int64_t> gone;
  absl::Status s = Write(lock, [&]() -> absl::Status {
    SWEEP_ASSIGN_OR_RETURN(gone, store->FlushLeases(flush.leases, flush.workers_seen));
    return absl::OkStatus();
  });
  if (!s.ok()) {
    table.Restore(flush);  // written with the next flush; expiry reads memory meanwhile
    return s;
  }
  ++flushes;
  flushed_leases += static_cast<int64_t>(flush.leases.size() - gone.size());
  // Leases that ended between a heartbeat and this flush (a report racing the slow path
  // of a heartbeat): nothing to keep in memory.
  for (int64_t job_id : gone) {
    for (const LiveLease& l : flush.leases) {
      if (l.job_id == job_id) table.Erase(job_id, l.attempt);
    }
  }
  return absl::OkStatus();
}

void Coordinator::Impl::ReaperLoop(std::stop_token stop) {
  using std::chrono::steady_clock;
  std::unique_lock lock(mu);
  auto next_reap = steady_clock::now() + options.reap_interval;
  auto next_flush = steady_clock::now() + options.heartbeat_flush_interval;
  while (!stop.stop_requested()) {
    // Returns early only when stop is requested; the predicate never holds otherwise.
    reaper_cv.wait_until(lock, stop, std::min(next_reap, next_flush), [] { return false; });
    if (stop.stop_requested()) break;
    const auto now = steady_clock::now();
    if (now >= next_flush) {
      next_flush = now + options.heartbeat_flush_interval;
      absl::Status s = FlushLocked(lock);
      if (!s.ok()) spdlog::error("heartbeat flush: {}", s.ToString());
    }
    if (now < next_reap) continue;
    next_reap = now + options.reap_interval;
    // A draining coordinator expires no lease: the RPC server no longer takes the
    // heartbeats that would keep them, so reaping now would count attempts as lost that
    // are only waiting for the restart (which grants every running lease a grace, 4.9).
    if (draining) continue;
    absl::Status s = ReapLocked(lock);
    if (!s.ok()) spdlog::error("reaper: {}", s.ToString());
  }
}

Coordinator::Coordinator(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Coordinator::~Coordinator() {
  impl_->reaper.request_stop();
  if (impl_->reaper.joinable()) impl_->reaper.join();
  // No writer is left (handlers have returned before destruction). The heartbeats held
  // in memory are written first (a kill -9 loses them, which the start-up grace covers:
  // docs/design.md section 4.12); a clean shutdown leaves an empty -wal file (4.8).
  LeaseFlush flush = impl_->table.TakeDirty();
  if (auto flushed = impl_->store->FlushLeases(flush.leases, flush.workers_seen); !flushed.ok()) {
    spdlog::warn("heartbeat flush at shutdown: {}", flushed.status().ToString());
  }
  absl::Status s = impl_->store->Checkpoint();
  if (!s.ok()) spdlog::warn("checkpoint at shutdown: {}", s.ToString());
}

absl::StatusOr<std::unique_ptr<Coordinator>> Coordinator::Open(const CoordinatorOptions& options,
                                                               const Clock& clock) {
  SWEEP_RETURN_IF_ERROR(options.Validate());
  auto impl = std::make_unique<Impl>(options, clock);
  SWEEP_ASSIGN_OR_RETURN(impl->store, storage::Store::Open(options.db_path));
  SWEEP_ASSIGN_OR_RETURN(int64_t graced,
                         impl->store->GraceRunningLeases(clock.Now(), options.lease_ttl));
  if (graced > 0) spdlog::info("{} running lease(s) get a start-up grace of one ttl", graced);
  // The lease table starts as the file is after the grace (docs/design.md section 4.12).
  SWEEP_ASSIGN_OR_RETURN(std::vector<storage::RunningLease> running,
                         impl->store->ListRunningLeases());
  for (const storage::RunningLease& l : running) impl->table.Put(l, /*dirty=*/false);
  SWEEP_ASSIGN_OR_RETURN(std::vector<int64_t> cancelled, impl->store->CancelledSweeps());
  for (int64_t sweep_id : cancelled) impl->table.SetCancelled(sweep_id, true);
  LeaseTable* table = &impl->table;
  impl->store->SetLiveDeadline([table](int64_t job_id, int attempt, TimePoint now) {
    return table->ClaimExpired(job_id, attempt, now);
  });
  impl->store->SetLeaseCounter(
      [table](const std::string& worker_id) { return table->Count(worker_id); });
  {
    std::lock_guard lock(impl->reader_mu);
    SWEEP_ASSIGN_OR_RETURN(impl->reader, storage::Reader::Open(options.db_path));
  }
  Impl* raw = impl.get();
  impl->reaper = std::jthread([raw](std::stop_token stop) { raw->ReaperLoop(stop); });
  return std::unique_ptr<Coordinator>(new Coordinator(std::move(impl)));
}

absl::StatusOr<SubmitOutcome> Coordinator::Submit(const NewSweep& sweep) {
  if (sweep.request_id.size() > limits::kMaxRequestIdBytes) {
    return absl::InvalidArgumentError(absl::StrCat("request_id: ", sweep.request_id.size(),
                                                   " bytes (the limit is ",
                                                   limits::kMaxRequestIdBytes, ")"));
  }
  if (static_cast<int64_t>(sweep.jobs.size()) > impl_->options.max_jobs_per_sweep) {
    return absl::InvalidArgumentError(
        absl::StrCat("sweep \"", sweep.name, "\": ", sweep.jobs.size(), " jobs > limit ",
                     impl_->options.max_jobs_per_sweep, " (max_jobs_per_sweep)"));
  }
  // Canonical JSON and hashes are computed outside the lock: they cost CPU, not storage.
  std::vector<storage::PreparedJob> jobs;
  jobs.reserve(sweep.jobs.size());
  for (const JobConfig& config : sweep.jobs) jobs.push_back(storage::PrepareJob(config));
  const std::vector<int64_t> order = CurveFirstOrder(sweep.jobs, impl_->options.job_cost);
  for (size_t i = 0; i < jobs.size(); ++i) jobs[i].queue_position = order[i];
  std::unique_lock lock(impl_->mu);
  SubmitOutcome out;
  SWEEP_RETURN_IF_ERROR(impl_->Write(lock, [&]() -> absl::Status {
    SWEEP_ASSIGN_OR_RETURN(out, impl_->store->SubmitPrepared(sweep, jobs, impl_->clock.Now()));
    return absl::OkStatus();
  }));
  if (out.existing) {
    spdlog::info("sweep {} resubmitted (request {}): nothing new", out.sweep_id, sweep.request_id);
  } else {
    spdlog::info("sweep {} \"{}\" submitted: {} jobs, {} cached", out.sweep_id, sweep.name,
                 out.jobs_total, out.jobs_cached);
    impl_->WakeLocked();
  }
  return out;
}

absl::StatusOr<ExtendOutcome> Coordinator::Extend(int64_t sweep_id, const NewSweep& extension) {
  if (static_cast<int64_t>(extension.jobs.size()) > impl_->options.max_jobs_per_sweep) {
    return absl::InvalidArgumentError(
        absl::StrCat("extend: ", extension.jobs.size(), " jobs > limit ",
                     impl_->options.max_jobs_per_sweep, " (max_jobs_per_sweep)"));
  }
  std::vector<storage::PreparedJob> jobs;
  jobs.reserve(extension.jobs.size());
  for (const JobConfig& config : extension.jobs) jobs.push_back(storage::PrepareJob(config));
  const std::vector<int64_t> order = CurveFirstOrder(extension.jobs, impl_->options.job_cost);
  for (size_t i = 0; i < jobs.size(); ++i) jobs[i].queue_position = order[i];
  std::unique_lock lock(impl_->mu);
  ExtendOutcome out;
  SWEEP_RETURN_IF_ERROR(impl_->Write(lock, [&]() -> absl::Status {
    SWEEP_ASSIGN_OR_RETURN(out, impl_->store->Extend(sweep_id, extension.spec_text, jobs,
                                                     extension.use_cache, impl_->clock.Now()));
    return absl::OkStatus();
  }));
  impl_->table.SetCancelled(sweep_id, false);  // Store::Extend clears a cancel request
  spdlog::info("sweep {} extended: {} cells added, {} cached", sweep_id, out.added, out.cached);
  if (out.added > out.cached) impl_->WakeLocked();
  return out;
}

absl::Status Coordinator::RegisterWorker(const WorkerHello& hello) {
  SWEEP_RETURN_IF_ERROR(CheckWorkerHello(hello));
  const WorkerRecord w = WorkerRecord::FromHello(hello);
  std::unique_lock lock(impl_->mu);
  SWEEP_RETURN_IF_ERROR(
      impl_->Write(lock, [&] { return impl_->store->RegisterWorker(w, impl_->clock.Now()); }));
  spdlog::info("worker {} joined ({} slots, build {}{}{})", hello.worker_id, hello.slots,
               hello.build_version, hello.slurm.empty() ? "" : ", slurm job ", hello.slurm.Label());
  return absl::OkStatus();
}

absl::StatusOr<std::vector<SweepSummary>> Coordinator::ListSweeps() {
  std::lock_guard lock(impl_->reader_mu);
  return impl_->reader->ListSweeps();
}

absl::StatusOr<SweepSummary> Coordinator::GetSweep(int64_t sweep_id) {
  std::lock_guard lock(impl_->reader_mu);
  return impl_->reader->GetSweep(sweep_id);
}

absl::StatusOr<std::vector<VerifiedPair>> Coordinator::Verification(int64_t sweep_id) {
  std::lock_guard lock(impl_->reader_mu);
  return impl_->reader->Verification(sweep_id);
}

absl::StatusOr<std::vector<AdaptiveCell>> Coordinator::AdaptiveCells(int64_t sweep_id) {
  std::lock_guard lock(impl_->reader_mu);
  return impl_->reader->AdaptiveCells(sweep_id);
}

absl::StatusOr<std::vector<JobRecord>> Coordinator::ListJobs(int64_t sweep_id,
                                                             std::optional<JobState> state,
                                                             int64_t after_job_id, int64_t limit) {
  std::lock_guard lock(impl_->reader_mu);
  return impl_->reader->ListJobs(sweep_id, state, after_job_id, limit);
}

absl::StatusOr<std::vector<ResultGroup>> Coordinator::Results(const ResultsQuery& q) {
  std::lock_guard lock(impl_->reader_mu);
  return impl_->reader->Results(q);
}

absl::StatusOr<std::vector<CurveGroup>> Coordinator::Curves(const ResultsQuery& q) {
  std::lock_guard lock(impl_->reader_mu);
  return impl_->reader->Curves(q);
}

absl::StatusOr<std::vector<WorkerRecord>> Coordinator::ListWorkers(
    const std::string& after_worker_id, int64_t limit) {
  std::lock_guard lock(impl_->reader_mu);
  return impl_->reader->ListWorkers(after_worker_id, limit);
}

void Coordinator::BeginDrain() {
  std::lock_guard lock(impl_->mu);
  if (!impl_->draining.exchange(true)) spdlog::info("draining: no new leases");
  impl_->WakeLocked();
}

bool Coordinator::draining() const { return impl_->draining.load(); }

absl::Status Coordinator::ReapExpired() {
  std::unique_lock lock(impl_->mu);
  return impl_->ReapLocked(lock);
}

absl::Status Coordinator::FlushHeartbeats() {
  std::unique_lock lock(impl_->mu);
  return impl_->FlushLocked(lock);
}

CoordinatorStats Coordinator::stats() const {
  CoordinatorStats s;
  s.write_batches = impl_->write_batches.load();
  s.write_busy_us = impl_->write_busy_us.load();
  s.write_ops = impl_->write_ops.load();
  s.leases = impl_->leases.load();
  s.reports = impl_->reports.load();
  s.heartbeats = impl_->heartbeats.load();
  s.heartbeats_in_memory = impl_->heartbeats_in_memory.load();
  s.flushes = impl_->flushes.load();
  s.flushed_leases = impl_->flushed_leases.load();
  s.live_leases = static_cast<int64_t>(impl_->table.size());
  return s;
}

}  // namespace sweep::server
