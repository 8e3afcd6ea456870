// SweepDoc: the sections of a sweep file after structural validation (known keys, right
// node kinds, non-empty distinct axes, seeds range, models known, every grid axis used
// by some model of the sweep). Values are not yet resolved: the key registry checks
// them per job in expand.cc, which reports the positions kept here.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "common/adaptive_seeds.h"
#include "common/spec/spec_tree.h"
#include "nlohmann/json.hpp"

namespace sweep::spec {

struct KeyValue {
  std::string key;
  Position pos;  // of the value
  nlohmann::json value;
};

struct Axis {
  std::string key;
  Position pos;                        // of the key
  std::vector<nlohmann::json> values;  // distinct, non-empty
  std::vector<Position> value_pos;     // one per value
};

struct SweepDoc {
  std::string name;
  std::vector<KeyValue> base;
  std::vector<Axis> axes;  // file order, `seeds:` appended as the last axis `seed`
  std::vector<std::vector<KeyValue>> excludes;
  bool seeds_axis = false;  // the last axis came from `seeds: K` or `seeds: {...}`
  // `seeds: {min, max, ci, metric}`: the axis holds seeds 0..min-1, the coordinator adds
  // the rest per cell.
  std::optional<AdaptiveSeeds> adaptive_seeds;
  int max_attempts = 3;     // lost leases tolerated per job before it fails (top-level key)
};

// The largest `max_attempts:` value.
inline constexpr int64_t kMaxAttempts = 100;

// The largest `seeds:` value.
inline constexpr int64_t kMaxSeeds = 1'000'000;

// Reads the sections of a parsed sweep file and calls CheckSweepDoc.
absl::StatusOr<SweepDoc> BuildSweepDoc(const SpecNode& root, std::string_view source);

// The rules across sections (sweep_doc_check.cc): no key both in base and grid (or seed
// with seeds), models known and present, every grid axis used by some model of the
// sweep, every exclude key set by base or grid.
absl::Status CheckSweepDoc(std::string_view source, const SweepDoc& doc);

}  // namespace sweep::spec
