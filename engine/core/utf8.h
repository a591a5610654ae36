#pragma once
// UTF-8 helpers shared by the stages: validation and repair, character classes used for word
// boundaries and sentence segmentation, and stepping over code points.
//
// Thread safety: all functions are pure and thread-safe.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace wirescan::core {

// True if `text` is well-formed UTF-8 (simdjson's validator: several GB/s).
bool IsValidUtf8(std::string_view text);

// Replaces every maximal invalid subsequence of `text` with U+FFFD (EF BF BD) and returns the
// result; the number of replacements goes to `*replaced` if not null.
std::string RepairUtf8(std::string_view text, size_t* replaced = nullptr);

// Decodes the code point starting at `text[pos]` (which must be a lead byte of valid UTF-8);
// stores its length in `*len`. Returns 0xFFFD and len 1 on a malformed sequence, and 0 and
// len 0 when pos >= text.size() (the end of the text).
// ASCII is decoded inline (the grammars step over mostly-ASCII text byte by byte); the rest
// out of line.
char32_t DecodeAtSlow(std::string_view text, size_t pos, size_t* len);
inline char32_t DecodeAt(std::string_view text, size_t pos, size_t* len) {
  if (pos < text.size() && static_cast<unsigned char>(text[pos]) < 0x80) {
    *len = 1;
    return static_cast<unsigned char>(text[pos]);
  }
  return DecodeAtSlow(text, pos, len);
}

// Decodes the code point that ends just before `text[end]`; `*len` is its length in bytes.
// Returns 0 and len 0 when end == 0.
char32_t DecodeBeforeSlow(std::string_view text, size_t end, size_t* len);
inline char32_t DecodeBefore(std::string_view text, size_t end, size_t* len) {
  if (end > 0 && end <= text.size() && static_cast<unsigned char>(text[end - 1]) < 0x80) {
    *len = 1;
    return static_cast<unsigned char>(text[end - 1]);
  }
  return DecodeBeforeSlow(text, end, len);
}

inline bool IsAsciiAlnum(unsigned char c) {
  return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}
inline bool IsAsciiAlpha(unsigned char c) { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; }
inline bool IsAsciiDigit(unsigned char c) { return c >= '0' && c <= '9'; }

// Han ideographs, CJK punctuation, kana, hangul, full-width forms: scripts written without
// spaces, where words have no boundaries to check.
bool IsCjk(char32_t cp);

// True if the code point is a letter or digit of a script written with spaces (Latin, Greek,
// Cyrillic, and the Latin-1 / Latin Extended letters): the characters that continue a word.
bool IsWordChar(char32_t cp);

}  // namespace wirescan::core
