// The digest of a JobReport: what makes a replayed report recognisable. Two reports have
// the same digest iff every field is equal, with doubles compared bit for bit (so NaN
// equals NaN and -0 differs from 0).
#pragma once

#include <string>

#include "storage/records.h"

namespace sweep::storage {

// Hex SHA-256 of a canonical serialisation of `report`.
std::string ReportDigest(const JobReport& report);

}  // namespace sweep::storage
