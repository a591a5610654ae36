#include "engine/core/utf8.h"

#include <random>
#include <string>

#include "gtest/gtest.h"

namespace wirescan::core {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";

// ----------------------------------------------------------------------------- failing inputs

TEST(IsValidUtf8Test, RejectsMalformedSequences) {
  EXPECT_FALSE(IsValidUtf8("\xFF"));                 // never a UTF-8 byte
  EXPECT_FALSE(IsValidUtf8("\x80"));                 // lone continuation byte
  EXPECT_FALSE(IsValidUtf8("\xC0\xAF"));             // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xE0\x80\xAF"));         // overlong, 3 bytes
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));         // UTF-16 surrogate U+D800
  EXPECT_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));     // > U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xE4\xB8"));             // truncated 中
  EXPECT_FALSE(IsValidUtf8("abc\xE4\xB8"));          // truncated at the end
  EXPECT_FALSE(IsValidUtf8("\xE4\xB8" "abc"));       // truncated in the middle
}

TEST(IsValidUtf8Test, AcceptsWellFormedText) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain ASCII"));
  EXPECT_TRUE(IsValidUtf8("caf\xC3\xA9"));                    // café
  EXPECT_TRUE(IsValidUtf8("\xE5\x8F\xB0\xE7\xA9\x8D\xE9\x9B\xBB"));  // 台積電
  EXPECT_TRUE(IsValidUtf8("\xF0\x9F\x98\x80"));               // U+1F600
  EXPECT_TRUE(IsValidUtf8("\xF4\x8F\xBF\xBF"));               // U+10FFFF
}

TEST(RepairUtf8Test, ReplacesOneInvalidByte) {
  size_t replaced = 99;
  EXPECT_EQ(RepairUtf8("a\xFF" "b", &replaced), std::string("a") + std::string(kReplacement) + "b");
  EXPECT_EQ(replaced, 1u);
}

TEST(RepairUtf8Test, TruncatedSequenceBecomesOneReplacement) {
  size_t replaced = 0;
  // A truncated 中 (E4 B8) followed by a complete 中 (E4 B8 AD).
  EXPECT_EQ(RepairUtf8("\xE4\xB8\xE4\xB8\xAD", &replaced),
            std::string(kReplacement) + "\xE4\xB8\xAD");
  EXPECT_EQ(replaced, 1u);
  EXPECT_EQ(RepairUtf8("ab\xE4\xB8", &replaced), std::string("ab") + std::string(kReplacement));
  EXPECT_EQ(replaced, 1u);
}

TEST(RepairUtf8Test, SurrogatesOverlongsAndOutOfRangeAreReplaced) {
  size_t replaced = 0;
  EXPECT_EQ(RepairUtf8("\xED\xA0\x80", &replaced), std::string(kReplacement));
  EXPECT_EQ(replaced, 1u);
  EXPECT_EQ(RepairUtf8("\xC0\xAF", &replaced), std::string(kReplacement));
  EXPECT_EQ(replaced, 1u);
  EXPECT_EQ(RepairUtf8("\xF4\x90\x80\x80", &replaced), std::string(kReplacement));
  EXPECT_EQ(replaced, 1u);
}

TEST(RepairUtf8Test, CountsEverySeparateRun) {
  size_t replaced = 0;
  std::string out = RepairUtf8("\xFF" "a\xFE" "b\x80", &replaced);
  EXPECT_EQ(replaced, 3u);
  EXPECT_TRUE(IsValidUtf8(out));
  EXPECT_EQ(out, std::string(kReplacement) + "a" + std::string(kReplacement) + "b" +
                     std::string(kReplacement));
}

TEST(RepairUtf8Test, ValidTextIsUnchanged) {
  size_t replaced = 42;
  const std::string text = "TSMC \xE5\x8F\xB0\xE7\xA9\x8D\xE9\x9B\xBB caf\xC3\xA9 \xF0\x9F\x98\x80";
  EXPECT_EQ(RepairUtf8(text, &replaced), text);
  EXPECT_EQ(replaced, 0u);
  EXPECT_EQ(RepairUtf8(""), "");
}

TEST(RepairUtf8Test, NullCounterIsAllowed) {
  EXPECT_EQ(RepairUtf8("\xFF"), std::string(kReplacement));
}

TEST(RepairUtf8Test, RandomBytesAlwaysRepairToValidText) {
  std::mt19937 rng(20240611);  // seeded: reproducible
  std::uniform_int_distribution<int> len_dist(0, 64);
  std::uniform_int_distribution<int> byte_dist(0, 255);
  for (int round = 0; round < 2000; ++round) {
    std::string bytes(static_cast<size_t>(len_dist(rng)), '\0');
    for (char& c : bytes) c = static_cast<char>(byte_dist(rng));
    size_t replaced = 0;
    std::string out = RepairUtf8(bytes, &replaced);
    ASSERT_TRUE(IsValidUtf8(out)) << "round " << round;
    if (IsValidUtf8(bytes)) {
      EXPECT_EQ(out, bytes);
      EXPECT_EQ(replaced, 0u);
    } else {
      EXPECT_GT(replaced, 0u);
    }
    // Repair is idempotent.
    EXPECT_EQ(RepairUtf8(out), out);
  }
}

// ----------------------------------------------------------------------------- decoding

TEST(DecodeAtTest, DecodesEachLength) {
  size_t len = 0;
  EXPECT_EQ(DecodeAt("A", 0, &len), U'A');
  EXPECT_EQ(len, 1u);
  EXPECT_EQ(DecodeAt("\xC3\xA9", 0, &len), U'\u00E9');
  EXPECT_EQ(len, 2u);
  EXPECT_EQ(DecodeAt("x\xE4\xB8\xAD", 1, &len), U'\u4E2D');
  EXPECT_EQ(len, 3u);
  EXPECT_EQ(DecodeAt("\xF0\x9F\x98\x80", 0, &len), U'\U0001F600');
  EXPECT_EQ(len, 4u);
}

TEST(DecodeAtTest, MalformedGivesReplacementAndLengthOne) {
  size_t len = 0;
  EXPECT_EQ(DecodeAt("\xFF", 0, &len), char32_t{0xFFFD});
  EXPECT_EQ(len, 1u);
  EXPECT_EQ(DecodeAt("\xE4\xB8", 0, &len), char32_t{0xFFFD});  // truncated
  EXPECT_EQ(len, 1u);
  EXPECT_EQ(DecodeAt("\xB8\xAD", 0, &len), char32_t{0xFFFD});  // continuation byte
  EXPECT_EQ(len, 1u);
}

TEST(DecodeAtTest, AtOrPastTheEndGivesZeroAndLengthZero) {
  // A view into a larger buffer: the byte after its end must not be read (ASan catches it
  // on a string literal).
  const std::string_view whole = "12\xE4\xB8\xAD";
  const std::string_view text = whole.substr(0, 2);
  size_t len = 99;
  EXPECT_EQ(DecodeAt(text, 2, &len), char32_t{0});
  EXPECT_EQ(len, 0u);
  EXPECT_EQ(DecodeAt(text, 5, &len), char32_t{0});
  EXPECT_EQ(len, 0u);
}

TEST(DecodeBeforeTest, DecodesTheCodePointEndingAtEnd) {
  size_t len = 99;
  EXPECT_EQ(DecodeBefore("abc", 0, &len), char32_t{0});
  EXPECT_EQ(len, 0u);
  EXPECT_EQ(DecodeBefore("abc", 2, &len), U'b');
  EXPECT_EQ(len, 1u);
  const std::string_view text = "a\xE4\xB8\xAD";  // a中
  EXPECT_EQ(DecodeBefore(text, 4, &len), U'\u4E2D');
  EXPECT_EQ(len, 3u);
  EXPECT_EQ(DecodeBefore("\xF0\x9F\x98\x80", 4, &len), U'\U0001F600');
  EXPECT_EQ(len, 4u);
}

TEST(DecodeBeforeTest, MalformedGivesReplacementAndLengthOne) {
  size_t len = 0;
  EXPECT_EQ(DecodeBefore("a\xB8", 2, &len), char32_t{0xFFFD});  // stray continuation byte
  EXPECT_EQ(len, 1u);
  EXPECT_EQ(DecodeBefore("a\xE4\xB8", 3, &len), char32_t{0xFFFD});  // truncated lead
  EXPECT_EQ(len, 1u);
  EXPECT_EQ(DecodeBefore("\xFF", 1, &len), char32_t{0xFFFD});
  EXPECT_EQ(len, 1u);
}

TEST(DecodeBeforeTest, RandomBytesStayInBounds) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> byte_dist(0x80, 0xFF);  // the bytes that need care
  for (int round = 0; round < 500; ++round) {
    std::string bytes(12, '\0');
    for (char& c : bytes) c = static_cast<char>(byte_dist(rng));
    for (size_t end = 1; end <= bytes.size(); ++end) {
      size_t len = 0;
      DecodeBefore(bytes, end, &len);
      ASSERT_GE(len, 1u);
      ASSERT_LE(len, end);
    }
    for (size_t pos = 0; pos < bytes.size(); ++pos) {
      size_t len = 0;
      DecodeAt(bytes, pos, &len);
      ASSERT_GE(len, 1u);
      ASSERT_LE(pos + len, bytes.size());
    }
  }
}

// ----------------------------------------------------------------------------- classes

TEST(CharClassTest, AsciiHelpers) {
  EXPECT_TRUE(IsAsciiAlnum('a'));
  EXPECT_TRUE(IsAsciiAlnum('Z'));
  EXPECT_TRUE(IsAsciiAlnum('7'));
  EXPECT_FALSE(IsAsciiAlnum('@'));  // 0x40: '`' | 0x20 trap
  EXPECT_FALSE(IsAsciiAlnum('['));
  EXPECT_FALSE(IsAsciiAlnum('_'));
  EXPECT_FALSE(IsAsciiAlnum(0xC3));
  EXPECT_TRUE(IsAsciiAlpha('q'));
  EXPECT_FALSE(IsAsciiAlpha('5'));
  EXPECT_FALSE(IsAsciiAlpha('{'));
  EXPECT_TRUE(IsAsciiDigit('0'));
  EXPECT_FALSE(IsAsciiDigit('a'));
}

TEST(CharClassTest, IsCjk) {
  EXPECT_TRUE(IsCjk(U'\u4E2D'));   // 中
  EXPECT_TRUE(IsCjk(U'\u3002'));   // 。
  EXPECT_TRUE(IsCjk(U'\u30AB'));   // katakana カ
  EXPECT_TRUE(IsCjk(U'\uD55C'));   // hangul 한
  EXPECT_TRUE(IsCjk(U'\uFF01'));   // full-width ！
  EXPECT_TRUE(IsCjk(U'\U00020000'));
  EXPECT_FALSE(IsCjk(U'A'));
  EXPECT_FALSE(IsCjk(U'\u00E9'));
  EXPECT_FALSE(IsCjk(U'\u2014'));  // em dash
}

TEST(CharClassTest, IsWordChar) {
  EXPECT_TRUE(IsWordChar(U'a'));
  EXPECT_TRUE(IsWordChar(U'Z'));
  EXPECT_TRUE(IsWordChar(U'5'));
  EXPECT_TRUE(IsWordChar(U'\u00E9'));   // é
  EXPECT_TRUE(IsWordChar(U'\u0142'));   // ł
  EXPECT_TRUE(IsWordChar(U'\u03B1'));   // α
  EXPECT_TRUE(IsWordChar(U'\u0434'));   // д
  EXPECT_FALSE(IsWordChar(U' '));
  EXPECT_FALSE(IsWordChar(U'-'));
  EXPECT_FALSE(IsWordChar(U'$'));
  EXPECT_FALSE(IsWordChar(U'_'));
  EXPECT_FALSE(IsWordChar(U'\u00D7'));  // ×
  EXPECT_FALSE(IsWordChar(U'\u00F7'));  // ÷
  EXPECT_FALSE(IsWordChar(U'\u4E2D'));  // CJK has no word boundaries
  EXPECT_FALSE(IsWordChar(char32_t{0xFFFD}));
}

}  // namespace
}  // namespace wirescan::core
