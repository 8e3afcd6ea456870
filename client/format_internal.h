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
// A table, or RFC 4180 CSV for Format::kCsv.
std::string Render(Format format, const std::vector<std::string>& header, const Rows& rows);

}  // namespace sweep::client::internal
