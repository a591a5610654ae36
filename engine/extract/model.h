#pragma once
// Model: the immutable, extraction-side half of a compiled rule pack (the other half is the
// match::RuleSet). Entity, pattern and event tables indexed by the targets of match hits, plus
// the figure grammar. Built by rules/ (the compiler), read by Extractor.
//
// Thread safety: immutable after construction; share it as std::shared_ptr<const Model>.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "engine/extract/dates.h"
#include "engine/extract/figures.h"
#include "engine/extract/org_names.h"

namespace wirescan::extract {

struct EntityInfo {
  std::string id;         // "org.jcet"
  std::string type;       // "ORG"
  std::string canonical;  // "JCET Group"
  std::vector<std::pair<std::string, std::string>> attributes;  // sorted by key
  // Alias precision (rules.proto EntityRule.not_before / not_after): a hit with one of these
  // right after / right before it is not this entity.
  std::vector<std::string> not_before;
  std::vector<std::string> not_after;
};

struct PatternInfo {
  std::string id;
  std::string type;
  std::string canonical;  // empty: the matched text
};

struct SlotInfo {
  std::string name;
  std::vector<std::string> types;
  std::vector<std::string> ids;
  std::vector<std::string> units;
  bool required = false;
  bool prefer_subject = false;  // first fitting mention before the trigger, else nearest after
  bool prefer_object = false;   // nearest fitting mention after the trigger, else nearest before
  // Entity attributes (key, value) that keep a mention out of the slot.
  std::vector<std::pair<std::string, std::string>> exclude;
  // A body trigger whose window has no mention for the slot takes the title's first one.
  bool from_title = false;
  // Non-zero: the mention begins after the trigger, at most max_gap bytes after its end.
  uint32_t max_gap = 0;
};

struct EventInfo {
  std::string id;     // "event.investment"
  std::string type;   // "investment"
  std::string topic;
  bool same_sentence = true;
  uint32_t window_bytes = 0;  // used when !same_sentence
  std::vector<SlotInfo> slots;
  std::vector<size_t> require_any;  // slot indices: at least one must be filled
  std::string trigger_attribute;    // attribute that receives the trigger word, if any
  // trigger_attribute's value by lower-cased trigger text (absent: the trigger lower-cased).
  std::vector<std::pair<std::string, std::string>> trigger_values;  // sorted by key
  bool line_start = false;  // triggers count only at the start of a line (table rows)
  size_t key_slot = 0;  // the first required slot (else 0): events merge within its value
};

// A cue word: the triggers it governs make no event (rules.proto EventCue).
struct CueInfo {
  std::string id;
  bool background = true;  // else a forecast
  bool governs_following = true;
  bool governs_preceding = false;
  bool whole_sentence = false;  // else up to the nearest clause break
};

struct Model {
  std::string version;  // Content hash of the rule files.
  FigureGrammar grammar;
  DateGrammar dates;
  OrgGrammar orgs;
  std::vector<EntityInfo> entities;
  bool has_alias_contexts = false;  // some entity has not_before / not_after
  std::vector<PatternInfo> patterns;
  std::vector<EventInfo> events;
  std::vector<CueInfo> cues;
};

}  // namespace wirescan::extract
