#include "common/spec/yaml_adapter.h"

#include <charconv>
#include <cmath>
#include <set>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/display_text.h"
#include "common/spec/yaml_prescan.h"
#include "common/status.h"
#include "yaml-cpp/yaml.h"

namespace sweep::spec {
namespace {

using nlohmann::json;

struct Walk {
  std::string_view source;
  const YamlLimits& limits;
  size_t nodes = 0;
};

Position ToPosition(const YAML::Mark& mark) {
  if (mark.is_null()) return {};
  return {mark.line + 1, mark.column + 1};
}

bool AllDigits(std::string_view s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos;
}

// [-+]? digits: a YAML 1.2 core integer (no hex/octal: a sweep has no use for them).
bool IsInteger(std::string_view s) {
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  return AllDigits(s);
}

// [-+]? (.digits | digits[.digits*]) ([eE][-+]?digits)?
bool IsFloat(std::string_view s) {
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  size_t e = s.find_first_of("eE");
  std::string_view mantissa = s.substr(0, e);
  if (e != std::string_view::npos) {
    std::string_view exp = s.substr(e + 1);
    if (!exp.empty() && (exp[0] == '-' || exp[0] == '+')) exp.remove_prefix(1);
    if (!AllDigits(exp)) return false;
  }
  size_t dot = mantissa.find('.');
  if (dot == std::string_view::npos) return AllDigits(mantissa);
  std::string_view whole = mantissa.substr(0, dot), frac = mantissa.substr(dot + 1);
  return (whole.empty() || AllDigits(whole)) && (frac.empty() || AllDigits(frac)) &&
         !(whole.empty() && frac.empty());
}

absl::StatusOr<json> TypeNumber(const std::string& s) {
  std::string_view v = s;
  if (v[0] == '+') v.remove_prefix(1);
  if (IsInteger(s)) {
    int64_t i = 0;
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), i);
    if (ec == std::errc() && p == v.data() + v.size()) return json(i);
    uint64_t u = 0;
    auto [pu, ecu] = std::from_chars(v.data(), v.data() + v.size(), u);
    if (ecu == std::errc() && pu == v.data() + v.size()) return json(u);
  }
  double d = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), d);
  if (ec != std::errc() || p != v.data() + v.size() || !std::isfinite(d)) {
    return absl::InvalidArgumentError(absl::StrCat("number ", s, " is out of range"));
  }
  return json(d);
}

// Types a plain (unquoted) scalar by the YAML 1.2 core schema.
absl::StatusOr<json> TypePlainScalar(const std::string& s) {
  const std::string lower = absl::AsciiStrToLower(s);
  if (lower == "true" || lower == "false") return json(lower == "true");
  if (lower == ".nan" || lower == ".inf" || lower == "+.inf" || lower == "-.inf") {
    return absl::InvalidArgumentError(absl::StrCat("NaN/inf is not allowed (", s, ")"));
  }
  if (IsInteger(s) || IsFloat(s)) return TypeNumber(s);
  return json(s);
}

absl::StatusOr<SpecNode> Convert(const YAML::Node& node, int depth, Walk& w);

absl::Status Fail(const Walk& w, Position pos, std::string_view message) {
  return PositionError(w.source, pos, message);
}

absl::StatusOr<SpecNode> ConvertScalar(const YAML::Node& node, SpecNode out, const Walk& w) {
  if (node.IsNull()) return out;  // `key:`, `~`, `null`: json null
  const std::string& s = node.Scalar();
  if (s.size() > w.limits.max_string_bytes) {
    return Fail(w, out.pos,
                absl::StrCat("string of ", s.size(), " bytes exceeds the limit of ",
                             w.limits.max_string_bytes));
  }
  if (!IsValidUtf8(s)) return Fail(w, out.pos, "invalid UTF-8 in a string");
  const std::string& tag = node.Tag();
  if (tag == "!" || tag == "tag:yaml.org,2002:str") {
    out.scalar = s;  // quoted, or explicitly a string
  } else if (tag == "?") {
    auto typed = TypePlainScalar(s);
    if (!typed.ok()) return Fail(w, out.pos, std::string(typed.status().message()));
    out.scalar = *std::move(typed);
  } else {
    return Fail(w, out.pos, absl::StrCat("unsupported tag \"", tag, "\""));
  }
  return out;
}

absl::StatusOr<SpecNode> ConvertMap(const YAML::Node& node, SpecNode out, int depth, Walk& w) {
  std::set<std::string> seen;
  for (auto it = node.begin(); it != node.end(); ++it) {
    const Position key_pos = ToPosition(it->first.Mark());
    if (!it->first.IsScalar()) return Fail(w, key_pos, "a map key must be a plain string");
    const std::string& key = it->first.Scalar();
    if (!IsValidUtf8(key)) return Fail(w, key_pos, "invalid UTF-8 in a key");
    if (!seen.insert(key).second) {
      return Fail(w, key_pos, absl::StrCat("duplicate key \"", key, "\""));
    }
    SWEEP_ASSIGN_OR_RETURN(SpecNode value, Convert(it->second, depth + 1, w));
    out.entries.push_back(MapEntry{key, key_pos, std::move(value)});
  }
  return out;
}

absl::StatusOr<SpecNode> Convert(const YAML::Node& node, int depth, Walk& w) {
  SpecNode out;
  out.pos = ToPosition(node.Mark());
  if (++w.nodes > w.limits.max_nodes) {
    return Fail(w, out.pos,
                absl::StrCat("more than ", w.limits.max_nodes, " nodes (an alias bomb?)"));
  }
  if (depth > w.limits.max_depth) {
    return Fail(w, out.pos, absl::StrCat("nesting deeper than ", w.limits.max_depth));
  }
  switch (node.Type()) {
    case YAML::NodeType::Sequence:
      out.kind = SpecNode::Kind::kSequence;
      for (const YAML::Node& item : node) {
        SWEEP_ASSIGN_OR_RETURN(SpecNode child, Convert(item, depth + 1, w));
        out.items.push_back(std::move(child));
      }
      return out;
    case YAML::NodeType::Map:
      out.kind = SpecNode::Kind::kMap;
      return ConvertMap(node, std::move(out), depth, w);
    case YAML::NodeType::Scalar:
    case YAML::NodeType::Null:
      return ConvertScalar(node, std::move(out), w);
    case YAML::NodeType::Undefined:
      break;
  }
  return Fail(w, out.pos, "undefined node");
}

}  // namespace

absl::StatusOr<SpecNode> ParseYamlTree(std::string_view text, std::string_view source,
                                       const YamlLimits& limits) {
  if (text.size() > limits.max_text_bytes) {
    return PositionError(source, {},
                         absl::StrCat("file of ", text.size(), " bytes exceeds the limit of ",
                                      limits.max_text_bytes));
  }
  SWEEP_RETURN_IF_ERROR(FlowPrescan(text, source, limits));
  Walk walk{source, limits};
  try {
    SWEEP_RETURN_IF_ERROR(ShapeCheck(text, source, limits));
    YAML::Node root = YAML::Load(std::string(text));
    if (!root.IsDefined() || root.IsNull()) return PositionError(source, {}, "empty document");
    return Convert(root, 0, walk);
  } catch (const YAML::Exception& e) {
    return PositionError(source, ToPosition(e.mark), e.msg);
  } catch (const nlohmann::json::exception& e) {
    return PositionError(source, {}, e.what());
  }
}

}  // namespace sweep::spec
