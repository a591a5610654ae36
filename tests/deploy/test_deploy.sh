#!/usr/bin/env bash
# Validates the deployment files under deploy/ with the tools this machine has: systemd-analyze
# (unit syntax, hardening score), promtool (Prometheus configs, alert rules and their unit tests,
# the dashboard's queries), kubectl kustomize, PyPI-free Python checks (tests/deploy/deploy_checks.py)
# and the daemon's own config loader. No container engine is needed or used: the Containerfile
# and compose.yaml are checked statically.
# A check whose tool is missing prints "skipped: ..." (deploy/setup.sh installs them all).
# Usage: bash tests/deploy/test_deploy.sh [WIRESCAN_BINARY]   (default build/release/engine/wirescan)
# Ends with "N passed, N failed"; exit 1 if any check failed.
set -uo pipefail
cd "$(dirname "$0")/../.."

BIN="${1:-${WIRESCAN_BIN:-build/release/engine/wirescan}}"
[[ "$BIN" = /* ]] || BIN="$PWD/$BIN"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
passed=0
failed=0

# check NAME COMMAND...: runs COMMAND; exit 0 = passed, 77 = skipped (its output says why).
check() {
  local name="$1"
  shift
  local out rc
  out="$("$@" 2>&1)"
  rc=$?
  if [ "$rc" -eq 0 ]; then
    echo "ok       ${name}${out:+ ($(tail -n1 <<<"$out"))}"
    passed=$((passed + 1))
  elif [ "$rc" -eq 77 ]; then
    echo "skipped: ${name}: $(tail -n1 <<<"$out")"
  else
    echo "FAILED   ${name}"
    sed 's/^/    /' <<<"$out"
    failed=$((failed + 1))
  fi
}
skip() { echo "skipped: $1: $2"; }
have() { command -v "$1" > /dev/null 2>&1; }

# A python3 with PyYAML: Debian's (python3-yaml) first.
PY=""
for p in /usr/bin/python3 python3; do
  if "$p" -c 'import yaml' > /dev/null 2>&1; then PY="$p"; break; fi
done
pycheck() { if [ -z "$PY" ]; then echo "no python3 with PyYAML (python3-yaml)"; return 77; fi; "$PY" tests/deploy/deploy_checks.py "$@"; }

# ---------------------------------------------------------------------------------------- systemd
UNIT=deploy/systemd/wirescan.service
# systemd-analyze verify wants ExecStart's binary to exist: a temp copy points at the built one.
unit_copy() {
  if [ ! -x "$BIN" ]; then echo "$BIN not built"; return 77; fi
  mkdir -p "$TMP/systemd" && sed "s#/usr/local/bin/wirescan#${BIN}#" "$UNIT" > "$TMP/systemd/wirescan.service"
}
systemd_verify() {
  unit_copy || return $?
  local out
  out="$(systemd-analyze verify "$TMP/systemd/wirescan.service" 2>&1)" || { echo "$out"; return 1; }
  # Unknown keys and bad values are warnings with exit 0: any word about our unit fails.
  if grep -F "wirescan.service" <<<"$out"; then return 1; fi
  echo "no warnings"
}
systemd_security() {
  unit_copy || return $?
  local out rc
  # --threshold is exposure x10: fail above 2.0 ("OK"); the unit scores 1.2 when written.
  out="$(systemd-analyze security --offline=yes --threshold=20 "$TMP/systemd/wirescan.service" 2>&1)"
  rc=$?
  grep -E '^✗' <<<"$out" | sed 's/  */ /g'
  grep -o 'Overall exposure level.*' <<<"$out" || { echo "$out"; return 1; }
  return $rc
}
if have systemd-analyze; then
  check "systemd-analyze verify ${UNIT}" systemd_verify
  check "systemd-analyze security ${UNIT} (exposure <= 2.0)" systemd_security
else
  skip "systemd-analyze verify ${UNIT}" "systemd-analyze not installed"
  skip "systemd-analyze security ${UNIT}" "systemd-analyze not installed"
fi

# ------------------------------------------------------------------------- deploy/run.sh, /metrics
# The demo as on a first run: only event JSON on stdout. Its /metrics ($TMP/metrics.txt) is what
# the dashboard's and the alerts' metric names are checked against below.
check "deploy/run.sh: only event JSON on stdout (first run); /metrics scraped" pycheck demo "$BIN" "$TMP/metrics.txt"

# ------------------------------------------------------------------------------------- Prometheus
compose_prometheus() {
  pycheck compose "$TMP/compose-prometheus" > /dev/null || return $?
  promtool check config "$TMP/compose-prometheus/prometheus.yml"
}
dashboard_queries() {
  pycheck dashboard "$TMP/metrics.txt" "$TMP/dashboard-queries.yml" > /dev/null || return $?
  promtool check rules "$TMP/dashboard-queries.yml"
}
if have promtool; then
  check "promtool check config deploy/prometheus/prometheus.yml" promtool check config deploy/prometheus/prometheus.yml
  check "promtool check config deploy/compose/prometheus.yml (as compose mounts it)" compose_prometheus
  check "promtool check rules deploy/prometheus/alerts.yml" promtool check rules deploy/prometheus/alerts.yml
  check "promtool test rules deploy/prometheus/alerts_test.yml" promtool test rules deploy/prometheus/alerts_test.yml
  check "promtool parses every dashboard query" dashboard_queries
else
  for c in "check config deploy/prometheus/prometheus.yml" "check config deploy/compose/prometheus.yml" \
           "check rules deploy/prometheus/alerts.yml" "test rules deploy/prometheus/alerts_test.yml" \
           "dashboard queries"; do
    skip "promtool $c" "promtool not installed (Debian package prometheus)"
  done
fi

# ------------------------------------------------------------------------------- files, statically
check "metric-name extractor self-test" pycheck selftest
check "YAML well-formed: every deploy/**/*.y*ml" pycheck yaml
json_ok() { "${PY:-python3}" -m json.tool deploy/grafana/wirescan-dashboard.json > /dev/null && echo "valid JSON"; }
check "JSON well-formed: deploy/grafana/wirescan-dashboard.json" json_ok
check "dashboard: schema, datasource variable, metric names of the real /metrics only" pycheck dashboard "$TMP/metrics.txt"
check "alerts: metric names of the real /metrics, for/severity/summary/description" pycheck alert-metrics "$TMP/metrics.txt"
check "Containerfile: stages, context sources exist, not ignored, non-root, healthcheck" pycheck containerfile
check "Containerfile: runtime packages cover the binary's libraries" pycheck runtime-libs "$BIN"
check "compose.yaml: build, mounts, dependencies, KRaft kafka" pycheck compose
check "k8s: rules generator = rules/*.yaml, probes, security context, mounts" pycheck k8s
kustomize_build() {
  kubectl kustomize --load-restrictor LoadRestrictionsNone deploy/k8s > "$TMP/k8s.yaml" || return 1
  local kinds
  kinds="$(grep -c '^kind:' "$TMP/k8s.yaml")"
  [ "$kinds" -eq 6 ] || { echo "expected 6 objects, got $kinds"; return 1; }
  echo "$kinds objects"
}
if have kubectl; then
  check "kubectl kustomize deploy/k8s" kustomize_build
else
  skip "kubectl kustomize deploy/k8s" "kubectl not installed"
fi

# ------------------------------------------------------ the daemon's loader accepts the configs
# Each shipped config is started with an unreachable broker: a config error exits at once (1);
# a valid one keeps waiting for the broker until the timeout stops it (124; 137 if it had to be
# killed). Environment overrides point it at this checkout's rules and a free local port. The
# three run side by side.
start_daemon() {
  local name="$1" port
  port="$("${PY:-python3}" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
  ( WIRESCAN_BROKERS=127.0.0.1:1 WIRESCAN_RULES_DIR="$PWD/rules" WIRESCAN_METRICS_ADDRESS="127.0.0.1:${port}" \
      timeout -k 2 3 "$BIN" run --config "$TMP/configs/${name}.yaml" > "$TMP/${name}.out" 2>&1
    echo $? > "$TMP/${name}.rc" ) 2> /dev/null &
}
daemon_accepted() {
  local rc
  rc="$(cat "$TMP/$1.rc")"
  if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then echo "accepted"; return 0; fi
  echo "exit ${rc}:"; grep -v '^%' "$TMP/$1.out" | head -5
  return 1
}
# The free port is found by binding and closing a socket, so another test running alongside can
# take it before the daemon binds it: a run that failed on "address already in use" gets a new
# port (at most 3 attempts) — that is the test's race, not the config's fault.
port_taken() {
  [ "$(cat "$TMP/$1.rc")" -eq 1 ] && grep -q 'address already in use' "$TMP/$1.out"
}
if [ -x "$BIN" ] && [ -n "$PY" ] && "$PY" tests/deploy/deploy_checks.py write-configs "$TMP/configs"; then
  for cfg in container compose k8s; do start_daemon "$cfg"; done
  wait
  for attempt in 2 3; do
    retry=()
    for cfg in container compose k8s; do port_taken "$cfg" && retry+=("$cfg"); done
    [ "${#retry[@]}" -eq 0 ] && break
    echo "note     port taken by another process for ${retry[*]}: attempt ${attempt} with a new port"
    for cfg in "${retry[@]}"; do start_daemon "$cfg"; done
    wait
  done
  for cfg in container compose k8s; do
    check "wirescan run accepts the ${cfg} config" daemon_accepted "$cfg"
  done
else
  skip "wirescan run accepts the shipped configs" "$BIN not built or no python3 with PyYAML"
fi

echo "${passed} passed, ${failed} failed"
[ "$failed" -eq 0 ]
