// Job states as data (docs/design.md section 3): one table, so adding a state is one line.
//
//   queued -> running -> succeeded | failed | cancelled
//   running -> queued   (lease expired or handed back; attempt + 1 on the next lease)
//
// A failed job also records why (FailureKind): a deterministic job error and a diverged
// run are never retried; a lost lease is retried until max_attempts.
#pragma once

#include <optional>
#include <string_view>

namespace sweep {

enum class JobState { kQueued, kRunning, kSucceeded, kFailed, kCancelled };

enum class FailureKind { kNone, kError, kDiverged, kLost };

// Stable lower-case names used in SQLite, JSON/CSV output and CLI flags.
std::string_view JobStateName(JobState s);
std::optional<JobState> ParseJobState(std::string_view name);
bool IsTerminal(JobState s);

std::string_view FailureKindName(FailureKind k);
std::optional<FailureKind> ParseFailureKind(std::string_view name);

}  // namespace sweep
