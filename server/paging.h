// Pages of ListJobs and ListWorkers (docs/limits.md): the page size a request asks for,
// checked against common/limits.h, and the filling of a reply that stops at the page
// size or at limits::kMaxPageBytes, whichever comes first, so that no reply can outgrow
// the message limit however large single records are. Page tokens are the key of the
// last record sent (keyset paging: stable while rows are added).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/limits.h"

namespace sweep::server {

// page_size 0 -> limits::kDefaultPageSize; INVALID_ARGUMENT outside 0..kMaxPageSize.
absl::StatusOr<int> PageSize(int32_t requested);

// A ListJobs page token: the decimal job id of the last job sent ("" = from the start).
absl::StatusOr<int64_t> ParseJobPageToken(const std::string& token);

// Appends records[i] (converted by `to_proto`) to `add()` until `page_size` records or
// kMaxPageBytes (at least one record). Returns the key of the last record sent when more
// remain (the next page token), else "".
template <typename Record, typename ToProto, typename Add, typename Key>
std::string FillPage(const std::vector<Record>& records, int page_size, ToProto to_proto, Add add,
                     Key key) {
  size_t bytes = 0;
  size_t sent = 0;
  for (const Record& r : records) {
    if (sent == static_cast<size_t>(page_size)) break;
    auto proto = to_proto(r);
    const size_t size = proto.ByteSizeLong();
    if (sent > 0 && bytes + size > limits::kMaxPageBytes) break;
    bytes += size;
    *add() = std::move(proto);
    ++sent;
  }
  if (sent == records.size()) return "";
  return key(records[sent - 1]);
}

}  // namespace sweep::server
