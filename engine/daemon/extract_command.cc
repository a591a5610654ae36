#include "engine/daemon/extract_command.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "engine/core/flags.h"
#include "engine/core/line_reader.h"
#include "engine/emit/output_writer.h"
#include "engine/parse/article_parser.h"
#include "engine/pipeline/record_processor.h"
#include "engine/rules/rule_pack.h"

namespace wirescan::daemon {

std::string DefaultRulesDir();  // cli.cc

std::string DefaultRulesCacheDir() {
  if (const char* env = std::getenv("WIRESCAN_RULES_CACHE"); env != nullptr) return env;
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg != nullptr && *xdg == '/') {
    return absl::StrCat(xdg, "/wirescan/rules");
  }
  if (const char* home = std::getenv("HOME"); home != nullptr && *home == '/') {
    return absl::StrCat(home, "/.cache/wirescan/rules");
  }
  return "";
}

namespace {

constexpr std::string_view kExtractUsage = R"(Usage: wirescan extract [options] [FILE... | -]

Analyses articles and writes one wirescan.v1.ArticleAnalysis per article to stdout.

Input: a FILE ending in .jsonl or .ndjson holds one JSON article per line (fields id, title,
body, source, url, published_at); any other FILE is one plain-text article (first non-empty
line the title, the rest the body; id = the file's base name). '-' (or no FILE) reads stdin:
JSON lines if it starts with '{', else one plain-text article. Input is read as a stream:
memory stays bounded whatever its size.

Options:
  --rules DIR           rule pack directory (default: the shipped pack, or $WIRESCAN_RULES)
  --rules-cache DIR     where compiled rule databases are kept between runs (default
                        $WIRESCAN_RULES_CACHE, else $XDG_CACHE_HOME/wirescan/rules, else
                        ~/.cache/wirescan/rules)
  --no-rules-cache      compile the rules, do not read or write a cache
  --format FMT          json (canonical Protobuf JSON, one object per line; default) or
                        protobuf (length-delimited binary)
  --field NAME=KEY      JSON field mapping, e.g. --field body=content (names: id, title, body,
                        source, url, published_at)
  --source NAME         article source for plain-text input (selects ambiguous currencies)
  --include-text        copy the body into article.body
  --events-only         print events (one wirescan.v1.Event per line) instead of analyses
  --max-record-bytes N  larger JSON records and plain-text articles are rejected
                        (default 4194304)
  --help
Exit status: 0 if every record was analysed, 1 if some were rejected (reported on stderr),
2 on a usage error.
)";

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

struct ExtractArgs {
  std::string rules_dir;
  std::string rules_cache_dir;
  emit::OutputFormat format = emit::OutputFormat::kJson;
  parse::FieldMapping mapping;
  std::string source;
  bool include_text = false;
  bool events_only = false;
  size_t max_record_bytes = parse::JsonArticleParser::kDefaultMaxRecordBytes;
  std::vector<std::string> files;
};

int Usage(std::string_view message) {
  std::cerr << "wirescan: " << message << "\n\n" << kExtractUsage;
  return 2;
}

using core::LineReader;
using core::MatchesFlag;
using core::TakeValue;

// Closes a descriptor it opened (not stdin).
class InputFile {
 public:
  explicit InputFile(const std::string& path)
      : fd_(path == "-" ? 0 : ::open(path.c_str(), O_RDONLY | O_CLOEXEC)), owned_(path != "-") {}
  ~InputFile() {
    if (owned_ && fd_ >= 0) ::close(fd_);
  }
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;
  int fd() const { return fd_; }

 private:
  const int fd_;
  const bool owned_;
};

class ExtractCommand {
 public:
  explicit ExtractCommand(ExtractArgs args) : args_(std::move(args)) {}

  int Run() {
    auto pack = rules::LoadRulePack(args_.rules_dir, args_.rules_cache_dir);
    if (!pack.ok()) {
      std::cerr << "wirescan: cannot load rules: " << pack.status().message() << "\n";
      return 1;
    }
    // Parse -> extract as the daemon does it (pipeline::RecordProcessor), with no time budget.
    options_.fields = args_.mapping;
    options_.max_record_bytes = args_.max_record_bytes;
    options_.include_text = args_.include_text;
    options_.record_budget_ms = 0;
    processor_ = std::make_unique<pipeline::RecordProcessor>(&options_, *pack);
    writer_ = std::make_unique<emit::OutputWriter>(&std::cout, args_.format);
    if (args_.files.empty()) args_.files.push_back("-");
    for (const std::string& file : args_.files) {
      if (!ProcessFile(file)) return 1;
    }
    if (absl::Status s = writer_->Flush(); !s.ok()) {
      WriteFailed(s);
      return 1;
    }
    if (rejected_ > 0) {
      std::cerr << "wirescan: " << analysed_ << " article(s) analysed, " << rejected_
                << " record(s) rejected\n";
      return 1;
    }
    return 0;
  }

 private:
  // False stops the run (the output cannot be written).
  bool ProcessFile(const std::string& file) {
    InputFile in(file);
    if (in.fd() < 0) {
      std::cerr << "wirescan: cannot read " << file << ": " << std::strerror(errno) << "\n";
      ++rejected_;
      return true;
    }
    LineReader reader(in.fd(), args_.max_record_bytes);
    bool json_lines = EndsWith(file, ".jsonl") || EndsWith(file, ".ndjson");
    if (file == "-") {
      // Sniff the first non-blank byte (within the first record's worth of input).
      std::string_view head;
      for (size_t n = 4096;; n *= 4) {
        head = reader.Peek(n);
        if (head.find_first_not_of(" \t\r\n") != std::string_view::npos || head.size() < n ||
            n > args_.max_record_bytes) {
          break;
        }
      }
      size_t first = head.find_first_not_of(" \t\r\n");
      json_lines = first != std::string_view::npos && head[first] == '{';
    }
    if (!json_lines) return ProcessPlainText(file, &reader);
    const std::string base = std::filesystem::path(file).filename().string();
    std::string_view line;
    size_t line_no = 0, size = 0;
    while (true) {
      LineReader::Result r = reader.Next(&line, &line_no, &size);
      if (r == LineReader::Result::kEnd) break;
      if (r == LineReader::Result::kError) {
        std::cerr << "wirescan: cannot read " << file << ": " << std::strerror(reader.error())
                  << "\n";
        ++rejected_;
        break;
      }
      if (r == LineReader::Result::kOversized) {
        std::cerr << file << ":" << line_no << ": rejected (too_large): record of " << size
                  << " bytes exceeds the limit of " << args_.max_record_bytes << "\n";
        ++rejected_;
        continue;
      }
      if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
      pipeline::Outcome o = processor_->Analyse(
          line, /*plain_text=*/false, [&] { return absl::StrCat(base, ":", line_no); }, nullptr);
      if (o == pipeline::Outcome::kDeadLetter && processor_->reason() != pipeline::kExtractFailed) {
        std::cerr << file << ":" << line_no << ": rejected (" << processor_->reason()
                  << "): " << processor_->detail() << "\n";
        ++rejected_;
        continue;
      }
      if (!Emit(o)) return false;
    }
    return true;
  }

  // One plain-text article: the whole input, up to max_record_bytes.
  bool ProcessPlainText(const std::string& file, LineReader* reader) {
    std::string_view text;
    size_t size = 0;
    LineReader::Result r = reader->Rest(&text, &size);
    if (r == LineReader::Result::kError) {
      std::cerr << "wirescan: cannot read " << file << ": " << std::strerror(reader->error())
                << "\n";
      ++rejected_;
      return true;
    }
    if (r == LineReader::Result::kOversized) {
      std::cerr << file << ": rejected (too_large): article of " << size
                << " bytes exceeds the limit of " << args_.max_record_bytes << "\n";
      ++rejected_;
      return true;
    }
    if (r == LineReader::Result::kEnd) text = {};  // an empty file: an empty article
    std::string id = file == "-" ? "stdin" : std::filesystem::path(file).filename().string();
    core::ArticleView view = parse::ParsePlainText(text, id);
    view.source = args_.source;
    return Emit(processor_->AnalyseView(view, nullptr));
  }

  // Writes the analysis (or its events) of the record just analysed (`outcome`).
  bool Emit(pipeline::Outcome outcome) {
    if (outcome != pipeline::Outcome::kAnalysed) {  // the extraction failed (not expected)
      std::cerr << "wirescan: " << processor_->article_id() << ": " << processor_->detail()
                << "\n";
      ++rejected_;
      return true;
    }
    const v1::ArticleAnalysis& analysis = *processor_->analysis();
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
  pipeline::ProcessorOptions options_;
  std::unique_ptr<pipeline::RecordProcessor> processor_;
  std::unique_ptr<emit::OutputWriter> writer_;
  size_t analysed_ = 0;
  size_t rejected_ = 0;
};

}  // namespace

int RunExtract(std::vector<std::string> args) {
  ExtractArgs a;
  a.rules_dir = DefaultRulesDir();
  a.rules_cache_dir = DefaultRulesCacheDir();
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    std::string value;
    if (arg == "--help" || arg == "-h") {
      std::cout << kExtractUsage;
      return 0;
    } else if (MatchesFlag(arg, "--rules")) {
      if (!TakeValue(args, &i, "--rules", &a.rules_dir)) return Usage("--rules needs a directory");
    } else if (MatchesFlag(arg, "--rules-cache")) {
      if (!TakeValue(args, &i, "--rules-cache", &a.rules_cache_dir) || a.rules_cache_dir.empty()) {
        return Usage("--rules-cache needs a directory");
      }
    } else if (arg == "--no-rules-cache") {
      a.rules_cache_dir.clear();
    } else if (MatchesFlag(arg, "--format")) {
      if (!TakeValue(args, &i, "--format", &value) || !emit::ParseOutputFormat(value, &a.format)) {
        return Usage("--format must be json or protobuf");
      }
    } else if (MatchesFlag(arg, "--field")) {
      size_t eq;
      if (!TakeValue(args, &i, "--field", &value) || (eq = value.find('=')) == std::string::npos) {
        return Usage("--field needs NAME=KEY");
      }
      std::string name = value.substr(0, eq), key = value.substr(eq + 1);
      std::string* target = name == "id" ? &a.mapping.id
                            : name == "title" ? &a.mapping.title
                            : name == "body" ? &a.mapping.body
                            : name == "source" ? &a.mapping.source
                            : name == "url" ? &a.mapping.url
                            : name == "published_at" ? &a.mapping.published_at
                                                     : nullptr;
      if (target == nullptr || key.empty()) return Usage("unknown --field " + name);
      *target = key;
    } else if (MatchesFlag(arg, "--source")) {
      if (!TakeValue(args, &i, "--source", &a.source)) return Usage("--source needs a value");
    } else if (MatchesFlag(arg, "--max-record-bytes")) {
      if (!TakeValue(args, &i, "--max-record-bytes", &value)) {
        return Usage("--max-record-bytes needs a number");
      }
      char* end = nullptr;
      unsigned long long n = std::strtoull(value.c_str(), &end, 10);
      if (value.empty() || *end != '\0' || n == 0) {
        return Usage("--max-record-bytes needs a positive number");
      }
      a.max_record_bytes = n;
    } else if (arg == "--include-text") {
      a.include_text = true;
    } else if (arg == "--events-only") {
      a.events_only = true;
    } else if (arg.size() > 1 && arg[0] == '-') {
      return Usage("unknown option " + arg);
    } else {
      a.files.push_back(arg);
    }
  }
  return ExtractCommand(std::move(a)).Run();
}

}  // namespace wirescan::daemon
