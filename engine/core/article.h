#pragma once
// ArticleView: one input article as views into a buffer someone else owns (a parsed JSON record
// or a file). It is the hand-off between parse/ and extract/.
//
// Thread safety: a value type of views; valid while the underlying buffer is.

#include <string_view>

namespace wirescan::core {

struct ArticleView {
  std::string_view id;
  std::string_view title;
  std::string_view body;
  std::string_view source;
  std::string_view url;
  std::string_view published_at;
  // The producer has checked that title and body are valid UTF-8 (the JSON parser: simdjson
  // validates the whole record and its string unescaping only writes valid UTF-8), so the
  // extractor does not check them again. False: the extractor checks and repairs.
  bool valid_utf8 = false;
};

}  // namespace wirescan::core
