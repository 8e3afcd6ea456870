// The lease state machine of the Coordinator (docs/design.md sections 4.1-4.4): long-poll
// grants, heartbeats, hand-backs and cancellation (reports: coordinator_report.cc). The
// checks and writes themselves run in storage::Store transactions; this file adds the
// lock, the wake-ups and the logs.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/input_checks.h"
#include "common/limits.h"
#include "common/status.h"
#include "server/coordinator_impl.h"
#include "spdlog/spdlog.h"

namespace sweep::server {
namespace {

// A long poll wakes at least this often to ask its handler whether the client left.
constexpr std::chrono::milliseconds kCancelPollInterval{50};
// The most leases one call may take: as many as a worker may have slots (docs/limits.md).
constexpr int kMaxLeaseBatch = limits::kMaxSlots;

}  // namespace

absl::StatusOr<std::optional<sweep::Lease>> Coordinator::Lease(
    const std::string& worker_id, std::chrono::milliseconds wait,
    const std::function<bool()>& cancelled, LeaseFit fit) {
  SWEEP_ASSIGN_OR_RETURN(std::vector<sweep::Lease> leases,
                         LeaseBatch(worker_id, wait, cancelled, fit, 1));
  if (leases.empty()) return std::optional<sweep::Lease>();
  return std::optional<sweep::Lease>(std::move(leases.front()));
}

absl::StatusOr<std::vector<sweep::Lease>> Coordinator::LeaseBatch(
    const std::string& worker_id, std::chrono::milliseconds wait,
    const std::function<bool()>& cancelled, LeaseFit fit, int max_jobs) {
  SWEEP_RETURN_IF_ERROR(CheckWorkerId("worker_id", worker_id));
  if (max_jobs < 1 || max_jobs > kMaxLeaseBatch) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_jobs: ", max_jobs, " (must be 1..", kMaxLeaseBatch, ")"));
  }
  // The poll's length is wall time (steady clock); lease expiry uses the injected Clock.
  const auto deadline =
      std::chrono::steady_clock::now() +
      std::clamp(wait, std::chrono::milliseconds(0), impl_->options.max_lease_wait);
  std::unique_lock lock(impl_->mu);
  for (;;) {
    if (impl_->draining) return absl::UnavailableError("draining: no new leases");
    // A client that left gets no lease: it would sit unused until it expired.
    if (cancelled && cancelled()) return std::vector<sweep::Lease>();
    const uint64_t seen = impl_->generation;
    std::vector<sweep::Lease> leases;
    absl::Status written = impl_->Write(lock, [&]() -> absl::Status {
      // Expired leases go first (judged by the deadlines in memory), then the quota and
      // the grants, all in one transaction: two slots polling at once cannot both pass.
      SWEEP_ASSIGN_OR_RETURN(
          leases, impl_->store->LeaseUpTo(worker_id, impl_->clock.Now(), impl_->options.lease_ttl,
                                          fit, max_jobs, impl_->options.max_running_leases));
      // Into the table now, on the write leader's thread, so that the next grant of this
      // batch counts them against the quota (Store::SetLeaseCounter).
      for (const sweep::Lease& l : leases) {
        impl_->table.Put(
            storage::RunningLease{l.job_id, l.sweep_id, l.attempt, worker_id, l.expires_at, 0, 0},
            /*dirty=*/false);
      }
      return absl::OkStatus();
    });
    if (!written.ok()) {
      // The batch did not commit: these grants do not exist.
      for (const sweep::Lease& l : leases) impl_->table.Erase(l.job_id, l.attempt);
      return written;
    }
    if (!leases.empty()) {
      lock.unlock();  // the log lines need no lock; other calls queue writes meanwhile
      for (const sweep::Lease& l : leases) {
        spdlog::info("job {} leased by {} (attempt {})", l.job_id, worker_id, l.attempt);
      }
      impl_->leases += static_cast<int64_t>(leases.size());
      return leases;
    }
    // Wait for a wake-up (new work, drain) without touching the DB on every slice.
    while (impl_->generation == seen && !impl_->draining) {
      const auto now = std::chrono::steady_clock::now();
      if (now >= deadline || (cancelled && cancelled())) return std::vector<sweep::Lease>();
      impl_->work_cv.wait_until(lock, std::min(deadline, now + kCancelPollInterval));
    }
  }
}

absl::StatusOr<HeartbeatReply> Coordinator::Heartbeat(int64_t job_id, int attempt,
                                                      const std::string& worker_id, int64_t step,
                                                      int64_t total) {
  SWEEP_RETURN_IF_ERROR(CheckWorkerId("worker_id", worker_id));
  SWEEP_RETURN_IF_ERROR(CheckProgress(step, total));
  // The current lease is extended in memory: no transaction, no fsync (section 4.12).
  if (std::optional<HeartbeatReply> reply = impl_->table.Renew(
          job_id, attempt, worker_id, step, total, impl_->clock.Now(), impl_->options.lease_ttl)) {
    ++impl_->heartbeats;
    ++impl_->heartbeats_in_memory;
    spdlog::debug("heartbeat job {} attempt {} step {}/{}", job_id, attempt, step, total);
    return *reply;
  }
  // Not in the table: the store gives the exact refusal, or renews a lease the table
  // lost track of (a reap whose transaction failed) and the table takes it back.
  std::unique_lock lock(impl_->mu);
  storage::LeaseRenewal renewal;
  absl::Status s = impl_->Write(lock, [&]() -> absl::Status {
    SWEEP_ASSIGN_OR_RETURN(renewal,
                           impl_->store->Heartbeat(job_id, attempt, worker_id, step, total,
                                                   impl_->clock.Now(), impl_->options.lease_ttl));
    return absl::OkStatus();
  });
  if (!s.ok()) {
    spdlog::warn("heartbeat from {} refused: {}", worker_id, s.ToString());
    return s;
  }
  // Dirty, so that the next flush checks the job still runs this attempt (a report may
  // have landed between this commit and this line) and otherwise drops the entry.
  impl_->table.Put(storage::RunningLease{job_id, renewal.sweep_id, attempt, worker_id,
                                         renewal.expires_at, step, total},
                   /*dirty=*/true);
  ++impl_->heartbeats;
  spdlog::debug("heartbeat job {} attempt {} step {}/{}", job_id, attempt, step, total);
  return HeartbeatReply{renewal.cancel_requested, renewal.expires_at};
}

absl::Status Coordinator::Release(int64_t job_id, int attempt, const std::string& worker_id) {
  std::unique_lock lock(impl_->mu);
  SWEEP_RETURN_IF_ERROR(impl_->Write(
      lock, [&] { return impl_->store->Release(job_id, attempt, worker_id, impl_->clock.Now()); }));
  impl_->table.Erase(job_id, attempt);
  spdlog::info("job {} attempt {} handed back by {}", job_id, attempt, worker_id);
  impl_->WakeLocked();
  return absl::OkStatus();
}

absl::Status Coordinator::Cancel(int64_t sweep_id) {
  std::unique_lock lock(impl_->mu);
  int64_t cancelled = 0;
  SWEEP_RETURN_IF_ERROR(impl_->Write(lock, [&]() -> absl::Status {
    SWEEP_ASSIGN_OR_RETURN(cancelled, impl_->store->Cancel(sweep_id, impl_->clock.Now()));
    return absl::OkStatus();
  }));
  // Running jobs learn it from their next heartbeat, answered from memory (4.7, 4.12).
  impl_->table.SetCancelled(sweep_id, true);
  spdlog::info("sweep {} cancelled: {} queued jobs cancelled", sweep_id, cancelled);
  return absl::OkStatus();
}

absl::StatusOr<int64_t> Coordinator::Retry(int64_t sweep_id,
                                           const std::vector<FailureKind>& kinds) {
  std::unique_lock lock(impl_->mu);
  int64_t requeued = 0;
  SWEEP_RETURN_IF_ERROR(impl_->Write(lock, [&]() -> absl::Status {
    SWEEP_ASSIGN_OR_RETURN(requeued, impl_->store->Retry(sweep_id, kinds, impl_->clock.Now()));
    return absl::OkStatus();
  }));
  impl_->table.SetCancelled(sweep_id, false);  // Store::Retry clears the cancel request
  if (requeued > 0) impl_->WakeLocked();
  spdlog::info("sweep {} retry: {} failed jobs requeued", sweep_id, requeued);
  return requeued;
}

absl::StatusOr<VerifyOutcome> Coordinator::Verify(int64_t sweep_id, int64_t sample,
                                                   uint64_t seed) {
  if (sample > limits::kMaxVerifySample) {
    return absl::InvalidArgumentError(absl::StrCat("--sample: ", sample, " (the limit is ",
                                                   limits::kMaxVerifySample, ")"));
  }
  std::unique_lock lock(impl_->mu);
  VerifyOutcome out;
  SWEEP_RETURN_IF_ERROR(impl_->Write(lock, [&]() -> absl::Status {
    SWEEP_ASSIGN_OR_RETURN(
        out, impl_->store->CreateVerification(sweep_id, sample, seed, impl_->clock.Now()));
    return absl::OkStatus();
  }));
  impl_->WakeLocked();
  spdlog::info("sweep {} verify: {} cells rerun as sweep {}", sweep_id, out.pairs.size(),
               out.sweep_id);
  return out;
}

absl::StatusOr<int64_t> Coordinator::Control(int64_t sweep_id, SweepAction action) {
  std::unique_lock lock(impl_->mu);
  int64_t cancelled = 0;
  const TimePoint now = impl_->clock.Now();
  SWEEP_RETURN_IF_ERROR(impl_->Write(lock, [&]() -> absl::Status {
    if (action == SweepAction::kStop) {
      SWEEP_ASSIGN_OR_RETURN(cancelled, impl_->store->Stop(sweep_id, now));
      return absl::OkStatus();
    }
    return impl_->store->SetPaused(sweep_id, action == SweepAction::kPause, now);
  }));
  switch (action) {
    case SweepAction::kPause:
      spdlog::info("sweep {} paused: no new leases", sweep_id);
      break;
    case SweepAction::kResume:
      impl_->WakeLocked();
      spdlog::info("sweep {} resumed", sweep_id);
      break;
    case SweepAction::kStop:
      spdlog::info("sweep {} stopping: {} queued jobs cancelled, running ones finish", sweep_id,
                   cancelled);
      break;
  }
  return cancelled;
}

}  // namespace sweep::server
