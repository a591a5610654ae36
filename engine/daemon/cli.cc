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
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "engine/core/flags.h"
#include "engine/core/strings.h"
#include "engine/eval/eval_command.h"
#include "engine/extract/extractor.h"
#include "engine/parse/article_parser.h"
#include "engine/daemon/config_command.h"
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
  wirescan rules check [DIR] [--junit FILE]
  wirescan config check FILE
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
  config check  validate a daemon configuration and its rule pack without connecting
  rules eval    measure a rule pack on labelled articles (precision, recall, F1)
  schema        print the Protobuf schema registered for confluent_protobuf outputs
)";

constexpr std::string_view kRulesUsage = R"(Usage: wirescan rules check [DIR] [--junit FILE]
       wirescan rules eval [options] FILE...   (see wirescan rules eval --help)

Parses, validates and compiles the rule pack in DIR (default: the shipped pack), then runs its
examples like unit tests. Prints every problem as a file:line message on stderr (all of them:
the parse errors of every file, else every rule's and example's) and exits 1 on any failure.
  --junit FILE   also write a JUnit XML report to FILE: one test case per example (class: its
                 rule file) and one per rule file that failed to load
)";

std::string XmlEscaped(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default:
        // XML 1.0 allows no other control characters.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t') {
          out += ' ';
        } else {
          out += c;
        }
    }
  }
  return out;
}

// A JUnit XML report (the format Jenkins, GitLab and GitHub reporters read) of one rules
// check: the load errors, one test case per file they name, then the examples.
std::string JUnitReport(const std::string& dir, const std::vector<std::string>& load_errors,
                        const std::vector<rules::ExampleResult>& examples) {
  struct Case {
    std::string classname, name;
    std::vector<std::string> failures;
  };
  std::vector<Case> cases;
  for (const std::string& error : load_errors) {
    // "file:line: ..." -> the file; an error without a location belongs to the pack.
    std::string file = dir;
    if (size_t colon = error.find(':'); colon != std::string::npos && colon > 0) {
      file = error.substr(0, colon);
    }
    if (cases.empty() || cases.back().name != file) {
      cases.push_back({"load", file, {}});
    }
    cases.back().failures.push_back(error);
  }
  for (const rules::ExampleResult& ex : examples) {
    cases.push_back({ex.file, ex.id, ex.failures});
  }
  size_t failed = 0;
  for (const Case& c : cases) failed += c.failures.empty() ? 0 : 1;
  std::string xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  absl::StrAppend(&xml, "<testsuites name=\"wirescan rules check\" tests=\"", cases.size(),
                  "\" failures=\"", failed, "\">\n");
  absl::StrAppend(&xml, "  <testsuite name=\"", XmlEscaped(dir), "\" tests=\"", cases.size(),
                  "\" failures=\"", failed, "\" errors=\"0\" skipped=\"0\">\n");
  for (const Case& c : cases) {
    absl::StrAppend(&xml, "    <testcase classname=\"", XmlEscaped(c.classname), "\" name=\"",
                    XmlEscaped(c.name), "\"");
    if (c.failures.empty()) {
      xml += "/>\n";
      continue;
    }
    std::string text = absl::StrJoin(c.failures, "\n");
    absl::StrAppend(&xml, ">\n      <failure message=\"", XmlEscaped(c.failures[0]), "\">",
                    XmlEscaped(text), "</failure>\n    </testcase>\n");
  }
  xml += "  </testsuite>\n</testsuites>\n";
  return xml;
}

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
  std::string junit;
  for (size_t i = 1; i < args.size(); ++i) {
    if (args[i] == "--help" || args[i] == "-h") {
      std::cout << kRulesUsage;
      return 0;
    }
    if (args[i] == "--junit" && i + 1 < args.size()) {
      junit = args[++i];
      continue;
    }
    if (args[i].rfind("--junit=", 0) == 0) {
      junit = args[i].substr(8);
      continue;
    }
    if (args[i].size() > 1 && args[i][0] == '-') return Usage("unknown option " + args[i], kRulesUsage);
    dir = args[i];
  }
  auto write_junit = [&](const std::vector<std::string>& load_errors,
                         const std::vector<rules::ExampleResult>& examples) {
    if (junit.empty()) return true;
    std::ofstream out(junit, std::ios::binary | std::ios::trunc);
    out << JUnitReport(dir, load_errors, examples);
    out.close();
    if (!out) std::cerr << "wirescan: " << junit << ": cannot write the JUnit report\n";
    return static_cast<bool>(out);
  };
  auto pack = rules::LoadRulePack(dir);
  if (!pack.ok()) {
    std::vector<std::string> errors = absl::StrSplit(pack.status().message(), '\n');
    for (const std::string& e : errors) std::cerr << e << "\n";
    std::cerr << errors.size() << " error(s)\n";
    write_junit(errors, {});
    return 1;
  }
  const rules::RulePackStats& st = (*pack)->stats;
  std::vector<rules::ExampleResult> examples = rules::RunExampleCases(**pack);
  std::vector<std::string> failures;
  for (const rules::ExampleResult& ex : examples) {
    failures.insert(failures.end(), ex.failures.begin(), ex.failures.end());
  }
  for (const std::string& f : failures) std::cerr << f << "\n";
  std::cout << dir << ": version " << (*pack)->version << ": " << st.files << " files, "
            << st.entities << " entities (" << st.organisations << " organisations, " << st.aliases
            << " aliases), " << st.patterns << " patterns, " << st.figure_tokens
            << " figure words, " << st.events << " event rules, database "
            << st.database_bytes << " bytes\n";
  std::cout << st.examples << " example(s) run, " << failures.size() << " failure(s)\n";
  if (!write_junit({}, examples)) return 1;
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
  if (cmd == "config") return RunConfigCommand(std::move(args));
  return Usage("unknown command " + cmd, kMainUsage);
}

}  // namespace wirescan::daemon
