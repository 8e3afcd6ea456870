// Status helpers that absl 20220623 lacks (docs/design.md section 2.1): early-return macros and the
// bug-only SWEEP_CHECK. absl::Status codes equal gRPC's, so a Status crosses the wire
// unchanged through proto/convert's ToGrpcStatus().
#pragma once

#include <cstdio>
#include <cstdlib>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define SWEEP_STATUS_CONCAT_INNER_(a, b) a##b
#define SWEEP_STATUS_CONCAT_(a, b) SWEEP_STATUS_CONCAT_INNER_(a, b)

// Returns the Status of `expr` from the current function when it is not OK.
#define SWEEP_RETURN_IF_ERROR(expr)                \
  do {                                             \
    ::absl::Status sweep_status_ = (expr);         \
    if (!sweep_status_.ok()) return sweep_status_; \
  } while (0)

// SWEEP_ASSIGN_OR_RETURN(auto x, MakeX()) declares x from an OK StatusOr, or returns
// its Status.
#define SWEEP_ASSIGN_OR_RETURN(lhs, rexpr) \
  SWEEP_ASSIGN_OR_RETURN_IMPL_(SWEEP_STATUS_CONCAT_(sweep_statusor_, __LINE__), lhs, rexpr)
#define SWEEP_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                                 \
  if (!statusor.ok()) return std::move(statusor).status(); \
  lhs = std::move(statusor).value()

// A violated invariant is a bug, not an input error: print and abort (Envoy's
// RELEASE_ASSERT). Never use it on user input.
#define SWEEP_CHECK(cond)                                                                 \
  do {                                                                                    \
    if (!(cond)) {                                                                        \
      std::fprintf(stderr, "%s:%d: SWEEP_CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                       \
    }                                                                                     \
  } while (0)
