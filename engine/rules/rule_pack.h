#pragma once
// RulePack: a directory of rule files (YAML), parsed, validated and compiled as a whole into the
// two immutable halves the data plane uses: the match::RuleSet (Hyperscan database) and the
// extract::Model (entity/pattern/event tables and figure grammar). A pack with any error is
// rejected whole; errors read "file:line: rule <id>: <what>".
//
// The pack's version is a content hash of its files (their names relative to the pack, and
// their bytes): the same files give the same version on every machine, whichever path the pack
// is read from, and every output message carries it.
//
// Loading reports every problem it finds, not only the first: the status message holds one
// "file:line: ..." line per problem (parse errors of every file; else every rule's and
// example's validation error; compilation runs only on a pack without those).
//
// Thread safety: a RulePack is immutable after loading; share it as shared_ptr<const RulePack>.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/extract/model.h"
#include "engine/match/rule_set.h"
#include "engine/rules/yaml_proto.h"
#include "wirescan/v1/rules.pb.h"

namespace wirescan::rules {

// One rule file's name (as shown in errors) and contents.
struct RuleText {
  std::string name;
  std::string text;
};

struct RulePackStats {
  size_t files = 0;
  size_t entities = 0;
  size_t aliases = 0;
  size_t patterns = 0;
  size_t figure_tokens = 0;
  size_t events = 0;
  size_t examples = 0;
  size_t database_bytes = 0;
  size_t organisations = 0;
  bool database_from_cache = false;
};

struct RulePack {
  std::string version;  // 16 hex digits
  std::shared_ptr<const match::RuleSet> rules;
  std::shared_ptr<const extract::Model> model;
  RulePackStats stats;
  // The parsed files, kept for the examples and their locations.
  std::vector<std::unique_ptr<v1::rules::RuleFile>> files;
  SourceMap sources;
};

// Reads every *.yaml / *.yml file directly in `dir` (sorted by name; subdirectories ignored).
// `cache_dir` (optional): where compiled Hyperscan databases are kept between runs, so a
// restart with unchanged rules deserialises instead of compiling (see RuleSet::Compile).
absl::StatusOr<std::shared_ptr<const RulePack>> LoadRulePack(const std::string& dir,
                                                             const std::string& cache_dir = "");

// Compiles a pack from texts (tests, and LoadRulePack after reading the files).
absl::StatusOr<std::shared_ptr<const RulePack>> CompileRulePack(std::vector<RuleText> texts,
                                                                const std::string& cache_dir = "");

// One example of a pack and how it went.
struct ExampleResult {
  std::string file;  // the rule file, as named in errors
  std::string id;
  std::string location;               // "file:line" of the example
  std::vector<std::string> failures;  // "file:line: example <id>: <what>"; empty: it passed
};

// Runs the pack's examples, every one of them, in file order.
std::vector<ExampleResult> RunExampleCases(const RulePack& pack);

// Runs the pack's examples; returns one "file:line: example <id>: <what>" per failure.
std::vector<std::string> RunExamples(const RulePack& pack);

}  // namespace wirescan::rules
