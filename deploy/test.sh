#!/usr/bin/env bash
# Sets up, builds and runs every test: once in release, once under AddressSanitizer +
# UndefinedBehaviorSanitizer, then the libFuzzer targets for a bounded time (clang, the `fuzz`
# preset: fuzz/README.md). This is the README's test command; CI (.ci/run) calls it.
# Usage: bash deploy/test.sh [release|asan|fuzz]...   (default: all three)
set -euo pipefail
cd "$(dirname "$0")/.."

bash deploy/setup.sh

presets=("$@")
[ ${#presets[@]} -eq 0 ] && presets=(release asan fuzz)

for preset in "${presets[@]}"; do
  echo "=== ${preset}: configure and build"
  cmake --preset "${preset}" > /dev/null
  cmake --build --preset "${preset}"
  echo "=== ${preset}: test"
  ctest --preset "${preset}"
done
