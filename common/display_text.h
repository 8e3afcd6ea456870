// Text that came from outside (a sweep file, a worker's error message, a worker id) made
// safe to print on a terminal: control characters, invalid UTF-8 and Unicode format
// characters (bidi overrides and isolates, zero-width characters) are escaped, so an
// echoed name cannot move the cursor, recolour the terminal or reorder what follows it
// (docs/limits.md, "Echoed input"). Printable text, non-ASCII letters included, passes
// through unchanged, and escaping twice changes nothing.
#pragma once

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

}  // namespace sweep
