#include "engine/core/utf8.h"

#include "simdjson.h"

namespace wirescan::core {

bool IsValidUtf8(std::string_view text) {
  return simdjson::validate_utf8(text.data(), text.size());
}

namespace {

// Length of the valid UTF-8 sequence starting at p (with `avail` bytes available), or 0.
size_t ValidSequenceLength(const unsigned char* p, size_t avail) {
  unsigned char c = p[0];
  if (c < 0x80) return 1;
  auto cont = [&](size_t i) { return i < avail && (p[i] & 0xC0) == 0x80; };
  if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (avail < 2) return 0;
    unsigned char c1 = p[1];
    if (c == 0xE0 && c1 < 0xA0) return 0;  // overlong
    if (c == 0xED && c1 > 0x9F) return 0;  // surrogates
    return cont(1) && cont(2) ? 3 : 0;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (avail < 2) return 0;
    unsigned char c1 = p[1];
    if (c == 0xF0 && c1 < 0x90) return 0;  // overlong
    if (c == 0xF4 && c1 > 0x8F) return 0;  // > U+10FFFF
    return cont(1) && cont(2) && cont(3) ? 4 : 0;
  }
  return 0;
}

}  // namespace

std::string RepairUtf8(std::string_view text, size_t* replaced) {
  std::string out;
  out.reserve(text.size() + 16);
  size_t count = 0;
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  size_t i = 0;
  while (i < text.size()) {
    size_t len = ValidSequenceLength(p + i, text.size() - i);
    if (len > 0) {
      out.append(text.data() + i, len);
      i += len;
      continue;
    }
    // One U+FFFD per maximal invalid run: skip the bad byte and following continuation bytes.
    ++count;
    out.append("\xEF\xBF\xBD");
    ++i;
    while (i < text.size() && (p[i] & 0xC0) == 0x80) ++i;
  }
  if (replaced != nullptr) *replaced = count;
  return out;
}

char32_t DecodeAtSlow(std::string_view text, size_t pos, size_t* len) {
  if (pos >= text.size()) {
    *len = 0;
    return 0;
  }
  const auto* p = reinterpret_cast<const unsigned char*>(text.data()) + pos;
  size_t n = ValidSequenceLength(p, text.size() - pos);
  if (n == 0) {
    *len = 1;
    return 0xFFFD;
  }
  *len = n;
  switch (n) {
    case 1:
      return p[0];
    case 2:
      return (char32_t{p[0]} & 0x1F) << 6 | (p[1] & 0x3F);
    case 3:
      return (char32_t{p[0]} & 0x0F) << 12 | (char32_t{p[1]} & 0x3F) << 6 | (p[2] & 0x3F);
    default:
      return (char32_t{p[0]} & 0x07) << 18 | (char32_t{p[1]} & 0x3F) << 12 |
             (char32_t{p[2]} & 0x3F) << 6 | (p[3] & 0x3F);
  }
}

char32_t DecodeBeforeSlow(std::string_view text, size_t end, size_t* len) {
  if (end == 0) {
    *len = 0;
    return 0;
  }
  size_t start = end - 1;
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  while (start > 0 && end - start < 4 && (p[start] & 0xC0) == 0x80) --start;
  size_t n = 0;
  char32_t cp = DecodeAt(text, start, &n);
  if (start + n != end) {  // malformed: treat the last byte alone
    *len = 1;
    return 0xFFFD;
  }
  *len = n;
  return cp;
}

bool IsCjk(char32_t cp) {
  return (cp >= 0x2E80 && cp <= 0x9FFF) ||   // radicals, CJK punctuation, kana, Han
         (cp >= 0xAC00 && cp <= 0xD7AF) ||   // Hangul syllables
         (cp >= 0xF900 && cp <= 0xFAFF) ||   // compatibility ideographs
         (cp >= 0xFF00 && cp <= 0xFFEF) ||   // half- and full-width forms
         (cp >= 0x20000 && cp <= 0x3FFFF);   // Han extensions
}

bool IsWordChar(char32_t cp) {
  if (cp < 0x80) return IsAsciiAlnum(static_cast<unsigned char>(cp));
  if (cp >= 0xC0 && cp <= 0x24F && cp != 0xD7 && cp != 0xF7) return true;  // Latin-1, Ext A/B
  if (cp >= 0x370 && cp <= 0x52F) return true;                              // Greek, Cyrillic
  return false;
}

}  // namespace wirescan::core
