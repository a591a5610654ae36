#include "engine/rules/rule_pack.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "engine/core/hash.h"
#include "engine/core/status_macros.h"
#include "engine/core/strings.h"
#include "engine/core/utf8.h"
#include "engine/extract/extractor.h"
#include "engine/extract/output.h"

namespace wirescan::rules {
namespace {

using v1::rules::EntityRule;
using v1::rules::EventRule;
using v1::rules::Example;
using v1::rules::PatternRule;
using v1::rules::RuleFile;

const absl::flat_hash_set<std::string>& EntityTypes() {
  static const auto* types =
      new absl::flat_hash_set<std::string>{"ORG", "PLACE", "TECH", "PERSON", "PRODUCT"};
  return *types;
}
const absl::flat_hash_set<std::string>& MentionTypes() {
  static const auto* types = new absl::flat_hash_set<std::string>{
      "ORG", "PLACE", "TECH", "PERSON", "PRODUCT", "MONEY", "PERCENT", "QUANTITY", "DATE"};
  return *types;
}

bool ValidId(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    if (!(core::IsAsciiDigit(c) || (c >= 'a' && c <= 'z') || c == '_' || c == '.' || c == '-')) {
      return false;
    }
  }
  return true;
}

// An alias written in capitals and digits only ("ASE", "SK", "U.S.") is an acronym: in CASE_AUTO
// it matches only as written, so "ASE" is not found in "base".
bool LooksLikeAcronym(std::string_view alias) {
  bool letters = false;
  for (char c : alias) {
    if (c >= 'a' && c <= 'z') return false;
    letters |= (c >= 'A' && c <= 'Z');
  }
  return letters;
}

bool HasAsciiLetter(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) { return core::IsAsciiAlpha(c); });
}

// Word-boundary checks for a Latin-script literal: on the sides where it begins or ends with a
// word character. CJK ends need none (no spaces between words).
uint8_t LatinBoundaries(std::string_view text, bool digits_before_ok) {
  uint8_t b = match::kNoBoundary;
  size_t len = 0;
  if (core::IsWordChar(core::DecodeAt(text, 0, &len))) {
    b |= digits_before_ok ? match::kLetterBefore : match::kWordBefore;
  }
  if (core::IsWordChar(core::DecodeBefore(text, text.size(), &len))) b |= match::kWordAfter;
  return b;
}

// One or two ASCII letters ("m", "B", "bn").
bool IsShortLetterWord(std::string_view s) {
  return !s.empty() && s.size() <= 2 &&
         std::all_of(s.begin(), s.end(), [](char c) { return core::IsAsciiAlpha(c); });
}

bool HasEdgeSpace(std::string_view s) {
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  return !s.empty() && (space(s.front()) || space(s.back()));
}

// One status for several: the first's code, every message on a line of its own.
absl::Status Combine(const std::vector<absl::Status>& errors) {
  if (errors.size() == 1) return errors[0];
  std::vector<absl::string_view> lines;
  for (const absl::Status& e : errors) lines.push_back(e.message());
  return absl::Status(errors[0].code(), absl::StrJoin(lines, "\n"));
}

class Compiler {
 public:
  Compiler(RulePack* pack, std::string cache_dir) : pack_(pack), cache_dir_(std::move(cache_dir)) {}

  absl::Status Run();

 private:
  // Keeps a rule's error and goes on with the next rule: a pack's errors are reported together.
  void Collect(absl::Status status) {
    if (!status.ok()) errors_.push_back(std::move(status));
  }
  absl::Status ClaimDateIds();
  std::string Where(const google::protobuf::Message& msg, std::string_view id) const {
    std::string loc = pack_->sources.Locate(msg);
    return id.empty() ? loc : absl::StrCat(loc, ": rule ", core::Sv(id));
  }
  absl::Status Fail(const google::protobuf::Message& msg, std::string_view id,
                    std::string_view what) const {
    return absl::InvalidArgumentError(absl::StrCat(Where(msg, id), ": ", core::Sv(what)));
  }
  absl::Status ClaimId(const google::protobuf::Message& msg, const std::string& id);
  absl::Status AddEntity(const EntityRule& rule);
  absl::Status AddPattern(const PatternRule& rule);
  absl::Status AddDates();
  absl::Status AddOrgNames();
  absl::Status AddEvent(const EventRule& rule);
  absl::Status AddCue(const v1::rules::EventCue& cue);
  absl::Status CheckExample(const Example& ex);

  RulePack* pack_;
  const std::string cache_dir_;
  extract::Model model_;
  std::vector<match::PatternSpec> specs_;
  absl::flat_hash_map<std::string, std::string> ids_;  // id -> location
  // Lower-cased alias -> (entity id, case-sensitive?, exact text)
  struct AliasOwner {
    std::string entity;
    bool sensitive;
    std::string text;
    std::string location;  // "file:line" of the entity
  };
  absl::flat_hash_map<std::string, std::vector<AliasOwner>> aliases_;
  absl::flat_hash_set<std::string> event_types_;
  std::vector<absl::Status> errors_;
};

absl::Status Compiler::ClaimId(const google::protobuf::Message& msg, const std::string& id) {
  if (!ValidId(id)) {
    return Fail(msg, id.empty() ? "" : id,
                id.empty() ? "missing 'id'"
                           : "id must be 1-128 characters of [a-z0-9_.-]");
  }
  auto [it, inserted] = ids_.emplace(id, pack_->sources.Locate(msg));
  if (!inserted) return Fail(msg, id, absl::StrCat("duplicate id (first defined at ", it->second, ")"));
  return absl::OkStatus();
}

absl::Status Compiler::AddEntity(const EntityRule& rule) {
  WS_RETURN_IF_ERROR(ClaimId(rule, rule.id()));
  if (!EntityTypes().contains(rule.type())) {
    return Fail(rule, rule.id(), absl::StrCat("type '", rule.type(),
                                              "' is not one of ORG, PLACE, TECH, PERSON, PRODUCT"));
  }
  if (rule.canonical().empty()) return Fail(rule, rule.id(), "missing 'canonical'");
  if (rule.aliases().empty()) return Fail(rule, rule.id(), "needs at least one alias");
  const uint32_t index = static_cast<uint32_t>(model_.entities.size());
  extract::EntityInfo info{rule.id(), rule.type(), rule.canonical(), {}, {}, {}};
  for (const auto& [k, v] : rule.attributes()) info.attributes.emplace_back(k, v);
  std::sort(info.attributes.begin(), info.attributes.end());
  for (bool before : {true, false}) {
    const auto& words = before ? rule.not_before() : rule.not_after();
    for (const std::string& w : words) {
      if (w.empty() || HasEdgeSpace(w) || !core::IsValidUtf8(w)) {
        return Fail(rule, rule.id(), absl::StrCat(before ? "not_before" : "not_after", " '", w,
                                                  "' is empty, not UTF-8 or has edge spaces"));
      }
      (before ? info.not_before : info.not_after).push_back(w);
      model_.has_alias_contexts = true;
    }
  }
  model_.entities.push_back(std::move(info));
  if (rule.type() == "ORG") ++pack_->stats.organisations;

  const bool boundaries = !rule.has_word_boundary() || rule.word_boundary();
  for (const std::string& alias : rule.aliases()) {
    if (alias.empty() || HasEdgeSpace(alias)) {
      return Fail(rule, rule.id(), absl::StrCat("alias '", alias,
                                                "' is empty or has leading/trailing spaces"));
    }
    if (!core::IsValidUtf8(alias)) return Fail(rule, rule.id(), "alias is not valid UTF-8");
    bool sensitive = rule.case_() == v1::rules::CASE_SENSITIVE ||
                     (rule.case_() == v1::rules::CASE_AUTO && LooksLikeAcronym(alias));
    if (!HasAsciiLetter(alias)) sensitive = true;  // nothing to fold
    // Two aliases collide when one can match the other's text.
    std::string key = absl::AsciiStrToLower(alias);
    auto& owners = aliases_[key];
    for (const AliasOwner& o : owners) {
      bool clash = (!o.sensitive || !sensitive) ? true : o.text == alias;
      if (clash) {
        return Fail(rule, rule.id(),
                    absl::StrCat("alias '", alias, "' is also an alias of ",
                                 o.entity == rule.id()
                                     ? std::string("this rule")
                                     : absl::StrCat(o.entity, " (", o.location, ")")));
      }
    }
    owners.push_back({rule.id(), sensitive, alias, pack_->sources.Locate(rule)});
    match::PatternSpec spec;
    spec.expression = alias;
    spec.literal = true;
    spec.caseless = !sensitive;
    spec.info = {match::PatternKind::kEntityAlias,
                 boundaries ? LatinBoundaries(alias, false) : uint8_t{match::kNoBoundary}, index, 0};
    spec.origin = Where(rule, rule.id());
    specs_.push_back(std::move(spec));
    ++pack_->stats.aliases;
  }
  ++pack_->stats.entities;
  return absl::OkStatus();
}

absl::Status Compiler::AddPattern(const PatternRule& rule) {
  WS_RETURN_IF_ERROR(ClaimId(rule, rule.id()));
  if (!MentionTypes().contains(rule.type())) {
    return Fail(rule, rule.id(), absl::StrCat("type '", rule.type(), "' is not a mention type"));
  }
  if (rule.regex().empty()) return Fail(rule, rule.id(), "missing 'regex'");
  match::PatternSpec spec;
  spec.expression = rule.regex();
  spec.literal = false;
  spec.caseless = rule.caseless();
  spec.ucp = rule.ucp();
  spec.info = {match::PatternKind::kRegex, match::kNoBoundary,
               static_cast<uint32_t>(model_.patterns.size()), 0};
  spec.origin = Where(rule, rule.id());
  specs_.push_back(std::move(spec));
  model_.patterns.push_back({rule.id(), rule.type(), rule.canonical()});
  ++pack_->stats.patterns;
  return absl::OkStatus();
}

absl::Status Compiler::AddEvent(const EventRule& rule) {
  WS_RETURN_IF_ERROR(ClaimId(rule, rule.id()));
  if (rule.type().empty()) return Fail(rule, rule.id(), "missing 'type'");
  if (rule.triggers().empty()) return Fail(rule, rule.id(), "needs at least one trigger");
  if (rule.slots().empty()) return Fail(rule, rule.id(), "needs at least one slot");
  extract::EventInfo info;
  info.id = rule.id();
  info.type = rule.type();
  info.topic = rule.topic();
  info.line_start = rule.line_start();
  if (rule.window().kind_case() == v1::rules::Window::kBytes) {
    if (rule.window().bytes() == 0 || rule.window().bytes() > 100000) {
      return Fail(rule.window(), rule.id(), "window bytes must be between 1 and 100000");
    }
    info.same_sentence = false;
    info.window_bytes = rule.window().bytes();
  } else if (rule.window().kind_case() == v1::rules::Window::kSentence &&
             !rule.window().sentence()) {
    return Fail(rule.window(), rule.id(), "window: set 'sentence: true' or 'bytes: N'");
  }
  absl::flat_hash_set<std::string> slot_names;
  for (const auto& slot : rule.slots()) {
    if (slot.name().empty()) return Fail(slot, rule.id(), "slot without 'name'");
    if (!slot_names.insert(slot.name()).second) {
      return Fail(slot, rule.id(), absl::StrCat("duplicate slot '", slot.name(), "'"));
    }
    if (slot.types().empty() && slot.ids().empty()) {
      return Fail(slot, rule.id(), absl::StrCat("slot '", slot.name(), "' needs 'types' or 'ids'"));
    }
    for (const std::string& t : slot.types()) {
      if (!MentionTypes().contains(t)) {
        return Fail(slot, rule.id(), absl::StrCat("slot '", slot.name(), "': unknown type '", t, "'"));
      }
    }
    extract::SlotInfo s{slot.name(),
                        {slot.types().begin(), slot.types().end()},
                        {slot.ids().begin(), slot.ids().end()},
                        {slot.units().begin(), slot.units().end()},
                        slot.required(),
                        slot.prefer() == v1::rules::PREFER_SUBJECT,
                        slot.prefer() == v1::rules::PREFER_OBJECT,
                        {}};
    for (const std::string& ex : slot.exclude()) {
      size_t eq = ex.find('=');
      if (eq == std::string::npos || eq == 0 || eq + 1 == ex.size()) {
        return Fail(slot, rule.id(), absl::StrCat("slot '", slot.name(), "': exclude '", ex,
                                                  "' is not key=value"));
      }
      s.exclude.emplace_back(ex.substr(0, eq), ex.substr(eq + 1));
    }
    s.from_title = slot.from_title();
    if (slot.max_gap() > 64) {
      return Fail(slot, rule.id(), absl::StrCat("slot '", slot.name(), "': max_gap must be at most 64"));
    }
    s.max_gap = slot.max_gap();
    info.slots.push_back(std::move(s));
  }
  for (const std::string& name : rule.require_any()) {
    auto it = std::find_if(info.slots.begin(), info.slots.end(),
                           [&](const extract::SlotInfo& s) { return s.name == name; });
    if (it == info.slots.end()) {
      return Fail(rule, rule.id(), absl::StrCat("require_any names unknown slot '", name, "'"));
    }
    info.require_any.push_back(static_cast<size_t>(it - info.slots.begin()));
  }
  if (!rule.trigger_attribute().empty()) {
    if (slot_names.contains(rule.trigger_attribute())) {
      return Fail(rule, rule.id(), absl::StrCat("trigger_attribute '", rule.trigger_attribute(),
                                                "' is also a slot name"));
    }
    info.trigger_attribute = rule.trigger_attribute();
  }
  for (const auto& [trigger, value] : rule.trigger_values()) {
    if (rule.trigger_attribute().empty()) {
      return Fail(rule, rule.id(), "trigger_values needs a trigger_attribute");
    }
    if (std::find(rule.triggers().begin(), rule.triggers().end(), trigger) ==
        rule.triggers().end()) {
      return Fail(rule, rule.id(), absl::StrCat("trigger_values names '", trigger,
                                                "', which is not one of its triggers"));
    }
    info.trigger_values.emplace_back(absl::AsciiStrToLower(trigger), value);
  }
  std::sort(info.trigger_values.begin(), info.trigger_values.end());
  for (size_t si = 0; si < info.slots.size(); ++si) {
    if (info.slots[si].required) {
      info.key_slot = si;
      break;
    }
  }
  const uint32_t index = static_cast<uint32_t>(model_.events.size());
  for (const std::string& trigger : rule.triggers()) {
    if (trigger.empty() || HasEdgeSpace(trigger)) {
      return Fail(rule, rule.id(), absl::StrCat("trigger '", trigger,
                                                "' is empty or has leading/trailing spaces"));
    }
    match::PatternSpec spec;
    spec.expression = trigger;
    spec.caseless = !rule.trigger_case_sensitive() && HasAsciiLetter(trigger);
    spec.info = {match::PatternKind::kTrigger, LatinBoundaries(trigger, false), index, 0};
    spec.origin = Where(rule, rule.id());
    specs_.push_back(std::move(spec));
  }
  event_types_.insert(rule.type());
  model_.events.push_back(std::move(info));
  ++pack_->stats.events;
  return absl::OkStatus();
}

absl::Status Compiler::AddCue(const v1::rules::EventCue& cue) {
  WS_RETURN_IF_ERROR(ClaimId(cue, cue.id()));
  if (cue.kind() == v1::rules::CUE_KIND_UNSPECIFIED) {
    return Fail(cue, cue.id(), "missing 'kind' (background or forecast)");
  }
  if (cue.words().empty()) return Fail(cue, cue.id(), "needs at least one word");
  extract::CueInfo info;
  info.id = cue.id();
  info.background = cue.kind() == v1::rules::CUE_KIND_BACKGROUND;
  info.governs_following = cue.side() != v1::rules::CUE_SIDE_PRECEDING;
  info.governs_preceding = cue.side() != v1::rules::CUE_SIDE_FOLLOWING;
  info.whole_sentence = cue.scope() == v1::rules::CUE_SCOPE_SENTENCE;
  const uint32_t index = static_cast<uint32_t>(model_.cues.size());
  for (const std::string& word : cue.words()) {
    if (word.empty() || HasEdgeSpace(word)) {
      return Fail(cue, cue.id(), absl::StrCat("word '", word,
                                              "' is empty or has leading/trailing spaces"));
    }
    match::PatternSpec spec;
    spec.expression = word;
    spec.caseless = !cue.case_sensitive() && HasAsciiLetter(word);
    spec.info = {match::PatternKind::kCue, LatinBoundaries(word, false), index, 0};
    spec.origin = Where(cue, cue.id());
    specs_.push_back(std::move(spec));
  }
  model_.cues.push_back(std::move(info));
  return absl::OkStatus();
}

absl::Status Compiler::CheckExample(const Example& ex) {
  WS_RETURN_IF_ERROR(ClaimId(ex, ex.id()));
  if (ex.text().empty() && ex.title().empty()) return Fail(ex, ex.id(), "missing 'text'");
  for (const auto& m : ex.mentions()) {
    if (m.text().empty()) return Fail(m, ex.id(), "expected mention without 'text'");
    if (!m.type().empty() && !MentionTypes().contains(m.type())) {
      return Fail(m, ex.id(), absl::StrCat("unknown mention type '", m.type(), "'"));
    }
  }
  for (const auto& e : ex.events()) {
    if (!event_types_.contains(e.type())) {
      return Fail(e, ex.id(), absl::StrCat("no event rule has type '", e.type(), "'"));
    }
  }
  ++pack_->stats.examples;
  return absl::OkStatus();
}

// The date forms' rule ids belong to the pack like any rule's: slots can name them. They are
// claimed before every rule, so a rule that takes one is the duplicate (blamed at the rule).
absl::Status Compiler::ClaimDateIds() {
  bool english = false, chinese = false;
  const v1::rules::DateGrammar* where = nullptr;
  for (const auto& file : pack_->files) {
    if (!file->has_dates()) continue;
    english |= file->dates().english();
    chinese |= file->dates().chinese();
    if (where == nullptr && (file->dates().english() || file->dates().chinese())) {
      where = &file->dates();
    }
  }
  model_.dates = extract::DateGrammar::Build(english, chinese);
  for (extract::DateForm form : model_.dates.forms()) {
    WS_RETURN_IF_ERROR(ClaimId(*where, std::string(extract::DateFormRuleId(form))));
  }
  return absl::OkStatus();
}

// The date grammar's vocabulary (built by ClaimDateIds) into the database.
absl::Status Compiler::AddDates() {
  const auto& tokens = model_.dates.tokens();
  for (uint32_t i = 0; i < tokens.size(); ++i) {
    match::PatternSpec spec;
    spec.expression = tokens[i].text;
    spec.info = {match::PatternKind::kDateToken, match::kNoBoundary, i, 0};
    spec.origin = absl::StrCat("date grammar '", tokens[i].text, "'");
    specs_.push_back(std::move(spec));
  }
  return absl::OkStatus();
}

absl::Status Compiler::AddOrgNames() {
  std::vector<const v1::rules::OrgNameVocabulary*> vocabularies;
  const v1::rules::OrgNameVocabulary* where = nullptr;
  for (const auto& file : pack_->files) {
    if (!file->has_org_names()) continue;
    vocabularies.push_back(&file->org_names());
    if (where == nullptr) where = &file->org_names();
  }
  const SourceMap& sources = pack_->sources;
  WS_ASSIGN_OR_RETURN(model_.orgs, extract::OrgGrammar::Build(
                                       vocabularies, [&sources](const google::protobuf::Message& m) {
                                         return sources.Locate(m);
                                       }));
  if (!model_.orgs.enabled()) return absl::OkStatus();
  // The forms' rule ids belong to the pack: slots and examples can name them.
  for (extract::OrgForm form : extract::kAllOrgForms) {
    WS_RETURN_IF_ERROR(ClaimId(*where, std::string(extract::OrgFormRuleId(form))));
  }
  const auto& tokens = model_.orgs.tokens();
  for (uint32_t i = 0; i < tokens.size(); ++i) {
    const extract::OrgToken& t = tokens[i];
    match::PatternSpec spec;
    spec.expression = t.text;
    const bool latin_word = t.kind == extract::OrgToken::Kind::kLegal ||
                            t.kind == extract::OrgToken::Kind::kName;
    spec.info = {match::PatternKind::kOrgToken,
                 latin_word ? LatinBoundaries(t.text, false) : uint8_t{match::kNoBoundary}, i, 0};
    if (latin_word) {
      // A designator reads a name only after a space ("Kestrel Inc", "Devices, Inc."): scanning
      // for " Co" rather than "Co" spares Hyperscan the "Co" of every "Corp", "COMPANY" and
      // "ECONOMY" (two-letter literals are the costliest kind), and the hit is the word alone.
      spec.expression = absl::StrCat(" ", t.text);
      spec.hit_length = static_cast<uint32_t>(t.text.size());
    }
    spec.origin = absl::StrCat("org_names vocabulary '", t.text, "'");
    specs_.push_back(std::move(spec));
  }
  return absl::OkStatus();
}

absl::Status Compiler::Run() {
  WS_RETURN_IF_ERROR(ClaimDateIds());
  for (const auto& file : pack_->files) {
    for (const auto& rule : file->entities()) Collect(AddEntity(rule));
  }
  for (const auto& file : pack_->files) {
    for (const auto& rule : file->patterns()) Collect(AddPattern(rule));
  }
  Collect(AddDates());
  Collect(AddOrgNames());
  for (const auto& file : pack_->files) {
    for (const auto& rule : file->events()) Collect(AddEvent(rule));
  }
  for (const auto& file : pack_->files) {
    for (const auto& cue : file->cues()) Collect(AddCue(cue));
  }
  // Slot ids must name rules of the pack.
  for (const auto& file : pack_->files) {
    for (const auto& rule : file->events()) {
      for (const auto& slot : rule.slots()) {
        for (const std::string& id : slot.ids()) {
          if (!ids_.contains(id)) {
            Collect(Fail(slot, rule.id(),
                         absl::StrCat("slot '", slot.name(), "' names unknown rule '", id, "'")));
          }
        }
      }
    }
  }
  for (const auto& file : pack_->files) {
    for (const auto& ex : file->examples()) Collect(CheckExample(ex));
  }
  if (!errors_.empty()) return Combine(errors_);

  std::vector<const v1::rules::FigureVocabulary*> vocabularies;
  for (const auto& file : pack_->files) {
    if (file->has_figures()) vocabularies.push_back(&file->figures());
  }
  const SourceMap& sources = pack_->sources;
  WS_ASSIGN_OR_RETURN(model_.grammar,
                      extract::FigureGrammar::Build(
                          vocabularies, [&sources](const google::protobuf::Message& m) {
                            return sources.Locate(m);
                          }));
  const auto& tokens = model_.grammar.tokens();
  for (uint32_t i = 0; i < tokens.size(); ++i) {
    const extract::FigureToken& t = tokens[i];
    match::PatternSpec spec;
    spec.caseless = !t.case_sensitive && HasAsciiLetter(t.text);
    spec.info = {match::PatternKind::kFigureToken, LatinBoundaries(t.text, true), i, 0};
    spec.origin = absl::StrCat("figure vocabulary '", t.text, "'");
    if (t.kind == extract::FigureToken::Kind::kScale && IsShortLetterWord(t.text)) {
      // "m", "B", "bn" alone would report every letter m of the text: anchor them to the digit
      // they follow ("5m", "1.15 B"), reporting only the scale word itself.
      for (char digit = '0'; digit <= '9'; ++digit) {
        for (std::string_view gap : {"", " "}) {
          match::PatternSpec anchored = spec;
          anchored.expression = absl::StrCat(std::string(1, digit), core::Sv(gap), t.text);
          anchored.hit_length = static_cast<uint32_t>(t.text.size());
          anchored.info.boundary = match::kWordAfter;
          specs_.push_back(std::move(anchored));
        }
      }
      continue;
    }
    spec.expression = t.text;
    specs_.push_back(std::move(spec));
  }
  pack_->stats.figure_tokens = tokens.size();

  WS_ASSIGN_OR_RETURN(pack_->rules, match::RuleSet::Compile(std::move(specs_), cache_dir_));
  pack_->stats.database_bytes = pack_->rules->database_bytes();
  pack_->stats.database_from_cache = pack_->rules->from_cache();
  model_.version = pack_->version;
  pack_->model = std::make_shared<const extract::Model>(std::move(model_));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::shared_ptr<const RulePack>> CompileRulePack(std::vector<RuleText> texts,
                                                                const std::string& cache_dir) {
  std::sort(texts.begin(), texts.end(),
            [](const RuleText& a, const RuleText& b) { return a.name < b.name; });
  auto pack = std::make_shared<RulePack>();
  core::Fnv64 version;
  std::vector<absl::Status> errors;
  for (const RuleText& t : texts) {
    // The name relative to the pack (files are read from the pack's directory only), so the
    // version does not depend on the path the pack was given by.
    version.AddField(std::filesystem::path(t.name).filename().string()).AddField(t.text);
    auto file = std::make_unique<RuleFile>();
    if (!core::IsValidUtf8(t.text)) {
      errors.push_back(absl::InvalidArgumentError(absl::StrCat(t.name, ":1: not valid UTF-8")));
      continue;
    }
    absl::Status parsed = ParseYamlToProto(t.text, t.name, file.get(), &pack->sources);
    if (!parsed.ok()) {
      errors.push_back(std::move(parsed));
      continue;
    }
    pack->files.push_back(std::move(file));
  }
  // Validation would only add errors about what the broken files define.
  if (!errors.empty()) return Combine(errors);
  if (pack->files.empty()) return absl::InvalidArgumentError("no rule files");
  pack->version = version.Hex();
  pack->stats.files = pack->files.size();
  Compiler compiler(pack.get(), cache_dir);
  WS_RETURN_IF_ERROR(compiler.Run());
  return std::shared_ptr<const RulePack>(std::move(pack));
}

absl::StatusOr<std::shared_ptr<const RulePack>> LoadRulePack(const std::string& dir,
                                                             const std::string& cache_dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return absl::NotFoundError(absl::StrCat(dir, ": not a directory"));
  }
  std::vector<RuleText> texts;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (!entry.is_regular_file()) continue;
    std::string ext = entry.path().extension().string();
    if (ext != ".yaml" && ext != ".yml") continue;
    std::ifstream in(entry.path(), std::ios::binary);
    if (!in) return absl::NotFoundError(absl::StrCat(entry.path().string(), ": cannot read"));
    std::stringstream buf;
    buf << in.rdbuf();
    texts.push_back({(fs::path(dir) / entry.path().filename()).lexically_normal().string(),
                     buf.str()});
  }
  if (ec) return absl::NotFoundError(absl::StrCat(dir, ": ", ec.message()));
  if (texts.empty()) return absl::NotFoundError(absl::StrCat(dir, ": no *.yaml rule files"));
  return CompileRulePack(std::move(texts), cache_dir);
}

namespace {

bool SameValue(double want, double got) {
  return std::fabs(want - got) <= 1e-9 * std::max(1.0, std::fabs(want));
}

// What of `got` (a mention of `analysis`) differs from the expected mention `want` (same
// text), or "" if nothing.
std::string MentionDifference(const v1::rules::ExpectedMention& want,
                              const v1::ArticleAnalysis& analysis, const v1::Mention& got) {
  auto differs = [](std::string_view attribute, const std::string& expected,
                    std::string_view actual) {
    return absl::StrCat(core::Sv(attribute), " differs: expected '", expected, "', got '",
                        core::Sv(actual), "'");
  };
  const std::string_view type = extract::MentionType(analysis, got);
  const std::string_view canonical = extract::MentionCanonical(analysis, got);
  const std::string_view rule_id = extract::MentionRuleId(analysis, got);
  if (!want.type().empty() && want.type() != type) return differs("type", want.type(), type);
  if (!want.canonical().empty() && want.canonical() != canonical) {
    return differs("canonical", want.canonical(), canonical);
  }
  if (!want.rule_id().empty() && want.rule_id() != rule_id) {
    return differs("rule_id", want.rule_id(), rule_id);
  }
  if (want.has_value() && !SameValue(want.value(), got.figure().value())) {
    return differs("value", absl::StrCat(want.value()), absl::StrCat(got.figure().value()));
  }
  // A figure's value_max is unset unless it is a range: then it is its value.
  const double value_max =
      got.figure().is_range() ? got.figure().value_max() : got.figure().value();
  if (want.has_value_max() && !SameValue(want.value_max(), value_max)) {
    return differs("value_max", absl::StrCat(want.value_max()), absl::StrCat(value_max));
  }
  if (!want.unit().empty() && want.unit() != got.figure().unit()) {
    return differs("unit", want.unit(), got.figure().unit());
  }
  if (want.qualifier() != v1::QUALIFIER_EXACT && want.qualifier() != got.figure().qualifier()) {
    return differs("qualifier", v1::Qualifier_Name(want.qualifier()),
                   v1::Qualifier_Name(got.figure().qualifier()));
  }
  return "";
}

// The attributes of the expected event `want` that `got` lacks or has otherwise.
std::vector<std::string> EventDifferences(const v1::rules::ExpectedEvent& want,
                                          const v1::Event& got) {
  std::vector<std::string> keys;
  for (const auto& [k, v] : want.attributes()) keys.push_back(k);
  std::sort(keys.begin(), keys.end());
  std::vector<std::string> out;
  for (const std::string& k : keys) {
    const std::string& v = want.attributes().at(k);
    const std::string* value = extract::EventValue(got, k);  // a slot's, or the trigger's
    if (value == nullptr) {
      out.push_back(absl::StrCat("attribute '", k, "': expected '", v, "', missing"));
    } else if (*value != v) {
      out.push_back(absl::StrCat("attribute '", k, "': expected '", v, "', got '", *value, "'"));
    }
  }
  return out;
}

}  // namespace

std::vector<ExampleResult> RunExampleCases(const RulePack& pack) {
  std::vector<ExampleResult> results;
  extract::Extractor extractor(pack.rules, pack.model);
  for (const auto& file : pack.files) {
    for (const Example& ex : file->examples()) {
      ExampleResult& result = results.emplace_back();
      result.id = ex.id();
      result.location = pack.sources.Locate(ex);
      result.file = result.location.substr(0, result.location.rfind(':'));
      std::vector<std::string>& failures = result.failures;
      core::ArticleView view;
      view.id = ex.id();
      view.title = ex.title();
      view.body = ex.text();
      view.source = ex.source();
      std::string where = absl::StrCat(result.location, ": example ", ex.id(), ": ");
      absl::StatusOr<const v1::ArticleAnalysis*> analysed = extractor.Analyze(view, {});
      if (!analysed.ok()) {
        failures.push_back(absl::StrCat(where, analysed.status().message()));
        continue;
      }
      const v1::ArticleAnalysis& analysis = **analysed;
      auto describe = [&](const v1::Mention& m) {
        return absl::StrCat(core::Sv(extract::MentionType(analysis, m)), " '", m.text(), "' -> ",
                            core::Sv(extract::MentionCanonical(analysis, m)));
      };
      for (const auto& want : ex.mentions()) {
        bool found = false;
        std::string near;
        for (const auto& m : analysis.mentions()) {
          if (m.text() != want.text()) continue;
          std::string difference = MentionDifference(want, analysis, m);
          if (difference.empty()) {
            found = true;
            break;
          }
          if (near.empty()) near = absl::StrCat(difference, " (found: ", describe(m), ")");
        }
        if (!found) {
          failures.push_back(absl::StrCat(pack.sources.Locate(want), ": example ", ex.id(),
                                          ": expected mention '", want.text(), "' ",
                                          near.empty() ? "not found" : near));
        }
      }
      for (const std::string& text : ex.absent()) {
        for (const auto& m : analysis.mentions()) {
          if (m.text() == text) {
            failures.push_back(absl::StrCat(where, "'", text, "' must not be a mention, found ",
                                            describe(m)));
          }
        }
      }
      for (const auto& want : ex.events()) {
        // The event of the type with the fewest differences: the one meant.
        const v1::Event* closest = nullptr;
        std::vector<std::string> closest_differences;
        for (const auto& e : analysis.events()) {
          if (e.type() != want.type()) continue;
          std::vector<std::string> differences = EventDifferences(want, e);
          if (closest == nullptr || differences.size() < closest_differences.size()) {
            closest = &e;
            closest_differences = std::move(differences);
          }
          if (closest_differences.empty()) break;
        }
        if (closest != nullptr && closest_differences.empty()) continue;
        std::vector<std::string> got;
        for (const auto& e : analysis.events()) {
          std::vector<std::string> attrs;
          for (const auto& [k, v] : extract::EventValues(e)) attrs.push_back(absl::StrCat(k, "=", v));
          got.push_back(absl::StrCat(e.type(), "{", absl::StrJoin(attrs, ", "), "}"));
        }
        std::string all = absl::StrCat("(got: ", got.empty() ? "none" : absl::StrJoin(got, "; "),
                                       ")");
        failures.push_back(
            closest == nullptr
                ? absl::StrCat(pack.sources.Locate(want), ": example ", ex.id(),
                               ": expected event '", want.type(), "' not produced ", all)
                : absl::StrCat(pack.sources.Locate(want), ": example ", ex.id(), ": event '",
                               want.type(), "': ", absl::StrJoin(closest_differences, "; "), " ",
                               all));
      }
      if (ex.has_event_count() && static_cast<uint32_t>(analysis.events_size()) != ex.event_count()) {
        failures.push_back(absl::StrCat(where, "expected ", ex.event_count(), " event(s), got ",
                                        analysis.events_size()));
      }
    }
  }
  return results;
}

std::vector<std::string> RunExamples(const RulePack& pack) {
  std::vector<std::string> failures;
  for (ExampleResult& result : RunExampleCases(pack)) {
    for (std::string& f : result.failures) failures.push_back(std::move(f));
  }
  return failures;
}

}  // namespace wirescan::rules
