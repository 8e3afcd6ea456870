// Every size and range limit the service enforces on input it does not control, stated
// once (docs/limits.md has the same table for users). A limit is checked before the
// input is turned into anything large (a tree, a row, a reply), and a refusal is
// INVALID_ARGUMENT (a malformed value) or RESOURCE_EXHAUSTED (too much of it) whose
// message names the field and the limit.
#pragma once

#include <cstddef>
#include <cstdint>

namespace sweep::limits {

// ---- sweep files (common/spec) ----
inline constexpr size_t kMaxSpecBytes = 16 << 20;        // the whole file
inline constexpr int kMaxSpecDepth = 64;                 // nesting of lists and maps
inline constexpr size_t kMaxSpecNodes = 200'000;         // after alias expansion
inline constexpr size_t kMaxSpecStringBytes = 64 << 10;  // one scalar
inline constexpr int64_t kMaxJobsPerSweep = 1'000'000;   // grid cells before exclude/dedup
inline constexpr int64_t kMaxVerifySample = 1000;  // cells one `sweep verify` reruns
inline constexpr int kMaxDiffsPerPair = 100;       // differing metrics a reply lists per cell
inline constexpr size_t kMaxNameBytes = 256;             // `name:` of a sweep
inline constexpr size_t kMaxSourceNameBytes = 1024;      // file name sent with a submit
inline constexpr size_t kMaxRequestIdBytes = 128;        // submit idempotency key

// ---- workers ----
inline constexpr size_t kMaxWorkerIdBytes = 256;
inline constexpr size_t kMaxHostBytes = 256;
inline constexpr size_t kMaxBuildVersionBytes = 256;
// A result's provenance JSON (common/provenance.h): a few hundred bytes in practice.
inline constexpr size_t kMaxProvenanceBytes = 4096;
inline constexpr int kMaxSlots = 1024;  // slots of one worker: 1..kMaxSlots

// ---- reports ----
// A job's curve holds at most one point per context length n in 0..N (N <= 65536).
inline constexpr int64_t kMaxCurvePoints = 65'537;
inline constexpr int64_t kMaxLossPoints = 1'000'000;  // training-loss samples of one job
// A job's error message is stored truncated to this many bytes (the rest is dropped with
// a note), so that listing failed jobs never carries megabytes per row.
inline constexpr size_t kMaxErrorBytes = 4096;

// ---- the wire ----
// The largest gRPC message either side sends or accepts: a sweep file at the limit plus
// the request's other fields. Server and clients set the same value (rpc/channel.cc,
// server/server_runner.cc), so a file the parser accepts is never refused by gRPC first.
inline constexpr int kMaxMessageBytes = static_cast<int>(kMaxSpecBytes) + (1 << 20);
// ListJobs / ListWorkers pages: at most this many records, and a page stops growing
// once its records reach kMaxPageBytes (at least one record per page), far below
// kMaxMessageBytes.
inline constexpr int kDefaultPageSize = 1000;
inline constexpr int kMaxPageSize = 10'000;
inline constexpr size_t kMaxPageBytes = 2 << 20;

}  // namespace sweep::limits
