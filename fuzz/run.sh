#!/usr/bin/env bash
# Runs libFuzzer targets for a bounded time (the `fuzz` preset's binaries).
#
#   fuzz/run.sh [--build DIR] [--keep-corpus DIR] TARGET|all SECONDS [libFuzzer flags...]
#
# TARGET: json_parser, figures_dates, extractor, rule_loader (all: each for SECONDS).
# The committed corpus (fuzz/corpus/TARGET) and regression inputs (fuzz/regressions/TARGET) seed
# the run; new inputs go to a scratch corpus (or --keep-corpus DIR, to grow a corpus over long
# runs), never into the source tree. A crash, sanitizer report, failed check, leak, timeout
# (an input slower than the target's -timeout) or out-of-memory fails the run: the input is
# copied to DIR/fuzz-artifacts/ and named on stderr; exit status 1.
# Default build directory: build/fuzz (cmake --preset fuzz && cmake --build --preset fuzz).
set -euo pipefail
src="$(cd "$(dirname "$0")/.." && pwd)"
build="$src/build/fuzz"
keep=""
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build="$2"; shift 2 ;;
    --keep-corpus) keep="$2"; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) break ;;
  esac
done
if [ $# -lt 2 ]; then sed -n '2,13p' "$0" >&2; exit 2; fi
target="$1"; seconds="$2"; shift 2
all=(json_parser figures_dates extractor rule_loader)

# Per target: maximum input length, per-input timeout (s), dictionary.
options() {
  case "$1" in
    json_parser)   echo "-max_len=16384 -timeout=10 -dict=$src/fuzz/dict/json.dict" ;;
    figures_dates) echo "-max_len=4096 -timeout=10 -dict=$src/fuzz/dict/figures.dict" ;;
    extractor)     echo "-max_len=8192 -timeout=15 -dict=$src/fuzz/dict/figures.dict" ;;
    rule_loader)   echo "-max_len=4096 -timeout=30 -dict=$src/fuzz/dict/rules.dict" ;;
    *) echo "unknown fuzz target '$1' (known: ${all[*]})" >&2; return 2 ;;
  esac
}

run_one() {
  local t="$1" bin="$build/fuzz/fuzz_$1" opts work corpus rc=0
  shift
  opts="$(options "$t")" || return 2
  if [ ! -x "$bin" ]; then
    echo "fuzz/run.sh: $bin not built (cmake --preset fuzz && cmake --build --preset fuzz)" >&2
    return 2
  fi
  work="$(mktemp -d "${TMPDIR:-/tmp}/wirescan-fuzz-$t.XXXXXX")"
  corpus="${keep:+$keep/$t}"; corpus="${corpus:-$work/corpus}"
  mkdir -p "$corpus" "$work/artifacts"
  local seeds=("$src/fuzz/corpus/$t")
  [ -d "$src/fuzz/regressions/$t" ] && seeds+=("$src/fuzz/regressions/$t")
  echo "=== fuzz $t: ${seconds} s ($opts)" >&2
  # shellcheck disable=SC2086  # $opts is a list of flags
  "$bin" $opts -max_total_time="$seconds" -print_final_stats=1 -rss_limit_mb=2048 \
    -artifact_prefix="$work/artifacts/" "$@" "$corpus" "${seeds[@]}" \
    > "$work/log" 2>&1 || rc=$?
  grep -E "^#[0-9]+ +DONE|stat::number_of_executed_units|stat::peak_rss_mb|cov: " "$work/log" \
    | tail -4 >&2 || true
  if [ "$rc" -ne 0 ] || [ -n "$(ls -A "$work/artifacts")" ]; then
    mkdir -p "$build/fuzz-artifacts"
    tail -60 "$work/log" >&2
    for a in "$work/artifacts"/*; do
      [ -e "$a" ] || continue
      cp "$a" "$build/fuzz-artifacts/$t-$(basename "$a")"
      echo "fuzz $t: FAILED, input kept at $build/fuzz-artifacts/$t-$(basename "$a")" >&2
    done
    echo "fuzz $t: FAILED (exit $rc); log $work/log" >&2
    return 1
  fi
  echo "fuzz $t: ok, $(ls "$corpus" | wc -l) corpus inputs" >&2
  rm -rf "$work"
}

status=0
if [ "$target" = all ]; then
  for t in "${all[@]}"; do run_one "$t" "$@" || status=1; done
else
  run_one "$target" "$@" || status=$?
fi
exit "$status"
