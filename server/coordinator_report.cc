// Reports (docs/design.md section 4.3): the outcome of an attempt, stored once, and
// optionally the worker's next leases in the same transaction, so that a worker's cycle
// costs one commit and one round trip instead of two.
#include <optional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/input_checks.h"
#include "common/limits.h"
#include "common/status.h"
#include "server/coordinator_impl.h"
#include "spdlog/spdlog.h"
#include "storage/fault_point.h"

namespace sweep::server {
namespace {

void LogOutcome(int64_t job_id, int attempt, const JobReport& report, bool stored) {
  if (!stored) {
    spdlog::info("job {} attempt {}: replayed report acknowledged", job_id, attempt);
  } else if (!report.ok) {
    spdlog::error("job {} failed: {}", job_id, report.error);
  } else if (!report.result.divergence.empty()) {
    spdlog::warn("job {} diverged: {}", job_id, report.result.divergence);
  } else {
    spdlog::info("job {} done by {} (attempt {})", job_id, report.worker_id, attempt);
  }
}

}  // namespace

absl::Status Coordinator::Report(int64_t job_id, int attempt, const JobReport& report) {
  return ReportAndLease(job_id, attempt, report, LeaseFit{}, 0).status();
}

absl::StatusOr<std::vector<sweep::Lease>> Coordinator::ReportAndLease(int64_t job_id, int attempt,
                                                                      const JobReport& sent,
                                                                      LeaseFit fit, int max_jobs) {
  // Refused before the lock: a malformed report leaves the lease as it was, so a worker
  // with a bug learns it at once and the job expires and is retried as usual.
  SWEEP_RETURN_IF_ERROR(CheckReport(sent));
  // 0 is the plain Report; the ask's own range is LeaseBatch's.
  if (max_jobs < 0 || max_jobs > limits::kMaxSlots) {
    return absl::InvalidArgumentError(
        absl::StrCat("next.max_jobs: ", max_jobs, " (must be 1..", limits::kMaxSlots, ")"));
  }
  JobReport report = sent;
  report.error = TruncateForStorage(report.error, limits::kMaxErrorBytes);
  report.result.divergence = TruncateForStorage(report.result.divergence, limits::kMaxErrorBytes);
  const std::string& worker_id = report.worker_id;
  std::unique_lock lock(impl_->mu);
  storage::ReportLease out;
  std::optional<LiveLease> taken;  // this attempt's table entry, while the report runs
  absl::Status s = impl_->Write(lock, [&]() -> absl::Status {
    const TimePoint now = impl_->clock.Now();
    if (max_jobs == 0) {
      SWEEP_ASSIGN_OR_RETURN(out.stored, impl_->store->Report(job_id, attempt, report, now));
    } else {
      // The reported lease leaves the table first: the quota counts the worker's leases
      // there (Store::SetLeaseCounter), and a one-slot worker would find itself full.
      taken = impl_->table.Take(job_id, attempt);
      // No new lease once a drain began; the report itself is still served (section 4.8).
      const storage::LeaseAsk ask{impl_->options.lease_ttl, fit, impl_->draining ? 0 : max_jobs,
                                  impl_->options.max_running_leases};
      absl::StatusOr<storage::ReportLease> done =
          impl_->store->ReportThenLease(job_id, attempt, report, now, ask);
      if (!done.ok()) {
        // FAILED_PRECONDITION ended the attempt (its sweep was cancelled); any other
        // refusal leaves the lease running, so its entry goes back (dirty: the next flush
        // checks it against the file).
        if (taken && !absl::IsFailedPrecondition(done.status())) {
          impl_->table.Put(*taken, /*dirty=*/true);
          taken.reset();
        }
        return done.status();
      }
      out = *std::move(done);
      // On this leader's thread, so that the next grant of the batch counts them.
      for (const sweep::Lease& l : out.leases) {
        impl_->table.Put(
            storage::RunningLease{l.job_id, l.sweep_id, l.attempt, worker_id, l.expires_at, 0, 0},
            /*dirty=*/false);
      }
    }
    // A failure may have cancelled a --fail-fast sweep in this transaction; its running
    // jobs learn it from their heartbeats, which the lease table answers.
    if (out.stored && (!report.ok || !report.result.divergence.empty())) {
      return impl_->SyncCancelled();
    }
    return absl::OkStatus();
  });
  lock.unlock();  // the rest (the lease table, counters, logs) needs no mu
  if (!s.ok()) {
    // The batch did not commit: the grants do not exist, and the reported lease runs on.
    for (const sweep::Lease& l : out.leases) impl_->table.Erase(l.job_id, l.attempt);
    if (taken && !absl::IsFailedPrecondition(s)) impl_->table.Put(*taken, /*dirty=*/true);
  }
  // The attempt's lease is over once the report is stored, or refused because the sweep
  // was cancelled (the job ended cancelled).
  if (s.ok() || absl::IsFailedPrecondition(s)) impl_->table.Erase(job_id, attempt);
  if (!s.ok()) {
    spdlog::warn("report for job {} attempt {} refused: {}", job_id, attempt, s.ToString());
    return s;
  }
  ++impl_->reports;
  SWEEP_FAULT_POINT("report.after_commit");
  LogOutcome(job_id, attempt, report, out.stored);
  for (const sweep::Lease& l : out.leases) {
    spdlog::info("job {} leased by {} with a report (attempt {})", l.job_id, worker_id, l.attempt);
  }
  if (!out.lease_refused.ok()) {
    spdlog::debug("report of job {}: no next lease for {}: {}", job_id, worker_id,
                  out.lease_refused.ToString());
  }
  impl_->leases += static_cast<int64_t>(out.leases.size());
  return std::move(out.leases);
}

}  // namespace sweep::server
