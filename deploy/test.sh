#!/usr/bin/env bash
# Sets up, builds and runs every test: once in release, once under AddressSanitizer +
# UndefinedBehaviorSanitizer. This is the README's test command; CI (.ci/run) calls it.
# Usage: bash deploy/test.sh [release|asan]   (default: both)
set -euo pipefail
cd "$(dirname "$0")/.."

bash deploy/setup.sh

presets=("$@")
[ ${#presets[@]} -eq 0 ] && presets=(release asan)

for preset in "${presets[@]}"; do
  echo "=== ${preset}: configure and build"
  cmake --preset "${preset}" > /dev/null
  cmake --build --preset "${preset}"
  echo "=== ${preset}: test"
  ctest --preset "${preset}"
done
