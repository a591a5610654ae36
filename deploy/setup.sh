#!/usr/bin/env bash
# Installs every build and test dependency of wirescan on Debian 12.
# Idempotent: packages already installed are skipped, so a second run costs one dpkg query.
# Needs root or sudo (apt-get).
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config
  libvectorscan-dev libsimdjson-dev libabsl-dev
  libprotobuf-dev protobuf-compiler
  librdkafka-dev libyaml-cpp-dev libcpp-httplib-dev libcurl4-openssl-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  python3 kcat prometheus python3-yaml
  python3-confluent-kafka python3-requests python3-protobuf openjdk-17-jre-headless maven
  clang libfuzzer-14-dev libclang-rt-14-dev
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PACKAGES[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
