// Pages of GetResults and GetCurves (docs/limits.md, "Paging"): a group's page token is
// its key (group-by key -> canonical JSON value) written as netstrings, and the next page
// starts at the first group after that key in the order the groups are sorted in
// (common/value_order.h, GroupKeyLess). Like ListJobs' keyset tokens, a page stays
// stable while new results add groups; a token is opaque to clients.
#pragma once

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/value_order.h"

namespace sweep::server {

using GroupKey = std::map<std::string, std::string>;

// The token naming `key` as the last group sent.
std::string GroupPageToken(const GroupKey& key);

// "" -> nullopt (from the start); INVALID_ARGUMENT naming page_token for anything this
// server did not issue.
absl::StatusOr<std::optional<GroupKey>> ParseGroupPageToken(const std::string& token);

// Drops the groups up to and including `after` from `groups` (sorted by GroupKeyLess).
template <typename Group>
void DropThrough(std::vector<Group>& groups, const std::optional<GroupKey>& after) {
  if (!after) return;
  auto first = std::find_if(groups.begin(), groups.end(),
                            [&](const Group& g) { return GroupKeyLess(*after, g.key); });
  groups.erase(groups.begin(), first);
}

}  // namespace sweep::server
