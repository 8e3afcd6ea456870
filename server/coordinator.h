// Coordinator: the sweep service's core, with no gRPC in it (server/service.* adapts it to
// the wire). It owns the Storage writer and implements the lease state machine of
// docs/design.md section 4: leases with expiry extended by heartbeats, the attempt number
// as fencing token, idempotent reports keyed by (job_id, attempt), cancellation delivered
// in heartbeat replies, and a drain mode for graceful shutdown.
//
// All state lives in SQLite: a Coordinator opened on the file of a killed one continues
// its sweeps. The exception is the last second of heartbeats (lease deadlines and
// progress), kept in memory and written in batches; the start-up grace covers their loss
// (docs/design.md section 4.12). Thread-safe: every method may be called from any gRPC handler
// thread.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/clock.h"
#include "common/records.h"
#include "server/queue_order.h"

namespace sweep::server {

struct CoordinatorOptions {
  std::string db_path;                               // SQLite file, created if missing
  std::chrono::milliseconds lease_ttl{30'000};       // a lease expires this long after
                                                     // its last heartbeat
  std::chrono::milliseconds reap_interval{1'000};    // how often expired leases requeue
  std::chrono::milliseconds max_lease_wait{15'000};  // longest long-poll in Lease()
  int64_t max_jobs_per_sweep = 1'000'000;
  // Leases out at once, over all workers (each worker is also held to its slots).
  int64_t max_running_leases = 100'000;
  // Expected cost of a job, for the queue order (server/queue_order.h); empty: by seed
  // rank and file order only. sweepd and `sweep local` pass the numerics' cost model.
  JobCostFn job_cost;
  // Heartbeats extend leases in memory and are written to SQLite in one transaction this
  // often (docs/design.md section 4.12).
  std::chrono::milliseconds heartbeat_flush_interval{1'000};
  absl::Status Validate() const;
};

// Counters since Open, for `sweepd --stats-interval` and the benchmarks.
struct CoordinatorStats {
  int64_t write_batches = 0;         // SQLite write transactions (group commits), one fsync each
  int64_t write_ops = 0;             // operations those transactions carried
  int64_t write_busy_us = 0;         // wall time spent running them, fsync included: the
                                     // writer runs one batch at a time, so near 100% of
                                     // the elapsed time it bounds the throughput
  int64_t leases = 0;                // leases granted
  int64_t reports = 0;               // reports accepted (stored or replayed)
  int64_t heartbeats = 0;            // heartbeats accepted
  int64_t heartbeats_in_memory = 0;  // of those, answered from memory without a write
  int64_t flushes = 0;               // heartbeat flushes written
  int64_t flushed_leases = 0;        // lease rows those flushes wrote
  int64_t live_leases = 0;           // running leases held in memory now
};

// Why a long poll came back without a job.
enum class NoLeaseReason { kTimeout, kDraining };

class Coordinator {
 public:
  static absl::StatusOr<std::unique_ptr<Coordinator>> Open(const CoordinatorOptions& options,
                                                           const Clock& clock);
  ~Coordinator();
  Coordinator(const Coordinator&) = delete;
  Coordinator& operator=(const Coordinator&) = delete;

  // Stores a sweep and its jobs in one transaction. A repeated request_id returns the
  // first outcome with existing = true. INVALID_ARGUMENT if over max_jobs_per_sweep.
  absl::StatusOr<SubmitOutcome> Submit(const NewSweep& sweep);

  // `sweep extend`: adds the cells of `extension` (a parsed file) that sweep_id lacks
  // (Store::Extend; the file must keep every cell the sweep has) and wakes the workers.
  absl::StatusOr<ExtendOutcome> Extend(int64_t sweep_id, const NewSweep& extension);

  absl::Status RegisterWorker(const WorkerHello& hello);

  // Worker identity (docs/design.md section 6.5; server/coordinator_identity.cc).
  // Registers the worker and binds it to a session secret: returns a fresh random secret,
  // or "" when `presented_secret` is already the worker's session (a worker re-registering
  // after a reconnect keeps it). Only the secret's SHA-256 is stored. PERMISSION_DENIED
  // when another session of that id still holds running leases.
  absl::StatusOr<std::string> RegisterSession(const WorkerHello& hello,
                                              const std::string& presented_secret);
  // The worker a session secret belongs to; UNAUTHENTICATED for an unknown secret.
  absl::StatusOr<std::string> WorkerForSession(const std::string& secret);
  // OK when `worker_id` holds the lease of a running job with `training_hash`;
  // PERMISSION_DENIED otherwise (only that worker may store the job's checkpoint).
  absl::Status CheckCheckpointLease(const std::string& worker_id, const std::string& training_hash);

  // Long poll: grants the oldest queued job (or an expired lease's job) with attempt + 1,
  // waiting up to `wait` (capped at max_lease_wait) for one to appear. Returns nullopt
  // on timeout; UNAVAILABLE "draining" once BeginDrain() was called. Only a registered
  // worker gets a lease (PERMISSION_DENIED), and at most its slots at once and
  // max_running_leases in all (RESOURCE_EXHAUSTED). `cancelled` is
  // polled so that a handler whose client went away returns early.
  // Only jobs that fit `fit` (the worker's free cores, LeaseFit) are granted.
  absl::StatusOr<std::optional<sweep::Lease>> Lease(const std::string& worker_id,
                                                    std::chrono::milliseconds wait,
                                                    const std::function<bool()>& cancelled,
                                                    LeaseFit fit = {});

  // The same for a worker with several free slots: up to `max_jobs` (1..1024) leases in
  // one call and one transaction, each within the worker's slots and the free cores of
  // `fit` (every grant takes its job's threads from them). Empty on timeout.
  absl::StatusOr<std::vector<sweep::Lease>> LeaseBatch(const std::string& worker_id,
                                                       std::chrono::milliseconds wait,
                                                       const std::function<bool()>& cancelled,
                                                       LeaseFit fit, int max_jobs);

  // Extends the lease of (job_id, attempt, worker_id) and records progress. ABORTED when
  // that attempt is no longer current (expired and re-leased, or the job ended). The
  // current lease is extended in memory, without a SQLite write; the new deadline and
  // progress reach the file with the next flush (docs/design.md section 4.12).
  absl::StatusOr<HeartbeatReply> Heartbeat(int64_t job_id, int attempt,
                                           const std::string& worker_id, int64_t step,
                                           int64_t total);

  // Stores the outcome of (job_id, attempt). OK for the current attempt (stored) and for
  // an exact replay of an accepted report; ABORTED for a stale attempt or a different
  // payload under an accepted key; nothing is written then. Replies only after COMMIT.
  absl::Status Report(int64_t job_id, int attempt, const JobReport& report);

  // Report, and in the same transaction (one commit) up to `max_jobs` (1..1024) leases for
  // the report's worker, granted by every rule of LeaseBatch: the worker's slots and
  // max_running_leases, `fit` (free cores, exec names), paused and cancelled sweeps, a
  // verification job's avoided worker (docs/design.md section 4.3). It never waits.
  // Returns the report's status, as Report; a refused report grants nothing. On OK, the
  // leases granted: empty when no job is ready, while draining, or when the quota
  // refuses (the worker's LeaseJob then says why). Replies only after COMMIT.
  absl::StatusOr<std::vector<sweep::Lease>> ReportAndLease(int64_t job_id, int attempt,
                                                           const JobReport& report, LeaseFit fit,
                                                           int max_jobs);

  // Hands a job back (worker draining): requeued at once, the attempt does not count.
  absl::Status Release(int64_t job_id, int attempt, const std::string& worker_id);

  // Queued jobs become cancelled at once; running ones learn it from their next heartbeat.
  absl::Status Cancel(int64_t sweep_id);
  // `sweep retry`: requeues the sweep's failed jobs of the given kinds (Store::Retry) and
  // wakes the workers; returns how many were requeued.
  absl::StatusOr<int64_t> Retry(int64_t sweep_id, const std::vector<FailureKind>& kinds);
  // `sweep pause|resume|stop` (Store::SetPaused, Store::Stop): returns how many queued
  // jobs were cancelled (stop; 0 otherwise). Resume wakes waiting workers.
  absl::StatusOr<int64_t> Control(int64_t sweep_id, SweepAction action);

  // Read side, also served by storage directly for `--db`.
  absl::StatusOr<std::vector<SweepSummary>> ListSweeps();
  absl::StatusOr<SweepSummary> GetSweep(int64_t sweep_id);
  absl::StatusOr<std::vector<AdaptiveCell>> AdaptiveCells(int64_t sweep_id);
  // `sweep verify`: storage::Store::CreateVerification (sample at most
  // limits::kMaxVerifySample), and a verification sweep's comparison.
  absl::StatusOr<VerifyOutcome> Verify(int64_t sweep_id, int64_t sample, uint64_t seed);
  absl::StatusOr<std::vector<VerifiedPair>> Verification(int64_t sweep_id);
  // Keyset pages as storage::Reader::ListJobs / ListWorkers (limit -1: all).
  absl::StatusOr<std::vector<JobRecord>> ListJobs(int64_t sweep_id, std::optional<JobState> state,
                                                  int64_t after_job_id = 0, int64_t limit = -1);
  absl::StatusOr<std::vector<ResultGroup>> Results(const ResultsQuery& q);
  absl::StatusOr<std::vector<CurveGroup>> Curves(const ResultsQuery& q);
  absl::StatusOr<std::vector<WorkerRecord>> ListWorkers(const std::string& after_worker_id = "",
                                                        int64_t limit = -1);

  // Checkpoints of trained models, keyed by training hash (docs/design.md section 4.10). A
  // worker that trained a model puts it before reporting; a lease says whether one is stored
  // (sweep::Lease::checkpoint_available) so the worker fetches it instead of training.
  // Put is idempotent: the first bytes stored under a training hash win and a later put
  // of that hash returns OK without writing. Errors as storage::Store::PutCheckpoint
  // (INVALID_ARGUMENT, NOT_FOUND job, DATA_LOSS size/sha256 mismatch). OK after COMMIT.
  absl::Status PutCheckpoint(const CheckpointRecord& checkpoint);
  // The checkpoint stored under `training_hash`, bytes included; nullopt when none.
  absl::StatusOr<std::optional<CheckpointRecord>> GetCheckpoint(const std::string& training_hash);
  // The checkpoint under job `job_id`'s training hash (export); NOT_FOUND unknown job.
  absl::StatusOr<std::optional<CheckpointRecord>> GetCheckpointForJob(int64_t job_id);
  // Metadata only (bytes empty), of a sweep's checkpoints or of all of them.
  absl::StatusOr<std::vector<CheckpointRecord>> ListCheckpoints(std::optional<int64_t> sweep_id);

  // Drain: new leases are refused (UNAVAILABLE "draining") and long polls return now.
  // Reports and heartbeats are still served until the process stops; the reaper expires
  // no lease any more (docs/design.md section 4.8).
  void BeginDrain();
  bool draining() const;

  // Requeues expired leases now (also done on every Lease call and by a reaper thread).
  // Expiry is judged by the deadlines in memory, so a heartbeat not yet flushed counts.
  absl::Status ReapExpired();

  // Writes the heartbeats kept in memory (deadlines, progress, workers' last_seen_at)
  // now, in one transaction; also done every heartbeat_flush_interval and at shutdown.
  absl::Status FlushHeartbeats();

  CoordinatorStats stats() const;

 private:
  struct Impl;
  explicit Coordinator(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace sweep::server
