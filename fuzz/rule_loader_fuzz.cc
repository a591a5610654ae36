// Fuzz target: the rule loader (engine/rules): one YAML rule file -> YAML mapping onto the
// Protobuf schema, validation, compilation (Hyperscan database + model), the pack's examples,
// and, when the pack compiles, one article through an Extractor built from it.
//
// Hyperscan compile time grows with the patterns: inputs above kMaxInput bytes are skipped
// (run.sh also passes -max_len), so each run stays in milliseconds.
//
// Checks, beyond "no crash, no sanitizer report": a rejected pack has a message; a compiled
// pack has a 16-hex-digit version, both halves, and analyses an article without error.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/article.h"
#include "engine/extract/extractor.h"
#include "engine/rules/rule_pack.h"
#include "fuzz/fuzz_common.h"

namespace {
constexpr size_t kMaxInput = 4096;
constexpr std::string_view kArticle =
    "TSMC to invest US$12 billion in Arizona plant\n"
    "Taiwan Semiconductor Manufacturing Co said on Jan. 5, 2024 it would invest $12 billion, "
    "up 15% from the 2023 plan, in a plant making 20,000 wafers per month of 5nm chips. "
    "台積電宣布投資120億美元，2024年第一季度產能增加10%。";
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > kMaxInput) return 0;
  std::vector<wirescan::rules::RuleText> texts;
  texts.push_back({"fuzz.yaml", std::string(reinterpret_cast<const char*>(data), size)});
  auto pack = wirescan::rules::CompileRulePack(std::move(texts));
  if (!pack.ok()) {
    WS_FUZZ_CHECK(!pack.status().message().empty(), "a rejected pack without a message");
    return 0;
  }
  const wirescan::rules::RulePack& p = **pack;
  WS_FUZZ_CHECK(p.version.size() == 16, "version '%s'", p.version.c_str());
  WS_FUZZ_CHECK(p.rules != nullptr && p.model != nullptr, "a compiled pack without its halves");
  for (const std::string& failure : wirescan::rules::RunExamples(p)) {
    WS_FUZZ_CHECK(!failure.empty(), "an empty example failure");
  }
  wirescan::extract::Extractor extractor(p.rules, p.model);
  wirescan::core::ArticleView view;
  size_t nl = kArticle.find('\n');
  view.id = "fuzz";
  view.title = kArticle.substr(0, nl);
  view.body = kArticle.substr(nl + 1);
  view.valid_utf8 = true;
  auto a = extractor.Analyze(view, {});
  WS_FUZZ_CHECK(a.ok(), "a compiled pack fails on an article: %s",
                std::string(a.status().message()).c_str());
  return 0;
}
