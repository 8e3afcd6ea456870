// Helpers shared by format.cc and format_records.cc; not part of the client API.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "client/format.h"
#include "nlohmann/json.hpp"

namespace sweep::client::internal {

using Json = nlohmann::ordered_json;
using Rows = std::vector<std::vector<std::string>>;

// NaN has no JSON literal: non-finite doubles become the strings "nan", "inf", "-inf".
Json JsonDouble(double v);
// Group key values (canonical JSON text) as JSON values.
Json KeyJson(const std::map<std::string, std::string>& key);
// The key columns of a set of groups, sorted. For Format::kTable, keys with one value
// wherever they are set (null counts as unset) are left out and listed in `*fixed`
// ("fixed: d=8 N=64\n"), and keys no group sets are dropped; CSV and JSON keep every
// column (stable for scripts).
std::vector<std::string> KeyColumns(const std::vector<std::map<std::string, std::string>>& keys,
                                    Format format, std::string* fixed);
// The cells of one group for `columns` (strings unquoted; empty where absent or null).
std::vector<std::string> KeyCells(const std::map<std::string, std::string>& key,
                                  const std::vector<std::string>& columns);
// A table, or RFC 4180 CSV for Format::kCsv.
std::string Render(Format format, const std::vector<std::string>& header, const Rows& rows);

}  // namespace sweep::client::internal
