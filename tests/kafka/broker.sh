#!/usr/bin/env bash
# A real single-node Apache Kafka broker (KRaft, broker+controller in one JVM) on 127.0.0.1,
# for wirescan's integration and end-to-end tests. See tests/kafka/README.md.
#
#   broker.sh fetch                       resolve the broker's jars from Maven Central (once)
#   broker.sh start [--dir DIR] [--prop K=V]...
#                                         start a broker; prints host:port on stdout
#   broker.sh stop DIR                    SIGTERM, up to 30 s, then SIGKILL
#   broker.sh restart DIR                 stop + start, same ports and same data
#   broker.sh status DIR                  exit 0 if running, 3 if not
#   broker.sh create-topic DIR NAME PARTITIONS
#
# Environment:
#   WIRESCAN_KAFKA_VERSION   Kafka version to fetch (default 3.8.1)
#   WIRESCAN_KAFKA_HOME      cache dir (default ~/.cache/wirescan/kafka-<version>); jars in libs/
#   WIRESCAN_KAFKA_START_TIMEOUT  seconds to wait for readiness (default 60)
#   WIRESCAN_KAFKA_HEAP      JVM heap options (default "-Xmx512m -Xms256m")
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly SCRIPT_DIR
readonly KAFKA_VERSION="${WIRESCAN_KAFKA_VERSION:-3.8.1}"
readonly KAFKA_HOME="${WIRESCAN_KAFKA_HOME:-${HOME}/.cache/wirescan/kafka-${KAFKA_VERSION}}"
readonly LIBS="${KAFKA_HOME}/libs"
readonly START_TIMEOUT="${WIRESCAN_KAFKA_START_TIMEOUT:-60}"
readonly STOP_TIMEOUT=30
# Word-split on purpose: it is a list of JVM options.
read -r -a HEAP_OPTS <<<"${WIRESCAN_KAFKA_HEAP:--Xmx512m -Xms256m}"

log() { echo "broker.sh: $*" >&2; }
die() {
  log "error: $*"
  exit 1
}

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//' >&2
  exit 2
}

# --- fetch -------------------------------------------------------------------------------------

# The marker file is written last, so an interrupted fetch is redone rather than half-used.
libs_ready() { [[ -f "${LIBS}/.complete" ]]; }

cmd_fetch() {
  if libs_ready; then
    log "jars present in ${LIBS}"
    return 0
  fi
  command -v mvn >/dev/null || die "mvn not found (apt-get install maven)"
  mkdir -p "${KAFKA_HOME}"
  local tmp="${LIBS}.partial.$$"
  rm -rf "${tmp}"
  log "fetching Kafka ${KAFKA_VERSION} jars into ${LIBS}"
  # Maven's output (Debian's build prints stray colour codes even with -q -B) goes to a file,
  # shown only on failure.
  if ! mvn -q -B -f "${SCRIPT_DIR}/pom.xml" \
    -Dkafka.version="${KAFKA_VERSION}" -DincludeScope=runtime \
    dependency:copy-dependencies -DoutputDirectory="${tmp}" >"${KAFKA_HOME}/fetch.log" 2>&1; then
    cat "${KAFKA_HOME}/fetch.log" >&2
    rm -rf "${tmp}"
    die "mvn dependency:copy-dependencies failed (log: ${KAFKA_HOME}/fetch.log)"
  fi
  [[ -f "${tmp}/kafka_2.13-${KAFKA_VERSION}.jar" ]] || die "kafka_2.13-${KAFKA_VERSION}.jar missing"
  rm -rf "${LIBS}"
  mv "${tmp}" "${LIBS}"
  echo "${KAFKA_VERSION}" >"${LIBS}/.complete"
  log "fetched $(find "${LIBS}" -name '*.jar' | wc -l) jars, $(du -sh "${LIBS}" | cut -f1)"
}

# --- helpers -----------------------------------------------------------------------------------

# Prints two distinct free TCP ports on 127.0.0.1. Both sockets are held open until both are
# chosen, so the two differ; the kernel may still hand them out again before Kafka binds them,
# which is rare enough for tests.
free_ports() {
  python3 - <<'EOF'
import socket
socks = []
for _ in range(2):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
for s in socks:
    s.close()
EOF
}

# A Kafka cluster id: 16 random bytes, URL-safe base64 without padding (what
# `kafka-storage random-uuid` prints), computed here to save a JVM start.
cluster_id() {
  python3 - <<'EOF'
import base64, uuid
while True:
    s = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
    if not s.startswith("-"):  # Kafka refuses ids that look like a command-line flag
        print(s)
        break
EOF
}

# Exit 0 when the broker at $1 answers a Metadata request listing at least one broker. In KRaft a
# broker appears in metadata only once it is registered and unfenced, i.e. ready for clients.
metadata_ok() {
  local bootstrap="$1"
  if command -v kcat >/dev/null; then
    kcat -b "${bootstrap}" -L -m 2 2>/dev/null | grep -Eq '^ +[1-9][0-9]* brokers:'
    return
  fi
  python3 - "${bootstrap}" <<'EOF'
import socket, struct, sys
host, port = sys.argv[1].rsplit(":", 1)
client = b"wirescan-probe"
# Request header v1 + Metadata v1 body (topics = null: all topics).
body = struct.pack(">hhih", 3, 1, 1, len(client)) + client + struct.pack(">i", -1)
try:
    with socket.create_connection((host, int(port)), timeout=2) as s:
        s.sendall(struct.pack(">i", len(body)) + body)
        buf = b""
        while len(buf) < 12:
            chunk = s.recv(4096)
            if not chunk:
                sys.exit(1)
            buf += chunk
except OSError:
    sys.exit(1)
_size, _corr, nbrokers = struct.unpack(">iii", buf[:12])
sys.exit(0 if nbrokers > 0 else 1)
EOF
}

prop() { # prop FILE KEY: the value of KEY in a .properties file
  sed -n "s/^$2=//p" "$1" | tail -n 1
}

# The pid in DIR/pid if that process is alive and is this directory's broker (guards against a
# recycled pid).
running_pid() {
  local dir="$1" pid
  [[ -f "${dir}/pid" ]] || return 1
  pid="$(cat "${dir}/pid")"
  [[ "${pid}" =~ ^[0-9]+$ ]] || return 1
  [[ -r "/proc/${pid}/cmdline" ]] || return 1
  tr '\0' ' ' <"/proc/${pid}/cmdline" | grep -qF "${dir}/server.properties" || return 1
  echo "${pid}"
}

abs_dir() { (cd "$1" 2>/dev/null && pwd); }

write_config() {
  local dir="$1" bport="$2" cport="$3"
  shift 3
  cat >"${dir}/server.properties" <<EOF
# Written by tests/kafka/broker.sh: single-node KRaft broker+controller for tests.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:${cport}
listeners=PLAINTEXT://127.0.0.1:${bport},CONTROLLER://127.0.0.1:${cport}
advertised.listeners=PLAINTEXT://127.0.0.1:${bport}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=${dir}/data

auto.create.topics.enable=true
num.partitions=1
default.replication.factor=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
group.initial.rebalance.delay.ms=0
# Let tests use short consumer session timeouts for rebalance scenarios.
group.min.session.timeout.ms=1000

# Small and quiet: 2 shared cores.
num.network.threads=2
num.io.threads=2
background.threads=2
num.recovery.threads.per.data.dir=1
log.cleaner.threads=1
log.cleaner.dedupe.buffer.size=8388608
log.segment.bytes=16777216
EOF
  local kv
  for kv in "$@"; do
    echo "${kv}" >>"${dir}/server.properties"
  done

  cat >"${dir}/log4j.properties" <<EOF
# Everything to ${dir}/broker.log, nothing to the terminal.
log4j.rootLogger=INFO, file
log4j.appender.file=org.apache.log4j.FileAppender
log4j.appender.file.File=${dir}/broker.log
log4j.appender.file.Append=true
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka=INFO
log4j.logger.org.apache.kafka=INFO
log4j.logger.kafka.request.logger=WARN
log4j.logger.state.change.logger=WARN
log4j.logger.kafka.log.LogCleaner=WARN
log4j.logger.org.apache.kafka.common.config.AbstractConfig=WARN
EOF

  cat >"${dir}/tools-log4j.properties" <<'EOF'
log4j.rootLogger=WARN, stderr
log4j.appender.stderr=org.apache.log4j.ConsoleAppender
log4j.appender.stderr.Target=System.err
log4j.appender.stderr.layout=org.apache.log4j.PatternLayout
log4j.appender.stderr.layout.ConversionPattern=[%d] %p %m (%c)%n
EOF
}

# Runs a Kafka command-line class with a small heap and quiet logging.
run_tool() {
  local dir="$1"
  shift
  java -Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC \
    -Dlog4j.configuration="file:${dir}/tools-log4j.properties" \
    -cp "${LIBS}/*" "$@"
}

# --- start / stop ------------------------------------------------------------------------------

cmd_start() {
  local dir="" props=()
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --dir)
        [[ $# -ge 2 ]] || usage
        dir="$2"
        shift 2
        ;;
      --prop)
        [[ $# -ge 2 && "$2" == *=* ]] || die "--prop needs KEY=VALUE"
        props+=("$2")
        shift 2
        ;;
      *) usage ;;
    esac
  done

  libs_ready || cmd_fetch
  command -v java >/dev/null || die "java not found"

  if [[ -z "${dir}" ]]; then
    dir="$(mktemp -d "${TMPDIR:-/tmp}/wirescan-kafka.XXXXXX")"
  else
    mkdir -p "${dir}"
  fi
  dir="$(abs_dir "${dir}")"

  if running_pid "${dir}" >/dev/null; then
    die "a broker is already running in ${dir} (pid $(cat "${dir}/pid"))"
  fi

  if [[ -f "${dir}/server.properties" && -f "${dir}/data/meta.properties" ]]; then
    # Restart: same ports, same data; formatting again would be refused anyway.
    [[ ${#props[@]} -eq 0 ]] || die "--prop is only accepted on a fresh directory"
    log "reusing ${dir}"
  else
    local ports bport cport
    ports="$(free_ports)"
    bport="${ports% *}"
    cport="${ports#* }"
    write_config "${dir}" "${bport}" "${cport}" "${props[@]+"${props[@]}"}"
    run_tool "${dir}" kafka.tools.StorageTool format --ignore-formatted \
      -t "$(cluster_id)" -c "${dir}/server.properties" >>"${dir}/broker.log" 2>&1 ||
      die "storage format failed; see ${dir}/broker.log"
  fi

  local bootstrap
  bootstrap="127.0.0.1:$(prop "${dir}/server.properties" listeners |
    sed -n 's/.*PLAINTEXT:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p')"
  echo "${bootstrap}" >"${dir}/bootstrap"
  rm -f "${dir}/pid"

  # setsid: the broker outlives this script and is not hit by the caller's Ctrl-C; stop it with
  # `broker.sh stop DIR`. The inner shell writes its own pid, then becomes the JVM (exec).
  # shellcheck disable=SC2016  # $$ and $@ are the inner shell's, expanded there.
  setsid bash -c 'echo $$ >"$1"; shift; exec "$@"' broker-launcher "${dir}/pid" \
    java "${HEAP_OPTS[@]}" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:+ExitOnOutOfMemoryError \
    -Djava.awt.headless=true \
    -Dlog4j.configuration="file:${dir}/log4j.properties" -Dkafka.logs.dir="${dir}/logs" \
    -cp "${LIBS}/*" kafka.Kafka "${dir}/server.properties" \
    </dev/null >>"${dir}/broker.log" 2>&1 &

  local deadline=$((SECONDS + START_TIMEOUT)) pid=""
  while ((SECONDS < deadline)); do
    if [[ -z "${pid}" && -s "${dir}/pid" ]]; then pid="$(cat "${dir}/pid")"; fi
    if [[ -n "${pid}" ]] && ! kill -0 "${pid}" 2>/dev/null; then
      tail -n 30 "${dir}/broker.log" >&2 || true
      die "broker exited during start-up; see ${dir}/broker.log"
    fi
    if [[ -n "${pid}" ]] && metadata_ok "${bootstrap}"; then
      log "broker ${KAFKA_VERSION} ready at ${bootstrap} (pid ${pid}, dir ${dir}, ${SECONDS}s)"
      echo "${bootstrap}"
      return 0
    fi
    sleep 0.5
  done
  log "broker not ready after ${START_TIMEOUT}s; stopping it"
  tail -n 30 "${dir}/broker.log" >&2 || true
  cmd_stop "${dir}" || true
  die "start timed out"
}

cmd_stop() {
  [[ $# -eq 1 ]] || usage
  local dir pid
  dir="$(abs_dir "$1")" || die "no such directory: $1"
  if ! pid="$(running_pid "${dir}")"; then
    log "not running (${dir})"
    rm -f "${dir}/pid"
    return 0
  fi
  kill -TERM "${pid}" 2>/dev/null || true
  local deadline=$((SECONDS + STOP_TIMEOUT))
  while kill -0 "${pid}" 2>/dev/null && ((SECONDS < deadline)); do
    sleep 0.2
  done
  if kill -0 "${pid}" 2>/dev/null; then
    log "pid ${pid} still alive after ${STOP_TIMEOUT}s: SIGKILL"
    kill -KILL "${pid}" 2>/dev/null || true
    while kill -0 "${pid}" 2>/dev/null; do sleep 0.1; done
  fi
  rm -f "${dir}/pid"
  log "stopped (pid ${pid})"
}

cmd_restart() {
  [[ $# -eq 1 ]] || usage
  [[ -f "$1/server.properties" ]] || die "$1 has no server.properties; use start"
  cmd_stop "$1"
  cmd_start --dir "$1"
}

cmd_status() {
  [[ $# -eq 1 ]] || usage
  local dir pid
  dir="$(abs_dir "$1")" || die "no such directory: $1"
  if pid="$(running_pid "${dir}")"; then
    echo "running pid=${pid} bootstrap=$(cat "${dir}/bootstrap")"
    return 0
  fi
  echo "stopped"
  return 3
}

cmd_create_topic() {
  [[ $# -eq 3 ]] || usage
  local dir="$1" name="$2" partitions="$3"
  [[ "${partitions}" =~ ^[1-9][0-9]*$ ]] || die "PARTITIONS must be a positive integer"
  dir="$(abs_dir "${dir}")" || die "no such directory: $1"
  running_pid "${dir}" >/dev/null || die "no broker running in ${dir}"
  # TopicCommand moved from core (kafka.admin) to the tools module in Kafka 3.6.
  local cls=kafka.admin.TopicCommand
  if compgen -G "${LIBS}/kafka-tools-[0-9]*.jar" >/dev/null; then
    cls=org.apache.kafka.tools.TopicCommand
  fi
  run_tool "${dir}" "${cls}" --bootstrap-server "$(cat "${dir}/bootstrap")" --create \
    --if-not-exists --topic "${name}" --partitions "${partitions}" --replication-factor 1 >&2
}

main() {
  [[ $# -ge 1 ]] || usage
  local cmd="$1"
  shift
  case "${cmd}" in
    fetch) cmd_fetch "$@" ;;
    start) cmd_start "$@" ;;
    stop) cmd_stop "$@" ;;
    restart) cmd_restart "$@" ;;
    status) cmd_status "$@" ;;
    create-topic) cmd_create_topic "$@" ;;
    -h | --help | help) usage ;;
    *) usage ;;
  esac
}

main "$@"
