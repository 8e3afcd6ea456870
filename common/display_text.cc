// EscapeForDisplay (see display_text.h).
#include "common/display_text.h"

#include <cstdint>
#include <cstdio>
#include <optional>

namespace sweep {
namespace {

// C1 controls and the format characters (Unicode general category Cf) that change how
// surrounding text is shown; also the line and paragraph separators.
bool IsInvisibleControl(uint32_t cp) {
  return (cp >= 0x80 && cp <= 0x9F) || cp == 0xAD || cp == 0x61C || cp == 0x180E ||
         (cp >= 0x600 && cp <= 0x605) || cp == 0x6DD || cp == 0x70F ||
         (cp >= 0x200B && cp <= 0x200F) || (cp >= 0x2028 && cp <= 0x202E) ||
         (cp >= 0x2060 && cp <= 0x206F) || cp == 0xFEFF || (cp >= 0xFFF9 && cp <= 0xFFFB) ||
         (cp >= 0x1D173 && cp <= 0x1D17A) || cp == 0xE0001 || (cp >= 0xE0020 && cp <= 0xE007F);
}

void AppendHexByte(std::string& out, unsigned char c) {
  char buf[8];
  std::snprintf(buf, sizeof(buf), "\\x%02X", c);
  out += buf;
}

void AppendCodePoint(std::string& out, uint32_t cp) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "\\u{%04X}", cp);
  out += buf;
}

}  // namespace

bool NeedsEscape(std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      if (c < 0x20 || c == 0x7F) return true;
      ++i;
      continue;
    }
    size_t len = 1;
    std::optional<uint32_t> cp = DecodeUtf8(text, i, len);
    if (!cp || IsInvisibleControl(*cp)) return true;
    i += len;
  }
  return false;
}

std::optional<uint32_t> DecodeUtf8(std::string_view s, size_t i, size_t& len) {
  const auto c = static_cast<unsigned char>(s[i]);
  const int extra = c < 0x80           ? 0
                    : (c >> 5) == 0x6  ? 1
                    : (c >> 4) == 0xE  ? 2
                    : (c >> 3) == 0x1E ? 3
                                       : -1;
  if (extra < 0 || s.size() - i <= static_cast<size_t>(extra)) return std::nullopt;
  uint32_t cp = extra == 0 ? c : c & (0x3F >> extra);
  for (int k = 1; k <= extra; ++k) {
    const auto cc = static_cast<unsigned char>(s[i + k]);
    if ((cc >> 6) != 0x2) return std::nullopt;
    cp = (cp << 6) | (cc & 0x3F);
  }
  static constexpr uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
  if (cp < kMin[extra] || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) return std::nullopt;
  len = static_cast<size_t>(extra) + 1;
  return cp;
}

bool IsValidUtf8(std::string_view s) {
  for (size_t i = 0, len = 0; i < s.size(); i += len) {
    if (!DecodeUtf8(s, i, len)) return false;
  }
  return true;
}

std::string EscapeForDisplay(std::string_view text) {
  if (!NeedsEscape(text)) return std::string(text);
  std::string out;
  out.reserve(text.size() + 16);
  for (size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      if (c < 0x20 || c == 0x7F) {
        AppendHexByte(out, c);
      } else {
        out += static_cast<char>(c);
      }
      ++i;
      continue;
    }
    size_t len = 1;
    std::optional<uint32_t> cp = DecodeUtf8(text, i, len);
    if (!cp) {
      AppendHexByte(out, c);
      ++i;
    } else if (IsInvisibleControl(*cp)) {
      AppendCodePoint(out, *cp);
      i += len;
    } else {
      out.append(text.substr(i, len));
      i += len;
    }
  }
  return out;
}

}  // namespace sweep
