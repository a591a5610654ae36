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

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/core/article.h"
#include "engine/core/work_budget.h"
#include "engine/extract/dates.h"
#include "engine/extract/event_merge.h"
#include "engine/extract/figures.h"
#include "engine/extract/mention_pool.h"
#include "engine/extract/model.h"
#include "engine/extract/org_names.h"
#include "engine/match/rule_set.h"
#include "wirescan/v1/analysis.pb.h"

namespace wirescan::extract {

struct ExtractOptions {
  bool include_text = false;  // Copy the body into Article.body.
  // Receives the analysis' elementary steps (bytes scanned, figure grammar steps, mentions,
  // event slot candidates) as it goes, and may stop it (core/work_budget.h): Analyze() then
  // returns OK early with an incomplete analysis that must not be used (budget->stopped()).
  // Null: never stopped. Borrowed for the call.
  core::WorkBudget* budget = nullptr;
};

class Extractor {
 public:
  // REQUIRES: `model` was compiled together with `rules` (same pack).
  Extractor(std::shared_ptr<const match::RuleSet> rules, std::shared_ptr<const Model> model);

  // Switches to another compiled pack (between batches).
  absl::Status Bind(std::shared_ptr<const match::RuleSet> rules, std::shared_ptr<const Model> model);
  const Model& model() const { return *model_; }
  // The event merge of the last Analyze (work counter for tests).
  const MergeStats& last_merge_stats() const { return merge_stats_; }

  // Analyses one article into the extractor's own output message, valid until the next call. Any bytes are safe: invalid UTF-8 is repaired (U+FFFD) and reported as a
  // Diagnostic; offsets refer to the repaired text. The hot path: the previous article's
  // mentions are recycled through a MentionPool (a figure mention keeps its Figure).
  absl::StatusOr<const v1::ArticleAnalysis*> Analyze(const core::ArticleView& article,
                                                     const ExtractOptions& options);
  // The same into a message of the caller's (cleared first), without the recycling.
  absl::Status Analyze(const core::ArticleView& article, const ExtractOptions& options,
                       v1::ArticleAnalysis* out);

  // Event slots are filled by a scan of the trigger's window while it holds at most this many
  // mentions, else from per-slot indexes of the field's mentions (the same choice, in time
  // bounded per trigger). Tests set 0 (always the indexes) or a huge value (always the scan).
  void SetDirectWindowForTesting(int mentions) { direct_window_ = mentions; }

 private:
  // A resolved mention before it becomes a proto.
  struct Candidate {
    uint32_t begin;
    uint32_t end;
    enum Kind : uint8_t { kFigure, kEntity, kPattern, kDate, kOrgName } kind;
    uint32_t index;  // entity/pattern index, or index into figures_ / dates_ / org_names_
  };
  absl::Status AnalyzeField(std::string_view name, std::string_view text, std::string_view source,
                            v1::ArticleAnalysis* out);
  void AssembleEvents(std::string_view field, std::string_view text, size_t first_mention,
                      std::string_view article_id, v1::ArticleAnalysis* out);
  // The next output mention, from the pool (recycling) or out->add_mentions(); every field of it
  // is to be written.
  v1::Mention* AddMention(const Candidate& c, v1::ArticleAnalysis* out);
  // The index of entity `e` in out->entities(), added on its first mention in the article.
  int32_t EntityIndex(uint32_t e, v1::ArticleAnalysis* out);
  // Sizes the per-entity state for model_ (construction, Bind()).
  void ResetEntities();

  std::shared_ptr<const Model> model_;
  match::Matcher matcher_;
  match::Hits hits_;
  std::vector<TokenHit> token_hits_;
  std::vector<FigureMention> figures_;
  FigureReport figure_report_;  // Skipped figure spans -> CODE_FIGURE_SKIPPED diagnostics.
  std::vector<TokenHit> date_hits_;
  std::vector<DateMention> dates_;
  std::vector<Candidate> candidates_;
  // The organisation-name grammar (org_names.h): per article, and the names of one field.
  OrgFinder orgs_;
  std::vector<OrgName> org_names_;
  std::vector<std::pair<uint32_t, uint32_t>> org_blocked_;  // figure and date spans
  // Writes an org-grammar mention's rule id and entity (the gazetteer's, or one of its own
  // beyond the gazetteer, added to out->entities() once per article with its attributes).
  void FillOrgMention(const OrgName& name, v1::Mention* m, v1::ArticleAnalysis* out);
  std::vector<int> chosen_;  // AssembleEvents: slot -> mention index (-1: none), per trigger
  // AssembleEvents, per field: for slot k of the pack (slot_base_[event] + slot), the field's
  // mentions it accepts, in text order; built when a large window first needs it
  // (slot_stamp_[k] == stamp_).
  std::vector<size_t> slot_base_;
  std::vector<std::vector<int>> slot_mentions_;
  std::vector<uint64_t> slot_stamp_;
  uint64_t stamp_ = 0;
  absl::flat_hash_set<uint64_t> event_ids_;  // the article's event ids so far (duplicates)
  int direct_window_ = 64;
  core::WorkBudget unlimited_{nullptr, nullptr};  // when the options give no budget
  core::WorkBudget* budget_ = &unlimited_;        // the current Analyze()'s
  std::vector<std::pair<uint32_t, uint32_t>> quiet_;  // AssembleEvents: spans cues govern
  std::vector<std::string> event_keys_;  // per output event: its rule's key slot name
  MergeStats merge_stats_;
  v1::ArticleAnalysis own_;  // the output of Analyze(article, options); only it is recycled
  MentionPool pool_;
  // Per model entity: its index in the current article's entities when entity_stamp_ equals
  // article_stamp_ (bumped per article: no clearing).
  std::vector<int32_t> entity_index_;
  std::vector<uint32_t> entity_stamp_;
  uint32_t article_stamp_ = 0;
  absl::flat_hash_map<uint32_t, int32_t> discovered_index_;  // known org -> entity index
};

// The normalised text of a figure: "7800000000 CNY", ">=17100000000 CNY", "10..15 %".
std::string FigureCanonical(const v1::Figure& figure);

}  // namespace wirescan::extract
