// Checks on sweep-file text that must run before yaml-cpp sees it, because yaml-cpp's
// own cost is the problem: inside a flow collection ([...] or {...}) its scanner keeps
// every token (~300 bytes each) until the outermost collection closes, so 4 MiB of "["
// or of "1," costs it 0.5-1 GB before any limit of ours could run (docs/limits.md).
//
// FlowPrescan is a lexical pass that allocates nothing: it follows quoted scalars and
// comments well enough to find flow brackets and separators, and refuses a flow
// nesting deeper than max_depth or more flow entries than max_nodes. Both counts are
// lower bounds of what the YAML parser would build, so a file it refuses is one the
// parser would refuse too. ShapeCheck then walks yaml-cpp's events (no tree is built)
// and refuses more nodes than max_nodes, nesting deeper than max_depth, and a second
// document (also what trails a JSON document: `{...} garbage`).
#pragma once

#include <string_view>

#include "absl/status/status.h"
#include "common/spec/yaml_adapter.h"

namespace sweep::spec {

absl::Status FlowPrescan(std::string_view text, std::string_view source, const YamlLimits& limits);

// Requires FlowPrescan(text) to have passed (else the event pass itself is the cost).
absl::Status ShapeCheck(std::string_view text, std::string_view source, const YamlLimits& limits);

}  // namespace sweep::spec
