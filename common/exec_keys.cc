#include "common/exec_keys.h"

#include <cmath>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status.h"

namespace sweep {
namespace {

using nlohmann::json;

constexpr std::string_view kPrefix = "params.";

bool IsParamName(std::string_view name) {
  if (name.empty() || name.size() > kMaxExecParamKeyBytes) return false;
  auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; };
  if (!alpha(name[0])) return false;
  for (char c : name) {
    if (!alpha(c) && !(c >= '0' && c <= '9')) return false;
  }
  return true;
}

absl::Status ParamError(std::string_view name, std::string_view reason) {
  return absl::InvalidArgumentError(
      absl::StrCat("params.", std::string(name), ": ", std::string(reason)));
}

// A scalar parameter value in canonical form, or an error naming the entry.
absl::StatusOr<json> Scalar(std::string_view name, const json& v) {
  if (v.is_boolean() || v.is_number_integer()) return v;
  if (v.is_number_float()) {
    const double x = v.get<double>();
    if (!std::isfinite(x)) return ParamError(name, "NaN/inf is not allowed");
    return json(x == 0 ? 0.0 : x);  // -0.0 would hash apart from 0.0
  }
  if (v.is_string()) return v;
  return ParamError(name, absl::StrCat("expected a number, string, boolean or list of those, got ",
                                       v.type_name()));
}

}  // namespace

bool IsExecName(std::string_view name) {
  if (name.empty() || name.size() > kMaxExecNameBytes || name[0] == '.' || name[0] == '-') {
    return false;
  }
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

bool IsExecParamKey(std::string_view key) {
  return key.starts_with(kPrefix) && IsParamName(key.substr(kPrefix.size()));
}

absl::Status MergeDottedParams(json& partial) {
  std::vector<std::string> dotted;
  for (const auto& [key, value] : partial.items()) {
    if (std::string_view(key).starts_with(kPrefix)) dotted.push_back(key);
  }
  if (dotted.empty()) return absl::OkStatus();
  json& params = partial["params"];
  if (params.is_null()) params = json::object();
  if (!params.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat("params: expected an object, got ", params.type_name()));
  }
  for (const std::string& key : dotted) {
    const std::string name = key.substr(kPrefix.size());
    if (!IsParamName(name)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "unknown key \"", key, "\" (a parameter name is [A-Za-z_][A-Za-z0-9_]*, at most ",
          kMaxExecParamKeyBytes, " bytes)"));
    }
    if (params.contains(name)) return ParamError(name, "set both as params.NAME and in params");
    params[name] = std::move(partial[key]);
    partial.erase(key);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> CanonicalExecParams(const json& params) {
  if (!params.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat("params: expected an object, got ", params.type_name()));
  }
  if (params.size() > kMaxExecParams) {
    return absl::InvalidArgumentError(
        absl::StrCat("params: ", params.size(), " entries (at most ", kMaxExecParams, ")"));
  }
  json out = json::object();  // nlohmann's object is a std::map: keys come out sorted
  for (const auto& [name, value] : params.items()) {
    if (!IsParamName(name)) {
      return absl::InvalidArgumentError(
          absl::StrCat("params: bad name \"", name.substr(0, kMaxExecParamKeyBytes),
                       "\" (a parameter name is [A-Za-z_][A-Za-z0-9_]*, at most ",
                       kMaxExecParamKeyBytes, " bytes)"));
    }
    if (value.is_array()) {
      json list = json::array();
      for (const json& item : value) {
        SWEEP_ASSIGN_OR_RETURN(json v, Scalar(name, item));
        list.push_back(std::move(v));
      }
      out[name] = std::move(list);
    } else {
      SWEEP_ASSIGN_OR_RETURN(out[name], Scalar(name, value));
    }
  }
  std::string text = out.dump(-1, ' ', false, json::error_handler_t::replace);
  if (text.size() > kMaxExecParamsJsonBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "params: ", text.size(), " bytes of JSON (at most ", kMaxExecParamsJsonBytes, ")"));
  }
  return text;
}

}  // namespace sweep
