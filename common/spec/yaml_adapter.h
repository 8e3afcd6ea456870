// The one adapter around yaml-cpp: parses sweep-file text (YAML, or JSON which is YAML)
// into a SpecNode tree. Every yaml-cpp exception is caught here and becomes a Status,
// and the limits that keep a hostile file cheap are enforced while the tree is built.
#pragma once

#include <string_view>

#include "absl/status/statusor.h"
#include "common/limits.h"
#include "common/spec/spec_tree.h"

namespace sweep::spec {

// Defaults from common/limits.h; tests shrink them.
struct YamlLimits {
  int max_depth = limits::kMaxSpecDepth;                  // nesting of lists and maps
  size_t max_string_bytes = limits::kMaxSpecStringBytes;  // one scalar
  size_t max_nodes = limits::kMaxSpecNodes;               // also after alias expansion
  size_t max_text_bytes = limits::kMaxSpecBytes;          // the whole file
};

// Parses `text`. Plain scalars are typed as YAML 1.2 core (null, true/false, decimal
// integers, decimal floats); quoted scalars are strings. .nan/.inf, tags other than the
// string tags, non-scalar or duplicate map keys are errors naming source:line:column, and
// so is a second document (or anything after a JSON document). The limits are checked
// before yaml-cpp builds its tree (yaml_prescan.h), so a refused file costs little memory.
absl::StatusOr<SpecNode> ParseYamlTree(std::string_view text, std::string_view source,
                                       const YamlLimits& limits = {});

}  // namespace sweep::spec
