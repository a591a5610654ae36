#pragma once
// Extractor: one article in, one ArticleAnalysis out. Per field (title, body) it scans with the
// matcher, resolves entity, pattern and figure mentions leftmost-longest, segments sentences,
// and assembles events around trigger words.
//
// Lifecycle: construct with a rule set; Bind() to a newer one between batches (hot reload).
// Scratch vectors are reused across articles, so the steady state allocates only the output.
//
// Thread safety: thread-compatible; one Extractor per partition thread.

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "engine/core/article.h"
#include "engine/extract/dates.h"
#include "engine/extract/figures.h"
#include "engine/extract/model.h"
#include "engine/match/rule_set.h"
#include "wirescan/v1/analysis.pb.h"

namespace wirescan::extract {

struct ExtractOptions {
  bool include_text = false;  // Copy the body into Article.body.
};

class Extractor {
 public:
  // REQUIRES: `model` was compiled together with `rules` (same pack).
  Extractor(std::shared_ptr<const match::RuleSet> rules, std::shared_ptr<const Model> model);

  // Switches to another compiled pack (between batches).
  absl::Status Bind(std::shared_ptr<const match::RuleSet> rules, std::shared_ptr<const Model> model);
  const Model& model() const { return *model_; }

  // Analyses one article. `out` is cleared first. Any bytes are safe: invalid UTF-8 is repaired
  // (U+FFFD) and reported as a Diagnostic; offsets refer to the repaired text.
  absl::Status Analyze(const core::ArticleView& article, const ExtractOptions& options,
                       v1::ArticleAnalysis* out);

 private:
  // A resolved mention before it becomes a proto.
  struct Candidate {
    uint32_t begin;
    uint32_t end;
    enum Kind : uint8_t { kFigure, kEntity, kPattern, kDate } kind;
    uint32_t index;  // entity/pattern index, or index into figures_ / dates_
  };
  absl::Status AnalyzeField(std::string_view name, std::string_view text, std::string_view source,
                            v1::ArticleAnalysis* out);
  void AssembleEvents(std::string_view field, std::string_view text, size_t first_mention,
                      std::string_view article_id, v1::ArticleAnalysis* out);

  std::shared_ptr<const Model> model_;
  match::Matcher matcher_;
  match::Hits hits_;
  std::vector<TokenHit> token_hits_;
  std::vector<FigureMention> figures_;
  std::vector<TokenHit> date_hits_;
  std::vector<DateMention> dates_;
  std::vector<Candidate> candidates_;
  std::vector<int> chosen_;  // AssembleEvents: slot -> mention index (-1: none), per trigger
};

// The normalised text of a figure: "7800000000 CNY", ">=17100000000 CNY", "10..15 %".
std::string FigureCanonical(const v1::Figure& figure);

}  // namespace wirescan::extract
