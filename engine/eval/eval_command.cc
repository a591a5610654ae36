#include "engine/eval/eval_command.h"

#include <cstdlib>
#include <fstream>
#include <limits>
#include <ostream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "engine/core/flags.h"
#include "engine/core/strings.h"
#include "engine/eval/eval.h"
#include "engine/rules/rule_pack.h"

namespace wirescan::eval {

const std::string_view kEvalUsage =
    R"(Usage: wirescan rules eval [options] FILE...

Runs a rule pack over labelled NDJSON articles (an article per line, as `wirescan extract`
reads them, with a `labels` object: proto/wirescan/v1/eval.proto) and prints precision, recall
and F1 per document topic, event type, slot and mention type, then the misses and false alarms.

Options:
  --rules DIR        rule pack directory (default: the shipped pack, or $WIRESCAN_RULES)
  --topics FILE      topic -> event types mapping (YAML), for document-level labels such as
                     Reuters TOPICS (tests/eval/reuters_topics.yaml)
  --split NAME       score only articles whose labels.split is NAME (TRAIN, TEST)
  --show N|all       misses and false alarms listed per class (default 10; 0: none)
  --min METRIC=V     exit 1 unless METRIC >= V (repeatable); METRIC is topic.<topic>.<m>,
                     event.<type>.<m>, events.<m>, slot.<type>.<slot>.<m>, mention.<TYPE>.<m>
                     (<m>: precision, recall, f1) or slots.accuracy
  --max METRIC=V     exit 1 unless METRIC <= V: events.duplicates, events.background, ...
  --help
Exit status: 0; 1 if a check fails, a file cannot be read or a line is not a labelled article;
2 on a usage error.
)";

namespace {

struct Check {
  std::string metric;
  double bound;
  bool is_min;
};

int Usage(std::ostream& err, std::string_view message) {
  err << "wirescan: " << message << "\n\n" << kEvalUsage;
  return 2;
}

}  // namespace

int RunEvalCommand(const std::vector<std::string>& args, const std::string& default_rules_dir,
                   std::ostream& out, std::ostream& err) {
  std::string rules_dir = default_rules_dir, topics_file, split;
  size_t show = 10;
  std::vector<Check> checks;
  std::vector<std::string> files;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    std::string v;
    if (a == "--help" || a == "-h") {
      out << kEvalUsage;
      return 0;
    } else if (core::MatchesFlag(a, "--rules")) {
      if (!core::TakeValue(args, &i, "--rules", &rules_dir)) return Usage(err, "--rules needs a directory");
    } else if (core::MatchesFlag(a, "--topics")) {
      if (!core::TakeValue(args, &i, "--topics", &topics_file)) return Usage(err, "--topics needs a file");
    } else if (core::MatchesFlag(a, "--split")) {
      if (!core::TakeValue(args, &i, "--split", &split) || split.empty()) {
        return Usage(err, "--split needs a name");
      }
    } else if (core::MatchesFlag(a, "--show")) {
      if (!core::TakeValue(args, &i, "--show", &v)) return Usage(err, "--show needs a number or 'all'");
      if (v == "all") {
        show = std::numeric_limits<size_t>::max();
      } else if (uint64_t n; absl::SimpleAtoi(v, &n)) {
        show = n;
      } else {
        return Usage(err, "--show needs a number or 'all'");
      }
    } else if (core::MatchesFlag(a, "--min") || core::MatchesFlag(a, "--max")) {
      const bool is_min = core::MatchesFlag(a, "--min");
      std::string_view flag = is_min ? "--min" : "--max";
      size_t eq;
      double bound;
      if (!core::TakeValue(args, &i, flag, &v) || (eq = v.find('=')) == std::string::npos ||
          !absl::SimpleAtod(v.substr(eq + 1), &bound)) {
        return Usage(err, absl::StrCat(core::Sv(flag), " needs METRIC=VALUE"));
      }
      checks.push_back({v.substr(0, eq), bound, is_min});
    } else if (a.size() > 1 && a[0] == '-') {
      return Usage(err, "unknown option " + a);
    } else {
      files.push_back(a);
    }
  }
  if (files.empty()) return Usage(err, "no labelled article file");

  auto pack = rules::LoadRulePack(rules_dir);
  if (!pack.ok()) {
    err << "wirescan: cannot load rules: " << pack.status().message() << "\n";
    return 1;
  }
  v1::eval::TopicMapping topics;
  if (!topics_file.empty()) {
    auto loaded = LoadTopicMapping(topics_file);
    if (!loaded.ok()) {
      err << "wirescan: " << loaded.status().message() << "\n";
      return 1;
    }
    topics = *std::move(loaded);
  }
  Evaluator evaluator(*pack, topics, split);
  bool failed = false;
  for (const std::string& file : files) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
      err << "wirescan: cannot read " << file << "\n";
      failed = true;
      continue;
    }
    std::string line;
    size_t line_no = 0;
    while (std::getline(in, line)) {
      ++line_no;
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      absl::Status s = evaluator.AddLine(line);
      if (!s.ok()) {
        err << file << ":" << line_no << ": " << s.message() << "\n";
        failed = true;
      }
    }
  }
  const Report& report = evaluator.report();
  out << "rules " << rules_dir << " (version " << (*pack)->version << ")"
      << (split.empty() ? "" : absl::StrCat(", split ", split)) << "\n";
  out << report.Format(show);
  for (const Check& c : checks) {
    std::optional<double> v = report.Metric(c.metric);
    bool ok = v.has_value() && (c.is_min ? *v >= c.bound : *v <= c.bound);
    out << absl::StrFormat("check %s %s %g: %s (%s)\n", c.metric, c.is_min ? ">=" : "<=", c.bound,
                           ok ? "ok" : "FAILED",
                           v.has_value() ? absl::StrFormat("%.4f", *v) : "not measured");
    failed |= !ok;
  }
  return failed ? 1 : 0;
}

}  // namespace wirescan::eval
