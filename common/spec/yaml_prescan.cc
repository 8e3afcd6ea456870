// FlowPrescan and ShapeCheck (see yaml_prescan.h).
#include "common/spec/yaml_prescan.h"

#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "yaml-cpp/eventhandler.h"
#include "yaml-cpp/yaml.h"

namespace sweep::spec {
namespace {

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Where a token may begin: a quote or bracket here is YAML syntax, not part of a plain
// scalar such as `it's` or `a[1]`.
bool TokenStart(std::string_view t, size_t i) {
  if (i == 0) return true;
  const char p = t[i - 1];
  return IsBlank(p) || p == '[' || p == '{' || p == ',' || p == ':' || p == '-' || p == '?';
}

// Line and column (1-based) of byte i, computed only for an error.
Position PositionOf(std::string_view t, size_t i) {
  Position pos{1, 1};
  for (size_t k = 0; k < i && k < t.size(); ++k) {
    if (t[k] == '\n') {
      ++pos.line;
      pos.column = 1;
    } else {
      ++pos.column;
    }
  }
  return pos;
}

// Skips a quoted scalar starting at t[i] (a quote); returns the index after it.
size_t SkipQuoted(std::string_view t, size_t i) {
  const char q = t[i++];
  while (i < t.size()) {
    const char c = t[i];
    if (q == '"' && c == '\\') {
      i += 2;
    } else if (c == q) {
      if (q == '\'' && i + 1 < t.size() && t[i + 1] == '\'') {
        i += 2;  // '' is an escaped quote
      } else {
        return i + 1;
      }
    } else {
      ++i;
    }
  }
  return i;
}

// Thrown by the event handler to stop the parser at once; never leaves this file.
struct Stop {
  absl::Status status;
};

class ShapeHandler : public YAML::EventHandler {
 public:
  ShapeHandler(std::string_view source, const YamlLimits& limits)
      : source_(source), limits_(limits) {}

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t) override { Node(mark); }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override { Node(mark); }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                const std::string&) override {
    Node(mark);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    Open(mark);
  }
  void OnSequenceEnd() override { --depth_; }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    Open(mark);
  }
  void OnMapEnd() override { --depth_; }

 private:
  static Position At(const YAML::Mark& mark) { return {mark.line + 1, mark.column + 1}; }
  void Node(const YAML::Mark& mark) {
    if (++nodes_ > limits_.max_nodes) {
      throw Stop{PositionError(source_, At(mark),
                               absl::StrCat("more than ", limits_.max_nodes, " nodes"))};
    }
  }
  void Open(const YAML::Mark& mark) {
    Node(mark);
    if (++depth_ > limits_.max_depth) {
      throw Stop{PositionError(source_, At(mark),
                               absl::StrCat("nesting deeper than ", limits_.max_depth))};
    }
  }

  std::string_view source_;
  const YamlLimits& limits_;
  size_t nodes_ = 0;
  int depth_ = 0;
};

// Records where a second document starts and stops there.
class SecondDocument : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark& mark) override { throw mark; }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t) override { throw mark; }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override { throw mark; }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                const std::string&) override {
    throw mark;
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    throw mark;
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    throw mark;
  }
  void OnMapEnd() override {}
};

}  // namespace

absl::Status FlowPrescan(std::string_view t, std::string_view source, const YamlLimits& limits) {
  int depth = 0;
  size_t entries = 0;
  for (size_t i = 0; i < t.size();) {
    const char c = t[i];
    if (c == '#' && (i == 0 || IsBlank(t[i - 1]))) {
      while (i < t.size() && t[i] != '\n') ++i;
    } else if ((c == '"' || c == '\'') && TokenStart(t, i)) {
      i = SkipQuoted(t, i);
    } else if ((c == '[' || c == '{') && TokenStart(t, i)) {
      if (++depth > limits.max_depth) {
        return PositionError(source, PositionOf(t, i),
                             absl::StrCat("nesting deeper than ", limits.max_depth));
      }
      ++entries;
      ++i;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
      ++i;
    } else if (c == ',' && depth > 0) {
      if (++entries > limits.max_nodes) {
        return PositionError(source, PositionOf(t, i),
                             absl::StrCat("more than ", limits.max_nodes, " nodes"));
      }
      ++i;
    } else {
      ++i;
    }
  }
  return absl::OkStatus();
}

absl::Status ShapeCheck(std::string_view text, std::string_view source, const YamlLimits& limits) {
  std::istringstream in{std::string(text)};
  YAML::Parser parser(in);
  ShapeHandler shape(source, limits);
  try {
    parser.HandleNextDocument(shape);
  } catch (const Stop& stop) {
    return stop.status;
  }
  // A second document, or anything after the first one (what trails a JSON object).
  SecondDocument second;
  try {
    parser.HandleNextDocument(second);
  } catch (const YAML::Mark& mark) {
    return PositionError(
        source, {mark.line + 1, mark.column + 1},
        "content after the first document (a sweep file holds exactly one YAML or JSON "
        "document)");
  }
  return absl::OkStatus();
}

}  // namespace sweep::spec
