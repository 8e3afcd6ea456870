// The order of key values in every table, curve and plot: values that parse as numbers
// compare numerically (so d=8 comes before d=16), everything else as text.
#pragma once

#include <cstdlib>
#include <string>

namespace sweep {

inline bool ValueLess(const std::string& a, const std::string& b) {
  char* ea = nullptr;
  char* eb = nullptr;
  const double x = std::strtod(a.c_str(), &ea);
  const double y = std::strtod(b.c_str(), &eb);
  if (!a.empty() && !b.empty() && *ea == '\0' && *eb == '\0' && x != y) return x < y;
  return a < b;
}

}  // namespace sweep
