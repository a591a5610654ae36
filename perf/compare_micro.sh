#!/usr/bin/env bash
# Same-session comparison of the extraction microbenchmarks of two source trees (e.g. a commit
# checked out with `git worktree add` and the working tree), each with its own rules/:
#
#   perf/compare_micro.sh OLD_TREE [NEW_TREE=.] [ROUNDS=2]
#
# Both trees must have a release build of extract_bench (cmake --preset release && cmake --build
# --preset release --target extract_bench). The binaries run alternately, ROUNDS times, each
# benchmark with --benchmark_repetitions=3 (medians); the table gives the median over rounds of
# those medians in MB/s (CPU time), the new/old ratio, and the matcher / bare-scan ratio the
# targets are about. The benchmarks run on en, zh (the corpora) and dense (perf/dense_corpus.py,
# build/perf-data/dense.ndjson: 1,500 articles at the seeds' density, made by this tree's
# generator, the same input for both trees). Skips with a message when ../shared/corpus is absent.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
old="$(cd "${1:?usage: compare_micro.sh OLD_TREE [NEW_TREE] [ROUNDS]}" && pwd)"
new="$(cd "${2:-$root}" && pwd)"
rounds="${3:-2}"
cd "$root"
if [[ ! -d "$root/../shared/corpus" ]]; then
  echo "compare_micro: ../shared/corpus absent; skipping"
  exit 0
fi
data="$root/build/perf-data"
for lang in en zh; do
  if [[ ! -s "$data/$lang.ndjson" ]]; then
    mkdir -p "$data"
    python3 tests/tools/corpus_to_ndjson.py --corpus "$root/../shared/corpus" --lang "$lang" \
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
out="$(mktemp -d)"
for round in $(seq "$rounds"); do
  for side in old new; do
    tree="${!side}"
    WIRESCAN_BENCH_EN="$data/en.ndjson" WIRESCAN_BENCH_ZH="$data/zh.ndjson" \
      WIRESCAN_BENCH_DENSE="$data/dense.ndjson" \
      WIRESCAN_RULES="$tree/rules" WIRESCAN_BENCH_CACHE="$out/cache-$side" \
      "$tree/build/release/perf/extract_bench" \
      --benchmark_filter='HsScan|MatcherScan|FigureAssembly|ParseOnly|BM_Extract/|Serialize' \
      --benchmark_min_time="${MIN_TIME:-0.5}" --benchmark_repetitions=3 \
      --benchmark_report_aggregates_only=true --benchmark_format=json \
      >"$out/$side-$round.json" 2>/dev/null
  done
done
echo "old $(git -C "$old" rev-parse --short HEAD)  new $(git -C "$new" rev-parse --short HEAD)$(
  git -C "$new" diff --quiet HEAD -- engine proto rules || echo ' (+ uncommitted changes)')"
echo "cpu $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)  load $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$out" "$rounds" <<'PY'
import json, statistics, sys
out, rounds = sys.argv[1], int(sys.argv[2])
def load(side):
    runs = {}
    for r in range(1, rounds + 1):
        for b in json.load(open(f"{out}/{side}-{r}.json"))["benchmarks"]:
            if b.get("aggregate_name") == "median":
                runs.setdefault(b["run_name"], []).append(b["bytes_per_second"] / 1e6)
    return {k: statistics.median(v) for k, v in runs.items()}, runs
old, old_runs = load("old")
new, new_runs = load("new")
print("\n| benchmark (MB/s, median of rounds) | old | new | new/old | rounds old | rounds new |")
print("|---|---:|---:|---:|---|---|")
for k in sorted(new):
    o = old.get(k)
    print(f"| {k} | {o or 0:,.1f} | {new[k]:,.1f} | {new[k] / o if o else 0:.2f} | "
          f"{', '.join(f'{x:.0f}' for x in old_runs.get(k, []))} | "
          f"{', '.join(f'{x:.0f}' for x in new_runs[k])} |")
for lang in ("en", "zh"):
    m, s = f"BM_MatcherScan/{lang}", f"BM_HsScanEmptyCallback/{lang}"
    if m in new and s in new:
        print(f"\nmatcher / bare hs_scan, {lang}: old {100 * old[m] / old[s]:.0f}%, "
              f"new {100 * new[m] / new[s]:.0f}%")
PY
rm -rf "$out"
