// The aggregation queries behind `sweep results` and `sweep curves`, run on any
// connection (a Reader's read-only one). Rows are selected and grouped in SQL-side JSON
// (config_json -> '$.key' keeps each value's canonical JSON text); means and sample
// standard deviations are accumulated in C++ so that NaN propagates instead of being
// skipped as NULL.
#pragma once

#include <vector>

#include "absl/status/statusor.h"
#include "common/records.h"
#include "storage/sqlite.h"

namespace sweep::storage {

// See Reader::Results. INVALID_ARGUMENT for a malformed key; NOT_FOUND for an unknown
// sweep.
absl::StatusOr<std::vector<ResultGroup>> QueryResults(Connection& conn, const ResultsQuery& q);
absl::StatusOr<std::vector<CurveGroup>> QueryCurves(Connection& conn, const ResultsQuery& q);

// The canonical JSON text a `where` value is compared as: the value itself if it parses
// as JSON (16 -> 16, 0.10 -> 0.1, "h3" -> "h3", true -> true), else the value as a JSON
// string (h3 -> "h3").
std::string CanonicalWhereValue(const std::string& value);

// Canonical config JSON without its "seed" key (the default results group).
std::string StripSeed(std::string json);

}  // namespace sweep::storage
