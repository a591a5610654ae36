// Fuzz target: JSON article records (engine/parse) -> ArticleView or a dead-letter reason.
//
// Checks, beyond "no crash, no sanitizer report":
//  - a record is accepted only with a non-blank body, and every accepted field is valid UTF-8;
//  - a rejected record has a reason name and a non-empty detail (the dead-letter message);
//  - the long-lived parser (reused across records, as on a partition thread) and a fresh one
//    give the same outcome and the same fields: no state leaks from one record to the next;
//  - ParsePlainText's title and body are views into the input, the title trimmed.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "engine/core/utf8.h"
#include "engine/parse/article_parser.h"
#include "fuzz/fuzz_common.h"

namespace {

using wirescan::core::ArticleView;
using wirescan::parse::JsonArticleParser;
using wirescan::parse::RecordError;

// Small enough that the fuzzer reaches it (the daemon's default is 4 MiB).
constexpr size_t kMaxRecordBytes = 1 << 16;

bool Within(std::string_view part, std::string_view whole) {
  return part.empty() || (part.data() >= whole.data() &&
                          part.data() + part.size() <= whole.data() + whole.size());
}

struct Fields {
  std::string id, title, body, source, url, published_at;
  explicit Fields(const ArticleView& v)
      : id(v.id), title(v.title), body(v.body), source(v.source), url(v.url),
        published_at(v.published_at) {}
  bool operator==(const Fields&) const = default;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static JsonArticleParser* reused = new JsonArticleParser({}, kMaxRecordBytes);
  std::string_view record(reinterpret_cast<const char*>(data), size);

  ArticleView view;
  std::string detail;
  RecordError e = reused->Parse(record, &view, &detail);
  std::string_view name = wirescan::parse::RecordErrorName(e);
  WS_FUZZ_CHECK(!name.empty() && name != "unknown", "reason code %d has no name", int(e));
  if (e == RecordError::kOk) {
    WS_FUZZ_CHECK(view.valid_utf8, "an accepted record must be marked valid UTF-8");
    WS_FUZZ_CHECK(view.body.find_first_not_of(" \t\r\n") != std::string_view::npos,
                  "accepted a blank body");
    for (std::string_view f : {view.id, view.title, view.body, view.source, view.url,
                               view.published_at}) {
      WS_FUZZ_CHECK(wirescan::core::IsValidUtf8(f), "an accepted field is not valid UTF-8");
    }
  } else {
    WS_FUZZ_CHECK(!detail.empty(), "reason %.*s without a detail", int(name.size()), name.data());
    WS_FUZZ_CHECK(e != RecordError::kTooLarge || size > kMaxRecordBytes,
                  "too_large for a record of %zu bytes", size);
  }

  JsonArticleParser fresh({}, kMaxRecordBytes);
  ArticleView again;
  RecordError e2 = fresh.Parse(record, &again);
  WS_FUZZ_CHECK(e2 == e, "a fresh parser says %d, the reused one %d", int(e2), int(e));
  if (e == RecordError::kOk) {
    WS_FUZZ_CHECK(Fields(view) == Fields(again), "a fresh parser reads other fields");
  }

  ArticleView text = wirescan::parse::ParsePlainText(record, "fuzz");
  WS_FUZZ_CHECK(Within(text.title, record) && Within(text.body, record),
                "plain-text title/body are not views into the input");
  if (!text.title.empty()) {
    for (char c : {text.title.front(), text.title.back()}) {
      WS_FUZZ_CHECK(c != ' ' && c != '\t' && c != '\r' && c != '\n', "untrimmed title");
    }
  }
  return 0;
}
