#include "common/job_state.h"

#include <array>
#include <utility>

namespace sweep {
namespace {

constexpr std::array<std::pair<JobState, std::string_view>, 5> kStates = {{
    {JobState::kQueued, "queued"},
    {JobState::kRunning, "running"},
    {JobState::kSucceeded, "succeeded"},
    {JobState::kFailed, "failed"},
    {JobState::kCancelled, "cancelled"},
}};

constexpr std::array<std::pair<FailureKind, std::string_view>, 4> kKinds = {{
    {FailureKind::kNone, "none"},
    {FailureKind::kError, "error"},
    {FailureKind::kDiverged, "diverged"},
    {FailureKind::kLost, "lost"},
}};

template <typename E, size_t K>
std::string_view NameOf(const std::array<std::pair<E, std::string_view>, K>& table, E e) {
  for (const auto& [value, name] : table)
    if (value == e) return name;
  return "unknown";
}

template <typename E, size_t K>
std::optional<E> Parse(const std::array<std::pair<E, std::string_view>, K>& table,
                       std::string_view name) {
  for (const auto& [value, n] : table)
    if (n == name) return value;
  return std::nullopt;
}

}  // namespace

std::string_view JobStateName(JobState s) { return NameOf(kStates, s); }
std::optional<JobState> ParseJobState(std::string_view name) { return Parse(kStates, name); }
bool IsTerminal(JobState s) {
  return s == JobState::kSucceeded || s == JobState::kFailed || s == JobState::kCancelled;
}
std::string_view FailureKindName(FailureKind k) { return NameOf(kKinds, k); }
std::optional<FailureKind> ParseFailureKind(std::string_view name) { return Parse(kKinds, name); }

}  // namespace sweep
