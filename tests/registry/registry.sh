#!/usr/bin/env bash
# A real Confluent-compatible Schema Registry for tests: Apicurio Registry 3 (its in-memory H2
# storage) on 127.0.0.1, from the distribution Maven Central serves
# (io.apicurio:apicurio-registry-app:<version>:tar.gz:all). See tests/registry/README.md.
#
#   registry.sh fetch                 resolve and unpack the distribution (once)
#   registry.sh start [--dir DIR]     start on a free port; prints the ccompat base URL
#                                     (http://127.0.0.1:PORT/apis/ccompat/v7) on stdout
#   registry.sh stop DIR              SIGTERM, up to 20 s, then SIGKILL
#
# Environment:
#   WIRESCAN_APICURIO_VERSION        default 3.0.9
#   WIRESCAN_APICURIO_HOME           cache dir (default ~/.cache/wirescan/apicurio-<version>)
#   WIRESCAN_APICURIO_START_TIMEOUT  seconds to wait for readiness (default 90)
set -euo pipefail

readonly VERSION="${WIRESCAN_APICURIO_VERSION:-3.0.9}"
readonly HOME_DIR="${WIRESCAN_APICURIO_HOME:-${HOME}/.cache/wirescan/apicurio-${VERSION}}"
readonly START_TIMEOUT="${WIRESCAN_APICURIO_START_TIMEOUT:-90}"
readonly STOP_TIMEOUT=20
readonly ARTIFACT="io.apicurio:apicurio-registry-app:${VERSION}:tar.gz:all"

log() { echo "registry.sh: $*" >&2; }
die() {
  log "error: $*"
  exit 1
}
usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//' >&2
  exit 2
}

runner_jar() { echo "${HOME_DIR}/dist/apicurio-registry-app-${VERSION}-runner.jar"; }

cmd_fetch() {
  if [[ -f "${HOME_DIR}/dist/.complete" ]]; then
    log "distribution present in ${HOME_DIR}/dist"
    return 0
  fi
  command -v mvn >/dev/null || die "mvn not found (apt-get install maven)"
  mkdir -p "${HOME_DIR}"
  log "fetching ${ARTIFACT}"
  # Maven's output goes to a file, shown only on failure.
  if ! mvn -q -B dependency:get -Dartifact="${ARTIFACT}" -Dtransitive=false \
    >"${HOME_DIR}/fetch.log" 2>&1; then
    cat "${HOME_DIR}/fetch.log" >&2
    die "mvn dependency:get ${ARTIFACT} failed (log: ${HOME_DIR}/fetch.log)"
  fi
  local repo archive tmp
  repo="$(mvn -q -B help:evaluate -Dexpression=settings.localRepository -DforceStdout 2>/dev/null |
    tail -n 1 | sed 's/\x1b\[[0-9;]*m//g')"
  [[ -d "${repo}" ]] || repo="${HOME}/.m2/repository"
  archive="${repo}/io/apicurio/apicurio-registry-app/${VERSION}/apicurio-registry-app-${VERSION}-all.tar.gz"
  [[ -f "${archive}" ]] || die "${archive} missing after the fetch"
  tmp="${HOME_DIR}/dist.partial.$$"
  rm -rf "${tmp}"
  mkdir -p "${tmp}"
  tar -xzf "${archive}" -C "${tmp}"
  [[ -f "${tmp}/apicurio-registry-app-${VERSION}-runner.jar" ]] || die "runner jar missing in ${archive}"
  rm -rf "${HOME_DIR}/dist"
  mv "${tmp}" "${HOME_DIR}/dist"
  echo "${VERSION}" >"${HOME_DIR}/dist/.complete"
  log "unpacked $(du -sh "${HOME_DIR}/dist" | cut -f1) into ${HOME_DIR}/dist"
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

running_pid() {
  local dir="$1" pid
  [[ -f "${dir}/pid" ]] || return 1
  pid="$(cat "${dir}/pid")"
  [[ "${pid}" =~ ^[0-9]+$ && -r "/proc/${pid}/cmdline" ]] || return 1
  tr '\0' ' ' <"/proc/${pid}/cmdline" | grep -qF -- "-Dwirescan.registry.dir=${dir}" || return 1
  echo "${pid}"
}

cmd_start() {
  local dir=""
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --dir)
        [[ $# -ge 2 ]] || usage
        dir="$2"
        shift 2
        ;;
      *) usage ;;
    esac
  done
  [[ -f "${HOME_DIR}/dist/.complete" ]] || cmd_fetch
  command -v java >/dev/null || die "java not found"
  if [[ -z "${dir}" ]]; then
    dir="$(mktemp -d "${TMPDIR:-/tmp}/wirescan-registry.XXXXXX")"
  else
    mkdir -p "${dir}"
  fi
  dir="$(cd "${dir}" && pwd)"
  if running_pid "${dir}" >/dev/null; then die "a registry is already running in ${dir}"; fi
  local port url
  port="$(free_port)"
  url="http://127.0.0.1:${port}/apis/ccompat/v7"
  echo "${url}" >"${dir}/url"
  rm -f "${dir}/pid"
  # In-memory storage (H2), nothing kept after stop. The JVM is started in its own session so
  # the caller's Ctrl-C does not reach it; stop it with `registry.sh stop DIR`.
  # shellcheck disable=SC2016  # $$ and $@ are the inner shell's.
  setsid bash -c 'echo $$ >"$1"; shift; exec "$@"' registry-launcher "${dir}/pid" \
    java -Xmx384m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -XX:+ExitOnOutOfMemoryError \
    -Dwirescan.registry.dir="${dir}" \
    -Dquarkus.http.host=127.0.0.1 -Dquarkus.http.port="${port}" \
    -Dquarkus.log.level=WARN -Dquarkus.log.category.\"io.apicurio\".level=WARN \
    -jar "$(runner_jar)" </dev/null >>"${dir}/registry.log" 2>&1 &

  local deadline=$((SECONDS + START_TIMEOUT)) pid=""
  while ((SECONDS < deadline)); do
    if [[ -z "${pid}" && -s "${dir}/pid" ]]; then pid="$(cat "${dir}/pid")"; fi
    if [[ -n "${pid}" ]] && ! kill -0 "${pid}" 2>/dev/null; then
      tail -n 30 "${dir}/registry.log" >&2 || true
      die "registry exited during start-up; see ${dir}/registry.log"
    fi
    if [[ -n "${pid}" ]] && curl -sf -o /dev/null "${url}/subjects"; then
      log "Apicurio Registry ${VERSION} ready at ${url} (pid ${pid}, dir ${dir}, ${SECONDS}s)"
      echo "${url}"
      return 0
    fi
    sleep 0.5
  done
  log "registry not ready after ${START_TIMEOUT}s; stopping it"
  tail -n 30 "${dir}/registry.log" >&2 || true
  cmd_stop "${dir}" || true
  die "start timed out"
}

cmd_stop() {
  [[ $# -eq 1 ]] || usage
  local dir pid
  dir="$(cd "$1" 2>/dev/null && pwd)" || die "no such directory: $1"
  if ! pid="$(running_pid "${dir}")"; then
    log "not running (${dir})"
    rm -f "${dir}/pid"
    return 0
  fi
  kill -TERM "${pid}" 2>/dev/null || true
  local deadline=$((SECONDS + STOP_TIMEOUT))
  while kill -0 "${pid}" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
  if kill -0 "${pid}" 2>/dev/null; then
    log "pid ${pid} still alive after ${STOP_TIMEOUT}s: SIGKILL"
    kill -KILL "${pid}" 2>/dev/null || true
  fi
  rm -f "${dir}/pid"
  log "stopped (pid ${pid})"
}

main() {
  [[ $# -ge 1 ]] || usage
  local cmd="$1"
  shift
  case "${cmd}" in
    fetch) cmd_fetch "$@" ;;
    start) cmd_start "$@" ;;
    stop) cmd_stop "$@" ;;
    *) usage ;;
  esac
}

main "$@"
