#pragma once
// Debian's Abseil 20220623 is built with its own absl::string_view (not std::string_view), so
// absl::StrCat and friends do not take a std::string_view. Our code uses std::string_view and
// converts at the call with Sv().
//
// Thread safety: pure functions.

#include <string_view>

#include "absl/strings/string_view.h"

namespace wirescan::core {

inline absl::string_view Sv(std::string_view s) { return absl::string_view(s.data(), s.size()); }
// The other way round (Status::message(), StrCat results into std::string_view parameters).
inline std::string_view StdSv(absl::string_view s) { return std::string_view(s.data(), s.size()); }

// The same bytes as `a`, compared one byte at a time: for the short literals of the grammars
// (a connector, 億, 年底), which mostly differ at the first byte. `a == b` calls memcmp, and
// that call was 3% of Chinese extraction.
inline bool SameBytes(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] != b[i]) return false;
  }
  return true;
}

// `lit` at byte `pos` of `text`.
inline bool BytesAt(std::string_view text, size_t pos, std::string_view lit) {
  return pos <= text.size() && text.size() - pos >= lit.size() &&
         SameBytes(text.substr(pos, lit.size()), lit);
}

// Whether only spaces and tabs, at most 16 of them, lie between the previous line break (or the
// text's start) and `pos`: the first word of a table row ("    Net 1.2 mln vs 1.0 mln").
inline bool AtLineStart(std::string_view text, size_t pos) {
  constexpr size_t kMaxIndent = 16;
  if (pos > text.size()) return false;
  for (size_t p = pos; p > 0 && pos - p <= kMaxIndent;) {
    const char c = text[--p];
    if (c == '\n' || c == '\r') return true;
    if (c != ' ' && c != '\t') return false;
    if (p == 0) return pos <= kMaxIndent;  // the text's start
  }
  return pos == 0;
}

// `lit` ending at byte `end` of `text`, starting at or after `floor`.
inline bool BytesBefore(std::string_view text, size_t end, size_t floor, std::string_view lit) {
  return end <= text.size() && end >= floor + lit.size() &&
         SameBytes(text.substr(end - lit.size(), lit.size()), lit);
}

}  // namespace wirescan::core
