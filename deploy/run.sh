#!/usr/bin/env bash
# Sets up, builds and runs wirescan's main job: the daemon, here in its embedded form. An
# in-process Kafka-protocol broker is loaded with the bundled sample articles, the full pipeline
# runs, and every event is printed as one JSON line on stdout. Ctrl-C stops it (or pass
# --exit-when-idle to stop once the samples are processed).
#
# stdout carries the events only, also on the first run: the set-up (apt-get) and the build
# write to stderr, as do the daemon's logs, so `bash deploy/run.sh > events.jsonl` or `| jq`
# works.
set -euo pipefail
cd "$(dirname "$0")/.."

{
  bash deploy/setup.sh
  cmake --preset release > /dev/null
  cmake --build --preset release --target wirescan
} >&2
bin=build/release/engine/wirescan
exec "${bin}" run "$@"
