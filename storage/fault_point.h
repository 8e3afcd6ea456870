// Crash points for the kill/restart tests (docs/design.md section 5.5): in a build
// with SWEEP_TESTING, SWEEP_FAULT_POINT("report.before_commit") ends the process with
// _exit(137), as SIGKILL would, when the environment variable SWEEP_FAULT names that
// point. In production builds the macro compiles to nothing.
//
// Points: submit.mid_expansion (half the jobs inserted), lease.before_commit,
// report.before_commit (result rows written, not committed), report_lease.before_commit
// (a report and its next leases written, not committed), report.after_commit (durable,
// reply not sent; in the coordinator).
#pragma once

#ifdef SWEEP_TESTING
#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace sweep::storage {
inline void FaultPoint(const char* name) {
  // Read on every call (cheap next to a commit), so a test may set it at any time.
  const char* wanted = std::getenv("SWEEP_FAULT");
  if (wanted != nullptr && std::strcmp(wanted, name) == 0) _exit(137);
}
}  // namespace sweep::storage
#define SWEEP_FAULT_POINT(name) ::sweep::storage::FaultPoint(name)
#else
#define SWEEP_FAULT_POINT(name) \
  do {                          \
  } while (0)
#endif
