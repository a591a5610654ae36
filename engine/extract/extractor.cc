#include "engine/extract/extractor.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "engine/core/hash.h"
#include "engine/core/strings.h"
#include "engine/core/utf8.h"
#include "engine/extract/event_merge.h"
#include "engine/extract/output.h"

namespace wirescan::extract {
namespace {

constexpr std::string_view kTitle = "title";
constexpr std::string_view kBody = "body";

void AppendNumber(double v, std::string* out) {
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::fixed);
  if (res.ec != std::errc()) {
    res = std::to_chars(buf, buf + sizeof(buf), v);
  }
  out->append(buf, res.ptr);
}

std::string_view QualifierPrefix(v1::Qualifier q) {
  switch (q) {
    case v1::QUALIFIER_APPROXIMATE: return "~";
    case v1::QUALIFIER_AT_LEAST: return ">=";
    case v1::QUALIFIER_MORE_THAN: return ">";
    case v1::QUALIFIER_AT_MOST: return "<=";
    case v1::QUALIFIER_LESS_THAN: return "<";
    default: return "";
  }
}

// "zh" if CJK characters outnumber Latin letters in the first few KB, "en" if letters dominate.
std::string_view GuessLanguage(std::string_view text) {
  size_t cjk = 0, latin = 0;
  size_t n = std::min<size_t>(text.size(), 4096);
  size_t i = 0;
#if defined(__SSE2__)
  // 16 bytes at a time (a byte loop was 8% of a Chinese article's extraction): unsigned range
  // checks as "min(x, hi) == x" after shifting the range to start at 0; per-byte counters
  // (a match is -1, subtracted) summed every 255 blocks, before a byte could overflow.
  auto in_range = [](__m128i v, unsigned char lo, unsigned char span) {
    __m128i x = _mm_sub_epi8(v, _mm_set1_epi8(static_cast<char>(lo)));
    return _mm_cmpeq_epi8(_mm_min_epu8(x, _mm_set1_epi8(static_cast<char>(span))), x);
  };
  auto sum_bytes = [](__m128i counts) {
    __m128i sums = _mm_sad_epu8(counts, _mm_setzero_si128());
    return static_cast<size_t>(_mm_cvtsi128_si32(sums) + _mm_extract_epi16(sums, 4));
  };
  while (i + 16 <= n) {
    __m128i cjk_counts = _mm_setzero_si128(), latin_counts = _mm_setzero_si128();
    for (int block = 0; block < 255 && i + 16 <= n; ++block, i += 16) {
      __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(text.data() + i));
      __m128i lower = _mm_or_si128(v, _mm_set1_epi8(0x20));
      cjk_counts = _mm_sub_epi8(cjk_counts, in_range(v, 0xE3, 6));
      latin_counts = _mm_sub_epi8(latin_counts, in_range(lower, 'a', 25));
    }
    cjk += sum_bytes(cjk_counts);
    latin += sum_bytes(latin_counts);
  }
#endif
  for (; i < n; ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c >= 0xE3 && c <= 0xE9) ++cjk;  // lead byte of U+3000..U+9FFF
    else if (core::IsAsciiAlpha(c)) ++latin;
  }
  if (cjk == 0 && latin == 0) return "und";
  return cjk * 3 >= latin ? "zh" : "en";
}

// The rule id of figure mentions: the figure grammar is one rule per type.
std::string_view FigureRuleId(FigureType type) {
  switch (type) {
    case FigureType::kMoney: return "figure.money";
    case FigureType::kPercent: return "figure.percent";
    case FigureType::kQuantity: break;
  }
  return "figure.quantity";
}

uint32_t SentenceOf(const std::vector<uint32_t>& ends, uint32_t pos) {
  return static_cast<uint32_t>(std::upper_bound(ends.begin(), ends.end(), pos) - ends.begin());
}

// Sets a string field of an output message. Protobuf 3.21's setters first build a std::string
// (also from a pointer and size), and move it in, dropping the buffer the field's string still
// had from the previous article (cleared messages keep their strings); this copies into it.
void Assign(std::string* field, std::string_view value) {
  field->assign(value.data(), value.size());
}

void AppendFigureCanonical(const v1::Figure& figure, std::string* out) {
  out->append(QualifierPrefix(figure.qualifier()));
  AppendNumber(figure.value(), out);
  if (figure.is_range()) {
    out->append("..");
    AppendNumber(figure.value_max(), out);
  }
  if (!figure.unit().empty()) {
    out->push_back(' ');
    out->append(figure.unit());
  }
}

// One CODE_FIGURE_SKIPPED diagnostic per span the figure grammar could not read whole (the
// first kMaxSkipDiagnostics of a field, then one that counts the rest).
void AddFigureSkipDiagnostics(std::string_view field, std::string_view text,
                              const FigureReport& report, v1::ArticleAnalysis* out) {
  constexpr size_t kMaxSkipDiagnostics = 8;
  const size_t n = report.skipped.size();
  for (size_t i = 0; i < n && i < kMaxSkipDiagnostics; ++i) {
    const FigureSkip& s = report.skipped[i];
    size_t len = std::min<size_t>(s.end - s.begin, 80);
    // Cut on a character boundary: Protobuf strings must be valid UTF-8.
    while (len > 0 && s.begin + len < text.size() &&
           (static_cast<unsigned char>(text[s.begin + len]) & 0xC0) == 0x80) {
      --len;
    }
    std::string_view span = text.substr(s.begin, len);
    v1::Diagnostic* d = out->add_diagnostics();
    d->set_code(v1::Diagnostic::CODE_FIGURE_SKIPPED);
    d->set_field(std::string(field));
    d->set_message(absl::StrCat("figure not read at [", s.begin, ",", s.end, ") '",
                                core::Sv(span), "': ", core::Sv(s.reason)));
  }
  if (n > kMaxSkipDiagnostics) {
    v1::Diagnostic* d = out->add_diagnostics();
    d->set_code(v1::Diagnostic::CODE_FIGURE_SKIPPED);
    d->set_field(std::string(field));
    d->set_message(absl::StrCat(n - kMaxSkipDiagnostics, " more figure span(s) not read"));
  }
}

}  // namespace

std::string FigureCanonical(const v1::Figure& figure) {
  std::string out;
  AppendFigureCanonical(figure, &out);
  return out;
}

Extractor::Extractor(std::shared_ptr<const match::RuleSet> rules, std::shared_ptr<const Model> model)
    : model_(std::move(model)), matcher_(std::move(rules)) {
  ResetEntities();
}

void Extractor::ResetEntities() {
  pool_.Reset();
  entity_index_.assign(model_->entities.size(), -1);
  entity_stamp_.assign(model_->entities.size(), 0);
  article_stamp_ = 0;
}

absl::Status Extractor::Bind(std::shared_ptr<const match::RuleSet> rules,
                             std::shared_ptr<const Model> model) {
  absl::Status s = matcher_.Bind(std::move(rules));
  if (!s.ok()) return s;
  model_ = std::move(model);
  // Entity indices change meaning.
  ResetEntities();
  slot_base_.clear();  // event slots are numbered anew (AssembleEvents)
  return absl::OkStatus();
}

absl::StatusOr<const v1::ArticleAnalysis*> Extractor::Analyze(const core::ArticleView& article,
                                                               const ExtractOptions& options) {
  absl::Status s = Analyze(article, options, &own_);
  if (!s.ok()) return s;
  return &own_;
}

absl::Status Extractor::Analyze(const core::ArticleView& article, const ExtractOptions& options,
                                v1::ArticleAnalysis* out) {
  if (options.budget != nullptr) {
    budget_ = options.budget;
  } else {
    unlimited_.Arm(0);
    budget_ = &unlimited_;
  }
  event_ids_.clear();
  orgs_.BeginArticle();
  if (out == &own_) pool_.Reclaim(out);
  // The article's entities are numbered anew (EntityIndex).
  if (++article_stamp_ == 0) {
    std::fill(entity_stamp_.begin(), entity_stamp_.end(), 0);
    article_stamp_ = 1;
  }
  discovered_index_.clear();
  // Clear() deletes sub-messages; keep the Article (on the heap only), cleared, so that its
  // strings keep their buffers like those of the mentions.
  std::unique_ptr<v1::Article> kept;
  if (out->GetArena() == nullptr && out->has_article()) kept.reset(out->release_article());
  out->Clear();
  if (kept != nullptr) {
    kept->Clear();
    out->set_allocated_article(kept.release());
  }
  out->set_rules_version(model_->version);
  out->set_engine_version(WIRESCAN_VERSION);
  // Empty strings are left unset (the same bytes on the wire): a new Article allocates a
  // string on its first write.
  v1::Article* a = out->mutable_article();
  Assign(a->mutable_id(), article.id);
  if (!article.source.empty()) Assign(a->mutable_source(), article.source);
  if (!article.url.empty()) Assign(a->mutable_url(), article.url);
  if (!article.published_at.empty()) Assign(a->mutable_published_at(), article.published_at);

  // Invalid UTF-8 is repaired before matching, so every offset and every string in the output
  // refers to valid text (Protobuf strings must be UTF-8).
  std::string title_fixed, body_fixed;
  std::string_view title = article.title, body = article.body;
  auto repair = [&](std::string_view field, std::string_view* text, std::string* storage) {
    if (article.valid_utf8 || core::IsValidUtf8(*text)) return;
    size_t replaced = 0;
    *storage = core::RepairUtf8(*text, &replaced);
    *text = *storage;
    v1::Diagnostic* d = out->add_diagnostics();
    d->set_code(v1::Diagnostic::CODE_INVALID_UTF8_REPAIRED);
    d->set_field(std::string(field));
    d->set_message(absl::StrCat(replaced, " invalid UTF-8 sequence(s) replaced by U+FFFD"));
  };
  repair(kTitle, &title, &title_fixed);
  repair(kBody, &body, &body_fixed);
  if (!title.empty()) Assign(a->mutable_title(), title);
  if (options.include_text && !body.empty()) Assign(a->mutable_body(), body);
  a->set_title_bytes(static_cast<uint32_t>(title.size()));
  a->set_body_bytes(static_cast<uint32_t>(body.size()));
  Assign(a->mutable_language(), GuessLanguage(body.empty() ? title : body));

  event_keys_.clear();
  absl::Status s = AnalyzeField(kTitle, title, article.source, out);
  if (!s.ok()) return s;
  s = AnalyzeField(kBody, body, article.source, out);
  if (!s.ok()) return s;
  // One event per real-world event: the title's and every sentence's statement of it merge.
  merge_stats_ = MergeEvents(event_keys_, out->mutable_events());
  return absl::OkStatus();
}

absl::Status Extractor::AnalyzeField(std::string_view name, std::string_view text,
                                     std::string_view source, v1::ArticleAnalysis* out) {
  if (text.empty()) return absl::OkStatus();
  if (text.size() > std::numeric_limits<uint32_t>::max()) {
    return absl::InvalidArgumentError("field larger than 4 GiB");
  }
  absl::Status s = matcher_.Scan(text, &hits_);
  if (!s.ok()) return s;
  // A stopped budget (too slow, or the daemon's shutdown) ends the analysis at the next of these
  // checks; the caller discards it (ExtractOptions::budget).
  if (budget_->Spend(text.size() + hits_.tokens.size() + hits_.entities.size() +
                     hits_.regexes.size() + hits_.triggers.size() + hits_.date_words.size())) {
    return absl::OkStatus();
  }
  if (hits_.truncated) {
    v1::Diagnostic* d = out->add_diagnostics();
    d->set_code(v1::Diagnostic::CODE_MATCH_LIMIT);
    d->set_field(std::string(name));
    d->set_message(absl::StrCat("more than ", match::Matcher::kMaxHitsPerField,
                                " matches; the rest of the field was not scanned"));
  }

  // Alias precision: hits the rule says are not the entity (rules.proto EntityRule.not_before).
  if (model_->has_alias_contexts) {
    std::erase_if(hits_.entities, [&](const match::Hit& h) {
      const EntityInfo& e = model_->entities[h.target];
      return (!e.not_before.empty() || !e.not_after.empty()) &&
             AliasBlocked(text, h.begin, h.end, e.not_before, e.not_after);
    });
  }
  token_hits_.clear();
  for (const match::Hit& h : hits_.tokens) token_hits_.push_back({h.begin, h.end, h.target});
  figures_.clear();
  AssembleFigures(text, token_hits_, model_->grammar, source, &figures_, &figure_report_);
  if (budget_->Spend(figure_report_.work)) return absl::OkStatus();
  AddFigureSkipDiagnostics(name, text, figure_report_, out);
  dates_.clear();
  if (model_->dates.enabled()) {
    date_hits_.clear();
    for (const match::Hit& h : hits_.date_words) date_hits_.push_back({h.begin, h.end, h.target});
    uint64_t date_work = 0;
    AssembleDates(text, date_hits_, model_->dates, &dates_, &date_work);
    if (budget_->Spend(date_work)) return absl::OkStatus();
  }

  org_names_.clear();
  if (model_->orgs.enabled() && (!hits_.org_tokens.empty() || orgs_.known_count() > 0)) {
    org_blocked_.clear();
    for (const FigureMention& f : figures_) org_blocked_.push_back({f.begin, f.end});
    for (const DateMention& d : dates_) org_blocked_.push_back({d.begin, d.end});
    std::sort(org_blocked_.begin(), org_blocked_.end());
    uint64_t org_work = 0;
    orgs_.FindInField(
        text, model_->orgs, hits_.org_tokens, hits_.entities,
        [this](uint32_t e) {
          const std::string& type = model_->entities[e].type;
          return type == "ORG" ? EntityClass::kOrg
                               : type == "PLACE" ? EntityClass::kPlace : EntityClass::kOther;
        },
        org_blocked_, hits_.sentence_ends, &org_names_, &org_work);
    if (budget_->Spend(org_work)) return absl::OkStatus();
  }

  // All candidates, resolved leftmost-longest across kinds: "US$1.15 billion" beats the place
  // "US", "ASE Technology Holding" beats "ASE". On an exact tie a figure wins, then an entity;
  // a name of the org grammar loses every tie (the gazetteer's mention of the same span wins).
  candidates_.clear();
  for (uint32_t i = 0; i < figures_.size(); ++i) {
    candidates_.push_back({figures_[i].begin, figures_[i].end, Candidate::kFigure, i});
  }
  for (const match::Hit& h : hits_.entities) {
    candidates_.push_back({h.begin, h.end, Candidate::kEntity, h.target});
  }
  for (const match::Hit& h : hits_.regexes) {
    candidates_.push_back({h.begin, h.end, Candidate::kPattern, h.target});
  }
  for (uint32_t i = 0; i < dates_.size(); ++i) {
    candidates_.push_back({dates_[i].begin, dates_[i].end, Candidate::kDate, i});
  }
  for (uint32_t i = 0; i < org_names_.size(); ++i) {
    candidates_.push_back({org_names_[i].begin, org_names_[i].end, Candidate::kOrgName, i});
  }
  // Dates compare by form, not by their index in dates_ (which is in no particular order).
  auto rank = [this](const Candidate& c) {
    return c.kind == Candidate::kDate ? static_cast<uint32_t>(dates_[c.index].form) : c.index;
  };
  std::sort(candidates_.begin(), candidates_.end(), [&](const Candidate& x, const Candidate& y) {
    if (x.begin != y.begin) return x.begin < y.begin;
    if (x.end != y.end) return x.end > y.end;
    if (x.kind != y.kind) return x.kind < y.kind;
    return rank(x) < rank(y);
  });
  if (budget_->Spend(candidates_.size())) return absl::OkStatus();

  const size_t first_mention = out->mentions_size();
  const v1::Field field = FieldOf(name);
  const std::vector<uint32_t>& ends = hits_.sentence_ends;
  uint32_t sentence = 0;  // SentenceOf(ends, begin): accepted mentions come in text order
  uint32_t covered = 0;   // end of the last accepted mention
  bool any = false;
  for (const Candidate& c : candidates_) {
    if (budget_->Spend(1)) return absl::OkStatus();
    if (any && c.begin < covered) continue;
    any = true;
    covered = c.end;
    while (sentence < ends.size() && ends[sentence] <= c.begin) ++sentence;
    v1::Mention* m = AddMention(c, out);
    Assign(m->mutable_text(), text.substr(c.begin, c.end - c.begin));
    m->set_field(field);
    m->set_begin(c.begin);
    m->set_end(c.end);
    m->set_sentence(sentence);
    // A recycled mention keeps what it held: every field is written or cleared.
    switch (c.kind) {
      case Candidate::kEntity: {
        m->clear_type();
        m->clear_canonical();
        m->clear_rule_id();  // the entity's
        m->set_entity(EntityIndex(c.index, out));
        break;
      }
      case Candidate::kPattern: {
        const PatternInfo& p = model_->patterns[c.index];
        Assign(m->mutable_type(), p.type);
        Assign(m->mutable_canonical(), p.canonical.empty() ? m->text() : p.canonical);
        Assign(m->mutable_rule_id(), p.id);
        m->clear_entity();
        break;
      }
      case Candidate::kDate: {
        Assign(m->mutable_type(), "DATE");
        Assign(m->mutable_canonical(), m->text());
        Assign(m->mutable_rule_id(), DateFormRuleId(dates_[c.index].form));
        m->clear_entity();
        break;
      }
      case Candidate::kOrgName: FillOrgMention(org_names_[c.index], m, out); break;
      case Candidate::kFigure: {
        const FigureMention& f = figures_[c.index];
        Assign(m->mutable_type(), FigureTypeName(f.type));
        Assign(m->mutable_rule_id(), FigureRuleId(f.type));
        m->clear_entity();
        v1::Figure* fig = m->mutable_figure();
        fig->set_value(f.value);
        if (f.unit.empty()) {
          fig->clear_unit();
        } else {
          Assign(fig->mutable_unit(), f.unit);
        }
        fig->set_value_max(f.is_range ? f.value_max : 0);  // unset unless a range
        fig->set_is_range(f.is_range);
        fig->set_qualifier(f.qualifier);
        fig->set_currency_inferred(f.currency_inferred);
        if (f.currency_token.empty()) {
          fig->clear_currency_token();  // an unset string stays unallocated
        } else {
          Assign(fig->mutable_currency_token(), f.currency_token);
        }
        fig->set_scale(f.scale == 1 ? 0 : f.scale);  // unset when the text used no scale
        if (f.subunit.empty()) {
          fig->clear_subunit();
        } else {
          Assign(fig->mutable_subunit(), f.subunit);
        }
        m->mutable_canonical()->clear();
        AppendFigureCanonical(*fig, m->mutable_canonical());
        break;
      }
    }
  }
  if (!hits_.triggers.empty()) AssembleEvents(name, text, first_mention, out->article().id(), out);
  return absl::OkStatus();
}

int32_t Extractor::EntityIndex(uint32_t e, v1::ArticleAnalysis* out) {
  if (entity_stamp_[e] == article_stamp_) return entity_index_[e];
  entity_stamp_[e] = article_stamp_;
  const int32_t index = out->entities_size();
  entity_index_[e] = index;
  const EntityInfo& info = model_->entities[e];
  v1::Entity* entity = out->add_entities();
  Assign(entity->mutable_type(), info.type);
  Assign(entity->mutable_canonical(), info.canonical);
  Assign(entity->mutable_rule_id(), info.id);
  if (!info.attributes.empty()) {
    auto* attributes = entity->mutable_attributes();
    for (const auto& [k, v] : info.attributes) attributes->try_emplace(k, v);
  }
  return index;
}

void Extractor::FillOrgMention(const OrgName& name, v1::Mention* m, v1::ArticleAnalysis* out) {
  const KnownOrg& k = orgs_.known(name.known);
  m->clear_type();
  m->clear_canonical();
  Assign(m->mutable_rule_id(), OrgFormRuleId(name.form));
  int32_t index;
  if (k.entity >= 0) {
    index = EntityIndex(static_cast<uint32_t>(k.entity), out);
  } else {
    auto [it, inserted] = discovered_index_.try_emplace(name.known, out->entities_size());
    index = it->second;
    if (inserted) {
      v1::Entity* entity = out->add_entities();
      Assign(entity->mutable_type(), "ORG");
      Assign(entity->mutable_canonical(), k.canonical);
      Assign(entity->mutable_rule_id(), OrgFormRuleId(name.form));
      // Slots can keep names beyond the gazetteer out (exclude: [discovered=true]).
      (*entity->mutable_attributes())["discovered"] = "true";
    }
  }
  m->set_entity(static_cast<uint32_t>(index));
  if (k.ticker.empty() && k.exchange.empty()) return;
  auto* attributes = out->mutable_entities(index)->mutable_attributes();
  if (!k.ticker.empty()) attributes->try_emplace("ticker", k.ticker);
  if (!k.exchange.empty()) attributes->try_emplace("exchange", k.exchange);
}

v1::Mention* Extractor::AddMention(const Candidate& c, v1::ArticleAnalysis* out) {
  // A caller's message: a Mention cleared by out->Clear() when there is one (its strings keep
  // their buffers; no Figure).
  if (out != &own_) return out->add_mentions();
  std::unique_ptr<v1::Mention> m =
      c.kind == Candidate::kFigure ? pool_.ForFigure() : pool_.Plain();
  v1::Mention* raw = m.release();
  out->mutable_mentions()->AddAllocated(raw);
  return raw;
}

namespace {

bool SlotAccepts(const SlotInfo& slot, const v1::ArticleAnalysis& out, const v1::Mention& m) {
  bool kind_ok = false;
  const std::string_view type = MentionType(out, m);
  const std::string_view rule_id = MentionRuleId(out, m);
  for (const std::string& t : slot.types) kind_ok |= (t == type);
  for (const std::string& id : slot.ids) kind_ok |= (id == rule_id);
  if (!kind_ok) return false;
  if (!slot.exclude.empty()) {
    const Attributes& attributes = MentionAttributes(out, m);
    for (const auto& [key, value] : slot.exclude) {
      auto it = attributes.find(key);
      if (it != attributes.end() && it->second == value) return false;
    }
  }
  if (slot.units.empty()) return true;
  if (!m.has_figure()) return false;
  for (const std::string& u : slot.units) {
    if (u == m.figure().unit()) return true;
  }
  return false;
}

// A clause break: , ; : (not a comma between digits: "1,234") and their full-width forms.
// Returns the break's length at `pos`, 0 if none.
size_t ClauseBreakAt(std::string_view text, size_t pos) {
  const char c = text[pos];
  if (c == ';' || c == ':') return 1;
  if (c == ',') {
    const bool digits = pos > 0 && pos + 1 < text.size() &&
                        core::IsAsciiDigit(static_cast<unsigned char>(text[pos - 1])) &&
                        core::IsAsciiDigit(static_cast<unsigned char>(text[pos + 1]));
    return digits ? 0 : 1;
  }
  // ， U+FF0C, ； U+FF1B, ： U+FF1A
  if (static_cast<unsigned char>(c) == 0xEF && pos + 2 < text.size() &&
      static_cast<unsigned char>(text[pos + 1]) == 0xBC) {
    const unsigned char d = static_cast<unsigned char>(text[pos + 2]);
    if (d == 0x8C || d == 0x9B || d == 0x9A) return 3;
  }
  return 0;
}


// Whether `m` begins after the trigger, at most `gap` bytes after its end.
bool WithinGap(const v1::Mention& m, const match::Hit& trig, uint32_t gap) {
  return m.begin() >= trig.end && m.begin() - trig.end <= gap;
}

// How far a clause-scoped cue reaches at most (bytes): bounds the work per cue.
constexpr uint32_t kMaxCueReach = 400;

uint32_t Distance(uint32_t begin, uint32_t end, uint32_t t_begin, uint32_t t_end) {
  if (end <= t_begin) return t_begin - end;
  if (begin >= t_end) return begin - t_end;
  return 0;
}

}  // namespace

void Extractor::AssembleEvents(std::string_view field, std::string_view text, size_t first_mention,
                               std::string_view article_id, v1::ArticleAnalysis* out) {
  const int mention_end = out->mentions_size();
  const auto& mentions = out->mentions();
  const std::vector<uint32_t>& ends = hits_.sentence_ends;
  std::vector<int>& chosen = chosen_;  // slot -> mention index, per trigger
  if (slot_base_.size() != model_->events.size() + 1) {
    slot_base_.assign(1, 0);
    for (const EventInfo& ev : model_->events) slot_base_.push_back(slot_base_.back() + ev.slots.size());
    slot_mentions_.resize(slot_base_.back());
    slot_stamp_.assign(slot_base_.back(), 0);
  }
  ++stamp_;  // the slot indexes of the previous field are stale
  // The field's mentions are in text order and do not overlap, so their ends ascend too: every
  // run of them selected by position is found by binary search.
  auto first_where = [&](int from, int to, auto&& pred) {
    return static_cast<int>(std::partition_point(mentions.begin() + from, mentions.begin() + to,
                                                 pred) -
                            mentions.begin());
  };
  auto is_chosen = [&](int mi) { return std::find(chosen.begin(), chosen.end(), mi) != chosen.end(); };
  // A body slot with `from_title` that its window leaves empty takes the first mention of the
  // title it accepts (the headline names the company of a results table): the title's mentions
  // are the article's first, [0, first_mention), and at most kMaxTitleMentions are looked at.
  constexpr int kMaxTitleMentions = 64;
  const int title_end = field == kBody ? std::min(static_cast<int>(first_mention), kMaxTitleMentions) : 0;
  auto from_title = [&](const SlotInfo& slot, uint64_t* steps) {
    for (int mi = 0; mi < title_end; ++mi) {
      ++*steps;
      if (SlotAccepts(slot, *out, mentions[mi]) && !is_chosen(mi)) return mi;
    }
    return -1;
  };
  // The spans cues govern (README.md, "Background and forecast"): sorted, then each trigger
  // is looked up by binary search. Each cue scans at most kMaxCueReach bytes for its clause.
  quiet_.clear();
  for (const match::Hit& cue : hits_.cues) {
    const CueInfo& info = model_->cues[cue.target];
    const uint32_t s = SentenceOf(ends, cue.begin);
    const uint32_t s_lo = s == 0 ? 0 : ends[s - 1];
    const uint32_t s_hi = s < ends.size() ? ends[s] : static_cast<uint32_t>(text.size());
    if (info.governs_following) {
      uint32_t hi = s_hi;
      if (!info.whole_sentence) {
        const uint32_t limit = std::min(s_hi, cue.end + kMaxCueReach);
        hi = limit;
        for (uint32_t p = cue.end; p < limit; ++p) {
          if (ClauseBreakAt(text, p) > 0) {
            hi = p;
            break;
          }
        }
      }
      quiet_.push_back({cue.end, std::max(hi, cue.end)});
    }
    if (info.governs_preceding) {
      uint32_t lo = s_lo;
      if (!info.whole_sentence) {
        const uint32_t limit = cue.begin > s_lo + kMaxCueReach ? cue.begin - kMaxCueReach : s_lo;
        lo = limit;
        for (uint32_t p = cue.begin; p-- > limit;) {
          const size_t len = ClauseBreakAt(text, p);  // continuation bytes are never breaks
          if (len > 0) {
            lo = p + static_cast<uint32_t>(len);
            break;
          }
        }
      }
      quiet_.push_back({std::min(lo, cue.begin), cue.begin});
    }
  }
  std::sort(quiet_.begin(), quiet_.end());
  // Merged into disjoint spans, so that "the last span starting at or before a trigger" decides.
  size_t w = 0;
  for (size_t i = 0; i < quiet_.size(); ++i) {
    if (w > 0 && quiet_[i].first <= quiet_[w - 1].second) {
      quiet_[w - 1].second = std::max(quiet_[w - 1].second, quiet_[i].second);
    } else {
      quiet_[w++] = quiet_[i];
    }
  }
  quiet_.resize(w);
  auto governed = [&](const match::Hit& trig) {
    auto it = std::upper_bound(quiet_.begin(), quiet_.end(),
                               std::make_pair(trig.begin, std::numeric_limits<uint32_t>::max()));
    if (it == quiet_.begin()) return false;
    --it;
    return trig.begin >= it->first && trig.end <= it->second;
  };
  const std::vector<match::Hit>& triggers = hits_.triggers;  // by begin, longest first
  for (size_t ti = 0; ti < triggers.size(); ++ti) {
    const match::Hit& trig = triggers[ti];
    const EventInfo& ev = model_->events[trig.target];
    // The longest trigger of a rule at a position wins: "Shr loss" is not also "Shr". Hits of
    // one position are few (one per trigger literal ending there).
    bool shadowed = false;
    for (size_t j = ti; j-- > 0 && triggers[j].begin == trig.begin;) {
      if (triggers[j].target == trig.target) {
        shadowed = true;
        break;
      }
    }
    if (shadowed) continue;
    if (!quiet_.empty() && governed(trig)) continue;
    if (ev.line_start && !core::AtLineStart(text, trig.begin)) continue;
    uint32_t lo, hi;
    if (ev.same_sentence) {
      uint32_t s = SentenceOf(ends, trig.begin);
      lo = s == 0 ? 0 : ends[s - 1];
      hi = s < ends.size() ? ends[s] : static_cast<uint32_t>(text.size());
    } else {
      lo = trig.begin > ev.window_bytes ? trig.begin - ev.window_bytes : 0;
      hi = static_cast<uint32_t>(
          std::min<size_t>(text.size(), static_cast<size_t>(trig.end) + ev.window_bytes));
    }
    // Those inside [lo, hi) are the run from the first that begins at or after lo up to the
    // first that ends after hi.
    const int window_first = first_where(static_cast<int>(first_mention), mention_end,
                                         [&](const v1::Mention& m) { return m.begin() < lo; });
    const int window_end =
        first_where(window_first, mention_end, [&](const v1::Mention& m) { return m.end() <= hi; });
    // One step per mention looked at, per binary search step and per trigger: what the budget
    // and the tests count.
    uint64_t steps = 1 + 2 * (64 - static_cast<uint64_t>(__builtin_clzll(
                                       static_cast<uint64_t>(mention_end - first_mention) | 1)));
    chosen.assign(ev.slots.size(), -1);
    bool complete = true;
    if (window_end - window_first <= direct_window_) {
      // A short window (the usual sentence): scan it.
      for (size_t si = 0; si < ev.slots.size(); ++si) {
        const SlotInfo& slot = ev.slots[si];
        uint32_t best_distance = std::numeric_limits<uint32_t>::max();
        for (int mi = window_first; mi < window_end; ++mi) {
          ++steps;
          const v1::Mention& m = mentions[mi];
          if (!SlotAccepts(slot, *out, m)) continue;
          if (slot.max_gap > 0 && !WithinGap(m, trig, slot.max_gap)) continue;
          if (is_chosen(mi)) continue;
          if (slot.prefer_subject && m.end() <= trig.begin) {
            chosen[si] = mi;  // mentions are in text order: the first wins
            break;
          }
          uint32_t d = Distance(m.begin(), m.end(), trig.begin, trig.end);
          // PREFER_OBJECT ranks every mention after the trigger before every mention before it.
          if (slot.prefer_object && m.begin() < trig.begin) d |= 0x80000000u;
          if (d < best_distance) {
            best_distance = d;
            chosen[si] = mi;
          }
        }
        if (chosen[si] < 0 && slot.from_title) chosen[si] = from_title(slot, &steps);
        if (chosen[si] < 0 && slot.required) {
          complete = false;
          break;
        }
      }
    } else {
      // A long window (one sentence of a megabyte full of triggers): the same choice from the
      // slot's index, in steps bounded per trigger. In text order, the distance to the trigger
      // falls (strictly) over the mentions that end before it and rises (from 0, over those
      // that overlap it) after, so each preference picks a neighbour of the trigger's
      // position, skipping the mentions other slots took (at most one per slot):
      //   prefer subject: the first accepted mention of the window (before the trigger, else
      //     the nearest after it: the first of those too);
      //   prefer object:  the first one that begins at or after the trigger, else the last one
      //     before it;
      //   nearest:        the last one that ends before the trigger or the first one after
      //     (overlapping: distance 0), the earlier on a tie.
      // Mention positions of the window (index order = text order).
      const int ends_after_trigger = first_where(
          window_first, window_end, [&](const v1::Mention& m) { return m.end() <= trig.begin; });
      const int begins_at_trigger = first_where(
          window_first, window_end, [&](const v1::Mention& m) { return m.begin() < trig.begin; });
      for (size_t si = 0; si < ev.slots.size(); ++si) {
        const SlotInfo& slot = ev.slots[si];
        const size_t k = slot_base_[trig.target] + si;
        std::vector<int>& index = slot_mentions_[k];
        if (slot_stamp_[k] != stamp_) {
          slot_stamp_[k] = stamp_;
          index.clear();
          for (int mi = static_cast<int>(first_mention); mi < mention_end; ++mi) {
            if (SlotAccepts(slot, *out, mentions[mi])) index.push_back(mi);
          }
          steps += static_cast<uint64_t>(mention_end) - first_mention;
        }
        const auto pos = [&](int mi) {
          return static_cast<size_t>(std::lower_bound(index.begin(), index.end(), mi) - index.begin());
        };
        const size_t from = pos(window_first), to = pos(window_end);
        steps += 4 * (64 - static_cast<uint64_t>(__builtin_clzll(index.size() | 1)));
        // The first not yet chosen at or after position p (to: none); the last before p.
        auto first_free = [&](size_t p) {
          for (; p < to; ++p, ++steps) {
            if (!is_chosen(index[p])) return p;
          }
          return to;
        };
        auto last_free = [&](size_t p) {  // returns to: none
          for (; p > from; --p, ++steps) {
            if (!is_chosen(index[p - 1])) return p - 1;
          }
          return to;
        };
        size_t pick = to;
        if (slot.prefer_subject) {
          pick = first_free(from);
        } else if (slot.prefer_object) {
          const size_t split = pos(begins_at_trigger);
          pick = first_free(split);
          if (pick == to) pick = last_free(split);
        } else {
          const size_t split = pos(ends_after_trigger);
          const size_t before = last_free(split), after = first_free(split);
          if (before != to && after != to) {
            const v1::Mention& b = mentions[index[before]];
            const v1::Mention& a = mentions[index[after]];
            pick = Distance(b.begin(), b.end(), trig.begin, trig.end) <=
                           Distance(a.begin(), a.end(), trig.begin, trig.end)
                       ? before
                       : after;
          } else {
            pick = before != to ? before : after;
          }
        }
        // With max_gap, only the first mention after the trigger can be within it.
        if (slot.max_gap > 0) {
          pick = first_free(pos(first_where(window_first, window_end, [&](const v1::Mention& m) {
            return m.begin() < trig.end;
          })));
        }
        if (pick != to && slot.max_gap > 0 && !WithinGap(mentions[index[pick]], trig, slot.max_gap)) {
          pick = to;
        }
        if (pick != to) chosen[si] = index[pick];
        if (chosen[si] < 0 && slot.from_title) chosen[si] = from_title(slot, &steps);
        if (chosen[si] < 0 && slot.required) {
          complete = false;
          break;
        }
      }
    }
    if (budget_->Spend(steps)) return;
    if (!complete) continue;
    if (!ev.require_any.empty() &&
        std::none_of(ev.require_any.begin(), ev.require_any.end(),
                     [&](size_t si) { return chosen[si] >= 0; })) {
      continue;
    }

    // Deterministic id: article, event type and the spans that fill its slots.
    core::Fnv64 h;
    h.AddField(article_id).AddField(ev.type).AddField(field);
    uint32_t begin = trig.begin, end = trig.end;
    for (size_t si = 0; si < ev.slots.size(); ++si) {
      h.AddField(ev.slots[si].name);
      if (chosen[si] < 0) {
        h.AddU64(~0ull);
        continue;
      }
      const v1::Mention& m = out->mentions(chosen[si]);
      if (chosen[si] < title_end) {
        h.AddField(kTitle).AddU64(m.begin()).AddU64(m.end());
        continue;  // the span is the event's field's
      }
      h.AddU64(m.begin()).AddU64(m.end());
      begin = std::min(begin, m.begin());
      end = std::max(end, m.end());
    }
    // A second trigger word of the same event in the same window: the id (the hex of this hash)
    // is already there.
    if (!event_ids_.insert(h.value()).second) continue;
    std::string id = h.Hex();

    // The id hashes the filled spans but not the trigger; two triggers of one event (same spans,
    // so the same attributes) merge in MergeEvents like any other agreeing pair.
    v1::Event* e = out->add_events();
    event_keys_.push_back(ev.slots.empty() ? std::string() : ev.slots[ev.key_slot].name);
    e->set_id(std::move(id));
    e->set_type(ev.type);
    e->set_rule_id(ev.id);
    e->set_topic(ev.topic);
    e->set_trigger(std::string(text.substr(trig.begin, trig.end - trig.begin)));
    e->set_field(FieldOf(field));
    e->set_begin(begin);
    e->set_end(end);
    e->set_article_id(std::string(article_id));
    e->set_rules_version(model_->version);
    v1::EventEvidence* evidence = e->add_evidence();
    evidence->set_field(e->field());
    evidence->set_begin(trig.begin);
    evidence->set_end(trig.end);
    evidence->set_sentence(SentenceOf(ends, trig.begin));
    evidence->set_trigger(e->trigger());
    if (!ev.trigger_attribute.empty()) {
      std::string value = absl::AsciiStrToLower(e->trigger());
      auto it = std::lower_bound(ev.trigger_values.begin(), ev.trigger_values.end(),
                                 std::make_pair(value, std::string()));
      if (it != ev.trigger_values.end() && it->first == value) value = it->second;
      (*e->mutable_attributes())[ev.trigger_attribute] = std::move(value);
    }
    for (size_t si = 0; si < ev.slots.size(); ++si) {
      if (chosen[si] < 0) continue;
      const v1::Mention& m = out->mentions(chosen[si]);
      const v1::Entity* entity = EntityOf(*out, m);
      v1::EventSlot* slot = e->add_slots();
      slot->set_role(ev.slots[si].name);
      if (entity != nullptr) {
        slot->set_canonical(entity->canonical());
        slot->set_type(entity->type());
      } else {
        slot->set_canonical(m.canonical());
        slot->set_type(m.type());
      }
      slot->set_rule_id(std::string(MentionRuleId(*out, m)));
      slot->set_text(m.text());
      slot->set_field(m.field());
      slot->set_begin(m.begin());
      slot->set_end(m.end());
      slot->set_sentence(m.sentence());
      if (m.has_figure()) *slot->mutable_figure() = m.figure();
      if (entity != nullptr) {
        // Each entity once per event: slots of the same entity share its index.
        int index = 0;
        while (index < e->entities_size() &&
               (e->entities(index).rule_id() != entity->rule_id() ||
                e->entities(index).canonical() != entity->canonical())) {
          ++index;
        }
        if (index == e->entities_size()) *e->add_entities() = *entity;
        slot->set_entity(static_cast<uint32_t>(index));
        if (e->primary_entity().empty()) e->set_primary_entity(entity->rule_id());
      } else if (e->primary_entity().empty() && !m.has_figure() && m.type() != "DATE") {
        e->set_primary_entity(m.rule_id());  // a pattern's
      }
    }
  }
}

}  // namespace wirescan::extract
