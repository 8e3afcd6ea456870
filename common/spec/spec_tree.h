// SpecNode: a parsed sweep file as a plain tree with the file position of every node,
// independent of the YAML library (only yaml_adapter.cc sees yaml-cpp). Scalars are
// already typed (null, bool, integer, double or string) as nlohmann::json values.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "nlohmann/json.hpp"

namespace sweep::spec {

struct Position {
  int line = 0;    // 1-based; 0 = unknown
  int column = 0;  // 1-based
};

struct MapEntry;

struct SpecNode {
  enum class Kind { kScalar, kSequence, kMap };
  Kind kind = Kind::kScalar;
  Position pos;
  nlohmann::json scalar;          // kScalar only
  std::vector<SpecNode> items;    // kSequence only
  std::vector<MapEntry> entries;  // kMap only, in file order, keys unique
};

struct MapEntry {
  std::string key;
  Position key_pos;
  SpecNode value;
};

// "small.yaml:14:3: <message>" as INVALID_ARGUMENT (just "small.yaml: " without a position),
// control and format characters escaped (EscapeForDisplay).
absl::Status PositionError(std::string_view source, Position pos, std::string_view message);

// A value as JSON text for messages; never throws (json::dump does on invalid UTF-8).
std::string Dump(const nlohmann::json& value);

// "a string", "a list", "a map": for messages about the wrong kind of node.
std::string KindName(const SpecNode& node);

}  // namespace sweep::spec
