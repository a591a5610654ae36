#include "engine/daemon/cli.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/core/flags.h"
#include "engine/core/strings.h"
#include "engine/eval/eval_command.h"
#include "engine/extract/extractor.h"
#include "engine/parse/article_parser.h"
#include "engine/daemon/extract_command.h"
#include "engine/daemon/output_schemas.h"
#include "engine/daemon/run.h"
#include "engine/rules/rule_pack.h"

namespace wirescan::daemon {

std::string DefaultRulesDir() {
  if (const char* env = std::getenv("WIRESCAN_RULES"); env != nullptr && *env != '\0') return env;
  // Installed layout first (bin/../share/wirescan/rules), then the source tree it was built from.
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    auto share = exe.parent_path().parent_path() / "share" / "wirescan" / "rules";
    if (std::filesystem::is_directory(share, ec)) return share.string();
  }
  return WIRESCAN_DEFAULT_RULES_DIR;
}

namespace {

constexpr std::string_view kMainUsage = R"(wirescan - turns news articles into structured events

Usage:
  wirescan run [--config FILE] [--exit-when-idle]
  wirescan extract [--rules DIR] [--format json|protobuf] [options] [FILE... | -]
  wirescan rules check [DIR]
  wirescan rules eval [--rules DIR] [--topics FILE] [options] FILE...
  wirescan schema analysis|event
  wirescan --version
  wirescan COMMAND --help

Commands:
  run           the streaming daemon (Kafka in, Protobuf out); without --config, an embedded
                demo broker loaded with the sample articles, printing events as JSON lines
  extract       analyse articles from files (plain text, .jsonl/.ndjson) and print one
                ArticleAnalysis per article
  rules check   validate and compile a rule pack and run its examples
  rules eval    measure a rule pack on labelled articles (precision, recall, F1)
  schema        print the Protobuf schema registered for confluent_protobuf outputs
)";

constexpr std::string_view kRulesUsage = R"(Usage: wirescan rules check [DIR]
       wirescan rules eval [options] FILE...   (see wirescan rules eval --help)

Parses, validates and compiles the rule pack in DIR (default: the shipped pack), then runs its
examples like unit tests. Prints file:line messages and exits 1 on any failure.
)";

int Usage(std::string_view message, std::string_view usage) {
  std::cerr << "wirescan: " << message << "\n\n" << usage;
  return 2;
}

int RunRulesCheck(std::vector<std::string> args) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    if (!args.empty()) {
      std::cout << kRulesUsage;
      return 0;
    }
    return Usage("rules: missing subcommand (check)", kRulesUsage);
  }
  if (args[0] == "eval") {
    return eval::RunEvalCommand({args.begin() + 1, args.end()}, DefaultRulesDir(), std::cout,
                                std::cerr);
  }
  if (args[0] != "check") return Usage("rules: unknown subcommand " + args[0], kRulesUsage);
  std::string dir = DefaultRulesDir();
  for (size_t i = 1; i < args.size(); ++i) {
    if (args[i] == "--help" || args[i] == "-h") {
      std::cout << kRulesUsage;
      return 0;
    }
    if (args[i].size() > 1 && args[i][0] == '-') return Usage("unknown option " + args[i], kRulesUsage);
    dir = args[i];
  }
  auto pack = rules::LoadRulePack(dir);
  if (!pack.ok()) {
    std::cerr << pack.status().message() << "\n";
    return 1;
  }
  const rules::RulePackStats& st = (*pack)->stats;
  std::vector<std::string> failures = rules::RunExamples(**pack);
  for (const std::string& f : failures) std::cerr << f << "\n";
  std::cout << dir << ": version " << (*pack)->version << ": " << st.files << " files, "
            << st.entities << " entities (" << st.organisations << " organisations, " << st.aliases
            << " aliases), " << st.patterns << " patterns, " << st.figure_tokens
            << " figure words, " << st.events << " event rules, database "
            << st.database_bytes << " bytes\n";
  std::cout << st.examples << " example(s) run, " << failures.size() << " failure(s)\n";
  return failures.empty() ? 0 : 1;
}

}  // namespace

int RunCli(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) return Usage("missing command", kMainUsage);
  const std::string cmd = args[0];
  args.erase(args.begin());
  if (cmd == "--version" || cmd == "version") {
    std::cout << "wirescan " << WIRESCAN_VERSION << "\n";
    return 0;
  }
  if (cmd == "--help" || cmd == "-h" || cmd == "help") {
    std::cout << kMainUsage;
    return 0;
  }
  if (cmd == "extract") return RunExtract(std::move(args));
  if (cmd == "run") return RunDaemon(std::move(args));
  if (cmd == "rules") return RunRulesCheck(std::move(args));
  if (cmd == "schema") return RunSchemaCommand(args);
  return Usage("unknown command " + cmd, kMainUsage);
}

}  // namespace wirescan::daemon
