#!/usr/bin/env bash
# Runs the extraction microbenchmarks (perf/extract_bench.cc) on the shared corpora and prints
# the medians and the ratios against the targets, and on the dense corpus (perf/dense_corpus.py).
#
#   perf/run_micro.sh [extra benchmark flags, e.g. --benchmark_filter=Matcher]
#
# Run from anywhere; uses the release build (cmake --preset release). Converts
# ../shared/corpus into build/perf-data/{en,zh}.ndjson if missing (en: every Reuters article with
# a body; zh: every Chinese source) and writes build/perf-data/dense.ndjson (1,500 articles,
# --profile seed, ~4 MB) if missing or older than the generator. Skips with a message when ../shared/corpus is absent.
# Env: MIN_TIME (default 0.5 s per benchmark), REPETITIONS (default 3), BENCH (binary path).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
corpus="$root/../shared/corpus"
if [[ ! -d "$corpus" ]]; then
  echo "run_micro: ../shared/corpus absent; skipping the microbenchmarks"
  exit 0
fi

bench="${BENCH:-$root/build/release/perf/extract_bench}"
if [[ ! -x "$bench" ]]; then
  echo "run_micro: building extract_bench"
  cmake --preset release >/dev/null
  ninja -C build/release extract_bench
fi

data="$root/build/perf-data"
mkdir -p "$data"
for lang in en zh; do
  if [[ ! -s "$data/$lang.ndjson" ]]; then
    python3 tests/tools/corpus_to_ndjson.py --corpus "$corpus" --lang "$lang" \
      -o "$data/$lang.ndjson.tmp"
    mv "$data/$lang.ndjson.tmp" "$data/$lang.ndjson"
  fi
done
# The dense corpus (perf/dense_corpus.py), regenerated when the generator changed.
if [[ ! -s "$data/dense.ndjson" || perf/dense_corpus.py -nt "$data/dense.ndjson" ]]; then
  python3 perf/dense_corpus.py --lang all --profile seed --seed 1 --articles 1500 \
    -o "$data/dense.ndjson.tmp"
  mv "$data/dense.ndjson.tmp" "$data/dense.ndjson"
fi

out="$data/micro.json"
WIRESCAN_BENCH_EN="$data/en.ndjson" WIRESCAN_BENCH_ZH="$data/zh.ndjson" \
      WIRESCAN_BENCH_DENSE="$data/dense.ndjson" WIRESCAN_RULES="$root/rules" \
  "$bench" --benchmark_min_time="${MIN_TIME:-0.5}" \
  --benchmark_repetitions="${REPETITIONS:-3}" --benchmark_report_aggregates_only=true \
  --benchmark_out="$out" --benchmark_out_format=json "$@"

echo
if git rev-parse --git-dir >/dev/null 2>&1; then
  echo "commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- engine rules || echo ' (engine/rules modified in the working tree)')"
else
  echo "commit ${WIRESCAN_COMMIT:-unknown} (not a git checkout: a snapshot tree)"
fi
echo "cpu    $(lscpu | sed -n 's/^Model name:[[:space:]]*//p')"
python3 - "$out" <<'EOF'
import json, sys

with open(sys.argv[1]) as f:
    doc = json.load(f)
runs = doc["benchmarks"]
ctx = doc["context"]
print("rules  %s (%s)" % (ctx.get("rules_version", "?"), ctx.get("rules_stats", "?")))
print("load   %s (load average at start; other work on the machine skews wall time)"
      % ", ".join("%.2f" % x for x in ctx.get("load_avg", [])))
med = {}
for r in runs:
    if r.get("aggregate_name") == "median" and "bytes_per_second" in r:
        med[r["run_name"]] = r["bytes_per_second"] / 1e6  # MB/s (10^6)

names = ["BM_HsScanEmptyCallback", "BM_MatcherScan", "BM_FigureAssembly", "BM_ParseOnly",
         "BM_Extract", "BM_Serialize"]
print()
print("| benchmark (median MB/s) | en (Reuters) | zh (Chinese) | dense (EN+ZH, seeds' density) |")
print("|---|---:|---:|---:|")
for n in names:
    cells = ["%.1f" % med[f"{n}/{l}"] if f"{n}/{l}" in med else "-" for l in ("en", "zh", "dense")]
    print(f"| {n} | {cells[0]} | {cells[1]} | {cells[2]} |")
print()
load = {}
for r in runs:
    if r.get("aggregate_name") == "median" and r["run_name"].startswith("BM_LoadRulePack/"):
        load[r["run_name"]] = (r["real_time"], r["cpu_time"], r.get("from_cache"))
for n in ("BM_LoadRulePack/compiled", "BM_LoadRulePack/cached"):
    if n in load:
        rt, ct, fc = load[n]
        print(f"{n}: {rt:.1f} ms wall, {ct:.1f} ms CPU per load (median; from_cache={fc})")
print()
targets = {"en": 250.0, "zh": 150.0}
for l in ("en", "zh"):
    hs, m, ex = (med.get(f"{n}/{l}") for n in ("BM_HsScanEmptyCallback", "BM_MatcherScan", "BM_Extract"))
    if hs and m:
        r = m / hs
        print(f"{l}: matcher / hs_scan = {r:.0%} (target >= 70%: {'met' if r >= 0.7 else 'MISSED'})")
    if ex:
        t = targets[l]
        print(f"{l}: extract = {ex:.1f} MB/s per core (target >= {t:.0f}: {'met' if ex >= t else 'MISSED'})")
EOF
