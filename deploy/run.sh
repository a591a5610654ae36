#!/usr/bin/env bash
# Sets up, builds and runs wirescan's main job on the bundled sample articles: checks the shipped
# rule pack, then extracts every sample and prints its events (one JSON object per line).
# Until the Kafka daemon lands, the main job is the one-shot `wirescan extract`.
set -euo pipefail
cd "$(dirname "$0")/.."

bash deploy/setup.sh
cmake --preset release > /dev/null
cmake --build --preset release --target wirescan
bin=build/release/engine/wirescan
"${bin}" rules check rules
"${bin}" extract --events-only deploy/samples/articles.ndjson "$@"
