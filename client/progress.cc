// Progress line (see progress.h).
#include "client/progress.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/display_text.h"

namespace sweep::client {

int64_t FinishedJobs(const SweepSummary& s) { return s.succeeded + s.failed + s.cancelled; }

bool SweepDone(const SweepSummary& s) { return s.queued == 0 && s.running == 0; }

double JobRate(const SweepSummary& s, TimePoint now) {
  // Cached jobs finish at submit time: counting them would inflate the rate.
  const int64_t computed = s.succeeded - s.cached + s.failed;
  if (computed <= 0) return 0;
  const TimePoint end = SweepDone(s) && s.last_finished_at ? *s.last_finished_at : now;
  const double seconds = std::chrono::duration<double>(end - s.created_at).count();
  return seconds > 0 ? computed / seconds : 0;
}

std::string FormatProgress(const SweepSummary& s, TimePoint now, int width) {
  const int64_t finished = FinishedJobs(s);
  const int filled = s.total > 0 ? static_cast<int>(width * finished / s.total) : width;
  std::string bar = std::string(filled, '#') + std::string(width - filled, '-');
  const double rate = JobRate(s, now);
  std::string eta = "-";
  const int64_t remaining = s.queued + s.running;
  if (remaining == 0) {
    eta = "0s";
  } else if (rate > 0) {
    eta = absl::StrCat(static_cast<int64_t>(std::ceil(remaining / rate)), "s");
  }
  return absl::StrFormat(
      "#%d %s [%s] %d/%d succeeded=%d running=%d queued=%d failed=%d cached=%d rate=%.2f/s eta=%s",
      s.sweep_id, EscapeForDisplay(s.name), bar, finished, s.total, s.succeeded, s.running,
      s.queued, s.failed, s.cached, rate, eta);
}

}  // namespace sweep::client
