// The one adapter around yaml-cpp: parses sweep-file text (YAML, or JSON which is YAML)
// into a SpecNode tree. Every yaml-cpp exception is caught here and becomes a Status,
// and the limits that keep a hostile file cheap are enforced while the tree is built.
#pragma once

#include <string_view>

#include "absl/status/statusor.h"
#include "common/spec/spec_tree.h"

namespace sweep::spec {

struct YamlLimits {
  int max_depth = 64;                   // nesting of lists and maps
  size_t max_string_bytes = 64 * 1024;  // one scalar
  size_t max_nodes = 200'000;           // after alias expansion (alias bombs)
  size_t max_text_bytes = 16 << 20;     // the whole file
};

// Parses `text`. Plain scalars are typed as YAML 1.2 core (null, true/false, decimal
// integers, decimal floats); quoted scalars are strings. .nan/.inf, tags other than the
// string tags, non-scalar or duplicate map keys are errors naming source:line:column.
absl::StatusOr<SpecNode> ParseYamlTree(std::string_view text, std::string_view source,
                                       const YamlLimits& limits = {});

}  // namespace sweep::spec
