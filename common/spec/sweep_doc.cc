#include "common/spec/sweep_doc.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/exec_keys.h"
#include "common/job_keys.h"
#include "common/limits.h"
#include "common/status.h"

namespace sweep::spec {
namespace {

using nlohmann::json;

using limits::kMaxNameBytes;

bool IsJobKey(const std::string& key) {
  if (IsExecParamKey(key)) return true;  // an exec program's own parameter (docs/exec.md)
  const auto& keys = AllJobKeys();
  return std::binary_search(keys.begin(), keys.end(), key);
}

absl::Status CheckJobKey(std::string_view source, std::string_view section, const MapEntry& e) {
  if (IsJobKey(e.key)) return absl::OkStatus();
  return PositionError(source, e.key_pos,
                       absl::StrCat(std::string(section), ": unknown key \"", e.key, "\""));
}

// A job value is a scalar, or a list of scalars (eval_lengths).
absl::StatusOr<json> JobValue(std::string_view source, const std::string& where,
                              const SpecNode& node) {
  if (node.kind == SpecNode::Kind::kScalar && !node.scalar.is_null()) return node.scalar;
  if (node.kind == SpecNode::Kind::kSequence) {
    json list = json::array();
    for (const SpecNode& item : node.items) {
      if (item.kind != SpecNode::Kind::kScalar || item.scalar.is_null()) {
        return PositionError(
            source, item.pos,
            absl::StrCat(where, ": list entries must be values, got ", KindName(item)));
      }
      list.push_back(item.scalar);
    }
    return list;
  }
  return PositionError(source, node.pos,
                       absl::StrCat(where, ": expected a value, got ", KindName(node)));
}

absl::Status ParseName(std::string_view source, const SpecNode& v, SweepDoc& doc) {
  if (v.kind != SpecNode::Kind::kScalar || !v.scalar.is_string() ||
      v.scalar.get_ref<const std::string&>().empty()) {
    return PositionError(source, v.pos,
                         absl::StrCat("name: expected a non-empty string, got ", KindName(v)));
  }
  doc.name = v.scalar.get<std::string>();
  if (doc.name.size() > kMaxNameBytes) {
    return PositionError(source, v.pos,
                         absl::StrCat("name: longer than ", kMaxNameBytes, " bytes"));
  }
  return absl::OkStatus();
}

absl::Status ParseBase(std::string_view source, const SpecNode& v, SweepDoc& doc) {
  if (v.kind != SpecNode::Kind::kMap) {
    return PositionError(source, v.pos,
                         absl::StrCat("base: expected a map of job keys, got ", KindName(v)));
  }
  for (const MapEntry& e : v.entries) {
    SWEEP_RETURN_IF_ERROR(CheckJobKey(source, "base", e));
    SWEEP_ASSIGN_OR_RETURN(json value, JobValue(source, "base." + e.key, e.value));
    doc.base.push_back(KeyValue{e.key, e.value.pos, std::move(value)});
  }
  return absl::OkStatus();
}

absl::StatusOr<Axis> ParseAxis(std::string_view source, const MapEntry& e) {
  const std::string where = "grid." + e.key;
  if (e.value.kind != SpecNode::Kind::kSequence || e.value.items.empty()) {
    return PositionError(
        source, e.value.pos,
        absl::StrCat(
            where, ": expected a non-empty list of values, got ",
            e.value.kind == SpecNode::Kind::kSequence ? "an empty list" : KindName(e.value)));
  }
  Axis axis{e.key, e.key_pos, {}, {}};
  for (const SpecNode& item : e.value.items) {
    SWEEP_ASSIGN_OR_RETURN(json value, JobValue(source, where, item));
    if (std::find(axis.values.begin(), axis.values.end(), value) != axis.values.end()) {
      return PositionError(source, item.pos,
                           absl::StrCat(where, ": duplicate value ", Dump(value)));
    }
    axis.values.push_back(std::move(value));
    axis.value_pos.push_back(item.pos);
  }
  return axis;
}

absl::Status ParseGrid(std::string_view source, const SpecNode& v, SweepDoc& doc) {
  if (v.kind != SpecNode::Kind::kMap) {
    return PositionError(source, v.pos,
                         absl::StrCat("grid: expected a map of key: [values], got ", KindName(v)));
  }
  for (const MapEntry& e : v.entries) {
    SWEEP_RETURN_IF_ERROR(CheckJobKey(source, "grid", e));
    SWEEP_ASSIGN_OR_RETURN(Axis axis, ParseAxis(source, e));
    doc.axes.push_back(std::move(axis));
  }
  return absl::OkStatus();
}

// `seeds: {min, max, ci, metric}`: adaptive seeds. The grid gets seeds 0..min-1; the
// coordinator adds the rest (common/adaptive_seeds.h).
absl::StatusOr<AdaptiveSeeds> ParseAdaptiveSeeds(std::string_view source, const SpecNode& v) {
  AdaptiveSeeds s;
  bool has_ci = false;
  for (const MapEntry& e : v.entries) {
    const std::string where = "seeds." + e.key;
    const SpecNode& x = e.value;
    const bool scalar = x.kind == SpecNode::Kind::kScalar;
    const std::string got = scalar ? Dump(x.scalar) : KindName(x);
    if (e.key == "min" || e.key == "max") {
      if (!scalar || !x.scalar.is_number_integer()) {
        return PositionError(source, x.pos, absl::StrCat(where, ": expected an integer, got ", got));
      }
      (e.key == "min" ? s.min : s.max) = x.scalar.get<int64_t>();
    } else if (e.key == "ci") {
      if (!scalar || !x.scalar.is_number()) {
        return PositionError(source, x.pos, absl::StrCat(where, ": expected a number, got ", got));
      }
      s.ci = x.scalar.get<double>();
      has_ci = true;
    } else if (e.key == "metric") {
      if (!scalar || !x.scalar.is_string()) {
        return PositionError(source, x.pos,
                             absl::StrCat(where, ": expected nmse or mse, got ", got));
      }
      s.metric = x.scalar.get<std::string>();
    } else {
      return PositionError(source, e.key_pos,
                           absl::StrCat("seeds: unknown key \"", e.key,
                                        "\" (expected min, max, ci or metric)"));
    }
  }
  if (!has_ci) return PositionError(source, v.pos, "seeds.ci: required (the target half-width)");
  if (absl::Status st = CheckAdaptiveSeeds(s, kMaxSeeds); !st.ok()) {
    return PositionError(source, v.pos, std::string(st.message()));
  }
  return s;
}

absl::Status ParseSeeds(std::string_view source, const MapEntry& e, SweepDoc& doc) {
  const SpecNode& v = e.value;
  int64_t k = 0;
  if (v.kind == SpecNode::Kind::kMap) {
    SWEEP_ASSIGN_OR_RETURN(AdaptiveSeeds adaptive, ParseAdaptiveSeeds(source, v));
    k = adaptive.min;
    doc.adaptive_seeds = adaptive;
  } else if (v.kind != SpecNode::Kind::kScalar || !v.scalar.is_number_integer() ||
             v.scalar.get<int64_t>() < 1 || v.scalar.get<int64_t>() > kMaxSeeds) {
    std::string got = v.kind == SpecNode::Kind::kScalar ? Dump(v.scalar) : KindName(v);
    return PositionError(source, v.pos,
                         absl::StrCat("seeds: expected an integer in 1..", kMaxSeeds,
                                      " or a map {min, max, ci, metric}, got ", got));
  } else {
    k = v.scalar.get<int64_t>();
  }
  Axis axis{"seed", e.key_pos, {}, {}};
  axis.values.reserve(k);
  for (int64_t s = 0; s < k; ++s) axis.values.push_back(json(s));
  axis.value_pos.assign(k, v.pos);
  doc.axes.push_back(std::move(axis));
  doc.seeds_axis = true;
  return absl::OkStatus();
}

absl::Status ParseMaxAttempts(std::string_view source, const SpecNode& v, SweepDoc& doc) {
  if (v.kind != SpecNode::Kind::kScalar || !v.scalar.is_number_integer() ||
      v.scalar.get<int64_t>() < 1 || v.scalar.get<int64_t>() > kMaxAttempts) {
    std::string got = v.kind == SpecNode::Kind::kScalar ? Dump(v.scalar) : KindName(v);
    return PositionError(
        source, v.pos,
        absl::StrCat("max_attempts: expected an integer in 1..", kMaxAttempts, ", got ", got));
  }
  doc.max_attempts = static_cast<int>(v.scalar.get<int64_t>());
  return absl::OkStatus();
}

absl::Status ParseExclude(std::string_view source, const SpecNode& v, SweepDoc& doc) {
  if (v.kind != SpecNode::Kind::kSequence) {
    return PositionError(
        source, v.pos,
        absl::StrCat("exclude: expected a list of partial configs, got ", KindName(v)));
  }
  for (size_t i = 0; i < v.items.size(); ++i) {
    const SpecNode& item = v.items[i];
    const std::string where = absl::StrCat("exclude[", i, "]");
    if (item.kind != SpecNode::Kind::kMap || item.entries.empty()) {
      return PositionError(source, item.pos,
                           absl::StrCat(where, ": expected a non-empty map, got ", KindName(item)));
    }
    std::vector<KeyValue> entry;
    for (const MapEntry& e : item.entries) {
      SWEEP_RETURN_IF_ERROR(CheckJobKey(source, where, e));
      SWEEP_ASSIGN_OR_RETURN(json value, JobValue(source, where + "." + e.key, e.value));
      entry.push_back(KeyValue{e.key, e.key_pos, std::move(value)});
    }
    doc.excludes.push_back(std::move(entry));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<SweepDoc> BuildSweepDoc(const SpecNode& root, std::string_view source) {
  if (root.kind != SpecNode::Kind::kMap) {
    return PositionError(
        source, root.pos,
        absl::StrCat("a sweep file is a map (name, base, grid, ...), got ", KindName(root)));
  }
  SweepDoc doc;
  const MapEntry* seeds = nullptr;
  for (const MapEntry& e : root.entries) {
    if (e.key == "name") {
      SWEEP_RETURN_IF_ERROR(ParseName(source, e.value, doc));
    } else if (e.key == "base") {
      SWEEP_RETURN_IF_ERROR(ParseBase(source, e.value, doc));
    } else if (e.key == "grid") {
      SWEEP_RETURN_IF_ERROR(ParseGrid(source, e.value, doc));
    } else if (e.key == "seeds") {
      seeds = &e;
    } else if (e.key == "exclude") {
      SWEEP_RETURN_IF_ERROR(ParseExclude(source, e.value, doc));
    } else if (e.key == "max_attempts") {
      SWEEP_RETURN_IF_ERROR(ParseMaxAttempts(source, e.value, doc));
    } else {
      return PositionError(
          source, e.key_pos,
          absl::StrCat("unknown key \"", e.key,
                       "\" (expected name, base, grid, seeds, exclude or max_attempts)"));
    }
  }
  if (doc.name.empty()) return PositionError(source, root.pos, "name: required");
  // seeds is the last axis whatever its place in the file: seeds vary fastest.
  if (seeds != nullptr) SWEEP_RETURN_IF_ERROR(ParseSeeds(source, *seeds, doc));
  SWEEP_RETURN_IF_ERROR(CheckSweepDoc(source, doc));
  return doc;
}

}  // namespace sweep::spec
