#!/bin/bash
# Throughput against worker threads and input partitions, end to end on the real broker.
#
#   perf/scaling_curves.sh [ARTICLES] [RUNS]      (defaults 30000, 3)
#
# For each configuration, perf/e2e_bench.py --no-half runs the preloaded pass-through (a) and
# extraction (b) modes RUNS times each on a fresh broker and topic; this prints one table row per
# configuration from the medians: workers 1, 2, 4 with 6 partitions, then partitions 1, 2, 12
# with 2 workers. Needs ../shared/corpus and a release build (build/release/engine/wirescan).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
articles="${1:-30000}"
runs="${2:-3}"
out="$root/build/perf-data/scaling"
mkdir -p "$out"
configs=("1 6" "2 6" "4 6" "2 1" "2 2" "2 12")
for c in "${configs[@]}"; do
  read -r w p <<<"$c"
  echo "scaling: workers $w, partitions $p" >&2
  /usr/bin/python3 perf/e2e_bench.py --no-half --articles "$articles" --runs "$runs" \
    --workers "$w" --partitions "$p" --json "$out/w$w-p$p.json" >"$out/w$w-p$p.log" 2>&1
done
/usr/bin/python3 - "$out" "${configs[@]}" <<'PY'
import json, statistics, sys
out, configs = sys.argv[1], sys.argv[2:]
print("| workers | partitions | (a) pass-through art/s | (b) extraction art/s | (b)/(a) | (b) CPU s / 1k art | (b) peak RSS MiB |")
print("|---:|---:|---:|---:|---:|---:|---:|")
for c in configs:
    w, p = c.split()
    d = json.load(open(f"{out}/w{w}-p{p}.json"))["results"]
    a, b = d["passthrough"], d["full"]
    med = lambda rows, k: statistics.median(r[k] for r in rows)
    ratios = [y["art_s"] / x["art_s"] for x, y in zip(a, b)]
    print(f"| {w} | {p} | {med(a, 'art_s'):,.0f} ({min(r['art_s'] for r in a):,.0f}..{max(r['art_s'] for r in a):,.0f}) "
          f"| {med(b, 'art_s'):,.0f} ({min(r['art_s'] for r in b):,.0f}..{max(r['art_s'] for r in b):,.0f}) "
          f"| {statistics.median(ratios):.0%} | {med(b, 'cpu_per_1k'):.3f} | {med(b, 'rss_mb'):.0f} |")
PY
