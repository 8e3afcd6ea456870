// A Jepsen-style check of a sweep's history after faults (kill tests, fault proxy, disk
// full): read the finished database and verify, job by job, that every job succeeded
// exactly once and that its attempts and events form a valid sequence under the lease
// state machine of docs/design.md section 4 (schema in docs/schema.md):
//
//   queued --leased(a = previous + 1)--> held(a)
//   held(a) --requeued(a) | released(a)--> queued
//   held(a) --succeeded(a), by the worker that leased a--> done (no later job events)
//
// An event for an attempt that is not the one held (a report from a stale lease) breaks
// the sequence. The attempts rows must agree: numbered 1..jobs.attempt, every one but the
// last ended lost or released, the last succeeded, and the one results row of the job
// was written by that attempt with its digest.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace sweep::integration {

struct HistoryReport {
  int64_t jobs = 0;                     // jobs of the sweep
  int64_t exactly_once = 0;             // succeeded once, with a valid history
  int64_t lost = 0;                     // never succeeded
  int64_t duplicated = 0;               // more than one success (events, attempts or results)
  int64_t unexpected = 0;               // a history that breaks the state machine, or a failure
  int64_t attempts = 0;                 // leases granted in all
  int64_t expired = 0;                  // attempts ended lost (lease expired)
  int64_t released = 0;                 // attempts handed back
  std::vector<std::string> violations;  // one line per broken rule (the first 50)

  bool ok() const { return lost == 0 && duplicated == 0 && unexpected == 0 && jobs > 0; }
  std::string Summary() const;  // "jobs 40: exactly once 40, lost 0, ..." on one line
};

// Reads `db_path` read-only. An error only if the file cannot be read.
absl::StatusOr<HistoryReport> CheckHistory(const std::string& db_path, int64_t sweep_id);

}  // namespace sweep::integration
