#!/usr/bin/env bash
# Extraction throughput against the number of entity aliases: builds synthetic rule packs
# (a copy of rules/ plus generated ORG entities, one English and one Chinese alias each) in
# build/perf-rules/<N>/ for N = 1000 10000 50000 extra aliases, then runs the scan/extract
# microbenchmarks on the default pack and on each synthetic pack, in one session, and prints the
# medians and the ratios to the default pack.
#
#   perf/alias_scaling.sh [N ...]        (default: 1000 10000 50000)
#
# Env: MIN_TIME (0.5), REPETITIONS (3), BENCH (binary), FILTER (benchmark regex).
# Needs build/perf-data/{en,zh}.ndjson (perf/run_micro.sh makes them).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
sizes=("$@"); [[ ${#sizes[@]} -gt 0 ]] || sizes=(1000 10000 50000)
bench="${BENCH:-$root/build/release/perf/extract_bench}"
data="$root/build/perf-data"
filter="${FILTER:-BM_HsScanEmptyCallback|BM_MatcherScan|BM_Extract}"
[[ -s "$data/en.ndjson" && -s "$data/zh.ndjson" ]] || { echo "run perf/run_micro.sh first"; exit 1; }

for n in "${sizes[@]}"; do
  dir="$root/build/perf-rules/$n"
  rm -rf "$dir"; mkdir -p "$dir"
  cp "$root"/rules/*.yaml "$dir"/
  python3 - "$n" "$dir/zz_synthetic.yaml" <<'PY'
import random, sys
n, out = int(sys.argv[1]), sys.argv[2]
rng = random.Random(n)
cons, vows = "bcdfghjklmnprstvwxz", "aeiou"
suffix = ["Holdings", "Systems", "Technologies", "Semiconductor", "Group", "Electronics",
          "Materials", "Devices", "Capital", "Industries", "Networks", "Energy"]
# Common CJK characters (names of companies are built from them in practice).
cjk = ("華中國科技電子半導體新興光明天地海山東西南北大小金銀鋼鐵信通達安康泰恒豐盛隆昌發展"
       "华中国科技电子半导体新兴光明天地海山东西南北大小金银钢铁信通达安康泰恒丰盛隆昌发展")
cjk_sfx = ["科技", "集團", "集团", "股份", "控股", "實業", "实业", "電子", "电子"]
seen = set()
def word():
    return "".join(rng.choice(cons) + rng.choice(vows) for _ in range(rng.randint(2, 3))).capitalize()
def unique(make):
    while True:
        s = make()
        if s not in seen:
            seen.add(s)
            return s
with open(out, "w", encoding="utf-8") as f:
    f.write("# Synthetic ORG entities for perf/alias_scaling.sh (not for production).\nentities:\n")
    for i in range(n // 2):
        en = unique(lambda: f"{word()} {rng.choice(suffix)}")
        zh = unique(lambda: "".join(rng.choice(cjk) for _ in range(rng.randint(2, 3))) + rng.choice(cjk_sfx))
        f.write(f"  - id: org.syn_{i}\n    type: ORG\n    canonical: {en}\n"
                f"    aliases: [{en}, {zh}]\n")
PY
done

out="$data/alias_scaling.txt"; : > "$out"
for pack in default "${sizes[@]}"; do
  rdir="$root/rules"; [[ $pack == default ]] || rdir="$root/build/perf-rules/$pack"
  echo "== $pack" | tee -a "$out"
  WIRESCAN_BENCH_EN="$data/en.ndjson" WIRESCAN_BENCH_ZH="$data/zh.ndjson" WIRESCAN_RULES="$rdir" \
    "$bench" --benchmark_filter="$filter" --benchmark_min_time="${MIN_TIME:-0.5}" \
    --benchmark_repetitions="${REPETITIONS:-3}" --benchmark_report_aggregates_only=true \
    --benchmark_out="$data/alias_$pack.json" --benchmark_out_format=json 2>&1 \
    | grep -E '^rule pack' | tee -a "$out"
done
python3 - "$data" default "${sizes[@]}" <<'PY'
import json, sys
data, packs = sys.argv[1], sys.argv[2:]
med, ctx = {}, {}
for p in packs:
    doc = json.load(open(f"{data}/alias_{p}.json"))
    ctx[p] = doc["context"].get("rules_stats", "?")
    for r in doc["benchmarks"]:
        if r.get("aggregate_name") == "median":
            med[(p, r["run_name"])] = r["bytes_per_second"] / 1e6
names = [f"{b}/{l}" for b in ("BM_HsScanEmptyCallback", "BM_MatcherScan", "BM_Extract") for l in ("en", "zh")]
print("| pack | " + " | ".join(names) + " |")
print("|---|" + "---:|" * len(names))
for p in packs:
    cells = []
    for n in names:
        v, d = med.get((p, n)), med.get(("default", n))
        cells.append("-" if v is None else f"{v:.1f} ({v / d:.0%})")
    print(f"| {p} | " + " | ".join(cells) + " |")
for p in packs:
    print(f"{p}: {ctx[p]}")
PY
