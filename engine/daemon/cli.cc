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
#include "engine/emit/output_writer.h"
#include "engine/eval/eval_command.h"
#include "engine/extract/extractor.h"
#include "engine/parse/article_parser.h"
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
  wirescan --version
  wirescan COMMAND --help

Commands:
  run           the streaming daemon (Kafka in, Protobuf out); without --config, an embedded
                demo broker loaded with the sample articles, printing events as JSON lines
  extract       analyse articles from files (plain text, .jsonl/.ndjson) and print one
                ArticleAnalysis per article
  rules check   validate and compile a rule pack and run its examples
  rules eval    measure a rule pack on labelled articles (precision, recall, F1)
)";

constexpr std::string_view kExtractUsage = R"(Usage: wirescan extract [options] [FILE... | -]

Analyses articles and writes one wirescan.v1.ArticleAnalysis per article to stdout.

Input: a FILE ending in .jsonl or .ndjson holds one JSON article per line (fields id, title,
body, source, url, published_at); any other FILE is one plain-text article (first non-empty
line the title, the rest the body; id = the file's base name). '-' (or no FILE) reads stdin:
JSON lines if it starts with '{', else one plain-text article.

Options:
  --rules DIR           rule pack directory (default: the shipped pack, or $WIRESCAN_RULES)
  --format FMT          json (canonical Protobuf JSON, one object per line; default) or
                        protobuf (length-delimited binary)
  --field NAME=KEY      JSON field mapping, e.g. --field body=content (names: id, title, body,
                        source, url, published_at)
  --source NAME         article source for plain-text input (selects ambiguous currencies)
  --include-text        copy the body into article.body
  --events-only         print events (one wirescan.v1.Event per line) instead of analyses
  --max-record-bytes N  larger JSON records are rejected (default 4194304)
  --help
Exit status: 0 if every record was analysed, 1 if some were rejected (reported on stderr),
2 on a usage error.
)";

constexpr std::string_view kRulesUsage = R"(Usage: wirescan rules check [DIR]
       wirescan rules eval [options] FILE...   (see wirescan rules eval --help)

Parses, validates and compiles the rule pack in DIR (default: the shipped pack), then runs its
examples like unit tests. Prints file:line messages and exits 1 on any failure.
)";

bool ReadFile(const std::string& path, std::string* out) {
  if (path == "-") {
    std::stringstream buf;
    buf << std::cin.rdbuf();
    *out = buf.str();
    return true;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::stringstream buf;
  buf << in.rdbuf();
  *out = buf.str();
  return true;
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

struct ExtractArgs {
  std::string rules_dir;
  emit::OutputFormat format = emit::OutputFormat::kJson;
  parse::FieldMapping mapping;
  std::string source;
  bool include_text = false;
  bool events_only = false;
  size_t max_record_bytes = parse::JsonArticleParser::kDefaultMaxRecordBytes;
  std::vector<std::string> files;
};

int Usage(std::string_view message, std::string_view usage) {
  std::cerr << "wirescan: " << message << "\n\n" << usage;
  return 2;
}

using core::MatchesFlag;
using core::TakeValue;

class ExtractCommand {
 public:
  explicit ExtractCommand(ExtractArgs args) : args_(std::move(args)) {}

  int Run() {
    auto pack = rules::LoadRulePack(args_.rules_dir);
    if (!pack.ok()) {
      std::cerr << "wirescan: cannot load rules: " << pack.status().message() << "\n";
      return 1;
    }
    pack_ = *pack;
    extractor_ = std::make_unique<extract::Extractor>(pack_->rules, pack_->model);
    parser_ = std::make_unique<parse::JsonArticleParser>(args_.mapping, args_.max_record_bytes);
    writer_ = std::make_unique<emit::OutputWriter>(&std::cout, args_.format);
    if (args_.files.empty()) args_.files.push_back("-");
    for (const std::string& file : args_.files) {
      if (!ProcessFile(file)) return 1;
    }
    std::cout.flush();
    if (rejected_ > 0) {
      std::cerr << "wirescan: " << analysed_ << " article(s) analysed, " << rejected_
                << " record(s) rejected\n";
      return 1;
    }
    return 0;
  }

 private:
  bool ProcessFile(const std::string& file) {
    std::string content;
    if (!ReadFile(file, &content)) {
      std::cerr << "wirescan: cannot read " << file << "\n";
      ++rejected_;
      return true;
    }
    bool json_lines = EndsWith(file, ".jsonl") || EndsWith(file, ".ndjson");
    if (file == "-") {
      size_t first = content.find_first_not_of(" \t\r\n");
      json_lines = first != std::string::npos && content[first] == '{';
    }
    if (!json_lines) {
      std::string id = file == "-" ? "stdin" : std::filesystem::path(file).filename().string();
      core::ArticleView view = parse::ParsePlainText(content, id);
      view.source = args_.source;
      return Emit(view);
    }
    std::string_view rest = content;
    size_t line_no = 0;
    std::string detail;
    while (!rest.empty()) {
      size_t nl = rest.find('\n');
      std::string_view line = rest.substr(0, nl);
      rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
      ++line_no;
      if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
      core::ArticleView view;
      parse::RecordError err = parser_->Parse(line, &view, &detail);
      if (err != parse::RecordError::kOk) {
        std::cerr << file << ":" << line_no << ": rejected (" << parse::RecordErrorName(err)
                  << "): " << detail << "\n";
        ++rejected_;
        continue;
      }
      std::string fallback_id;
      if (view.id.empty()) {
        fallback_id = absl::StrCat(std::filesystem::path(file).filename().string(), ":", line_no);
        view.id = fallback_id;
      }
      if (!Emit(view)) return false;
    }
    return true;
  }

  bool Emit(const core::ArticleView& view) {
    absl::StatusOr<const v1::ArticleAnalysis*> r =
        extractor_->Analyze(view, {.include_text = args_.include_text});
    if (!r.ok()) {
      std::cerr << "wirescan: " << view.id << ": " << r.status().message() << "\n";
      ++rejected_;
      return true;
    }
    const v1::ArticleAnalysis& analysis = **r;
    ++analysed_;
    if (args_.events_only) {
      for (const auto& e : analysis.events()) {
        if (absl::Status w = writer_->Write(e); !w.ok()) return WriteFailed(w);
      }
      return true;
    }
    if (absl::Status w = writer_->Write(analysis); !w.ok()) return WriteFailed(w);
    return true;
  }

  bool WriteFailed(const absl::Status& s) {
    std::cerr << "wirescan: " << s.message() << "\n";
    return false;
  }

  ExtractArgs args_;
  std::shared_ptr<const rules::RulePack> pack_;
  std::unique_ptr<extract::Extractor> extractor_;
  std::unique_ptr<parse::JsonArticleParser> parser_;
  std::unique_ptr<emit::OutputWriter> writer_;
  size_t analysed_ = 0;
  size_t rejected_ = 0;
};

int RunExtract(std::vector<std::string> args) {
  ExtractArgs a;
  a.rules_dir = DefaultRulesDir();
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    std::string value;
    if (arg == "--help" || arg == "-h") {
      std::cout << kExtractUsage;
      return 0;
    } else if (MatchesFlag(arg, "--rules")) {
      if (!TakeValue(args, &i, "--rules", &a.rules_dir)) return Usage("--rules needs a directory", kExtractUsage);
    } else if (MatchesFlag(arg, "--format")) {
      if (!TakeValue(args, &i, "--format", &value) || !emit::ParseOutputFormat(value, &a.format)) {
        return Usage("--format must be json or protobuf", kExtractUsage);
      }
    } else if (MatchesFlag(arg, "--field")) {
      size_t eq;
      if (!TakeValue(args, &i, "--field", &value) || (eq = value.find('=')) == std::string::npos) {
        return Usage("--field needs NAME=KEY", kExtractUsage);
      }
      std::string name = value.substr(0, eq), key = value.substr(eq + 1);
      std::string* target = name == "id" ? &a.mapping.id
                            : name == "title" ? &a.mapping.title
                            : name == "body" ? &a.mapping.body
                            : name == "source" ? &a.mapping.source
                            : name == "url" ? &a.mapping.url
                            : name == "published_at" ? &a.mapping.published_at
                                                     : nullptr;
      if (target == nullptr || key.empty()) return Usage("unknown --field " + name, kExtractUsage);
      *target = key;
    } else if (MatchesFlag(arg, "--source")) {
      if (!TakeValue(args, &i, "--source", &a.source)) return Usage("--source needs a value", kExtractUsage);
    } else if (MatchesFlag(arg, "--max-record-bytes")) {
      if (!TakeValue(args, &i, "--max-record-bytes", &value)) {
        return Usage("--max-record-bytes needs a number", kExtractUsage);
      }
      char* end = nullptr;
      unsigned long long n = std::strtoull(value.c_str(), &end, 10);
      if (value.empty() || *end != '\0' || n == 0) {
        return Usage("--max-record-bytes needs a positive number", kExtractUsage);
      }
      a.max_record_bytes = n;
    } else if (arg == "--include-text") {
      a.include_text = true;
    } else if (arg == "--events-only") {
      a.events_only = true;
    } else if (arg.size() > 1 && arg[0] == '-') {
      return Usage("unknown option " + arg, kExtractUsage);
    } else {
      a.files.push_back(arg);
    }
  }
  return ExtractCommand(std::move(a)).Run();
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
  return Usage("unknown command " + cmd, kMainUsage);
}

}  // namespace wirescan::daemon
