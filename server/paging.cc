// PageSize and ParseJobPageToken (see paging.h).
#include "server/paging.h"

#include <charconv>

#include "absl/strings/str_cat.h"

namespace sweep::server {

absl::StatusOr<int> PageSize(int32_t requested) {
  if (requested == 0) return limits::kDefaultPageSize;
  if (requested < 0 || requested > limits::kMaxPageSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("page_size: ", requested, " (must be 0..", limits::kMaxPageSize, ")"));
  }
  return requested;
}

absl::StatusOr<int64_t> ParseJobPageToken(const std::string& token) {
  if (token.empty()) return 0;
  int64_t id = 0;
  auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), id);
  if (ec != std::errc() || end != token.data() + token.size() || id < 0 || token.size() > 20) {
    return absl::InvalidArgumentError(
        "page_token: not a token this server issued (pass next_page_token back unchanged)");
  }
  return id;
}

}  // namespace sweep::server
