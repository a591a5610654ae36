#!/usr/bin/env bash
# Instructions per corpus pass of one extraction microbenchmark, counted by callgrind: a
# deterministic figure for A/B comparisons of small changes, which the timings of two shared
# cores cannot resolve (they vary by ±3%). Counts only the benchmark function (parse, extract,
# serialise of every article once), not the rule-pack compilation or corpus loading.
#
#   perf/count_instructions.sh [TREE=.] [BENCHMARK=BM_Extract/zh]
#
# Needs valgrind (not installed by deploy/setup.sh: `apt-get install valgrind`), the tree's
# release build of extract_bench, and build/perf-data/{en,zh,dense}.ndjson (perf/run_micro.sh
# makes them; BENCHMARK .../dense reads the dense corpus). Under valgrind Hyperscan runs its AVX2 code, not AVX-512: the count is a proxy, the
# timings in perf/RESULTS.md stay the measure. Prints "instructions_per_pass=N". ~10 s (zh), ~25 s (en).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tree="$(cd "${1:-$root}" && pwd)"
benchmark="${2:-BM_Extract/zh}"
if ! command -v valgrind >/dev/null; then
  echo "count_instructions: valgrind not installed (apt-get install valgrind); skipping"
  exit 0
fi
data="$root/build/perf-data"
for lang in en zh; do
  if [[ ! -s "$data/$lang.ndjson" ]]; then
    echo "count_instructions: $data/$lang.ndjson missing (run perf/run_micro.sh once)" >&2
    exit 1
  fi
done
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
WIRESCAN_BENCH_EN="$data/en.ndjson" WIRESCAN_BENCH_ZH="$data/zh.ndjson" \
  WIRESCAN_BENCH_DENSE="$data/dense.ndjson" WIRESCAN_RULES="$tree/rules" WIRESCAN_BENCH_CACHE="$out/cache" \
  valgrind --tool=callgrind --callgrind-out-file="$out/callgrind.out" \
  --toggle-collect='wirescan::(anonymous namespace)::BM_*' \
  "$tree/build/release/perf/extract_bench" --benchmark_filter="^${benchmark}\$" \
  --benchmark_min_time=0.001 >"$out/log" 2>&1
iterations="$(awk '/^BM_/ {print $6}' "$out/log")"
total="$(awk '/^(summary|totals):/ {print $2; exit}' "$out/callgrind.out")"
if [[ -z "$iterations" || -z "$total" ]]; then
  echo "count_instructions: no result; benchmark output:" >&2
  cat "$out/log" >&2
  exit 1
fi
echo "tree=$tree benchmark=$benchmark iterations=$iterations instructions=$total" \
  "instructions_per_pass=$((total / iterations))"
