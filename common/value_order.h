// The order of key values in every table, curve and plot: values that parse as numbers
// compare numerically (so d=8 comes before d=16), everything else as text.
#pragma once

#include <algorithm>
#include <cstdlib>
#include <map>
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

// The order of result and curve groups (key name, then value as above): the order of
// `sweep results` / `sweep curves` and of their reply pages (server/group_paging.h).
inline bool GroupKeyLess(const std::map<std::string, std::string>& a,
                         const std::map<std::string, std::string>& b) {
  return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(),
                                      [](const auto& p, const auto& q) {
                                        if (p.first != q.first) return p.first < q.first;
                                        return ValueLess(p.second, q.second);
                                      });
}

}  // namespace sweep
