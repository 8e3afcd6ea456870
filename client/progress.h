// The progress line of `sweep status` and `sweep local`: a bar and the counts per state,
// the rate of finished jobs and an ETA. Pure functions, tested with fixed times.
#pragma once

#include <string>

#include "common/records.h"

namespace sweep::client {

// Jobs that will not change any more (succeeded, failed, cancelled).
int64_t FinishedJobs(const SweepSummary& s);
// True when no job is queued or running.
bool SweepDone(const SweepSummary& s);

// Jobs per second computed (not cached) since the sweep was created, or 0 if none yet.
double JobRate(const SweepSummary& s, TimePoint now);

// e.g. `#3 tiny [########------------] 16/40 succeeded=16 running=4 queued=20 failed=0
// cached=2 rate=1.5/s eta=16s`; `width` is the bar's width in characters.
std::string FormatProgress(const SweepSummary& s, TimePoint now, int width = 24);

}  // namespace sweep::client
