// Cross-section rules of a sweep file (see sweep_doc.h).
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/job_keys.h"
#include "common/spec/sweep_doc.h"
#include "common/status.h"

namespace sweep::spec {
namespace {

using nlohmann::json;

const KeyValue* FindBase(const SweepDoc& doc, std::string_view key) {
  for (const KeyValue& kv : doc.base) {
    if (kv.key == key) return &kv;
  }
  return nullptr;
}

const Axis* FindAxis(const SweepDoc& doc, std::string_view key) {
  for (const Axis& axis : doc.axes) {
    if (axis.key == key) return &axis;
  }
  return nullptr;
}

absl::Status CheckModelValue(std::string_view source, const json& value, Position pos,
                             std::vector<std::string>& models) {
  const auto& known = AllModels();
  if (!value.is_string() ||
      std::find(known.begin(), known.end(), value.get<std::string>()) == known.end()) {
    return PositionError(source, pos,
                         absl::StrCat("model: unknown model ", Dump(value),
                                      " (expected one of: ", absl::StrJoin(known, ", "), ")"));
  }
  models.push_back(value.get<std::string>());
  return absl::OkStatus();
}

// The models that jobs of this sweep can have.
absl::StatusOr<std::vector<std::string>> SweepModels(std::string_view source, const SweepDoc& doc) {
  std::vector<std::string> models;
  if (const KeyValue* kv = FindBase(doc, "model")) {
    SWEEP_RETURN_IF_ERROR(CheckModelValue(source, kv->value, kv->pos, models));
  }
  if (const Axis* axis = FindAxis(doc, "model")) {
    for (size_t i = 0; i < axis->values.size(); ++i) {
      SWEEP_RETURN_IF_ERROR(CheckModelValue(source, axis->values[i], axis->value_pos[i], models));
    }
  }
  if (models.empty()) return PositionError(source, {}, "model: required (set it in base or grid)");
  return models;
}

absl::Status CheckAxes(std::string_view source, const SweepDoc& doc,
                       const std::vector<std::string>& models) {
  for (size_t i = 0; i < doc.axes.size(); ++i) {
    const Axis& axis = doc.axes[i];
    const bool from_seeds = doc.seeds_axis && i + 1 == doc.axes.size();
    const bool in_grid = from_seeds && FindAxis(doc, "seed") != &axis;
    if (in_grid || FindBase(doc, axis.key) != nullptr) {
      std::string where = from_seeds ? "seeds" : "grid." + axis.key;
      return PositionError(
          source, axis.pos,
          absl::StrCat(where, ": ", axis.key, " is also set in ", in_grid ? "grid" : "base"));
    }
    bool used = std::any_of(models.begin(), models.end(),
                            [&](const std::string& m) { return ModelUsesKey(m, axis.key); });
    if (!used) {
      return PositionError(
          source, axis.pos,
          absl::StrCat("grid.", axis.key, ": no model of this sweep uses it (models: ",
                       absl::StrJoin(models, ", "), ")"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckExcludes(std::string_view source, const SweepDoc& doc) {
  for (size_t i = 0; i < doc.excludes.size(); ++i) {
    for (const KeyValue& kv : doc.excludes[i]) {
      if (FindBase(doc, kv.key) == nullptr && FindAxis(doc, kv.key) == nullptr) {
        return PositionError(
            source, kv.pos,
            absl::StrCat("exclude[", i, "].", kv.key,
                         ": not set in base or grid (the entry would never match)"));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckSweepDoc(std::string_view source, const SweepDoc& doc) {
  SWEEP_ASSIGN_OR_RETURN(std::vector<std::string> models, SweepModels(source, doc));
  SWEEP_RETURN_IF_ERROR(CheckAxes(source, doc, models));
  return CheckExcludes(source, doc);
}

}  // namespace sweep::spec
