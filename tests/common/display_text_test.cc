#include "common/display_text.h"

#include <gtest/gtest.h>

namespace sweep {
namespace {

TEST(DisplayTextTest, PrintableTextAndLettersPassUnchanged) {
  EXPECT_EQ(EscapeForDisplay("mamba d=8 \"x\" \\n"), "mamba d=8 \"x\" \\n");
  EXPECT_EQ(EscapeForDisplay("Überprüfung 試験"), "Überprüfung 試験");
  EXPECT_FALSE(NeedsEscape("Überprüfung 試験"));
}

TEST(DisplayTextTest, ControlBytesBecomeHexEscapes) {
  EXPECT_EQ(EscapeForDisplay("a\x1b[2Jb\n\r\t\x7f"), "a\\x1B[2Jb\\x0A\\x0D\\x09\\x7F");
  EXPECT_EQ(EscapeForDisplay(std::string("a\0b", 3)), "a\\x00b");
}

TEST(DisplayTextTest, BidiOverridesAndZeroWidthBecomeCodePoints) {
  // U+202E RIGHT-TO-LEFT OVERRIDE, U+2066 LEFT-TO-RIGHT ISOLATE, U+200B ZERO WIDTH SPACE.
  EXPECT_EQ(EscapeForDisplay("evil\xE2\x80\xAEtxt.exe"), "evil\\u{202E}txt.exe");
  EXPECT_EQ(EscapeForDisplay("\xE2\x81\xA6x\xE2\x80\x8B"), "\\u{2066}x\\u{200B}");
  EXPECT_EQ(EscapeForDisplay("\xC2\x9B"
                             "31m"),
            "\\u{009B}31m");  // C1 CSI
}

TEST(DisplayTextTest, InvalidUtf8BytesAreEscapedOneByOne) {
  EXPECT_EQ(EscapeForDisplay("a\xFF\xC3"), "a\\xFF\\xC3");
  EXPECT_EQ(EscapeForDisplay("\xED\xA0\x80"), "\\xED\\xA0\\x80");  // a surrogate
}

TEST(DisplayTextTest, EscapingTwiceChangesNothing) {
  const std::string once = EscapeForDisplay("x\x1b\xE2\x80\xAE\xFFy");
  EXPECT_EQ(EscapeForDisplay(once), once);
  EXPECT_FALSE(NeedsEscape(once));
}

}  // namespace
}  // namespace sweep
