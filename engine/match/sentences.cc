#include "engine/match/sentences.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "engine/core/utf8.h"

namespace wirescan::match {
namespace {

// True if the word ending with the '.' at text[dot] is an abbreviation: a single capital
// ("U.S.", "C.C. Wei") or a common title/company/month abbreviation ("Co.", "Inc.", "Jan.").
bool IsAbbreviation(std::string_view text, size_t dot) {
  size_t start = dot;
  while (start > 0 && core::IsAsciiAlpha(static_cast<unsigned char>(text[start - 1]))) --start;
  std::string_view word = text.substr(start, dot - start);
  if (word.size() == 1 && word[0] >= 'A' && word[0] <= 'Z') return true;
  // Most words before a full stop are lower-case ("said."): of the list, only "vs", "approx"
  // and "est" start with a lower-case letter, and none is longer than six letters.
  if (word.size() < 2 || word.size() > 6) return false;
  if (word[0] >= 'a' && word[0] <= 'z' && word[0] != 'v' && word[0] != 'a' && word[0] != 'e') {
    return false;
  }
  static constexpr std::string_view kAbbreviations[] = {
      "Co", "Corp", "Inc", "Ltd", "Bhd", "Mr", "Mrs", "Ms", "Dr", "Prof", "St", "No", "vs",
      "Jan", "Feb", "Mar", "Apr", "Jun", "Jul", "Aug", "Sep", "Sept", "Oct", "Nov", "Dec",
      "Gov", "Sen", "Rep", "Jr", "Sr", "approx", "est", "Dept", "Gen", "Lt", "Col", "Nos"};
  static_assert([] {
    for (std::string_view a : kAbbreviations) {
      if (a.size() < 2 || a.size() > 6) return false;
      if (a[0] >= 'a' && a[0] <= 'z' && a[0] != 'v' && a[0] != 'a' && a[0] != 'e') return false;
    }
    return true;
  }());
  for (std::string_view a : kAbbreviations) {
    if (word == a) return true;
  }
  return false;
}

// Newswire bodies are hard-wrapped ("invest 7.8 billion\nyuan"): a single line break between
// a Latin letter, digit or comma and a lower-case letter or digit continues the sentence.
bool IsSoftWrap(std::string_view text, size_t newline) {
  size_t before = newline;
  if (before > 0 && text[before - 1] == '\r') --before;
  if (before == 0 || newline + 1 >= text.size()) return false;
  unsigned char prev = static_cast<unsigned char>(text[before - 1]);
  unsigned char next = static_cast<unsigned char>(text[newline + 1]);
  bool prev_ok = core::IsAsciiAlnum(prev) || prev == ',' || prev == '-';
  bool next_ok = (next >= 'a' && next <= 'z') || core::IsAsciiDigit(next);
  return prev_ok && next_ok;
}

// After '.', '!' or '?' at text[mark]: white space, a closing quote or bracket, or the end.
bool ClosesSentence(std::string_view text, size_t mark) {
  size_t next_pos = mark + 1;
  if (next_pos >= text.size()) return true;
  unsigned char next = static_cast<unsigned char>(text[next_pos]);
  return next == ' ' || next == '\n' || next == '\r' || next == '\t' || next == '"' ||
         next == '\'' || next == ')' || next == 0xE2 /* lead byte of ” ’ */;
}

// Decides the candidate byte at text[i]; returns the offset past the terminator, or 0.
size_t EndAt(std::string_view text, size_t i) {
  const unsigned char c = static_cast<unsigned char>(text[i]);
  switch (c) {
    case '\n':
      return IsSoftWrap(text, i) ? 0 : i + 1;
    case '.':
      if (!ClosesSentence(text, i) || IsAbbreviation(text, i)) return 0;
      return i + 1;
    case '!':
    case '?':
      return ClosesSentence(text, i) ? i + 1 : 0;
    case 0xE3:  // 。 E3 80 82
      if (i + 2 < text.size() && text[i + 1] == '\x80' && text[i + 2] == '\x82') return i + 3;
      return 0;
    case 0xEF:  // ！ EF BC 81, ？ EF BC 9F
      if (i + 2 < text.size() && text[i + 1] == '\xBC' &&
          (text[i + 2] == '\x81' || text[i + 2] == '\x9F')) {
        return i + 3;
      }
      return 0;
    default:
      return 0;
  }
}

bool IsCandidate(unsigned char c) {
  return c == '.' || c == '!' || c == '?' || c == '\n' || c == 0xE3 || c == 0xEF;
}

}  // namespace

void FindSentenceEnds(std::string_view text, std::vector<uint32_t>* ends) {
  const size_t n = text.size();
  size_t i = 0;
  auto decide = [&](size_t pos) {
    if (size_t end = EndAt(text, pos)) ends->push_back(static_cast<uint32_t>(end));
  };
#if defined(__SSE2__)
  // 16 positions at a time. A CJK terminator is matched on all three bytes (two more loads at
  // +1 and +2), so the frequent full-width commas and brackets (EF BC 8C...) are not candidates.
  auto eq = [](__m128i v, unsigned char c) {
    return _mm_cmpeq_epi8(v, _mm_set1_epi8(static_cast<char>(c)));
  };
  for (; i + 18 <= n; i += 16) {
    const char* p = text.data() + i;
    __m128i v0 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    __m128i v1 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 1));
    __m128i v2 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 2));
    __m128i ascii = _mm_or_si128(_mm_or_si128(eq(v0, '.'), eq(v0, '!')),
                                 _mm_or_si128(eq(v0, '?'), eq(v0, '\n')));
    __m128i ideographic_stop = _mm_and_si128(_mm_and_si128(eq(v0, 0xE3), eq(v1, 0x80)),
                                             eq(v2, 0x82));  // 。
    __m128i fullwidth = _mm_and_si128(_mm_and_si128(eq(v0, 0xEF), eq(v1, 0xBC)),
                                      _mm_or_si128(eq(v2, 0x81), eq(v2, 0x9F)));  // ！？
    __m128i hit = _mm_or_si128(ascii, _mm_or_si128(ideographic_stop, fullwidth));
    unsigned mask = static_cast<unsigned>(_mm_movemask_epi8(hit));
    while (mask != 0) {
      decide(i + static_cast<size_t>(__builtin_ctz(mask)));
      mask &= mask - 1;
    }
  }
#endif
  for (; i < n; ++i) {
    if (IsCandidate(static_cast<unsigned char>(text[i]))) decide(i);
  }
}

}  // namespace wirescan::match
