#include "common/spec/spec_tree.h"

#include "absl/strings/str_cat.h"
#include "common/display_text.h"

namespace sweep::spec {

absl::Status PositionError(std::string_view source, Position pos, std::string_view message) {
  // Messages quote keys and values of the file and its name: escaped here, once, so that
  // no error of a hostile file can drive the terminal that prints it (common/display_text.h).
  if (pos.line <= 0) {
    return absl::InvalidArgumentError(
        EscapeForDisplay(absl::StrCat(std::string(source), ": ", std::string(message))));
  }
  return absl::InvalidArgumentError(EscapeForDisplay(absl::StrCat(
      std::string(source), ":", pos.line, ":", pos.column, ": ", std::string(message))));
}

std::string Dump(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string KindName(const SpecNode& node) {
  switch (node.kind) {
    case SpecNode::Kind::kSequence:
      return "a list";
    case SpecNode::Kind::kMap:
      return "a map";
    case SpecNode::Kind::kScalar:
      break;
  }
  return node.scalar.is_null() ? "nothing" : absl::StrCat("a ", node.scalar.type_name());
}

}  // namespace sweep::spec
