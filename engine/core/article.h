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
};

}  // namespace wirescan::core
