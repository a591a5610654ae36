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

namespace wirescan::extract {

struct EntityInfo {
  std::string id;         // "org.jcet"
  std::string type;       // "ORG"
  std::string canonical;  // "JCET Group"
  std::vector<std::pair<std::string, std::string>> attributes;  // sorted by key
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
};

struct Model {
  std::string version;  // Content hash of the rule files.
  FigureGrammar grammar;
  DateGrammar dates;
  std::vector<EntityInfo> entities;
  std::vector<PatternInfo> patterns;
  std::vector<EventInfo> events;
};

}  // namespace wirescan::extract
