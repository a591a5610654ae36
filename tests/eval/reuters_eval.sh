#!/usr/bin/env bash
# Regression floor of the default rule pack on Reuters-21578 TRAIN (document-level topics):
#   tests/eval/reuters_eval.sh WIRESCAN_BINARY [SPLIT=TRAIN] [-- extra eval options]
# Converts ../shared/corpus (beside the repository) with tests/tools/corpus_to_ndjson.py
# --labels --split SPLIT and runs `wirescan rules eval` with the floors below (just under what the
# pack reaches; raise them when it gets better, never lower them to make a change pass). Exits
# 77 (skipped) when ../shared/corpus is absent. Tune on TRAIN only: the TEST split is measured
# by hand, never here.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
bin="${1:?usage: reuters_eval.sh WIRESCAN_BINARY [SPLIT]}"
split="${2:-TRAIN}"
shift $(( $# >= 2 ? 2 : 1 ))
[[ "${1:-}" == "--" ]] && shift
corpus="$root/../shared/corpus"
if [[ ! -d "$corpus/en" ]]; then
  echo "reuters_eval: skipped: ../shared/corpus absent"
  exit 77
fi
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
python3 "$root/tests/tools/corpus_to_ndjson.py" --corpus "$corpus" --lang en --split "$split" \
  --labels -o "$tmp/reuters.ndjson" 2>"$tmp/convert.log" || { cat "$tmp/convert.log"; exit 1; }
floors=()
if [[ "$split" == "TRAIN" ]]; then
  floors=(
    --min topic.earn.precision=0.98 --min topic.earn.recall=0.76
    --min topic.acq.precision=0.83 --min topic.acq.recall=0.57
    --min topic.trade.precision=0.73 --min topic.trade.recall=0.42
  )
fi
"$bin" rules eval --rules "$root/rules" --topics "$root/tests/eval/reuters_topics.yaml" \
  --split "$split" --show 5 "${floors[@]}" "$@" "$tmp/reuters.ndjson"
