#pragma once
// The organisation-name grammar: ORG mentions for companies the gazetteer does not list, read
// around a few vocabulary literals the matcher finds (rule pack `org_names:`, rules.proto
// OrgNameVocabulary), never by regexes.
//
//   OrgGrammar  immutable, built once per rule set; lists the literals to compile.
//   OrgFinder   per article, on the partition thread: literal hits + text -> OrgName list,
//               and the article's names so far (short forms link to them).
//
// Forms (each a rule id):
//   org.designator  capitalised words ending in a designator: "Kestrel Micro Devices Inc",
//                   "Hefei Xinjing Technology Co., Ltd.", "Procter & Gamble Co"
//   org.headline    the same in capitals: "KESTREL MICRO INC"
//   org.ticker      "<KMD>" (Reuters markup) and "(NYSE: KMD)": the name right before it
//   org.markup      "<Kestrel Micro Devices>" (Reuters markup of a name)
//   org.zh_suffix   a Han run before a suffix: 合肥某某科技有限公司, 某某集團
//   org.short_form  a later first word(s) or ticker of a name found before ("Kestrel")
// The canonical name drops legal designators ("Kestrel Micro Devices"); a name whose
// designator-less form is a gazetteer ORG alias (an entity hit of exactly that span) takes the
// entity. Work is linear: every look-back is bounded (max_words, zh_max_chars) and every
// short-form search is one pass per known name (at most kMaxKnown per article).
//
// Thread safety: OrgGrammar is immutable after Build() and safe to share; OrgFinder is
// thread-compatible (one per Extractor).

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/container/flat_hash_map.h"
#include "engine/extract/figures.h"
#include "engine/match/rule_set.h"
#include "wirescan/v1/rules.pb.h"

namespace wirescan::extract {

enum class OrgForm : uint8_t { kDesignator, kHeadline, kTicker, kMarkup, kZhSuffix, kShortForm };
inline constexpr OrgForm kAllOrgForms[] = {OrgForm::kDesignator, OrgForm::kHeadline,
                                           OrgForm::kTicker,     OrgForm::kMarkup,
                                           OrgForm::kZhSuffix,   OrgForm::kShortForm};

// "org.designator", ...
std::string_view OrgFormRuleId(OrgForm form);

// What one literal of the vocabulary is.
struct OrgToken {
  enum class Kind : uint8_t {
    kLegal,       // "Inc": ends a name, stripped
    kName,        // "Group": ends a name, kept
    kExchange,    // "(NYSE:" of "(NYSE: KMD)"
    kMarkupOpen,  // "<"
    kZhLegal,     // 有限公司: ends a Chinese name, stripped
    kZhName,      // 集團: ends a Chinese name, kept
  };
  Kind kind;
  std::string text;
  bool headline = false;  // The capitals form of a designator: only in a run of capitals.
};

// Alias precision: whether an alias hit [begin, end) has one of `not_before` right after it or
// one of `not_after` right before it (rules.proto EntityRule). Latin words: ASCII-caseless, on
// word boundaries, across at most 3 spaces; CJK text: adjacent, exact.
bool AliasBlocked(std::string_view text, uint32_t begin, uint32_t end,
                  std::span<const std::string> not_before, std::span<const std::string> not_after);

// How the grammar sees the gazetteer's entities (the extractor answers from its Model).
enum class EntityClass : uint8_t { kOther, kOrg, kPlace };

class OrgGrammar {
 public:
  // Builds the grammar from the `org_names:` sections of a pack (empty: the grammar is off).
  // Errors read "<locate(msg)>: <what>".
  static absl::StatusOr<OrgGrammar> Build(
      std::span<const wirescan::v1::rules::OrgNameVocabulary* const> vocabularies, Locator locate);

  bool enabled() const { return enabled_; }
  // Every literal the matcher must find; a hit's target indexes this vector.
  const std::vector<OrgToken>& tokens() const { return tokens_; }

 private:
  friend class OrgFinder;
  bool enabled_ = false;
  std::vector<OrgToken> tokens_;
  absl::flat_hash_set<std::string> legal_;       // as written and in capitals
  absl::flat_hash_set<std::string> designators_;  // legal and name, as written and in capitals
  absl::flat_hash_set<std::string> connectors_;
  absl::flat_hash_set<std::string> not_starts_;  // lower-cased
  absl::flat_hash_set<std::string> not_short_;   // lower-cased
  absl::flat_hash_set<std::string> zh_legal_;
  absl::flat_hash_set<std::string> zh_place_;    // suffixes that need a place before the name
  std::vector<std::string> zh_stop_;             // longest first
  std::vector<std::string> zh_generic_;          // longest first
  // zh_stop_ by their last character (the run's backward scan looks up each character once).
  absl::flat_hash_map<uint32_t, std::vector<std::string>> zh_stop_by_last_;
  uint32_t max_words_ = 6;
  uint32_t zh_max_chars_ = 10;
};

// One name found in a field.
struct OrgName {
  uint32_t begin = 0;
  uint32_t end = 0;
  OrgForm form = OrgForm::kDesignator;
  uint32_t known = 0;  // OrgFinder::known(): its canonical name, entity and ticker
};

// A name of the article: what its mentions say.
struct KnownOrg {
  std::string canonical;
  int32_t entity = -1;     // gazetteer entity index, or -1
  std::string ticker;      // "KMD", if a ticker form named it
  std::string exchange;    // "NYSE", if given
  bool english = true;
  std::vector<std::string> words;  // English: the canonical's words (short forms)
};

class OrgFinder {
 public:
  static constexpr size_t kMaxKnown = 32;  // names per article; later ones are still found

  // Forgets the previous article's names.
  void BeginArticle() {
    known_.clear();
    by_key_.clear();
    field_of_.clear();
    first_end_.clear();
  }

  // Finds the names of one field and appends them to `out` (not sorted). `tokens`: the hits of
  // the grammar's literals (target: index into tokens()); `entities`: the field's entity hits
  // (target: entity index; after the alias filters); both sorted by begin, ties longer first;
  // `blocked`: spans no Chinese name may reach into (figures, dates), sorted by begin;
  // `sentence_ends` as the matcher found them. `*work` counts elementary steps.
  void FindInField(std::string_view text, const OrgGrammar& grammar,
                   std::span<const match::Hit> tokens, std::span<const match::Hit> entities,
                   absl::FunctionRef<EntityClass(uint32_t)> entity_class,
                   std::span<const std::pair<uint32_t, uint32_t>> blocked,
                   std::span<const uint32_t> sentence_ends, std::vector<OrgName>* out,
                   uint64_t* work);

  const KnownOrg& known(uint32_t i) const { return known_[i]; }
  size_t known_count() const { return known_.size(); }

 private:
  struct Ctx;
  void FindEnglish(Ctx& c, size_t designator, std::vector<OrgName>* out);
  void FindChinese(Ctx& c, size_t suffix, std::vector<OrgName>* out);
  void FindTicker(Ctx& c, size_t token, std::vector<OrgName>* out);
  void FindShortForms(Ctx& c, std::vector<OrgName>* out);
  // The known name with this canonical (or entity), added if new.
  uint32_t Intern(std::string_view canonical, int32_t entity, bool english);

  std::vector<KnownOrg> known_;
  absl::flat_hash_map<std::string, uint32_t> by_key_;  // canonical or entity -> known index
  std::vector<uint32_t> field_of_;  // per known: the field counter when it was first found
  std::vector<uint32_t> first_end_; // per known: the end of its first mention there
  uint32_t field_ = 0;
};

}  // namespace wirescan::extract
