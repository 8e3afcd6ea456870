// Text that came from outside (a sweep file, a worker's error message, a worker id) made
// safe to print on a terminal: control characters, invalid UTF-8 and Unicode format
// characters (bidi overrides and isolates, zero-width characters) are escaped, so an
// echoed name cannot move the cursor, recolour the terminal or reorder what follows it
// (docs/limits.md, "Echoed input"). Printable text, non-ASCII letters included, passes
// through unchanged, and escaping twice changes nothing.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sweep {

// Bytes below 0x20 and 0x7f become \xNN; bytes that are not UTF-8 become \xNN; C1
// controls (U+0080..U+009F) and format characters (general category Cf: U+00AD,
// U+061C, U+200B..U+200F, U+202A..U+202E, U+2060..U+206F, U+FEFF, U+FFF9..U+FFFB,
// U+E0001, U+E0020..U+E007F, ...) become \u{XXXX}. Backslashes are kept as they are.
std::string EscapeForDisplay(std::string_view text);

// Whether EscapeForDisplay would change `text`.
bool NeedsEscape(std::string_view text);

// Decodes the UTF-8 sequence at s[i] (i < s.size()) and sets `len` to its length;
// nullopt for an invalid one: a bad lead or continuation byte, a truncated sequence, an
// overlong form, a surrogate or a code point above U+10FFFF.
std::optional<uint32_t> DecodeUtf8(std::string_view s, size_t i, size_t& len);

// Whether every byte of `s` belongs to a valid UTF-8 sequence.
bool IsValidUtf8(std::string_view s);

}  // namespace sweep
