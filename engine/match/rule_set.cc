#include "engine/match/rule_set.h"

#include <hs.h>

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "engine/core/hash.h"
#include "engine/core/status_macros.h"
#include "engine/core/utf8.h"
#include "engine/match/sentences.h"

namespace wirescan::match {
namespace {

// A literal as a Hyperscan expression: letters and digits as they are, every other byte as
// \xHH, so no byte can be taken for a metacharacter.
std::string EscapeLiteral(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    if (core::IsAsciiAlnum(c)) {
      out.push_back(static_cast<char>(c));
    } else {
      absl::StrAppendFormat(&out, "\\x%02x", c);
    }
  }
  return out;
}

}  // namespace

namespace {

// Loads a serialised database; nullptr if absent or unusable (then the caller compiles).
hs_database_t* LoadCached(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return nullptr;
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  hs_database_t* db = nullptr;
  if (hs_deserialize_database(bytes.data(), bytes.size(), &db) != HS_SUCCESS) return nullptr;
  return db;
}

// Writes the database atomically (temporary file + rename); failures only cost the next start.
void StoreCached(const hs_database_t* db, const std::string& dir, const std::string& path) {
  char* bytes = nullptr;
  size_t size = 0;
  if (hs_serialize_database(db, &bytes, &size) != HS_SUCCESS) return;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  std::string tmp = absl::StrCat(path, ".tmp.", getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(bytes, static_cast<std::streamsize>(size));
  }
  free(bytes);  // hs_serialize_database allocates with the misc allocator (malloc)
  std::filesystem::rename(tmp, path, ec);
  if (ec) std::filesystem::remove(tmp, ec);
}

}  // namespace

namespace {

// Compiles one database, or loads it from the cache. `what` names it in the cache key.
absl::StatusOr<hs_database_t*> CompileDatabase(const std::vector<std::string>& expressions,
                                               const std::vector<unsigned>& flags,
                                               const std::vector<unsigned>& ids,
                                               const std::vector<PatternSpec>& specs,
                                               const std::string& cache_dir, std::string_view what,
                                               bool* from_cache) {
  std::string cache_path;
  *from_cache = false;
  if (!cache_dir.empty()) {
    // The cache key covers everything the database is compiled from.
    core::Fnv64 key;
    key.AddField(hs_version()).AddField(what);
    for (size_t i = 0; i < expressions.size(); ++i) {
      key.AddField(expressions[i]).AddU64(flags[i]).AddU64(ids[i]);
    }
    cache_path = absl::StrCat(cache_dir, "/", key.Hex(), ".hsdb");
    if (hs_database_t* db = LoadCached(cache_path)) {
      *from_cache = true;
      return db;
    }
  }
  std::vector<const char*> exprs;
  for (const auto& e : expressions) exprs.push_back(e.c_str());
  hs_database_t* db = nullptr;
  hs_compile_error_t* err = nullptr;
  hs_error_t rc = hs_compile_multi(exprs.data(), flags.data(), ids.data(),
                                   static_cast<unsigned>(exprs.size()), HS_MODE_BLOCK, nullptr,
                                   &db, &err);
  if (rc != HS_SUCCESS) {
    std::string where = "rule set";
    if (err != nullptr && err->expression >= 0 &&
        static_cast<size_t>(err->expression) < ids.size()) {
      where = specs[ids[err->expression]].origin;
    }
    std::string message = err != nullptr ? err->message : "unknown error";
    hs_free_compile_error(err);
    return absl::InvalidArgumentError(absl::StrCat(where, ": ", message));
  }
  if (!cache_dir.empty()) StoreCached(db, cache_dir, cache_path);
  return db;
}

}  // namespace

absl::StatusOr<std::shared_ptr<const RuleSet>> RuleSet::Compile(std::vector<PatternSpec> specs,
                                                                const std::string& cache_dir) {
  if (specs.empty()) return absl::InvalidArgumentError("the rule set has no patterns");
  // The main database holds everything; regexes go in without start-of-match (SOM would slow
  // the whole scan down: ~870 vs ~545 MB/s here). A second, small database of the regexes with
  // SOM finds their starts afterwards, on a window before each hit.
  std::vector<std::string> expressions, som_expressions;
  std::vector<unsigned> flags, ids, som_flags, som_ids;
  auto rules = std::shared_ptr<RuleSet>(new RuleSet());
  rules->infos_.reserve(specs.size());
  for (size_t i = 0; i < specs.size(); ++i) {
    PatternSpec& s = specs[i];
    if (s.literal && s.expression.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(s.origin, ": empty literal"));
    }
    unsigned f = s.caseless ? HS_FLAG_CASELESS : 0;
    if (s.literal) {
      expressions.push_back(EscapeLiteral(s.expression));
      s.info.length = s.hit_length != 0 ? s.hit_length : static_cast<uint32_t>(s.expression.size());
    } else {
      f |= HS_FLAG_UTF8;
      if (s.ucp) f |= HS_FLAG_UCP;
      hs_expr_info_t* info = nullptr;
      hs_compile_error_t* err = nullptr;
      if (hs_expression_info(s.expression.c_str(), f, &info, &err) != HS_SUCCESS) {
        std::string message = err != nullptr ? err->message : "invalid expression";
        hs_free_compile_error(err);
        return absl::InvalidArgumentError(absl::StrCat(s.origin, ": ", message));
      }
      s.info.max_width = info->max_width;
      free(info);  // allocated with the misc allocator (malloc)
      s.info.length = 0;
      expressions.push_back(s.expression);
      som_expressions.push_back(s.expression);
      som_flags.push_back(f | HS_FLAG_SOM_LEFTMOST);
      som_ids.push_back(static_cast<unsigned>(i));
    }
    flags.push_back(f);
    ids.push_back(static_cast<unsigned>(i));
    rules->infos_.push_back(s.info);
  }
  bool main_cached = false, som_cached = true;
  WS_ASSIGN_OR_RETURN(rules->db_, CompileDatabase(expressions, flags, ids, specs, cache_dir,
                                                  "main", &main_cached));
  if (!som_expressions.empty()) {
    WS_ASSIGN_OR_RETURN(rules->som_db_, CompileDatabase(som_expressions, som_flags, som_ids, specs,
                                                        cache_dir, "som", &som_cached));
  }
  rules->from_cache_ = main_cached && som_cached;
  return std::shared_ptr<const RuleSet>(std::move(rules));
}

RuleSet::~RuleSet() {
  hs_free_database(db_);
  hs_free_database(som_db_);
}

size_t RuleSet::database_bytes() const {
  size_t size = 0;
  hs_database_size(db_, &size);
  return size;
}

void Hits::Clear() {
  entities.clear();
  tokens.clear();
  triggers.clear();
  regexes.clear();
  date_words.clear();
  cues.clear();
  org_tokens.clear();
  sentence_ends.clear();
  truncated = false;
}

namespace {

struct ScanContext {
  const RuleSet* rules;
  std::string_view text;
  Hits* hits;
  std::vector<Hit>* regex_ends;  // {end, end, pattern id}: regex hits awaiting their start
  size_t count = 0;
};

bool WordCharBefore(std::string_view text, size_t pos, bool letters_only) {
  size_t len = 0;
  char32_t cp = core::DecodeBefore(text, pos, &len);
  if (len == 0) return false;
  if (letters_only && cp < 0x80 && core::IsAsciiDigit(static_cast<unsigned char>(cp))) {
    return false;
  }
  return core::IsWordChar(cp);
}

bool WordCharAfter(std::string_view text, size_t pos) {
  if (pos >= text.size()) return false;
  size_t len = 0;
  return core::IsWordChar(core::DecodeAt(text, pos, &len));
}

int OnMatch(unsigned int id, unsigned long long, unsigned long long to, unsigned int,
            void* ctx_ptr) {
  auto* ctx = static_cast<ScanContext*>(ctx_ptr);
  const PatternInfo& info = ctx->rules->info(id);
  const uint32_t end = static_cast<uint32_t>(to);
  if (info.kind == PatternKind::kRegex) {
    // Its start comes later, from the start-of-match database (ResolveRegexStarts).
    if (++ctx->count > Matcher::kMaxHitsPerField) {
      ctx->hits->truncated = true;
      return 1;
    }
    ctx->regex_ends->push_back({end, end, id});
    return 0;
  }
  const uint32_t begin = end - info.length;
  if (info.boundary != kNoBoundary) {
    if ((info.boundary & kWordBefore) && WordCharBefore(ctx->text, begin, false)) return 0;
    if ((info.boundary & kLetterBefore) && WordCharBefore(ctx->text, begin, true)) return 0;
    if ((info.boundary & kWordAfter) && WordCharAfter(ctx->text, end)) return 0;
  }
  if (++ctx->count > Matcher::kMaxHitsPerField) {
    ctx->hits->truncated = true;
    return 1;  // stop scanning
  }
  Hits& h = *ctx->hits;
  switch (info.kind) {
    case PatternKind::kEntityAlias: h.entities.push_back({begin, end, info.target}); break;
    case PatternKind::kFigureToken: h.tokens.push_back({begin, end, info.target}); break;
    case PatternKind::kTrigger: h.triggers.push_back({begin, end, info.target}); break;
    case PatternKind::kDateToken: h.date_words.push_back({begin, end, info.target}); break;
    case PatternKind::kCue: h.cues.push_back({begin, end, info.target}); break;
    case PatternKind::kOrgToken: h.org_tokens.push_back({begin, end, info.target}); break;
    case PatternKind::kRegex: break;  // handled above
  }
  return 0;
}

// The start-of-match scan of a window: every match, as {begin, end, pattern id} relative to
// the window.
int OnSomMatch(unsigned int id, unsigned long long from, unsigned long long to, unsigned int,
               void* ctx_ptr) {
  static_cast<std::vector<Hit>*>(ctx_ptr)->push_back(
      {static_cast<uint32_t>(from), static_cast<uint32_t>(to), id});
  return 0;
}

void SortHits(std::vector<Hit>* hits) {
  // Hyperscan reports in order of end; consumers want order of begin, longest first.
  std::sort(hits->begin(), hits->end(), [](const Hit& a, const Hit& b) {
    if (a.begin != b.begin) return a.begin < b.begin;
    if (a.end != b.end) return a.end > b.end;
    return a.target < b.target;
  });
}

}  // namespace

Matcher::Matcher(std::shared_ptr<const RuleSet> rules) { (void)Bind(std::move(rules)); }

Matcher::~Matcher() {
  hs_free_scratch(scratch_);
  hs_free_scratch(som_scratch_);
}

absl::Status Matcher::Bind(std::shared_ptr<const RuleSet> rules) {
  if (hs_alloc_scratch(rules->database(), &scratch_) != HS_SUCCESS ||
      (rules->som_database() != nullptr &&
       hs_alloc_scratch(rules->som_database(), &som_scratch_) != HS_SUCCESS)) {
    return absl::ResourceExhaustedError("cannot allocate Hyperscan scratch space");
  }
  rules_ = std::move(rules);
  return absl::OkStatus();
}

void Matcher::ResolveRegexStarts(std::string_view text, Hits* out) {
  std::vector<Hit>& ends = regex_ends_;
  std::sort(ends.begin(), ends.end(), [](const Hit& a, const Hit& b) {
    return a.end != b.end ? a.end < b.end : a.target < b.target;
  });
  ends.erase(std::unique(ends.begin(), ends.end(),
                         [](const Hit& a, const Hit& b) {
                           return a.end == b.end && a.target == b.target;
                         }),
             ends.end());
  // Hits whose windows overlap are resolved by one scan of their union: dates cluster, and one
  // scan per hit would cost a scan start each (33k per pass of the Chinese corpus).
  auto window_start = [&](const Hit& e) -> size_t {
    const PatternInfo& info = rules_->info(e.target);
    // The match is at most max_width long; one more byte before gives \b its context.
    size_t window = info.max_width == UINT32_MAX ? e.end : size_t{info.max_width} + 1;
    return e.end > window ? e.end - window : 0;
  };
  size_t i = 0;
  while (i < ends.size()) {
    size_t start = window_start(ends[i]);
    size_t stop = ends[i].end;
    size_t j = i + 1;
    while (j < ends.size() && window_start(ends[j]) <= stop) {
      start = std::min(start, window_start(ends[j]));
      stop = ends[j].end;
      ++j;
    }
    som_matches_.clear();
    hs_scan(rules_->som_database(), text.data() + start, static_cast<unsigned>(stop - start), 0,
            som_scratch_, OnSomMatch, &som_matches_);
    for (size_t k = i; k < j; ++k) {
      const Hit& e = ends[k];
      // The leftmost start of this pattern among its matches ending exactly here.
      uint64_t best = ~0ull;
      for (const Hit& m : som_matches_) {
        if (m.target == e.target && start + m.end == e.end && start + m.begin < best) {
          best = start + m.begin;
        }
      }
      if (best != ~0ull) {
        out->regexes.push_back({static_cast<uint32_t>(best), e.end, rules_->info(e.target).target});
      }
    }
    i = j;
  }
}

absl::Status Matcher::Scan(std::string_view text, Hits* out) {
  out->Clear();
  regex_ends_.clear();
  if (text.empty()) return absl::OkStatus();
  ScanContext ctx{rules_.get(), text, out, &regex_ends_};
  hs_error_t rc = hs_scan(rules_->database(), text.data(), static_cast<unsigned>(text.size()), 0,
                          scratch_, OnMatch, &ctx);
  if (rc != HS_SUCCESS && rc != HS_SCAN_TERMINATED) {
    return absl::InternalError(absl::StrCat("hs_scan failed: ", rc));
  }
  if (!regex_ends_.empty()) ResolveRegexStarts(text, out);
  SortHits(&out->entities);
  SortHits(&out->tokens);
  SortHits(&out->triggers);
  SortHits(&out->cues);
  SortHits(&out->org_tokens);
  SortHits(&out->regexes);
  // A regex that can end at several places reports once per end; keep the longest per start.
  out->regexes.erase(std::unique(out->regexes.begin(), out->regexes.end(),
                                 [](const Hit& a, const Hit& b) {
                                   return a.begin == b.begin && a.target == b.target;
                                 }),
                     out->regexes.end());
  FindSentenceEnds(text, &out->sentence_ends);
  return absl::OkStatus();
}

}  // namespace wirescan::match
