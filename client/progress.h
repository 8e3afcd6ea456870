// The progress line of `sweep status` and `sweep local`: a bar and the counts per state,
// the rate of finished jobs and an ETA. Pure functions, tested with fixed times.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/records.h"

namespace sweep::client {

// Jobs that will not change any more (succeeded, failed, cancelled).
int64_t FinishedJobs(const SweepSummary& s);
// True when no job is queued or running.
bool SweepDone(const SweepSummary& s);

// Jobs per second computed (not cached) since the sweep was created, or 0 if none yet.
double JobRate(const SweepSummary& s, TimePoint now);

// e.g. `#3 tiny [########------------] 16/40 succeeded=16 running=4 queued=20 failed=0
// cached=2 rate=1.5/s eta=16s`; `width` is the bar's width in characters. The ETA is
// `step_eta` when given (StepEtaSeconds), else remaining jobs / JobRate.
std::string FormatProgress(const SweepSummary& s, TimePoint now, int width = 24,
                           std::optional<double> step_eta = std::nullopt);

// Seconds until a running job finishes, from the steps it reported: elapsed since its
// lease * (total - step) / step. nullopt before its first progress report.
std::optional<double> JobSecondsLeft(const JobRecord& j, TimePoint now);

// The sweep's ETA from its running jobs' steps, better than JobRate while few jobs have
// finished (a long training run reports its step long before it ends). Every running job
// is projected to its end (JobSecondsLeft); a queued job is assumed to take the mean
// projected length of the running ones; the work is shared by as many workers as jobs
// run now, and the ETA is never shorter than the longest running job's remainder.
// nullopt when no running job has reported progress.
std::optional<double> StepEtaSeconds(const SweepSummary& s, const std::vector<JobRecord>& running,
                                     TimePoint now);

// One line per running job for `sweep status SWEEP`, e.g.
// `  job 12 on w1: step 3400/6000 (57%), 2m10s elapsed, ~1m40s left`.
std::string FormatRunningJob(const JobRecord& j, TimePoint now);

// 95s -> "1m35s", 3725s -> "1h02m05s".
std::string FormatSeconds(double seconds);

}  // namespace sweep::client
