// Microbenchmarks of the extraction path, on the real corpora converted to NDJSON
// (tests/tools/corpus_to_ndjson.py; perf/run_micro.sh does the conversion) and on the dense
// corpus of our own (perf/dense_corpus.py: EN and ZH supply-chain articles at the seeds'
// density, ~18 mentions/KB against Reuters' ~9):
//
//   BM_HsScanEmptyCallback  bare hs_scan on the rule set's database, callback returns 0: the ceiling
//   BM_MatcherScan          Matcher::Scan (hit collection, boundary checks, sentence ends)
//   BM_FigureAssembly       AssembleFigures on precomputed token hits (the figure normaliser alone)
//   BM_ParseOnly            JsonArticleParser::Parse on the raw NDJSON lines
//   BM_Extract              parse + Extractor::Analyze + SerializeToString, whole articles
//   BM_Serialize            SerializeToString of precomputed analyses (the Protobuf share)
//   BM_LoadRulePack/compiled  rules::LoadRulePack(dir, cache_dir) with an empty cache dir (parse,
//                           validate, compile the Hyperscan databases, write the cache): a cold start
//   BM_LoadRulePack/cached  the same with a warm cache dir (databases deserialised): a restart
//
// Every benchmark reports bytes/s over the same input bytes: the title and body bytes for the
// matcher benchmarks, the raw record bytes for those that start from JSON. Inputs come from the
// environment: WIRESCAN_BENCH_EN, WIRESCAN_BENCH_ZH and WIRESCAN_BENCH_DENSE (NDJSON paths; the
// benchmarks are named .../en, .../zh, .../dense); WIRESCAN_RULES (default
// "rules", i.e. run from the repository root). A missing input skips its benchmarks.
// WIRESCAN_BENCH_CACHE: the parent of the rule-pack cache dirs (default "build/perf-cache").
//
// Thread safety: single-threaded; the corpora are loaded once, before the benchmarks run.

#include <hs.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "benchmark/benchmark.h"
#include "engine/core/article.h"
#include "engine/extract/extractor.h"
#include "engine/extract/figures.h"
#include "engine/match/rule_set.h"
#include "engine/parse/article_parser.h"
#include "engine/rules/rule_pack.h"
#include "wirescan/v1/analysis.pb.h"

namespace wirescan {
namespace {

struct Corpus {
  bool loaded = false;
  std::string error;                 // why it is not loaded
  std::vector<std::string> records;  // raw NDJSON lines
  size_t record_bytes = 0;
  // Fields (title, body) of every parsed record, owned here so the views stay valid.
  std::vector<std::string> fields;
  size_t field_bytes = 0;
  // Owned copies of the parsed articles' strings for the Analyze-only paths.
  struct Owned {
    std::string id, title, body, source;
  };
  std::vector<Owned> articles;
};

std::shared_ptr<const rules::RulePack>& Pack() {
  static std::shared_ptr<const rules::RulePack> pack;
  return pack;
}
std::string& PackError() {
  static std::string error;
  return error;
}

std::map<std::string, Corpus>& Corpora() {
  static std::map<std::string, Corpus> corpora;
  return corpora;
}

void LoadCorpus(const std::string& lang, const char* env) {
  Corpus& c = Corpora()[lang];
  const char* path = std::getenv(env);
  if (path == nullptr || *path == '\0') {
    c.error = std::string(env) + " not set (an NDJSON file from tests/tools/corpus_to_ndjson.py)";
    return;
  }
  std::ifstream in(path);
  if (!in) {
    c.error = std::string("cannot open ") + path;
    return;
  }
  parse::JsonArticleParser parser;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    core::ArticleView view;
    if (parser.Parse(line, &view) != parse::RecordError::kOk) continue;
    c.articles.push_back({std::string(view.id), std::string(view.title), std::string(view.body),
                          std::string(view.source)});
    if (!view.title.empty()) c.fields.emplace_back(view.title);
    c.fields.emplace_back(view.body);
    c.field_bytes += view.title.size() + view.body.size();
    c.record_bytes += line.size();
    c.records.push_back(std::move(line));
  }
  if (c.records.empty()) {
    c.error = std::string("no articles in ") + path;
    return;
  }
  c.loaded = true;
}

// Returns the corpus, or null after skipping the benchmark.
const Corpus* Ready(benchmark::State& state, const std::string& lang, bool need_pack = true) {
  if (need_pack && Pack() == nullptr) {
    state.SkipWithError(("rule pack: " + PackError()).c_str());
    return nullptr;
  }
  const Corpus& c = Corpora()[lang];
  if (!c.loaded) {
    state.SkipWithError(c.error.c_str());
    return nullptr;
  }
  return &c;
}

int EmptyCallback(unsigned, unsigned long long, unsigned long long, unsigned, void*) { return 0; }

// Raw Hyperscan matches per pattern kind (before boundary checks): explains the ceiling.
struct RawCounts {
  const match::RuleSet* rules;
  size_t by_kind[5] = {0, 0, 0, 0, 0};
};
int CountingCallback(unsigned id, unsigned long long, unsigned long long, unsigned, void* ctx) {
  auto* c = static_cast<RawCounts*>(ctx);
  ++c->by_kind[static_cast<size_t>(c->rules->info(id).kind) % 5];
  return 0;
}

void BM_HsScanEmptyCallback(benchmark::State& state, const std::string& lang) {
  const Corpus* c = Ready(state, lang);
  if (c == nullptr) return;
  const hs_database_t* db = Pack()->rules->database();
  hs_scratch_t* scratch = nullptr;
  if (hs_alloc_scratch(db, &scratch) != HS_SUCCESS) {
    state.SkipWithError("hs_alloc_scratch failed");
    return;
  }
  RawCounts raw{Pack()->rules.get()};
  for (const std::string& f : c->fields) {
    hs_scan(db, f.data(), static_cast<unsigned>(f.size()), 0, scratch, CountingCallback, &raw);
  }
  for (auto _ : state) {
    for (const std::string& f : c->fields) {
      hs_error_t rc = hs_scan(db, f.data(), static_cast<unsigned>(f.size()), 0, scratch,
                              EmptyCallback, nullptr);
      benchmark::DoNotOptimize(rc);
    }
  }
  hs_free_scratch(scratch);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * c->field_bytes));
  // In the order of match::PatternKind.
  const char* kinds[5] = {"raw_entity", "raw_figure_token", "raw_trigger", "raw_regex",
                          "raw_date_word"};
  for (int k = 0; k < 5; ++k) state.counters[kinds[k]] = static_cast<double>(raw.by_kind[k]);
}

void BM_MatcherScan(benchmark::State& state, const std::string& lang) {
  const Corpus* c = Ready(state, lang);
  if (c == nullptr) return;
  match::Matcher matcher(Pack()->rules);
  match::Hits hits;
  size_t total_hits = 0;
  for (auto _ : state) {
    total_hits = 0;
    for (const std::string& f : c->fields) {
      absl::Status s = matcher.Scan(f, &hits);
      benchmark::DoNotOptimize(s);
      total_hits += hits.entities.size() + hits.tokens.size() + hits.triggers.size() +
                    hits.regexes.size() + hits.date_words.size();
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * c->field_bytes));
  state.counters["hits_per_pass"] = static_cast<double>(total_hits);
}

void BM_FigureAssembly(benchmark::State& state, const std::string& lang) {
  const Corpus* c = Ready(state, lang);
  if (c == nullptr) return;
  // Token hits computed once; the loop runs the figure normaliser alone.
  match::Matcher matcher(Pack()->rules);
  match::Hits hits;
  std::vector<std::vector<extract::TokenHit>> token_hits(c->fields.size());
  for (size_t i = 0; i < c->fields.size(); ++i) {
    if (!matcher.Scan(c->fields[i], &hits).ok()) continue;
    for (const match::Hit& h : hits.tokens) token_hits[i].push_back({h.begin, h.end, h.target});
  }
  const extract::FigureGrammar& grammar = Pack()->model->grammar;
  std::vector<extract::FigureMention> figures;
  size_t total = 0;
  for (auto _ : state) {
    total = 0;
    for (size_t i = 0; i < c->fields.size(); ++i) {
      figures.clear();
      extract::AssembleFigures(c->fields[i], token_hits[i], grammar, "", &figures);
      total += figures.size();
    }
    benchmark::DoNotOptimize(total);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * c->field_bytes));
  state.counters["figures_per_pass"] = static_cast<double>(total);
}

void BM_ParseOnly(benchmark::State& state, const std::string& lang) {
  const Corpus* c = Ready(state, lang, /*need_pack=*/false);
  if (c == nullptr) return;
  parse::JsonArticleParser parser;
  core::ArticleView view;
  for (auto _ : state) {
    for (const std::string& r : c->records) {
      parse::RecordError e = parser.Parse(r, &view);
      benchmark::DoNotOptimize(e);
      benchmark::DoNotOptimize(view.body.data());
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * c->record_bytes));
}

void BM_Extract(benchmark::State& state, const std::string& lang) {
  const Corpus* c = Ready(state, lang);
  if (c == nullptr) return;
  parse::JsonArticleParser parser;
  extract::Extractor extractor(Pack()->rules, Pack()->model);
  extract::ExtractOptions options;
  std::string wire;
  core::ArticleView view;
  size_t mentions = 0, events = 0, out_bytes = 0;
  for (auto _ : state) {
    mentions = events = out_bytes = 0;
    for (const std::string& r : c->records) {
      if (parser.Parse(r, &view) != parse::RecordError::kOk) continue;
      absl::StatusOr<const v1::ArticleAnalysis*> analysis = extractor.Analyze(view, options);
      if (!analysis.ok()) continue;
      (*analysis)->SerializeToString(&wire);
      mentions += (*analysis)->mentions_size();
      events += (*analysis)->events_size();
      out_bytes += wire.size();
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * c->record_bytes));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * c->records.size()));
  state.counters["mentions_per_pass"] = static_cast<double>(mentions);
  state.counters["events_per_pass"] = static_cast<double>(events);
  state.counters["out_bytes_per_pass"] = static_cast<double>(out_bytes);
}

void BM_Serialize(benchmark::State& state, const std::string& lang) {
  const Corpus* c = Ready(state, lang);
  if (c == nullptr) return;
  extract::Extractor extractor(Pack()->rules, Pack()->model);
  std::vector<v1::ArticleAnalysis> analyses(c->articles.size());
  for (size_t i = 0; i < c->articles.size(); ++i) {
    const Corpus::Owned& a = c->articles[i];
    core::ArticleView view{a.id, a.title, a.body, a.source, "", ""};
    (void)extractor.Analyze(view, {}, &analyses[i]);
  }
  std::string wire;
  for (auto _ : state) {
    for (const v1::ArticleAnalysis& a : analyses) {
      a.SerializeToString(&wire);
      benchmark::DoNotOptimize(wire.data());
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * c->record_bytes));
}

// Start-up cost of the rule pack. /compiled: every iteration gets a new, empty cache dir (created
// and removed outside the timed region), so it parses, validates, compiles and writes the cache.
// /cached: one warm cache dir (filled before the loop), so the databases are deserialised.
void BM_LoadRulePack(benchmark::State& state, bool cached) {
  namespace fs = std::filesystem;
  const char* rules_env = std::getenv("WIRESCAN_RULES");
  const std::string dir = rules_env != nullptr ? rules_env : "rules";
  const char* cache_env = std::getenv("WIRESCAN_BENCH_CACHE");
  const fs::path parent = cache_env != nullptr ? cache_env : "build/perf-cache";
  const fs::path cache = parent / (cached ? "warm" : "cold");
  std::error_code ec;
  fs::remove_all(cache, ec);
  fs::create_directories(cache, ec);
  if (ec) {
    state.SkipWithError(("cannot create " + cache.string() + ": " + ec.message()).c_str());
    return;
  }
  if (cached) {
    auto warm = rules::LoadRulePack(dir, cache.string());
    if (!warm.ok()) {
      state.SkipWithError(std::string(warm.status().message()).c_str());
      return;
    }
  }
  size_t from_cache = 0, loads = 0, patterns = 0;
  for (auto _ : state) {
    if (!cached) {
      state.PauseTiming();
      fs::remove_all(cache, ec);
      fs::create_directories(cache, ec);
      state.ResumeTiming();
    }
    auto pack = rules::LoadRulePack(dir, cache.string());
    if (!pack.ok()) {
      state.SkipWithError(std::string(pack.status().message()).c_str());
      return;
    }
    ++loads;
    from_cache += (*pack)->stats.database_from_cache ? 1 : 0;
    patterns = (*pack)->rules->pattern_count();
    benchmark::DoNotOptimize(pack->get());
  }
  fs::remove_all(cache, ec);
  state.counters["from_cache"] = loads ? static_cast<double>(from_cache) / loads : 0.0;
  state.counters["hs_patterns"] = static_cast<double>(patterns);
}

void RegisterAll() {
  benchmark::RegisterBenchmark("BM_LoadRulePack/compiled", BM_LoadRulePack, false)
      ->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("BM_LoadRulePack/cached", BM_LoadRulePack, true)
      ->Unit(benchmark::kMillisecond);
  for (const char* lang : {"en", "zh", "dense"}) {
    const std::string l = lang;
    benchmark::RegisterBenchmark(("BM_HsScanEmptyCallback/" + l).c_str(), BM_HsScanEmptyCallback, l)
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(("BM_MatcherScan/" + l).c_str(), BM_MatcherScan, l)
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(("BM_FigureAssembly/" + l).c_str(), BM_FigureAssembly, l)
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(("BM_ParseOnly/" + l).c_str(), BM_ParseOnly, l)
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(("BM_Extract/" + l).c_str(), BM_Extract, l)
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(("BM_Serialize/" + l).c_str(), BM_Serialize, l)
        ->Unit(benchmark::kMillisecond);
  }
}

}  // namespace
}  // namespace wirescan

int main(int argc, char** argv) {
  using namespace wirescan;
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;

  const char* rules_dir = std::getenv("WIRESCAN_RULES");
  auto pack = rules::LoadRulePack(rules_dir != nullptr ? rules_dir : "rules");
  if (pack.ok()) {
    Pack() = *pack;
    const rules::RulePackStats& s = (*pack)->stats;
    std::fprintf(stderr,
                 "rule pack %s: files=%zu entities=%zu organisations=%zu aliases=%zu patterns=%zu "
                 "figure_tokens=%zu events=%zu examples=%zu hs_patterns=%zu database_bytes=%zu\n",
                 (*pack)->version.c_str(), s.files, s.entities, s.organisations, s.aliases,
                 s.patterns, s.figure_tokens, s.events, s.examples,
                 (*pack)->rules->pattern_count(), s.database_bytes);
    benchmark::AddCustomContext("rules_version", (*pack)->version);
    benchmark::AddCustomContext(
        "rules_stats", std::to_string(s.entities) + " entities, " + std::to_string(s.aliases) +
                           " aliases, " + std::to_string(s.patterns) + " patterns, " +
                           std::to_string(s.figure_tokens) + " figure tokens, " +
                           std::to_string((*pack)->rules->pattern_count()) +
                           " Hyperscan patterns, database " + std::to_string(s.database_bytes) +
                           " bytes");
  } else {
    PackError() = std::string(pack.status().message());
    std::fprintf(stderr, "rule pack: %s\n", PackError().c_str());
  }
  LoadCorpus("en", "WIRESCAN_BENCH_EN");
  LoadCorpus("zh", "WIRESCAN_BENCH_ZH");
  LoadCorpus("dense", "WIRESCAN_BENCH_DENSE");
  for (const auto& [lang, c] : Corpora()) {
    if (c.loaded) {
      std::fprintf(stderr, "corpus %s: %zu records, %zu record bytes, %zu field bytes\n",
                   lang.c_str(), c.records.size(), c.record_bytes, c.field_bytes);
    } else {
      std::fprintf(stderr, "corpus %s: skipped: %s\n", lang.c_str(), c.error.c_str());
    }
  }
  RegisterAll();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
