// Progress line (see progress.h).
#include "client/progress.h"

#include <algorithm>
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

std::string FormatSeconds(double seconds) {
  const int64_t t = static_cast<int64_t>(std::ceil(std::max(0.0, seconds)));
  if (t < 60) return absl::StrCat(t, "s");
  if (t < 3600) return absl::StrFormat("%dm%02ds", t / 60, t % 60);
  return absl::StrFormat("%dh%02dm%02ds", t / 3600, t / 60 % 60, t % 60);
}

namespace {

double Elapsed(const JobRecord& j, TimePoint now) {
  return std::max(0.0, std::chrono::duration<double>(now - *j.leased_at).count());
}

bool HasProgress(const JobRecord& j) {
  return j.state == JobState::kRunning && j.leased_at && j.progress_step > 0 &&
         j.progress_total >= j.progress_step;
}

}  // namespace

std::optional<double> JobSecondsLeft(const JobRecord& j, TimePoint now) {
  if (!HasProgress(j)) return std::nullopt;
  return Elapsed(j, now) * static_cast<double>(j.progress_total - j.progress_step) /
         static_cast<double>(j.progress_step);
}

std::optional<double> StepEtaSeconds(const SweepSummary& s, const std::vector<JobRecord>& running,
                                     TimePoint now) {
  double left = 0, longest = 0, projected = 0;
  int with_progress = 0;
  for (const JobRecord& j : running) {
    std::optional<double> l = JobSecondsLeft(j, now);
    if (!l) continue;
    ++with_progress;
    left += *l;
    longest = std::max(longest, *l);
    projected += Elapsed(j, now) + *l;
  }
  if (with_progress == 0) return std::nullopt;
  // Running jobs without a report yet count as starting now with the mean length.
  const double mean = projected / with_progress;
  const int64_t running_now = std::max<int64_t>(s.running, with_progress);
  left += mean * static_cast<double>(s.queued + running_now - with_progress);
  return std::max(longest, left / static_cast<double>(running_now));
}

std::string FormatRunningJob(const JobRecord& j, TimePoint now) {
  std::string line =
      absl::StrCat("  job ", j.job_id, " on ", j.worker_id.empty() ? "-" : j.worker_id);
  if (!HasProgress(j)) {
    if (j.leased_at) absl::StrAppend(&line, ": ", FormatSeconds(Elapsed(j, now)), " elapsed");
    return line;
  }
  const double pct = 100.0 * static_cast<double>(j.progress_step) / j.progress_total;
  absl::StrAppendFormat(&line, ": step %d/%d (%.0f%%), %s elapsed, ~%s left", j.progress_step,
                        j.progress_total, pct, FormatSeconds(Elapsed(j, now)),
                        FormatSeconds(*JobSecondsLeft(j, now)));
  return line;
}

std::string FormatProgress(const SweepSummary& s, TimePoint now, int width,
                           std::optional<double> step_eta) {
  const int64_t finished = FinishedJobs(s);
  const int filled = s.total > 0 ? static_cast<int>(width * finished / s.total) : width;
  std::string bar = std::string(filled, '#') + std::string(width - filled, '-');
  const double rate = JobRate(s, now);
  std::string eta = "-";
  const int64_t remaining = s.queued + s.running;
  if (remaining == 0) {
    eta = "0s";
  } else if (step_eta) {
    eta = FormatSeconds(*step_eta);
  } else if (rate > 0) {
    eta = absl::StrCat(static_cast<int64_t>(std::ceil(remaining / rate)), "s");
  }
  std::string line = absl::StrFormat(
      "#%d %s [%s] %d/%d succeeded=%d running=%d queued=%d failed=%d cached=%d rate=%.2f/s eta=%s",
      s.sweep_id, EscapeForDisplay(s.name), bar, finished, s.total, s.succeeded, s.running,
      s.queued, s.failed, s.cached, rate, eta);
  // The lifecycle, then the first failure at once, without waiting for the sweep's end.
  if (s.cancel_requested) absl::StrAppend(&line, " [cancelled]");
  if (s.stop_requested) absl::StrAppend(&line, remaining > 0 ? " [stopping]" : " [stopped]");
  if (s.paused) absl::StrAppend(&line, " [paused]");
  if (s.fail_fast) absl::StrAppend(&line, " [fail-fast]");
  if (s.first_failed_job_id) {
    constexpr size_t kMaxError = 160;
    const std::string error = s.first_failure_error.size() > kMaxError
                                  ? s.first_failure_error.substr(0, kMaxError) + "..."
                                  : s.first_failure_error;
    absl::StrAppend(&line, " first failure: job ", *s.first_failed_job_id, " (",
                    std::string(FailureKindName(s.first_failure)), "): ", EscapeForDisplay(error));
  }
  return line;
}

}  // namespace sweep::client
