// Store: the one writer of a sweep database. Every write and every checkpoint goes
// through its single connection (Debian's SQLite 3.40.1 has the WAL-reset bug, so a
// second writer connection is never opened: docs/design.md section 5.1). Each method is one
// BEGIN IMMEDIATE transaction that either commits whole or rolls back, and returns only
// after COMMIT, so "OK" means durable (WAL, synchronous=FULL).
//
// The lease state machine's storage half lives here, because its checks must run inside
// the same transaction as its writes (the attempt number is a fencing token checked at
// the storage layer: docs/design.md sections 4.2-4.3). Time is passed in by the caller (the
// coordinator's injected Clock), so the Store has no clock of its own.
//
// Attempt counting: jobs.attempt goes up by one on every lease grant, whatever the
// previous attempt's fate, so it is a monotonic fencing token. jobs.lost_attempts counts
// only the attempts whose lease expired; a job fails as `lost` when it reaches the
// sweep's max_attempts. A hand-back (Release) does not count. A heartbeat or report
// for the current attempt is accepted until its expired lease is actually reaped (no
// newer attempt exists yet, so nothing needs fencing off).
//
// Not thread-safe: the coordinator serialises calls with its mutex.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/clock.h"
#include "common/job_config.h"
#include "common/records.h"
#include "storage/sqlite.h"

namespace sweep::storage {

// A job in the form storage keeps: the canonical JSON of its resolved config and hashes.
struct PreparedJob {
  std::string config_json;
  std::string config_hash;
  std::string training_hash;
  std::string model;
  // Position in its sweep's queue (server/queue_order.h); -1: the sweep file's order.
  // Stored as jobs.priority = (sweep_id << 32) + position, so that sweeps still leave the
  // queue in submission order (docs/schema.md).
  int64_t queue_position = -1;
};
// Uses common/job_keys.h (IdentifyJob: the canonical JSON is built once per job).
PreparedJob PrepareJob(const JobConfig& config);

// The lease half of Store::ReportThenLease: LeaseUpTo's arguments but the worker (the
// report's). max_jobs 0: no lease.
struct LeaseAsk {
  std::chrono::milliseconds ttl{0};
  LeaseFit fit;
  int max_jobs = 0;
  int64_t max_running = 0;
};

// What Store::ReportThenLease did.
struct ReportLease {
  bool stored = false;        // as Store::Report: false for an exact replay
  std::vector<Lease> leases;  // granted after the report, in its transaction
  absl::Status lease_refused;  // why no lease was granted, when the quota refused it
};

// What a heartbeat learns.
struct LeaseRenewal {
  bool cancel_requested = false;
  TimePoint expires_at;
  int64_t sweep_id = 0;
};

// A running lease as the coordinator keeps it in memory (docs/design.md section 4.12).
struct RunningLease {
  int64_t job_id = 0;
  int64_t sweep_id = 0;
  int attempt = 0;
  std::string owner;
  TimePoint expires_at;
  int64_t step = 0, total = 0;
};

// Asked by the expiry check for a running lease whose stored deadline is <= now: the
// lease's later deadline when it lives on in memory, nullopt when it has expired.
using LiveDeadline =
    std::function<std::optional<TimePoint>(int64_t job_id, int attempt, TimePoint now)>;

// Running leases of one worker and in all, as the coordinator counts them in memory.
struct LeaseCount {
  int64_t held = 0;
  int64_t total = 0;
};
using LeaseCounter = std::function<LeaseCount(const std::string& worker_id)>;

// What PutCheckpoint did. The first bytes stored under a training hash win.
struct PutCheckpointOutcome {
  bool stored = false;      // false: a checkpoint was already stored under the hash (kept)
  bool same_bytes = false;  // the stored bytes are the offered ones (equal sha256)
  std::string sha256;       // hex SHA-256 of the stored bytes
};

class Store {
 public:
  // Opens or creates the file, sets WAL / synchronous=FULL / busy_timeout=5000 /
  // foreign_keys=ON, runs quick_check (DATA_LOSS if it fails) and migrates the schema.
  static absl::StatusOr<std::unique_ptr<Store>> Open(const std::string& db_path);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Stores the sweep and its jobs in one transaction. A request_id seen before returns
  // that sweep's outcome with existing = true and writes nothing; an empty request_id
  // gets a fresh one (no idempotency). With use_cache, a job whose config_hash already
  // has a succeeded result is stored succeeded + cached, pointing at that result.
  absl::StatusOr<SubmitOutcome> Submit(const NewSweep& sweep, TimePoint now);
  // The same with the jobs already prepared (sweep.jobs is ignored).
  absl::StatusOr<SubmitOutcome> SubmitPrepared(const NewSweep& sweep,
                                               const std::vector<PreparedJob>& jobs, TimePoint now);

  // Inserts or refreshes a worker row (registered_at is kept on re-registration).
  absl::Status RegisterWorker(const WorkerRecord& worker, TimePoint now);

  // Worker identity (docs/design.md section 6.5; storage/store_session.cc). Registers or
  // refreshes the worker and binds it to a session: the SHA-256 of a secret that only
  // the worker knows (the secret itself is never stored). When `presented_hash` is the
  // worker's current session, the session is kept and this returns false; otherwise
  // `new_hash` becomes the session and this returns true. PERMISSION_DENIED (nothing
  // written) when the id belongs to another session that still holds running leases:
  // a second process may not take over a live worker's jobs by reusing its id.
  absl::StatusOr<bool> RegisterSession(const WorkerRecord& worker,
                                       const std::string& presented_hash,
                                       const std::string& new_hash, TimePoint now);
  // The worker whose session hashes to `session_hash`; nullopt when none.
  absl::StatusOr<std::optional<std::string>> WorkerForSession(const std::string& session_hash);
  // Whether `worker_id` holds the lease of a running job with `training_hash` (until it
  // is reaped, as for heartbeats): the only worker that may store that checkpoint.
  absl::StatusOr<bool> HoldsTrainingLease(const std::string& worker_id,
                                          const std::string& training_hash);
  // Refuses a new lease to an unregistered worker (PERMISSION_DENIED), to one holding as
  // many unexpired leases as its registered slots, or when `max_running` leases are out
  // (RESOURCE_EXHAUSTED). Run in the same transaction as LeaseNext.
  absl::Status CheckLeaseQuota(const std::string& worker_id, TimePoint now, int64_t max_running);

  // Requeues expired leases, then grants the first queued job (priority, then job_id)
  // that fits `fit` (the worker's free cores against the job's `threads`) to `worker_id`
  // with attempt + 1 until now + ttl. nullopt when no queued job fits.
  absl::StatusOr<std::optional<Lease>> LeaseNext(const std::string& worker_id, TimePoint now,
                                                 std::chrono::milliseconds ttl,
                                                 LeaseFit fit = {});

  // A worker's lease call (storage/store_lease_batch.cc), in one transaction: reaps
  // expired leases, then grants up to `max_jobs` jobs with LeaseNext while
  // CheckLeaseQuota allows (the worker's slots, `max_running` in all) and the job fits
  // what is left of `fit` (each grant takes its job's threads from the free cores). The
  // quota's refusal is returned only when nothing was granted; empty when no job fits.
  absl::StatusOr<std::vector<Lease>> LeaseUpTo(const std::string& worker_id, TimePoint now,
                                               std::chrono::milliseconds ttl, LeaseFit fit,
                                               int max_jobs, int64_t max_running);

  // Extends the lease of the current (job_id, attempt, worker_id) to now + ttl and
  // records progress. NOT_FOUND for an unknown job; ABORTED "attempt 1 superseded by 2",
  // "job 7 finished (succeeded)" or "... held by w2" otherwise; nothing is written then.
  absl::StatusOr<LeaseRenewal> Heartbeat(int64_t job_id, int attempt, const std::string& worker_id,
                                         int64_t step, int64_t total, TimePoint now,
                                         std::chrono::milliseconds ttl);

  // Stores the outcome of (job_id, attempt): true when stored now, false for an exact
  // replay of an accepted report (same payload digest). ABORTED (nothing written) for a
  // stale attempt or a different payload. A report for a job whose sweep was cancelled
  // cancels the job and returns FAILED_PRECONDITION; its result is not stored.
  absl::StatusOr<bool> Report(int64_t job_id, int attempt, const JobReport& report, TimePoint now);

  // ReportResult with a next-lease ask (storage/store_report_lease.cc): Report, then, when
  // it was stored or replayed and `ask.max_jobs` > 0, LeaseUpTo for the report's worker,
  // in one transaction, so one commit (one fsync) serves both. A refused report grants
  // nothing and returns Report's error (the cancel of a FAILED_PRECONDITION report is
  // still committed). A refused lease (the quota, an unregistered worker) leaves the
  // report standing and is returned in `lease_refused`.
  absl::StatusOr<ReportLease> ReportThenLease(int64_t job_id, int attempt, const JobReport& report,
                                              TimePoint now, const LeaseAsk& ask);

  // Hands the current attempt back: requeued (or cancelled if its sweep was), not
  // counted as lost. ABORTED when (job_id, attempt, worker_id) is not current.
  absl::Status Release(int64_t job_id, int attempt, const std::string& worker_id, TimePoint now);

  // Start-up grace (docs/design.md section 4.9): extends every running lease to at least
  // now + ttl, so workers that kept computing while the coordinator was down can
  // heartbeat again before their jobs are requeued. Returns how many leases it touched.
  absl::StatusOr<int64_t> GraceRunningLeases(TimePoint now, std::chrono::milliseconds ttl);

  // Sets cancel_requested and cancels the sweep's queued jobs; returns how many.
  // NOT_FOUND for an unknown sweep. Idempotent.
  absl::StatusOr<int64_t> Cancel(int64_t sweep_id, TimePoint now);
  // `sweep extend`: inserts the jobs of `jobs` whose config hash the sweep lacks, after
  // every cell it has in the queue, and makes `spec_text` the sweep's file. INVALID_ARGUMENT
  // naming the keys when `jobs` does not contain every cell of the sweep (the file changed
  // the base or dropped grid values); NOT_FOUND for an unknown sweep. Adding nothing is OK.
  absl::StatusOr<ExtendOutcome> Extend(int64_t sweep_id, const std::string& spec_text,
                                       const std::vector<PreparedJob>& jobs, bool use_cache,
                                       TimePoint now);
  // `sweep verify` (docs/design.md section 4.15): a new sweep named "verify-NAME" that
  // reruns `sample` of the sweep's succeeded cells (chosen by `seed`), uncached, each
  // leasable by any worker except the one that computed the original result. NOT_FOUND for
  // an unknown sweep, FAILED_PRECONDITION when none has succeeded, INVALID_ARGUMENT for
  // sample < 1.
  absl::StatusOr<VerifyOutcome> CreateVerification(int64_t sweep_id, int64_t sample,
                                                   uint64_t seed, TimePoint now);
  // `sweep pause` / `sweep resume`: a paused sweep's queued jobs are not leased; running
  // ones go on. NOT_FOUND for an unknown sweep.
  absl::Status SetPaused(int64_t sweep_id, bool paused, TimePoint now);
  // `sweep stop`: queued jobs become cancelled now; running jobs finish and report as
  // usual, but one that ends without a result (lease expired, handed back) is cancelled,
  // not requeued. Returns the number of queued jobs cancelled; NOT_FOUND if unknown.
  absl::StatusOr<int64_t> Stop(int64_t sweep_id, TimePoint now);

  // `sweep retry`: requeues the sweep's failed jobs whose failure kind is in `kinds`
  // (error and/or lost) with a fresh budget of lost attempts; their attempt history stays
  // (the next attempt continues the numbering) and each gets a `retried` event. Clears a
  // cancel request, so that the requeued jobs run. Returns how many were requeued.
  // NOT_FOUND for an unknown sweep; INVALID_ARGUMENT for kNone or kDiverged in `kinds`.
  absl::StatusOr<int64_t> Retry(int64_t sweep_id, const std::vector<FailureKind>& kinds,
                                TimePoint now);

  // Requeues (or fails as lost, or cancels) every running job whose lease expired at or
  // before `now`; returns how many leases expired. A lease whose stored deadline passed
  // but for which the LiveDeadline hook answers a later one is not expired: its stored
  // deadline is moved to that one instead. Every expiry check (here and in LeaseNext)
  // asks the hook.
  absl::StatusOr<int64_t> ReapExpired(TimePoint now);
  void SetLiveDeadline(LiveDeadline hook) { live_deadline_ = std::move(hook); }
  // The lease quota's counts come from this hook instead of a scan of the running jobs
  // (O(running leases) per grant); it must count every lease granted before the current
  // operation. LeaseUpTo adds the ones it granted itself.
  void SetLeaseCounter(LeaseCounter hook) { lease_counter_ = std::move(hook); }

  // Heartbeats kept in memory (docs/design.md section 4.12; storage/store_live.cc).
  // Every running lease, for the coordinator's table at start.
  absl::StatusOr<std::vector<RunningLease>> ListRunningLeases();
  // Sweeps whose cancellation running jobs still have to learn.
  absl::StatusOr<std::vector<int64_t>> CancelledSweeps();
  // Writes the deadline (never moving it earlier) and progress of each lease that is
  // still the running attempt, and each worker's last_seen_at, in one transaction.
  // Returns the job ids of the leases that were not running any more (nothing written).
  absl::StatusOr<std::vector<int64_t>> FlushLeases(
      const std::vector<RunningLease>& leases,
      const std::vector<std::pair<std::string, TimePoint>>& workers_seen);

  // Stores a trained model's checkpoint under record.training_hash, idempotently: when
  // one is already stored, nothing is written and the outcome says stored = false (OK,
  // whatever the bytes: jobs with one training hash train the same model). size_bytes,
  // sha256 and created_at are computed here. INVALID_ARGUMENT for an empty key, model,
  // config or bytes, a format other than "safetensors", or a job_id whose job has another
  // training hash; NOT_FOUND for an unknown job_id; DATA_LOSS when a given size_bytes or
  // sha256 does not match the bytes. Records a `checkpoint_stored` event.
  absl::StatusOr<PutCheckpointOutcome> PutCheckpoint(const CheckpointRecord& record, TimePoint now);

  // Group commit (LevelDB's write batching): runs `ops` in order inside one BEGIN
  // IMMEDIATE transaction and commits once, so one fsync serves the whole batch. Each op
  // calls the methods above, whose transactions become savepoints: an op that fails is
  // rolled back alone and keeps its status. If the batch cannot begin or commit, or
  // SQLite aborts it midway (SQLITE_FULL, IOERR), every op gets that error. One status
  // per op; an op's OK is durable once this returns.
  std::vector<absl::Status> RunBatch(const std::vector<const std::function<absl::Status()>*>& ops);

  // wal_checkpoint(TRUNCATE): for a clean shutdown, so the -wal file ends empty.
  absl::Status Checkpoint();

  // The writer connection, for tests (pragmas, max_page_count) and the benchmark.
  Connection& connection() { return *conn_; }

 private:
  explicit Store(std::unique_ptr<Connection> conn) : conn_(std::move(conn)) {}
  // Returns how many leases expired; `refreshed` gets how many stored deadlines were
  // moved to their live value instead.
  absl::StatusOr<int64_t> ReapLocked(TimePoint now, int64_t& refreshed);
  absl::StatusOr<std::optional<int64_t>> CachedResultFor(const std::string& config_hash);
  // Inserts the sweep's jobs (cached ones as succeeded); returns how many were cached.
  absl::StatusOr<int64_t> InsertJobs(int64_t sweep_id, bool use_cache,
                                     const std::vector<PreparedJob>& jobs, TimePoint now);
  // Writes an accepted report: result and curves, attempt, job state, worker, event.
  absl::Status RecordOutcome(int64_t job_id, int64_t sweep_id, int attempt, const JobReport& report,
                             const std::string& digest, const std::string& worker, TimePoint now);
  // The job's sweep was cancelled while it ran: the job ends cancelled, nothing stored.
  absl::Status CancelOnReport(int64_t job_id, int attempt, int64_t sweep_id,
                              const std::string& worker, TimePoint now);
  absl::Status InsertResult(int64_t job_id, int attempt, const std::string& digest,
                            const JobReport& report, TimePoint now);
  absl::Status FinishAttempt(int64_t job_id, int attempt, std::string_view outcome, TimePoint now,
                             const std::string& digest, const std::string& error);
  // Adaptive seeds (storage/store_adaptive.cc): queues the seeds that the cells of the
  // sweep (or only `only_cell`) need now; returns how many. Nothing for a sweep with fixed
  // seeds or one being stopped or cancelled. Runs inside the caller's transaction.
  absl::StatusOr<int64_t> GrowAdaptiveCells(int64_t sweep_id,
                                            const std::optional<std::string>& only_cell,
                                            TimePoint now);
  // The same for the cell of one job that just ended.
  absl::StatusOr<int64_t> GrowCellOfJob(int64_t job_id, int64_t sweep_id, TimePoint now);

  std::unique_ptr<Connection> conn_;
  int64_t auto_request_ids_ = 0;
  LiveDeadline live_deadline_;
  LeaseCounter lease_counter_;
  // CheckLeaseQuota with `granted` leases of this transaction that the counter hook does
  // not know yet.
  absl::Status QuotaLocked(const std::string& worker_id, TimePoint now, int64_t max_running,
                           int64_t granted);
};

}  // namespace sweep::storage
