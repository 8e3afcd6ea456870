// GroupPageToken and ParseGroupPageToken (see group_paging.h). Each key and value is a
// netstring, "<length>:<bytes>", so any byte may appear in either without escaping,
// after a leading "g".
#include "server/group_paging.h"

#include <charconv>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/limits.h"

namespace sweep::server {
namespace {

void AppendNetstring(std::string& out, const std::string& s) {
  absl::StrAppend(&out, s.size(), ":", s);
}

// Reads one netstring at `pos` into `out`; false when the text is not one.
bool ReadNetstring(const std::string& text, size_t& pos, std::string& out) {
  size_t len = 0;
  const char* begin = text.data() + pos;
  const char* end = text.data() + text.size();
  auto [colon, ec] = std::from_chars(begin, end, len);
  if (ec != std::errc() || colon == begin || colon == end || *colon != ':') return false;
  const size_t start = static_cast<size_t>(colon - text.data()) + 1;
  if (len > text.size() - start) return false;
  out.assign(text, start, len);
  pos = start + len;
  return true;
}

}  // namespace

std::string GroupPageToken(const GroupKey& key) {
  std::string out = "g";  // never "", which would mean "from the start", even for {}
  for (const auto& [k, v] : key) {
    AppendNetstring(out, k);
    AppendNetstring(out, v);
  }
  return out;
}

absl::StatusOr<std::optional<GroupKey>> ParseGroupPageToken(const std::string& token) {
  if (token.empty()) return std::optional<GroupKey>();
  const auto refuse = [] {
    return absl::InvalidArgumentError(
        "page_token: not a token this server issued (pass next_page_token back unchanged)");
  };
  // A token is at most one group key; keys and values come from sweep files, so the
  // sweep-file limit bounds them.
  if (token.size() > limits::kMaxSpecBytes) return refuse();
  if (token[0] != 'g') return refuse();
  GroupKey key;
  size_t pos = 1;
  while (pos < token.size()) {
    std::string k, v;
    if (!ReadNetstring(token, pos, k) || !ReadNetstring(token, pos, v)) return refuse();
    if (!key.emplace(std::move(k), std::move(v)).second) return refuse();
  }
  return std::optional<GroupKey>(std::move(key));
}

}  // namespace sweep::server
