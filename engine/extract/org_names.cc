#include "engine/extract/org_names.h"

#include <algorithm>
#include <charconv>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "engine/core/strings.h"
#include "engine/core/utf8.h"

namespace wirescan::extract {
namespace {

constexpr uint32_t kMaxWordBytes = 40;    // an English name word
constexpr uint32_t kMaxMarkupBytes = 64;  // "<...>"
constexpr uint32_t kMaxTickerBytes = 8;
constexpr size_t kMaxEntityLook = 16;     // entity hits looked at per name end

bool IsHan(char32_t cp) {
  return (cp >= 0x3400 && cp <= 0x9FFF) || (cp >= 0xF900 && cp <= 0xFAFF) ||
         (cp >= 0x20000 && cp <= 0x3FFFF);
}

bool HasEdgeSpace(std::string_view s) {
  return !s.empty() && (s.front() == ' ' || s.back() == ' ');
}

// A byte of an English name word: letters, digits, & ' - . (and UTF-8 bytes of Latin letters,
// checked by the caller).
bool NameByte(unsigned char c) {
  return core::IsAsciiAlnum(c) || c == '&' || c == '\'' || c == '-' || c == '.' || c >= 0x80;
}

bool IsUpperAscii(unsigned char c) { return c >= 'A' && c <= 'Z'; }

// The word without a trailing "." or "'s" / "’s" (the form compared with the vocabulary).
std::string_view Bare(std::string_view w) {
  if (w.size() > 2 && (w.substr(w.size() - 2) == "'s")) w.remove_suffix(2);
  if (w.size() > 4 && w.substr(w.size() - 4) == "\xE2\x80\x99s") w.remove_suffix(4);
  while (!w.empty() && w.back() == '.') w.remove_suffix(1);
  return w;
}

bool Capitalised(std::string_view w) {
  if (w.empty()) return false;
  unsigned char c = static_cast<unsigned char>(w[0]);
  if (IsUpperAscii(c) || core::IsAsciiDigit(c)) return true;
  if (c < 0x80) return false;
  size_t len = 0;
  char32_t cp = core::DecodeAt(w, 0, &len);
  // Latin-1 and Extended-A capitals (É, Ö, Ł...): an odd/even rule is close enough for names.
  return (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7) || (cp >= 0x100 && cp <= 0x17F && cp % 2 == 0);
}

bool NoLowerAscii(std::string_view w) {
  return std::none_of(w.begin(), w.end(), [](char c) { return c >= 'a' && c <= 'z'; });
}

bool HasLetter(std::string_view w) {
  return std::any_of(w.begin(), w.end(), [](char c) { return core::IsAsciiAlpha(c); });
}

bool In(const absl::flat_hash_set<std::string>& set, std::string_view word) {
  return set.contains(core::Sv(word));
}

// Whether the lower-case form of `word` is in `set` (whose entries are lower case), without
// allocating: words longer than any name word are in no set.
bool InLower(const absl::flat_hash_set<std::string>& set, std::string_view word) {
  char lower[kMaxWordBytes];
  if (word.size() > sizeof lower) return false;
  for (size_t i = 0; i < word.size(); ++i) lower[i] = absl::ascii_tolower(word[i]);
  return In(set, std::string_view(lower, word.size()));
}

bool WordCharAt(std::string_view text, size_t pos) {
  if (pos >= text.size()) return false;
  size_t len = 0;
  return core::IsWordChar(core::DecodeAt(text, pos, &len));
}

bool WordCharBefore(std::string_view text, size_t pos) {
  size_t len = 0;
  return pos > 0 && core::IsWordChar(core::DecodeBefore(text, pos, &len));
}

bool CaselessAt(std::string_view text, size_t pos, std::string_view w) {
  if (pos > text.size() || text.size() - pos < w.size()) return false;
  for (size_t i = 0; i < w.size(); ++i) {
    if (absl::ascii_tolower(static_cast<unsigned char>(text[pos + i])) !=
        absl::ascii_tolower(static_cast<unsigned char>(w[i]))) {
      return false;
    }
  }
  return true;
}

}  // namespace

bool AliasBlocked(std::string_view text, uint32_t begin, uint32_t end,
                  std::span<const std::string> not_before, std::span<const std::string> not_after) {
  for (const std::string& w : not_before) {
    const bool latin_start = WordCharAt(w, 0) && static_cast<unsigned char>(w[0]) < 0x80;
    size_t p = end;
    if (latin_start) {
      while (p < text.size() && text[p] == ' ' && p - end < 3) ++p;
      if (p == end && WordCharAt(text, p)) continue;  // "Amazonriver" is another word
    }
    if (!CaselessAt(text, p, w)) continue;
    if (WordCharBefore(w, w.size()) && WordCharAt(text, p + w.size()) &&
        static_cast<unsigned char>(w.back()) < 0x80) {
      continue;  // "river" is not "riverside"
    }
    return true;
  }
  for (const std::string& w : not_after) {
    const bool latin_end = WordCharBefore(w, w.size()) && static_cast<unsigned char>(w.back()) < 0x80;
    size_t p = begin;
    if (latin_end) {
      while (p > 0 && text[p - 1] == ' ' && begin - p < 3) --p;
      if (p == begin && WordCharBefore(text, p)) continue;
    }
    if (p < w.size() || !CaselessAt(text, p - w.size(), w)) continue;
    if (WordCharAt(w, 0) && static_cast<unsigned char>(w[0]) < 0x80 &&
        WordCharBefore(text, p - w.size())) {
      continue;
    }
    return true;
  }
  return false;
}

std::string_view OrgFormRuleId(OrgForm form) {
  switch (form) {
    case OrgForm::kDesignator: return "org.designator";
    case OrgForm::kHeadline: return "org.headline";
    case OrgForm::kTicker: return "org.ticker";
    case OrgForm::kMarkup: return "org.markup";
    case OrgForm::kZhSuffix: return "org.zh_suffix";
    case OrgForm::kShortForm: break;
  }
  return "org.short_form";
}

absl::StatusOr<OrgGrammar> OrgGrammar::Build(
    std::span<const wirescan::v1::rules::OrgNameVocabulary* const> vocabularies, Locator locate) {
  OrgGrammar g;
  absl::flat_hash_set<std::string> seen;  // token texts
  auto add = [&](OrgToken::Kind kind, std::string text, bool headline) {
    if (seen.insert(text).second) g.tokens_.push_back({kind, std::move(text), headline});
  };
  for (const auto* v : vocabularies) {
    g.enabled_ = true;
    auto fail = [&](std::string_view what) {
      return absl::InvalidArgumentError(absl::StrCat(locate(*v), ": org_names: ", core::Sv(what)));
    };
    auto check = [&](const auto& words, std::string_view key) -> absl::Status {
      for (const std::string& w : words) {
        if (w.empty() || HasEdgeSpace(w) || !core::IsValidUtf8(w)) {
          return fail(absl::StrCat(core::Sv(key), ": '", w, "' is empty, not UTF-8 or has edge spaces"));
        }
      }
      return absl::OkStatus();
    };
    for (auto [words, key] :
         {std::pair{&v->legal_designators(), "legal_designators"},
          std::pair{&v->name_designators(), "name_designators"},
          std::pair{&v->connectors(), "connectors"},
          std::pair{&v->not_name_starts(), "not_name_starts"},
          std::pair{&v->not_short_forms(), "not_short_forms"},
          std::pair{&v->ticker_exchanges(), "ticker_exchanges"},
          std::pair{&v->zh_legal_suffixes(), "zh_legal_suffixes"},
          std::pair{&v->zh_name_suffixes(), "zh_name_suffixes"},
          std::pair{&v->zh_stop_words(), "zh_stop_words"},
          std::pair{&v->zh_generic_words(), "zh_generic_words"},
          std::pair{&v->zh_place_suffixes(), "zh_place_suffixes"}}) {
      absl::Status s = check(*words, key);
      if (!s.ok()) return s;
    }
    if (v->max_words() != 0) {
      if (v->max_words() < 2 || v->max_words() > 12) return fail("max_words must be 2..12");
      g.max_words_ = v->max_words();
    }
    if (v->zh_max_chars() != 0) {
      if (v->zh_max_chars() < 2 || v->zh_max_chars() > 32) return fail("zh_max_chars must be 2..32");
      g.zh_max_chars_ = v->zh_max_chars();
    }
    for (bool legal : {true, false}) {
      const auto& words = legal ? v->legal_designators() : v->name_designators();
      for (const std::string& d : words) {
        if (!HasLetter(d) || d.find(' ') != std::string::npos) {
          return fail(absl::StrCat("designator '", d, "' must be one word with a letter"));
        }
        const auto kind = legal ? OrgToken::Kind::kLegal : OrgToken::Kind::kName;
        add(kind, d, false);
        std::string upper = absl::AsciiStrToUpper(d);
        if (upper != d) add(kind, upper, true);
        if (legal) {
          g.legal_.insert(d);
          g.legal_.insert(upper);
        }
        g.designators_.insert(d);
        g.designators_.insert(upper);
      }
    }
    for (const std::string& c : v->connectors()) g.connectors_.insert(c);
    for (const std::string& w : v->not_name_starts()) g.not_starts_.insert(absl::AsciiStrToLower(w));
    for (const std::string& w : v->not_short_forms()) g.not_short_.insert(absl::AsciiStrToLower(w));
    for (const std::string& ex : v->ticker_exchanges()) {
      add(OrgToken::Kind::kExchange, absl::StrCat("(", ex, ":"), false);
    }
    if (v->ticker_markup()) add(OrgToken::Kind::kMarkupOpen, "<", false);
    for (const std::string& s : v->zh_legal_suffixes()) {
      add(OrgToken::Kind::kZhLegal, s, false);
      g.zh_legal_.insert(s);
    }
    for (const std::string& s : v->zh_name_suffixes()) add(OrgToken::Kind::kZhName, s, false);
    for (const std::string& s : v->zh_stop_words()) g.zh_stop_.push_back(s);
    for (const std::string& s : v->zh_place_suffixes()) {
      if (!std::any_of(g.tokens_.begin(), g.tokens_.end(), [&](const OrgToken& t) {
            return t.text == s && (t.kind == OrgToken::Kind::kZhLegal ||
                                   t.kind == OrgToken::Kind::kZhName);
          })) {
        return fail(absl::StrCat("zh_place_suffixes: '", s, "' is not a Chinese suffix of the pack"));
      }
      g.zh_place_.insert(s);
    }
    for (const std::string& s : v->zh_generic_words()) g.zh_generic_.push_back(s);
  }
  auto longest_first = [](std::vector<std::string>* words) {
    std::sort(words->begin(), words->end(), [](const std::string& a, const std::string& b) {
      return a.size() != b.size() ? a.size() > b.size() : a < b;
    });
    words->erase(std::unique(words->begin(), words->end()), words->end());
  };
  longest_first(&g.zh_stop_);
  longest_first(&g.zh_generic_);
  for (const std::string& w : g.zh_stop_) {
    size_t len = 0;
    char32_t last = core::DecodeBefore(w, w.size(), &len);
    g.zh_stop_by_last_[static_cast<uint32_t>(last)].push_back(w);
  }
  return g;
}

struct OrgFinder::Ctx {
  std::string_view text;
  const OrgGrammar& g;
  std::span<const match::Hit> tokens;
  std::span<const match::Hit> entities;
  absl::FunctionRef<EntityClass(uint32_t)> entity_class;
  std::span<const std::pair<uint32_t, uint32_t>> blocked;
  std::span<const uint32_t> sentence_ends;
  uint64_t* work;
  // The last name found in this field (a ticker right after it names it).
  uint32_t last_end = 0;
  int64_t last_known = -1;
  uint32_t zh_floor = 0;  // end of the last Chinese suffix that read a name

  uint32_t SentenceStart(uint32_t pos) const {
    auto it = std::upper_bound(sentence_ends.begin(), sentence_ends.end(), pos);
    return it == sentence_ends.begin() ? 0 : *(it - 1);
  }
  // The longest ORG entity hit that begins at `begin` and ends at one of [lo, hi] (-1: none);
  // `*end` receives its end.
  int32_t OrgEntityAt(uint32_t begin, uint32_t lo, uint32_t hi, uint32_t* end) const {
    auto it = std::lower_bound(entities.begin(), entities.end(), begin,
                               [](const match::Hit& h, uint32_t b) { return h.begin < b; });
    int32_t best = -1;
    for (size_t n = 0; it != entities.end() && it->begin == begin && n < kMaxEntityLook; ++it, ++n) {
      ++*work;
      if (it->end >= lo && it->end <= hi && entity_class(it->target) == EntityClass::kOrg) {
        if (best < 0 || it->end > *end) {
          best = static_cast<int32_t>(it->target);
          *end = it->end;
        }
      }
    }
    return best;
  }
  // An ORG entity hit ending exactly at `end` (beginning after `floor`): its index into
  // `entities`, or -1.
  int64_t OrgEntityEndingAt(uint32_t end, uint32_t floor) const {
    auto it = std::lower_bound(entities.begin(), entities.end(), end,
                               [](const match::Hit& h, uint32_t b) { return h.begin < b; });
    for (size_t n = 0; it != entities.begin() && n < kMaxEntityLook; ++n) {
      --it;
      ++*work;
      if (it->begin < floor) break;
      if (it->end == end && entity_class(it->target) == EntityClass::kOrg) {
        return it - entities.begin();
      }
    }
    return -1;
  }
};

uint32_t OrgFinder::Intern(std::string_view canonical, int32_t entity, bool english) {
  // The key: the entity ("\x01" and its index) or the canonical; looked up before it is copied.
  char entity_key[16];
  std::string_view key = canonical;
  if (entity >= 0) {
    entity_key[0] = '\x01';
    char* e = std::to_chars(entity_key + 1, entity_key + sizeof entity_key, entity).ptr;
    key = std::string_view(entity_key, static_cast<size_t>(e - entity_key));
  }
  if (auto found = by_key_.find(core::Sv(key)); found != by_key_.end()) return found->second;
  const auto index = static_cast<uint32_t>(known_.size());
  by_key_.emplace(std::string(key), index);
  KnownOrg k;
  k.canonical = std::string(canonical);
  k.entity = entity;
  k.english = english;
  if (english) {
    for (size_t p = 0; p < canonical.size();) {
      size_t q = canonical.find(' ', p);
      if (q == std::string_view::npos) q = canonical.size();
      if (q > p) k.words.emplace_back(canonical.substr(p, q - p));
      p = q + 1;
    }
  }
  known_.push_back(std::move(k));
  field_of_.push_back(field_);
  first_end_.push_back(0);
  return index;
}

void OrgFinder::FindEnglish(Ctx& c, size_t di, std::vector<OrgName>* out) {
  const std::string_view text = c.text;
  const match::Hit& d = c.tokens[di];
  const OrgToken& token = c.g.tokens_[d.target];
  // The name's end: the designator without "." or "'s".
  uint32_t end = d.end;
  const uint32_t floor = c.SentenceStart(d.begin);
  // Words backward from the designator, in reverse text order.
  struct Word {
    uint32_t begin, end;
  };
  Word words[16];
  size_t n = 0;
  words[n++] = {d.begin, d.end};
  uint32_t p = d.begin;
  bool comma_ok = true;  // a comma may stand right before the designator ("Devices, Inc.")
  bool in_chain = true;  // the words so far are all designators
  while (n < c.g.max_words_) {
    // One space (or ", " before the first designator) between words.
    if (p < floor + 2 || text[p - 1] != ' ') break;
    uint32_t q = p - 1;
    if (text[q - 1] == ',') {
      if (!comma_ok) break;
      --q;
    }
    comma_ok = false;
    uint32_t wb = q;
    while (wb > floor && q - wb < kMaxWordBytes && NameByte(static_cast<unsigned char>(text[wb - 1]))) {
      --wb;
    }
    ++*c.work;
    if (wb == q || q - wb >= kMaxWordBytes) break;
    std::string_view w = text.substr(wb, q - wb);
    std::string_view bare = Bare(w);
    if (bare.empty()) break;
    const bool connector = In(c.g.connectors_, bare);
    if (!connector && !Capitalised(bare)) break;
    if (InLower(c.g.not_starts_, bare)) break;  // "SHARE TRADING IN"
    // A word ending in "." ends the sentence before the name ("...Co Ltd. Kestrel Inc"),
    // unless it is a designator of the final chain ("Co., Ltd.") or an abbreviation ("U.S.").
    const bool designator = In(c.g.designators_, bare);
    // A legal designator before the final chain ends an earlier name ("Kestrel Inc Osprey Co").
    if (!in_chain && In(c.g.legal_, bare)) break;
    if (w.back() == '.' && !(in_chain && designator) &&
        bare.find('.') == std::string_view::npos && bare.size() > 1) {
      break;
    }
    in_chain &= designator;
    words[n++] = {wb, q};
    p = wb;
  }
  std::reverse(words, words + n);
  // Leading words that start no name, and connectors.
  size_t first = 0;
  auto word_text = [&](size_t i) {
    return text.substr(words[i].begin, words[i].end - words[i].begin);
  };
  auto is_designator = [&](std::string_view bare) { return In(c.g.designators_, bare); };
  while (first + 1 < n) {
    std::string_view bare = Bare(word_text(first));
    if (InLower(c.g.not_starts_, bare) || In(c.g.connectors_, bare)) {
      ++first;
    } else {
      break;
    }
  }
  // The canonical name: up to the last word before the trailing legal designators.
  size_t last = n;  // one past the canonical's last word
  while (last > first && In(c.g.legal_, Bare(word_text(last - 1)))) --last;
  // At least one word that is not a designator.
  bool name_word = false;
  for (size_t i = first; i < last; ++i) name_word |= !is_designator(Bare(word_text(i)));
  if (!name_word) return;
  if (In(c.g.connectors_, Bare(word_text(last - 1)))) return;
  // One generic word is no name ("Financial Corp" after a lower-case word).
  if (last - first == 1 && InLower(c.g.not_short_, Bare(word_text(first)))) {
    return;
  }
  bool capitals = true;
  for (size_t i = first; i < n; ++i) capitals &= NoLowerAscii(word_text(i));
  if (token.headline && !capitals) return;
  const OrgForm form = token.headline ? OrgForm::kHeadline : OrgForm::kDesignator;
  end = words[n - 1].begin + static_cast<uint32_t>(Bare(word_text(n - 1)).size());
  const uint32_t begin = words[first].begin;
  uint32_t canonical_end =
      words[last - 1].begin + static_cast<uint32_t>(Bare(word_text(last - 1)).size());
  uint32_t entity_end = 0;
  int32_t entity = c.OrgEntityAt(begin, canonical_end, end, &entity_end);
  if (entity >= 0 && entity_end == end) return;  // the gazetteer's own mention
  std::string_view canonical = text.substr(begin, canonical_end - begin);
  std::string titled;
  if (form == OrgForm::kHeadline) {
    // "KESTREL MICRO DEVICES" -> "Kestrel Micro Devices": words of four letters or more in
    // title case (after a hyphen too), shorter ones kept as acronyms ("BMC INDUSTRIES").
    titled.assign(canonical);
    for (size_t i = 0; i < titled.size();) {
      size_t j = i;
      while (j < titled.size() && titled[j] != ' ' && titled[j] != '-') ++j;
      if (j - i >= 4) {
        for (size_t q = i + 1; q < j; ++q) titled[q] = absl::ascii_tolower(titled[q]);
      }
      i = j + 1;
    }
    canonical = titled;
  }
  uint32_t k = Intern(canonical, entity, true);
  if (first_end_[k] == 0 && field_of_[k] == field_) first_end_[k] = end;
  out->push_back({begin, end, form, k});
  c.last_end = end;
  c.last_known = k;
}

void OrgFinder::FindChinese(Ctx& c, size_t si, std::vector<OrgName>* out) {
  const std::string_view text = c.text;
  const match::Hit& s = c.tokens[si];
  const OrgToken& token = c.g.tokens_[s.target];
  // A run never reaches back into the previous name (公司廣東某某投資有限公司).
  uint32_t floor = std::max(c.SentenceStart(s.begin), c.zh_floor);
  c.zh_floor = s.end;
  // Figures and dates end the run ("2023年", "100億元").
  auto bl = std::upper_bound(c.blocked.begin(), c.blocked.end(), std::make_pair(s.begin, ~0u));
  if (bl != c.blocked.begin()) {
    --bl;
    if (bl->second > s.begin) return;  // the suffix is inside a figure
    floor = std::max(floor, bl->second);
  }
  // Entities in the run: an ORG one ending at the suffix (or covering it) starts the name; any
  // other but a place ends the run.
  int32_t org_entity = -1;
  uint32_t org_begin = 0;
  {
    auto it = std::lower_bound(c.entities.begin(), c.entities.end(), s.end,
                               [](const match::Hit& h, uint32_t b) { return h.begin < b; });
    for (size_t n = 0; it != c.entities.begin() && n < kMaxEntityLook; ++n) {
      --it;
      ++*c.work;
      if (it->end + 4 * c.g.zh_max_chars_ < s.begin) break;
      if (it->begin < floor) continue;
      const EntityClass cls = c.entity_class(it->target);
      if (cls == EntityClass::kOrg && it->begin < s.begin &&
          (it->end == s.begin || it->end >= s.end)) {
        if (org_entity < 0 || it->begin < org_begin) {
          org_entity = static_cast<int32_t>(it->target);
          org_begin = it->begin;
        }
      } else if (cls != EntityClass::kPlace && cls != EntityClass::kOrg && it->end <= s.begin) {
        floor = std::max(floor, it->end);
      }
    }
  }
  // The Han run before the suffix, stopping after a stop word.
  uint32_t b = s.begin;
  uint32_t chars = 0;
  while (b > floor) {
    ++*c.work;
    size_t len = 0;
    char32_t cp = core::DecodeBefore(text, b, &len);
    if (len == 0 || !IsHan(cp)) break;
    if (auto it = c.g.zh_stop_by_last_.find(static_cast<uint32_t>(cp));
        it != c.g.zh_stop_by_last_.end() &&
        std::any_of(it->second.begin(), it->second.end(),
                    [&](const std::string& w) { return core::BytesBefore(text, b, floor, w); })) {
      break;
    }
    if (++chars > c.g.zh_max_chars_) return;  // too long to be sure where it starts
    b -= static_cast<uint32_t>(len);
  }
  // A gazetteer name right before the suffix (or covering it) is the name: its own mention
  // stands (鴻海集團 is 鴻海, 美國高通公司 is 高通公司), no longer name is read around it.
  if (org_entity >= 0) return;
  if (b >= s.begin) return;
  // A place a character or two into the run starts the name (發放北京某某科技有限公司): names
  // begin with their place, the characters before it are the clause's verb.
  {
    auto it = std::lower_bound(c.entities.begin(), c.entities.end(), b + 1,
                               [](const match::Hit& h, uint32_t x) { return h.begin < x; });
    for (size_t n = 0; it != c.entities.end() && n < 4 && it->begin <= b + 9 && it->end < s.begin;
         ++it, ++n) {
      ++*c.work;
      if (c.entity_class(it->target) == EntityClass::kPlace) {
        b = it->begin;
        break;
      }
    }
  }
  // The name without its places and generic words must keep two characters.
  uint32_t core_begin = b, core_end = s.begin;
  {
    auto it = std::lower_bound(c.entities.begin(), c.entities.end(), core_begin,
                               [](const match::Hit& h, uint32_t x) { return h.begin < x; });
    for (size_t n = 0; it != c.entities.end() && n < kMaxEntityLook && it->begin < core_end; ++n) {
      ++*c.work;
      if (it->begin == core_begin && it->end < core_end &&
          c.entity_class(it->target) == EntityClass::kPlace) {
        core_begin = it->end;
      }
      ++it;
    }
  }
  bool stripped = true;
  while (stripped && core_end > core_begin) {
    stripped = false;
    for (const std::string& w : c.g.zh_generic_) {
      ++*c.work;
      if (core::BytesBefore(text, core_end, core_begin, w)) {
        core_end -= static_cast<uint32_t>(w.size());
        stripped = true;
        break;
      }
    }
  }
  const bool legal = token.kind == OrgToken::Kind::kZhLegal;
  if (core_begin == b && In(c.g.zh_place_, token.text)) return;  // no place
  {
    size_t core_chars = 0;
    for (uint32_t q = core_begin; q < core_end; ++core_chars) {
      size_t len = 0;
      core::DecodeAt(text, q, &len);
      q += static_cast<uint32_t>(len == 0 ? 1 : len);
    }
    if (core_chars < 2) return;
  }
  const uint32_t canonical_end = legal ? s.begin : s.end;
  int32_t entity = -1;
  {
    uint32_t entity_end = 0;
    entity = c.OrgEntityAt(b, canonical_end, s.end, &entity_end);
    if (entity < 0 && legal && core_end > b && core_end < canonical_end) {
      // 華虹宏力半導體公司: a known name and generic words, no suffix of its own.
      entity = c.OrgEntityAt(b, core_end, core_end, &entity_end);
    }
  }
  uint32_t own_end = 0;
  if (c.OrgEntityAt(b, s.end, s.end, &own_end) >= 0) return;  // the gazetteer's own mention
  uint32_t k = Intern(text.substr(b, canonical_end - b), entity, false);
  out->push_back({b, s.end, OrgForm::kZhSuffix, k});
  c.last_end = s.end;
  c.last_known = k;
}

void OrgFinder::FindTicker(Ctx& c, size_t ti, std::vector<OrgName>* out) {
  const std::string_view text = c.text;
  const match::Hit& h = c.tokens[ti];
  const OrgToken& token = c.g.tokens_[h.target];
  auto ticker_byte = [](char ch) {
    return IsUpperAscii(static_cast<unsigned char>(ch)) ||
           core::IsAsciiDigit(static_cast<unsigned char>(ch)) || ch == '.';
  };
  uint32_t sym_begin = 0, sym_end = 0;
  std::string_view exchange;
  if (token.kind == OrgToken::Kind::kMarkupOpen) {
    if (h.begin > 0 && core::IsAsciiAlnum(static_cast<unsigned char>(text[h.begin - 1]))) return;
    uint32_t close = h.end;
    while (close < text.size() && close - h.end < kMaxMarkupBytes && text[close] != '>' &&
           text[close] != '<' && text[close] != '\n') {
      ++close;
    }
    *c.work += close - h.end;
    if (close >= text.size() || text[close] != '>' || close == h.end) return;
    std::string_view content = text.substr(h.end, close - h.end);
    const bool ticker = content.size() <= kMaxTickerBytes &&
                        IsUpperAscii(static_cast<unsigned char>(content[0])) &&
                        std::all_of(content.begin(), content.end(), ticker_byte);
    if (!ticker) {
      // A name in markup: capitalised words; one ending in a designator is read by that form.
      size_t words = 0;
      std::string_view last;
      for (size_t p = 0; p <= content.size();) {
        size_t q = content.find(' ', p);
        if (q == std::string_view::npos) q = content.size();
        std::string_view w = content.substr(p, q - p);
        if (w.empty() || !std::all_of(w.begin(), w.end(), [](char ch) {
              return NameByte(static_cast<unsigned char>(ch));
            })) {
          return;
        }
        const bool connector = In(c.g.connectors_, w);
        if ((words == 0 && connector) || (!connector && !Capitalised(w))) return;
        last = w;
        ++words;
        p = q + 1;
      }
      if (In(c.g.designators_, Bare(last)) || In(c.g.connectors_, last)) return;
      uint32_t entity_end = 0;
      int32_t entity = c.OrgEntityAt(h.end, close, close, &entity_end);
      if (entity >= 0) return;  // the gazetteer's own mention
      uint32_t k = Intern(content, -1, true);
      if (first_end_[k] == 0 && field_of_[k] == field_) first_end_[k] = close;
      out->push_back({h.end, close, OrgForm::kMarkup, k});
      c.last_end = close + 1;
      c.last_known = k;
      return;
    }
    sym_begin = h.end;
    sym_end = close;
  } else {
    // "(NYSE: KMD)"
    uint32_t p = h.end;
    while (p < text.size() && text[p] == ' ' && p - h.end < 2) ++p;
    uint32_t q = p;
    while (q < text.size() && q - p <= kMaxTickerBytes && ticker_byte(text[q])) ++q;
    if (q == p || q - p > kMaxTickerBytes || q >= text.size() || text[q] != ')' ||
        !IsUpperAscii(static_cast<unsigned char>(text[p]))) {
      return;
    }
    sym_begin = p;
    sym_end = q;
    exchange = text.substr(h.begin + 1, h.end - h.begin - 2);
  }
  std::string_view symbol = text.substr(sym_begin, sym_end - sym_begin);
  // The name right before it (one or two spaces between).
  uint32_t g = h.begin;
  while (g > 0 && text[g - 1] == ' ' && h.begin - g < 2) --g;
  int64_t k = -1;
  if (c.last_known >= 0 && c.last_end == g && g < h.begin) {
    k = c.last_known;
  } else if (g < h.begin) {
    int64_t e = c.OrgEntityEndingAt(g, g > 128 ? g - 128 : 0);
    if (e >= 0) {
      const match::Hit& eh = c.entities[static_cast<size_t>(e)];
      k = Intern(text.substr(eh.begin, eh.end - eh.begin), static_cast<int32_t>(eh.target), true);
    }
  }
  if (k < 0) k = Intern(symbol, -1, true);
  KnownOrg& o = known_[static_cast<size_t>(k)];
  if (o.ticker.empty()) {
    o.ticker = std::string(symbol);
    o.exchange = std::string(exchange);
  }
  if (first_end_[k] == 0 && field_of_[k] == field_) first_end_[k] = sym_end;
  out->push_back({sym_begin, sym_end, OrgForm::kTicker, static_cast<uint32_t>(k)});
}

void OrgFinder::FindShortForms(Ctx& c, std::vector<OrgName>* out) {
  const std::string_view text = c.text;
  const size_t known = std::min(known_.size(), kMaxKnown);
  for (size_t k = 0; k < known; ++k) {
    const KnownOrg& o = known_[k];
    if (!o.english) continue;
    // A name found in this field is looked for after its first mention only.
    size_t from = field_of_[k] == field_ ? first_end_[k] : 0;
    if (field_of_[k] == field_ && from == 0) continue;
    auto search = [&](std::string_view needle, size_t extend_from) {
      if (needle.size() < 3) return;  // "U", "3M": too short to tell from other words
      size_t q = from;
      while ((q = text.find(needle, q)) != std::string_view::npos) {
        *c.work += 1 + (q - from) / 16;
        from = q + 1;
        const size_t after = q + needle.size();
        const bool before_ok =
            q == 0 || !NameByte(static_cast<unsigned char>(text[q - 1])) || text[q - 1] == '.';
        const bool after_ok =
            after >= text.size() ||
            !(core::IsAsciiAlnum(static_cast<unsigned char>(text[after])) ||
              text[after] == '-' || text[after] == '&' ||
              (text[after] == '.' && after + 1 < text.size() &&
               core::IsAsciiAlnum(static_cast<unsigned char>(text[after + 1]))));  // "U.S."
        q = after;
        if (!before_ok || !after_ok) continue;
        size_t e = after;
        if (extend_from > 0) {
          for (size_t j = extend_from; j < o.words.size(); ++j) {
            const std::string& w = o.words[j];
            if (e + 1 + w.size() <= text.size() && text[e] == ' ' &&
                text.compare(e + 1, w.size(), w) == 0 &&
                (e + 1 + w.size() == text.size() ||
                 !core::IsAsciiAlnum(static_cast<unsigned char>(text[e + 1 + w.size()])))) {
              e += 1 + w.size();
            } else {
              break;
            }
          }
        }
        out->push_back({static_cast<uint32_t>(q - needle.size()), static_cast<uint32_t>(e),
                        OrgForm::kShortForm, static_cast<uint32_t>(k)});
        q = e;
      }
    };
    const size_t start = from;
    if (!o.words.empty()) {
      const std::string& w = o.words[0];
      // The first word alone only of a longer name, four letters or more ("Pan" of "Pan Am"
      // is no name); a name's whole canonical is searched too.
      const bool alone = o.words.size() >= 2 && w.size() >= 4 && !InLower(c.g.not_short_, w) &&
                         !InLower(c.g.not_starts_, w);
      if (alone || o.words.size() == 1) {
        search(w, 1);
      } else {
        search(absl::StrCat(o.words[0], " ", o.words[1]), 2);
      }
    }
    from = start;
    if (!o.ticker.empty() && o.ticker != o.canonical) search(o.ticker, 0);
  }
}

void OrgFinder::FindInField(std::string_view text, const OrgGrammar& grammar,
                            std::span<const match::Hit> tokens, std::span<const match::Hit> entities,
                            absl::FunctionRef<EntityClass(uint32_t)> entity_class,
                            std::span<const std::pair<uint32_t, uint32_t>> blocked,
                            std::span<const uint32_t> sentence_ends, std::vector<OrgName>* out,
                            uint64_t* work) {
  ++field_;
  if (!grammar.enabled()) return;
  Ctx c{text, grammar, tokens, entities, entity_class, blocked, sentence_ends, work};
  uint32_t zh_covered = 0;  // end of the last Chinese suffix used
  for (size_t i = 0; i < tokens.size(); ++i) {
    ++*work;
    const match::Hit& h = tokens[i];
    const OrgToken& t = grammar.tokens_[h.target];
    switch (t.kind) {
      case OrgToken::Kind::kLegal:
      case OrgToken::Kind::kName: {
        // In a chain of designators ("Co., Ltd.", "Holdings Inc") the last one reads the name.
        bool chained = false;
        for (size_t j = i + 1; j < tokens.size() && tokens[j].begin <= h.end + 3; ++j) {
          const OrgToken::Kind k = grammar.tokens_[tokens[j].target].kind;
          if (k != OrgToken::Kind::kLegal && k != OrgToken::Kind::kName) continue;
          std::string_view gap = text.substr(h.end, tokens[j].begin - h.end);
          if (!gap.empty() && gap.find_first_not_of(" .,") == std::string_view::npos &&
              gap.back() == ' ') {
            chained = true;
          }
        }
        if (!chained) FindEnglish(c, i, out);
        break;
      }
      case OrgToken::Kind::kZhLegal:
      case OrgToken::Kind::kZhName: {
        if (h.end <= zh_covered) break;  // 公司 of 有限公司
        bool chained = false;
        for (size_t j = i + 1; j < tokens.size() && tokens[j].begin <= h.end; ++j) {
          const OrgToken::Kind k = grammar.tokens_[tokens[j].target].kind;
          if ((k == OrgToken::Kind::kZhLegal || k == OrgToken::Kind::kZhName) &&
              tokens[j].begin == h.end) {
            chained = true;
          }
        }
        zh_covered = h.end;
        if (!chained) FindChinese(c, i, out);
        break;
      }
      case OrgToken::Kind::kExchange:
      case OrgToken::Kind::kMarkupOpen:
        FindTicker(c, i, out);
        break;
    }
  }
  FindShortForms(c, out);
}

}  // namespace wirescan::extract
