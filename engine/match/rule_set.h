#pragma once
// RuleSet: the immutable compiled Hyperscan database of a rule pack, with what each pattern
// id means. Matcher: per-thread scanning state (Hyperscan scratch) that turns one field of text
// into hits, grouped by kind and filtered by word boundaries.
//
// The model is hsbench's engine/context split: one shared, read-only RuleSet; one Matcher per
// thread. A new RuleSet (hot reload) is published as std::shared_ptr<const RuleSet> and a
// Matcher is re-bound to it between batches.
//
// Thread safety: RuleSet is immutable after Compile() and safe to share. Matcher is
// thread-compatible: confined to the thread that scans with it.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

struct hs_database;
struct hs_scratch;

namespace wirescan::match {

enum class PatternKind : uint8_t {
  kEntityAlias,  // target: entity index
  kFigureToken,  // target: FigureGrammar token index
  kTrigger,      // target: event rule index
  kRegex,        // target: pattern rule index
  kDateToken,    // target: DateGrammar token index
  kCue,          // target: event cue index (Model::cues)
  kOrgToken,     // target: OrgGrammar token index
};

// Word-boundary requirements checked on each hit (outside the automaton: wrapping thousands of
// literals in \b costs seconds of compile time and megabytes of database).
enum Boundary : uint8_t {
  kNoBoundary = 0,
  kWordBefore = 1,    // no word character (letter or digit) immediately before
  kLetterBefore = 2,  // no letter immediately before (a digit is fine: "1.15B", "5nm")
  kWordAfter = 4,     // no word character immediately after
};

struct PatternInfo {
  PatternKind kind = PatternKind::kEntityAlias;
  uint8_t boundary = kNoBoundary;
  uint32_t target = 0;
  // The hit's byte length (start = end - length). 0 for regexes: their start is found by the
  // start-of-match database. Set from PatternSpec::hit_length or the literal's size.
  uint32_t length = 0;
  uint32_t max_width = 0;  // Regexes: the longest match (Hyperscan's expression info).
};

// One pattern to compile.
struct PatternSpec {
  std::string expression;  // A literal's bytes, or a Hyperscan regex.
  bool literal = true;
  bool caseless = false;   // ASCII case only.
  bool ucp = false;        // Regexes: Unicode classes.
  PatternInfo info;
  std::string origin;      // "rules/orgs.yaml:12: rule org.jcet" for compile errors.
  // Literals whose hit is only part of what they match: "5B" anchors the scale "B" to a digit
  // (hit_length 1). 0: the whole literal.
  uint32_t hit_length = 0;
};

class RuleSet {
 public:
  // Compiles all patterns into one block-mode database. A pattern Hyperscan rejects is reported
  // as "<origin>: <Hyperscan message>". With a `cache_dir`, a database compiled before from the
  // same patterns (same expressions, flags and order, same Hyperscan version) is loaded from
  // "<cache_dir>/<key>.hsdb" instead of compiled, and a new one is written there.
  static absl::StatusOr<std::shared_ptr<const RuleSet>> Compile(std::vector<PatternSpec> specs,
                                                                const std::string& cache_dir = "");
  ~RuleSet();
  RuleSet(const RuleSet&) = delete;
  RuleSet& operator=(const RuleSet&) = delete;

  // The database of every pattern (regexes without start-of-match: the fast path).
  const hs_database* database() const { return db_; }
  // Regexes only, with start-of-match: run on a short window before each regex hit to find its
  // start. Null when the pack has no regexes.
  const hs_database* som_database() const { return som_db_; }
  const PatternInfo& info(uint32_t id) const { return infos_[id]; }
  size_t pattern_count() const { return infos_.size(); }
  size_t database_bytes() const;
  bool from_cache() const { return from_cache_; }

 private:
  RuleSet() = default;
  hs_database* db_ = nullptr;
  hs_database* som_db_ = nullptr;
  std::vector<PatternInfo> infos_;
  bool from_cache_ = false;
};

struct Hit {
  uint32_t begin;
  uint32_t end;
  uint32_t target;
};

// The hits of one field, each vector sorted by begin (ties: longer first), boundaries checked.
struct Hits {
  std::vector<Hit> entities;
  std::vector<Hit> tokens;
  std::vector<Hit> triggers;
  std::vector<Hit> regexes;
  std::vector<Hit> date_words;
  std::vector<Hit> cues;
  std::vector<Hit> org_tokens;
  std::vector<uint32_t> sentence_ends;  // Offsets just past each sentence end (sentences.h).
  bool truncated = false;               // The hit limit was reached; later hits dropped.
  void Clear();
};

class Matcher {
 public:
  // Hits beyond this many per field are dropped (and reported): bounds memory on hostile input.
  static constexpr size_t kMaxHitsPerField = 200000;

  // REQUIRES: `rules` outlives the Matcher or the next Bind().
  explicit Matcher(std::shared_ptr<const RuleSet> rules);
  ~Matcher();
  Matcher(const Matcher&) = delete;
  Matcher& operator=(const Matcher&) = delete;

  // Switches to another rule set (hot reload), growing the scratch space if needed.
  absl::Status Bind(std::shared_ptr<const RuleSet> rules);
  const RuleSet& rules() const { return *rules_; }

  // Scans one field. `out` is cleared first. Any bytes are safe (invalid UTF-8 included).
  absl::Status Scan(std::string_view text, Hits* out);

 private:
  // Finds the start of each regex hit (recorded by its end during the main scan).
  void ResolveRegexStarts(std::string_view text, Hits* out);

  std::shared_ptr<const RuleSet> rules_;
  hs_scratch* scratch_ = nullptr;
  hs_scratch* som_scratch_ = nullptr;
  std::vector<Hit> regex_ends_;   // {end, end, pattern id} of this scan's regex hits
  std::vector<Hit> som_matches_;  // matches of one start-of-match window scan
};

}  // namespace wirescan::match
