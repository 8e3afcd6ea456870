// The digest of a JobReport: what makes a replayed report recognisable. Two reports have
// the same digest iff every field is equal, with doubles compared bit for bit (so NaN
// equals NaN and -0 differs from 0).
#pragma once

#include <string>
#include <string_view>

#include "common/records.h"

namespace sweep::storage {

// Hex SHA-256 of a canonical serialisation of `report`.
std::string ReportDigest(const JobReport& report);

// Lower-case hex SHA-256 of `bytes` (checkpoint integrity).
std::string Sha256Hex(std::string_view bytes);

}  // namespace sweep::storage
