// Fuzz target: the whole Extractor on the default pack (matching, figure and date grammars,
// entity resolution, sentences, event assembly, Protobuf output). The first input byte picks
// the article source and whether the text is claimed valid UTF-8 (as the JSON parser does, only
// when it is); the rest is a plain-text article (first line the title, the rest the body).
//
// Checks, beyond "no crash, no sanitizer report":
//  - Analyze succeeds and its output is valid Protobuf (serialises, parses back equal);
//  - every mention lies inside its field and its text is field[begin:end] of the repaired
//    field; mentions are sorted by field (title first), then begin; events' spans lie inside
//    their field;
//  - the recycling Analyze (mentions from the pool of earlier articles) gives exactly what a
//    fresh message gets: the pool carries nothing from one article to the next.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "engine/core/utf8.h"
#include "engine/extract/extractor.h"
#include "engine/parse/article_parser.h"
#include "fuzz/fuzz_common.h"
#include "google/protobuf/util/message_differencer.h"

namespace {

using wirescan::v1::ArticleAnalysis;

void CheckSpans(const ArticleAnalysis& a, std::string_view title, std::string_view body) {
  auto field_text = [&](wirescan::v1::Field f) -> std::string_view {
    WS_FUZZ_CHECK(f == wirescan::v1::FIELD_TITLE || f == wirescan::v1::FIELD_BODY,
                  "unknown field %d", static_cast<int>(f));
    return f == wirescan::v1::FIELD_TITLE ? title : body;
  };
  int last_field = 0;
  uint32_t last_begin = 0;
  for (const auto& m : a.mentions()) {
    std::string_view text = field_text(m.field());
    WS_FUZZ_CHECK(m.begin() < m.end() && m.end() <= text.size(),
                  "mention [%u, %u) outside its field of %zu bytes", m.begin(), m.end(),
                  text.size());
    WS_FUZZ_CHECK(text.substr(m.begin(), m.end() - m.begin()) == m.text(),
                  "mention text '%s' is not the field's bytes at [%u, %u)", m.text().c_str(),
                  m.begin(), m.end());
    int f = m.field() == wirescan::v1::FIELD_TITLE ? 0 : 1;
    WS_FUZZ_CHECK(f > last_field || (f == last_field && m.begin() >= last_begin),
                  "mentions out of order at %d:%u", f, m.begin());
    WS_FUZZ_CHECK(!m.has_entity() || m.entity() < static_cast<uint32_t>(a.entities_size()),
                  "mention entity %u of %d", m.entity(), a.entities_size());
    last_field = f;
    last_begin = m.begin();
  }
  for (const auto& e : a.events()) {
    std::string_view text = field_text(e.field());
    WS_FUZZ_CHECK(e.begin() < e.end() && e.end() <= text.size(),
                  "event [%u, %u) outside its field of %zu bytes", e.begin(), e.end(),
                  text.size());
    for (const auto& slot : e.slots()) {
      std::string_view slot_text = field_text(slot.field());
      WS_FUZZ_CHECK(slot.end() <= slot_text.size() &&
                        slot_text.substr(slot.begin(), slot.end() - slot.begin()) == slot.text(),
                    "event slot '%s' is not the field's bytes at [%u, %u)", slot.text().c_str(),
                    slot.begin(), slot.end());
      WS_FUZZ_CHECK(!slot.has_entity() || slot.entity() < static_cast<uint32_t>(e.entities_size()),
                    "slot entity %u of %d", slot.entity(), e.entities_size());
    }
  }
}

}  // namespace

// The pack is compiled before the first input, outside the per-input timeout.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  wirescan::fuzz::DefaultPack();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static constexpr std::string_view kSources[] = {"", "reuters", "xinhua", "cna.com.tw"};
  const wirescan::rules::RulePack& pack = wirescan::fuzz::DefaultPack();
  static auto* extractor = new wirescan::extract::Extractor(pack.rules, pack.model);

  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  wirescan::core::ArticleView view = wirescan::parse::ParsePlainText(input, "fuzz-article");
  view.source = kSources[data[0] % std::size(kSources)];
  bool valid = wirescan::core::IsValidUtf8(view.title) && wirescan::core::IsValidUtf8(view.body);
  view.valid_utf8 = valid && (data[0] & 0x80) != 0;
  wirescan::extract::ExtractOptions options;
  options.include_text = (data[0] & 0x40) != 0;

  auto recycled = extractor->Analyze(view, options);
  WS_FUZZ_CHECK(recycled.ok(), "Analyze failed: %s",
                std::string(recycled.status().message()).c_str());
  const ArticleAnalysis& a = **recycled;

  std::string title = valid ? std::string(view.title) : wirescan::core::RepairUtf8(view.title);
  std::string body = valid ? std::string(view.body) : wirescan::core::RepairUtf8(view.body);
  CheckSpans(a, title, body);

  std::string wire;
  WS_FUZZ_CHECK(a.SerializeToString(&wire), "the analysis does not serialise");
  ArticleAnalysis parsed;
  WS_FUZZ_CHECK(parsed.ParseFromString(wire), "the serialised analysis does not parse");
  WS_FUZZ_CHECK(google::protobuf::util::MessageDifferencer::Equals(parsed, a),
                "the analysis changes through the wire");

  ArticleAnalysis fresh;
  absl::Status s = extractor->Analyze(view, options, &fresh);
  WS_FUZZ_CHECK(s.ok(), "Analyze into a fresh message failed: %s",
                std::string(s.message()).c_str());
  WS_FUZZ_CHECK(google::protobuf::util::MessageDifferencer::Equals(fresh, a),
                "recycled and fresh analyses differ:\n%s\n---\n%s", a.DebugString().c_str(),
                fresh.DebugString().c_str());
  return 0;
}
