#include "common/link_expr.h"

#include <cctype>
#include <charconv>
#include <cmath>

#include "absl/strings/str_cat.h"

namespace sweep {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// Parses one term "c*hK" / "hK" (sign already split off) into (k, c).
bool ParseTerm(std::string_view term, int& k, double& c) {
  c = 1.0;
  if (auto star = term.find('*'); star != std::string_view::npos) {
    std::string_view num = Trim(term.substr(0, star));
    auto [p, ec] = std::from_chars(num.data(), num.data() + num.size(), c);
    if (ec != std::errc() || p != num.data() + num.size() || !std::isfinite(c)) return false;
    term = Trim(term.substr(star + 1));
  }
  if (term.size() < 2 || term[0] != 'h') return false;
  std::string_view deg = term.substr(1);
  auto [p, ec] = std::from_chars(deg.data(), deg.data() + deg.size(), k);
  return ec == std::errc() && p == deg.data() + deg.size() && k >= 0 && k <= kMaxLinkDegree;
}

}  // namespace

double LinkExpr::Variance() const {
  double v = 0;
  for (size_t k = 1; k < c.size(); ++k) v += c[k] * c[k];
  return v;
}

double LinkExpr::SecondMoment(double tau) const { return c[0] * c[0] + Variance() + tau * tau; }

absl::StatusOr<LinkExpr> ParseLink(std::string_view text) {
  LinkExpr link;
  link.c.assign(kMaxLinkDegree + 1, 0.0);
  std::string_view rest = Trim(text);
  if (rest.empty()) return absl::InvalidArgumentError("link: empty expression");
  while (!rest.empty()) {
    double sign = 1.0;
    if (rest.front() == '+' || rest.front() == '-') {
      sign = rest.front() == '-' ? -1.0 : 1.0;
      rest = Trim(rest.substr(1));
    }
    // A term ends at the next '+' or '-' that does not belong to a number's exponent.
    size_t end = 0;
    while (end < rest.size() && !((rest[end] == '+' || rest[end] == '-') && end > 0 &&
                                  rest[end - 1] != 'e' && rest[end - 1] != 'E')) {
      ++end;
    }
    std::string_view term = Trim(rest.substr(0, end));
    int k = 0;
    double c = 0;
    if (!ParseTerm(term, k, c)) {
      return absl::InvalidArgumentError(
          absl::StrCat("link \"", std::string(text), "\": bad term \"", std::string(term),
                       "\" (expected c*hK or hK with K in 0..", kMaxLinkDegree, ")"));
    }
    link.c[k] += sign * c;
    rest = Trim(rest.substr(end));
  }
  bool all_even = true;
  for (int k = 1; k <= kMaxLinkDegree; ++k) {
    if (link.c[k] == 0.0) continue;
    if (link.ie == 0) link.ie = k;
    link.degree = k;
    if (k % 2 != 0) all_even = false;
  }
  if (link.ie == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("link \"", std::string(text),
                     "\": no term of degree >= 1 (the label would not depend on x)"));
  }
  link.ge = all_even ? 2 : 1;
  return link;
}

}  // namespace sweep
