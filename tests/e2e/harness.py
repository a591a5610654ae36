"""End-to-end test harness for the wirescan daemon: a real broker, bulk loading, daemon processes
and an output reader that accounts for every input offset.

Run with Debian's /usr/bin/python3 (it has python3-confluent-kafka and python3-protobuf); see
tests/e2e/README.md. Standard library + confluent_kafka (1.7, Debian 12) only; protobuf only
for decoding a sample of analyses (AnalysisDecoder).

Every wait here is bounded: by its own timeout and by the scenario's Deadline.
"""

import atexit
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from pathlib import Path

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

SOURCE_DIR = Path(
    os.environ.get("WIRESCAN_SOURCE_DIR") or Path(__file__).resolve().parents[2]).resolve()
BROKER_SH = SOURCE_DIR / "tests" / "kafka" / "broker.sh"

# Header names of the output contract.
H_TOPIC = "wirescan-source-topic"
H_PARTITION = "wirescan-source-partition"
H_OFFSET = "wirescan-source-offset"
H_RULES = "wirescan-rules-version"
H_CONTENT_TYPE = "content-type"
H_DLQ_REASON = "wirescan-dlq-reason"
H_DLQ_MESSAGE = "wirescan-dlq-message"
CT_ANALYSIS = "application/x-protobuf; messageType=wirescan.v1.ArticleAnalysis"
CT_EVENT = "application/x-protobuf; messageType=wirescan.v1.Event"
# The harness's own clients log only critical problems: a broker restart is part of the tests.
QUIET = {"log_level": 2}
DLQ_REASONS = frozenset(
    ["not_json", "not_object", "missing_body", "empty_body", "wrong_type", "too_large",
     "invalid_utf8", "extract_failed", "output_too_large", "output_refused",
     "dead_letter_refused", "too_slow"])
H_DLQ_TRUNCATED = "wirescan-dlq-truncated"
H_DLQ_ORIGINAL_SIZE = "wirescan-dlq-original-size"


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


class ScenarioTimeout(Exception):
    pass


class Deadline:
    """A scenario's global time budget. left() is what any wait may still use."""

    def __init__(self, seconds, what="scenario"):
        self.seconds = seconds
        self.what = what
        self.end = time.monotonic() + seconds

    def left(self):
        return self.end - time.monotonic()

    def cap(self, timeout):
        """min(timeout, time left); raises ScenarioTimeout when the budget is spent."""
        left = self.left()
        if left <= 0:
            raise ScenarioTimeout(f"{self.what}: time budget of {self.seconds:.0f} s exhausted")
        return min(timeout, left)


def wait_until(pred, timeout, what, deadline=None, interval=0.25):
    """Polls pred() until it returns a truthy value (returned) or timeout -> ScenarioTimeout."""
    if deadline is not None:
        timeout = deadline.cap(timeout)
    end = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() >= end:
            raise ScenarioTimeout(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


# --- processes we started: stopped at exit, by pid, whatever happens --------------------------

_live_procs = {}  # pid -> Popen


def _kill_leftovers():
    for pid, proc in list(_live_procs.items()):
        if proc.poll() is None:
            try:
                os.kill(pid, signal.SIGKILL)
                proc.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                pass
    _live_procs.clear()


atexit.register(_kill_leftovers)


# --- broker -----------------------------------------------------------------------------------

class Broker:
    """A broker.sh broker in its own directory; a context manager. stop() is idempotent and is
    also registered with atexit, so a crashed test run does not leave a JVM behind."""

    def __init__(self, workdir=None, start_timeout=120):
        self._own_dir = workdir is None
        self.dir = Path(workdir or tempfile.mkdtemp(prefix="wirescan-e2e-kafka."))
        self.start_timeout = start_timeout
        self.bootstrap = None
        self._admin = None
        self._running = False

    def _run(self, *args, timeout):
        return subprocess.run([str(BROKER_SH), *args], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, timeout=timeout, check=False)

    def start(self):
        t0 = time.monotonic()
        r = self._run("start", "--dir", str(self.dir), timeout=self.start_timeout + 60)
        if r.returncode != 0:
            raise RuntimeError(f"broker.sh start failed ({r.returncode}): {r.stderr[-2000:]}")
        self.bootstrap = r.stdout.strip().splitlines()[-1]
        self._running = True
        atexit.register(self.stop)
        log(f"broker at {self.bootstrap} ({time.monotonic() - t0:.1f} s, dir {self.dir})")
        return self

    def stop(self):
        if not self._running:
            return
        self._running = False
        self._admin = None
        r = self._run("stop", str(self.dir), timeout=90)
        if r.returncode != 0:
            log(f"broker.sh stop: {r.stderr[-500:]}")

    def restart(self):
        t0 = time.monotonic()
        r = self._run("restart", str(self.dir), timeout=self.start_timeout + 90)
        if r.returncode != 0:
            raise RuntimeError(f"broker.sh restart failed: {r.stderr[-2000:]}")
        log(f"broker restarted in {time.monotonic() - t0:.1f} s")
        return time.monotonic() - t0

    def cleanup(self):
        self.stop()
        if self._own_dir:
            subprocess.run(["rm", "-rf", str(self.dir)], check=False, timeout=120)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.cleanup()

    # -- admin --

    def admin(self):
        if self._admin is None:
            self._admin = AdminClient(dict(QUIET, **{"bootstrap.servers": self.bootstrap}))
        return self._admin

    def create_topic(self, name, partitions, timeout=30):
        """Creates NAME with PARTITIONS partitions (RF 1) and waits until every partition has a
        leader. An existing topic with the same partition count is accepted."""
        fut = self.admin().create_topics([NewTopic(name, partitions, 1)],
                                         operation_timeout=timeout)[name]
        try:
            fut.result(timeout=timeout)
        except KafkaException as e:
            if e.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
                raise

        def ready():
            md = self.admin().list_topics(topic=name, timeout=5).topics.get(name)
            return (md is not None and md.error is None and len(md.partitions) == partitions
                    and all(p.leader >= 0 for p in md.partitions.values()))

        wait_until(ready, timeout, f"topic {name} with {partitions} partitions")

    def partitions(self, topic):
        md = self.admin().list_topics(topic=topic, timeout=10).topics.get(topic)
        if md is None or md.error is not None:
            return 0
        return len(md.partitions)

    def topics_with_prefix(self, prefix):
        topics = self.admin().list_topics(timeout=10).topics
        return sorted(t for t in topics if t.startswith(prefix))


def watermarks(bootstrap, topic, nparts, timeout=10):
    """{partition: (low, high)} of TOPIC."""
    c = Consumer({**QUIET, "bootstrap.servers": bootstrap, "group.id": unique("wm"),
                  "enable.auto.commit": False})
    try:
        return {p: c.get_watermark_offsets(TopicPartition(topic, p), timeout=timeout, cached=False)
                for p in range(nparts)}
    finally:
        c.close()


def committed_offsets(bootstrap, group, topic, nparts, timeout=10):
    """{partition: committed offset, or None when the group has none} for GROUP on TOPIC. The
    consumer only queries (it never subscribes), so the group is not disturbed."""
    c = Consumer({**QUIET, "bootstrap.servers": bootstrap, "group.id": group,
                  "enable.auto.commit": False})
    try:
        tps = c.committed([TopicPartition(topic, p) for p in range(nparts)], timeout=timeout)
        return {tp.partition: (tp.offset if tp.offset >= 0 else None) for tp in tps}
    finally:
        c.close()


# --- input data ---------------------------------------------------------------------------------

_ID_RE = re.compile(rb'^\{"id":"((?:[^"\\]|\\.)*)"')


def article_id(line):
    """The `id` of an NDJSON article line (bytes), or None when it has none / is not JSON."""
    m = _ID_RE.match(line)
    if m:
        return json.loads(b'"' + m.group(1) + b'"')
    try:
        obj = json.loads(line)
    except ValueError:
        return None
    if isinstance(obj, dict) and isinstance(obj.get("id"), str):
        return obj["id"]
    return None


def repeat_ndjson(src, dst, count):
    """Writes COUNT records to DST by cycling the articles in SRC; pass k >= 2 suffixes ids with
    '#k' (as corpus_to_ndjson.py --repeat-to does)."""
    arts = [json.loads(l) for l in Path(src).read_text(encoding="utf-8").splitlines() if l.strip()]
    with open(dst, "w", encoding="utf-8") as f:
        for i in range(count):
            a = dict(arts[i % len(arts)])
            k = i // len(arts) + 1
            if k > 1:
                a["id"] = f"{a['id']}#{k}"
            f.write(json.dumps(a, ensure_ascii=False, separators=(",", ":")) + "\n")
    return dst


class LoadedInput:
    """What was produced: per partition, the keys (and optionally values) by offset."""

    def __init__(self, topic, nparts):
        self.topic = topic
        self.nparts = nparts
        self.keys = {p: [] for p in range(nparts)}
        self.values = {p: [] for p in range(nparts)}
        self.seconds = 0.0
        self.bytes = 0

    @property
    def total(self):
        return sum(len(v) for v in self.keys.values())

    def expected(self):
        """The set of (topic, partition, offset) every one of which needs an output."""
        return {(self.topic, p, o) for p in range(self.nparts) for o in range(len(self.keys[p]))}


def produce_records(bootstrap, topic, nparts, records, keep_values=False, timeout=120):
    """Produces RECORDS (iterable of (key bytes|None, value bytes)) to TOPIC round-robin over its
    partitions (record i -> partition i % nparts) with an idempotent, batching producer, and
    waits for every delivery. The topic must be empty and freshly created: offsets are then the
    per-partition production order. Returns a LoadedInput."""
    out = LoadedInput(topic, nparts)
    errors = []

    def on_delivery(err, msg):
        if err is not None:
            errors.append(str(err))

    p = Producer({
        **QUIET,
        "bootstrap.servers": bootstrap,
        "enable.idempotence": True,  # keeps per-partition order across retries
        "linger.ms": 50,
        "batch.num.messages": 10000,
        "batch.size": 1048576,
        "queue.buffering.max.messages": 200000,
        "queue.buffering.max.kbytes": 1048576,
        "compression.type": "lz4",
        "message.max.bytes": 8388608,
    })
    t0 = time.monotonic()
    end = t0 + timeout
    for i, (key, value) in enumerate(records):
        part = i % nparts
        out.keys[part].append(key)
        if keep_values:
            out.values[part].append(value)
        out.bytes += len(value)
        while True:
            try:
                p.produce(topic, value=value, key=key, partition=part, on_delivery=on_delivery)
                break
            except BufferError:
                if time.monotonic() > end:
                    raise ScenarioTimeout(f"producing to {topic}: queue full for {timeout} s")
                p.poll(0.05)
        if i % 1000 == 0:
            p.poll(0)
    left = p.flush(max(1.0, end - time.monotonic()))
    out.seconds = time.monotonic() - t0
    if left or errors:
        raise RuntimeError(f"producing to {topic}: {left} undelivered, {len(errors)} errors "
                           f"(first: {errors[:1]})")
    return out


def load_ndjson(bootstrap, topic, nparts, path, keep_values=False, timeout=180):
    """Bulk-loads an NDJSON file (one message per line, key = the article id) into TOPIC."""

    def records():
        with open(path, "rb") as f:
            for line in f:
                line = line.rstrip(b"\n")
                if not line:
                    continue
                key = article_id(line)
                yield (key.encode() if key is not None else None, line)

    out = produce_records(bootstrap, topic, nparts, records(), keep_values=keep_values,
                          timeout=timeout)
    log(f"loaded {out.total} records ({out.bytes / 1e6:.0f} MB) into {topic} "
        f"[{nparts} partitions] in {out.seconds:.1f} s")
    return out


# --- daemon process -----------------------------------------------------------------------------

def to_yaml(obj, indent=0):
    """A small YAML emitter for the daemon config: nested maps in block style, scalars as JSON
    (a JSON string is a YAML double-quoted scalar), lists in flow style."""
    lines = []
    pad = "  " * indent
    for k, v in obj.items():
        if isinstance(v, dict):
            if not v:
                lines.append(f"{pad}{k}: {{}}")
                continue
            lines.append(f"{pad}{k}:")
            lines.append(to_yaml({str(kk): vv for kk, vv in v.items()}, indent + 1))
        elif isinstance(v, bool):
            lines.append(f"{pad}{k}: {'true' if v else 'false'}")
        elif isinstance(v, (list, tuple)):
            lines.append(f"{pad}{k}: [{', '.join(json.dumps(x) for x in v)}]")
        else:
            lines.append(f"{pad}{k}: {json.dumps(v, ensure_ascii=False)}")
    return "\n".join(lines)


def daemon_config(bootstrap, group, input_topics, analysis_topic, dlq_topic, event_prefix,
                  workers=2, shutdown_timeout_ms=10000, commit_interval_ms=500, input_extra=None,
                  consumer_extra=None, producer_extra=None):
    """A DaemonConfig (config.proto) as a dict. The consumer properties are what the tests rely
    on: read from the beginning when the group has no offset, and notice a killed member fast."""
    consumer = {
        "auto.offset.reset": "earliest",
        "session.timeout.ms": "6000",
        "heartbeat.interval.ms": "1000",
    }
    if os.environ.get("WIRESCAN_E2E_KAFKA_DEBUG"):  # e.g. "cgrp,consumer": librdkafka's own log
        consumer["debug"] = os.environ["WIRESCAN_E2E_KAFKA_DEBUG"]
    consumer.update(consumer_extra or {})
    cfg = {
        "brokers": bootstrap,
        "group_id": group,
        "input": {"topics": list(input_topics), **(input_extra or {})},
        "output": {
            "analysis_topic": analysis_topic,
            "dead_letter_topic": dlq_topic,
            "event_topic_prefix": event_prefix,
        },
        "pipeline": {
            "workers": workers,
            "commit_interval_ms": commit_interval_ms,
            "shutdown_timeout_ms": shutdown_timeout_ms,
        },
        "metrics_address": f"127.0.0.1:{free_port()}",
        "consumer": consumer,
    }
    if producer_extra:
        cfg["producer"] = dict(producer_extra)
    return cfg


class Daemon:
    """One `$WIRESCAN_BIN run --config FILE` process: config, stdout and stderr in WORKDIR."""

    def __init__(self, name, workdir, config, binary=None, extra_args=(), env=None):
        self.name = name
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.config = dict(config, client_id=name)
        self.binary = binary or os.environ.get("WIRESCAN_BIN")
        self.extra_args = list(extra_args)
        self.env = dict(os.environ, **(env or {}))
        self.proc = None
        self.starts = 0
        self.config_path = self.workdir / f"{name}.yaml"
        self.stderr_path = self.workdir / f"{name}.stderr"
        self.stdout_path = self.workdir / f"{name}.stdout"
        self.exit_seconds = None

    def start(self, extra_args=()):
        if not self.binary:
            raise RuntimeError("WIRESCAN_BIN is not set")
        self.config_path.write_text(to_yaml(self.config) + "\n", encoding="utf-8")
        self.starts += 1
        # librdkafka's debug lines go through the daemon's logger (README "Logs"): shown at
        # --log-level debug only.
        debug = ["--log-level", "debug"] if os.environ.get("WIRESCAN_E2E_KAFKA_DEBUG") else []
        with open(self.stdout_path, "ab") as out, open(self.stderr_path, "ab") as err:
            err.write(f"--- start #{self.starts} ---\n".encode())
            err.flush()
            self.proc = subprocess.Popen(
                [self.binary, "run", "--config", str(self.config_path), *debug,
                 *self.extra_args, *extra_args],
                stdout=out, stderr=err, stdin=subprocess.DEVNULL, start_new_session=True,
                env=self.env)
        _live_procs[self.proc.pid] = self.proc
        log(f"{self.name}: started pid {self.proc.pid}")
        return self

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def returncode(self):
        return None if self.proc is None else self.proc.poll()

    def _signal(self, sig):
        if self.alive():
            os.kill(self.proc.pid, sig)

    def sigterm(self):
        self._sent = time.monotonic()
        self._signal(signal.SIGTERM)

    def sigint(self):
        self._sent = time.monotonic()
        self._signal(signal.SIGINT)

    def kill9(self):
        self._signal(signal.SIGKILL)
        rc = self.wait(10)
        log(f"{self.name}: killed -9 (rc {rc})")
        return rc

    def wait(self, timeout):
        """The exit code, or None if still running after TIMEOUT seconds."""
        if self.proc is None:
            return None
        try:
            rc = self.proc.wait(timeout=max(0.0, timeout))
        except subprocess.TimeoutExpired:
            return None
        _live_procs.pop(self.proc.pid, None)
        if getattr(self, "_sent", None) is not None:
            self.exit_seconds = time.monotonic() - self._sent
            self._sent = None
        return rc

    def stop(self, timeout=15):
        """SIGTERM, wait; SIGKILL if it did not exit. Returns the exit code (-9 if killed)."""
        if not self.alive():
            return self.returncode()
        self.sigterm()
        rc = self.wait(timeout)
        if rc is None:
            log(f"{self.name}: no exit {timeout} s after SIGTERM: SIGKILL")
            return self.kill9()
        return rc

    def stderr_tail(self, n=15):
        try:
            lines = self.stderr_path.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            return ""
        return "\n".join(lines[-n:])


# --- output reader -------------------------------------------------------------------------------

def _headers(msg):
    out = {}
    for k, v in msg.headers() or []:
        out[k] = v.decode("utf-8", "replace") if isinstance(v, (bytes, bytearray)) else v
    return out


class OutputReader:
    """Reads the analysis and dead-letter topics (and event topics, when given) from the
    beginning, with a unique group id and explicit assignment (no rebalances), and accounts
    every output to its source (topic, partition, offset) from the headers.

    State (all keyed by source (topic, partition, offset) = `src`):
      analyses[src], dead_letters[src]   how many of each
      order[(topic, partition)]          source offsets in analysis-topic order
      dlq[src]                           list of (key, value, reason, message) of dead letters
      dlq_headers[src]                   the headers of each of them (same order)
      problems                           contract violations seen (headers, partitioning)
    """

    MAX_PROBLEMS = 50

    def __init__(self, bootstrap, analysis_topic, dlq_topic, analysis_parts, dlq_parts,
                 event_topics=(), decoder=None, sample_every=500, source_topics=None):
        self.bootstrap = bootstrap
        # Event topics may be shared (a rule's own `topic`, e.g. wirescan.events.investment):
        # events from other sources than these input topics are skipped.
        self.source_topics = set(source_topics) if source_topics else None
        self.analysis_topic = analysis_topic
        self.dlq_topic = dlq_topic
        self.analysis_parts = analysis_parts
        self.decoder = decoder
        self.sample_every = sample_every
        self.analyses = defaultdict(int)
        self.dead_letters = defaultdict(int)
        self.analysis_keys = {}
        self.order = defaultdict(list)
        self.dlq = defaultdict(list)
        self.dlq_headers = defaultdict(list)
        self.events = 0
        self.event_sources = defaultdict(int)
        self.problems = []
        self.n_problems = 0
        self.n_messages = 0
        self.decoded = 0
        self.tps = ([TopicPartition(analysis_topic, p) for p in range(analysis_parts)]
                    + [TopicPartition(dlq_topic, p) for p in range(dlq_parts)])
        self.event_tps = []
        self.consumer = Consumer({
            **QUIET,
            "bootstrap.servers": bootstrap,
            "group.id": unique("e2e-reader"),
            "enable.auto.commit": False,
            "auto.offset.reset": "earliest",
            "enable.partition.eof": False,
            "fetch.max.bytes": 52428800,
            "max.partition.fetch.bytes": 10485760,
        })
        for tp in self.tps:
            tp.offset = -2  # OFFSET_BEGINNING
        self.consumer.assign(self.tps)
        self.add_event_topics(event_topics)

    def add_event_topics(self, topics):
        """Also reads these event topics (from the beginning); new ones only."""
        have = {tp.topic for tp in self.event_tps}
        new = []
        for t in topics:
            if t in have:
                continue
            c = Consumer({**QUIET, "bootstrap.servers": self.bootstrap, "group.id": unique("md")})
            try:
                md = c.list_topics(topic=t, timeout=10).topics.get(t)
            finally:
                c.close()
            if md is None or md.error is not None:
                continue
            new += [TopicPartition(t, p, -2) for p in md.partitions]
        if new:
            self.event_tps += new
            # Adds to the assignment; assign() would rewind the partitions already read.
            self.consumer.incremental_assign(new)

    def close(self):
        self.consumer.close()

    def problem(self, text):
        self.n_problems += 1
        if len(self.problems) < self.MAX_PROBLEMS:
            self.problems.append(text)

    def _source(self, h, where):
        try:
            return (h[H_TOPIC], int(h[H_PARTITION]), int(h[H_OFFSET]))
        except (KeyError, ValueError):
            self.problem(f"{where}: missing/invalid source headers {sorted(h)}")
            return None

    def _handle(self, msg):
        self.n_messages += 1
        topic, part = msg.topic(), msg.partition()
        h = _headers(msg)
        where = f"{topic}[{part}]@{msg.offset()}"
        src = self._source(h, where)
        if src is None:
            return
        if H_RULES not in h:
            self.problem(f"{where}: no {H_RULES} header")
        if topic == self.analysis_topic:
            if h.get(H_CONTENT_TYPE) != CT_ANALYSIS:
                self.problem(f"{where}: content-type {h.get(H_CONTENT_TYPE)!r}")
            if part != src[1] % self.analysis_parts:
                self.problem(f"{where}: source partition {src[1]} written to partition {part}, "
                             f"expected {src[1] % self.analysis_parts}")
            self.analyses[src] += 1
            self.order[src[:2]].append(src[2])
            self.analysis_keys[src] = msg.key()
            if self.decoder is not None and (self.n_messages - 1) % self.sample_every == 0:
                self._check_decoded(msg, where)
        elif topic == self.dlq_topic:
            reason = h.get(H_DLQ_REASON)
            if reason not in DLQ_REASONS:
                self.problem(f"{where}: dead letter with reason {reason!r}")
            if H_DLQ_MESSAGE not in h:
                self.problem(f"{where}: dead letter without {H_DLQ_MESSAGE}")
            self.dead_letters[src] += 1
            self.dlq[src].append((msg.key(), msg.value(), reason, h.get(H_DLQ_MESSAGE)))
            self.dlq_headers[src].append(h)
        else:  # an event topic
            if self.source_topics is not None and src[0] not in self.source_topics:
                return
            if h.get(H_CONTENT_TYPE) != CT_EVENT:
                self.problem(f"{where}: content-type {h.get(H_CONTENT_TYPE)!r}")
            self.events += 1
            self.event_sources[src] += 1

    def _check_decoded(self, msg, where):
        try:
            a = self.decoder.analysis(msg.value())
        except Exception as e:  # noqa: BLE001 - any decode failure is a contract problem
            self.problem(f"{where}: value is not a wirescan.v1.ArticleAnalysis: {e}")
            return
        self.decoded += 1
        key = msg.key().decode("utf-8", "replace") if msg.key() is not None else None
        if a.article.id != key:
            self.problem(f"{where}: key {key!r} != article.id {a.article.id!r}")

    def poll_for(self, seconds, max_messages=1000):
        """Consumes for about SECONDS; returns how many messages were read."""
        end = time.monotonic() + seconds
        n = 0
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return n
            for m in self.consumer.consume(num_messages=max_messages, timeout=min(left, 0.5)):
                if m.error():
                    if m.error().code() != KafkaError._PARTITION_EOF:
                        log(f"reader: {m.error()}")
                    continue
                self._handle(m)
                n += 1

    def catch_up(self, timeout, deadline=None):
        """Reads until the position of every assigned partition reaches the high watermark it had
        when called (what was delivered so far has then been seen)."""
        tps = self.tps + self.event_tps
        targets = {}
        for tp in tps:
            _, hi = self.consumer.get_watermark_offsets(TopicPartition(tp.topic, tp.partition),
                                                        timeout=10, cached=False)
            targets[(tp.topic, tp.partition)] = hi

        def reached():
            self.poll_for(0.5)
            pos = self.consumer.position([TopicPartition(t, p) for (t, p) in targets])
            return all(tp.offset >= targets[(tp.topic, tp.partition)]
                       for tp in pos if targets[(tp.topic, tp.partition)] > 0)

        wait_until(reached, timeout, "the output reader to reach the high watermarks",
                   deadline=deadline, interval=0)

    # -- accounting --

    def accounted(self, expected):
        """How many of the EXPECTED sources have at least one output."""
        return sum(1 for s in expected if self.analyses.get(s) or self.dead_letters.get(s))

    def wait_accounted(self, expected, timeout, deadline=None, fraction=1.0, also=None):
        """Reads until at least FRACTION of EXPECTED have an output (and ALSO() is true, if given).
        Logs progress every ~10 s."""
        need = int(len(expected) * fraction)
        last = [time.monotonic()]
        # Counting the set each time is O(n); track the missing ones instead.
        missing = set(expected)

        def done():
            self.poll_for(0.5, max_messages=5000)
            for s in [s for s in missing if self.analyses.get(s) or self.dead_letters.get(s)]:
                missing.discard(s)
            got = len(expected) - len(missing)
            if time.monotonic() - last[0] > 10:
                log(f"reader: {got}/{len(expected)} sources accounted, "
                    f"{self.n_messages} outputs read")
                last[0] = time.monotonic()
            return got >= need and (also is None or also())

        try:
            wait_until(done, timeout, f"{need} of {len(expected)} inputs to have an output",
                       deadline=deadline, interval=0)
        except ScenarioTimeout as e:
            got = len(expected) - len(missing)
            raise ScenarioTimeout(
                f"{e} (got {got}; first missing: {sorted(missing)[:5]})") from None

    def report(self, loaded, allow_duplicates=False, check_order=True):
        """Checks the accounting against what LOADED (a LoadedInput) put in. Returns
        (failures, stats): failures is a list of strings (empty = pass)."""
        expected = loaded.expected()
        failures = []
        wrong_keys = [s for s, k in self.analysis_keys.items()
                      if s in expected and k != loaded.keys[s[1]][s[2]]]
        wrong_keys += [s for s, dl in self.dlq.items() if s in expected
                       for (k, _, _, _) in dl if k != loaded.keys[s[1]][s[2]]]
        if wrong_keys:
            failures.append(f"{len(wrong_keys)} output(s) whose key is not the input's key, "
                            f"e.g. {sorted(wrong_keys)[:3]}")
        missing = [s for s in expected if not self.analyses.get(s) and not self.dead_letters.get(s)]
        both = [s for s in expected if self.analyses.get(s) and self.dead_letters.get(s)]
        dup = [s for s in expected if self.analyses.get(s, 0) + self.dead_letters.get(s, 0) > 1]
        extra_dup_msgs = sum(self.analyses.get(s, 0) + self.dead_letters.get(s, 0) - 1 for s in dup)
        unexpected = [s for s in set(self.analyses) | set(self.dead_letters) if s not in expected]
        stats = {
            "inputs": len(expected),
            "analyses": sum(1 for s in expected if self.analyses.get(s)),
            "dead_letters": sum(1 for s in expected if self.dead_letters.get(s)),
            "duplicated_inputs": len(dup),
            "duplicate_messages": extra_dup_msgs,
            "events": self.events,
            "decoded_samples": self.decoded,
        }
        if missing:
            failures.append(f"{len(missing)} input(s) without any output, "
                            f"e.g. {sorted(missing)[:5]}")
        if both:
            failures.append(f"{len(both)} input(s) with both an analysis and a dead letter, "
                            f"e.g. {sorted(both)[:5]}")
        if dup and not allow_duplicates:
            failures.append(f"{len(dup)} input(s) with duplicate outputs ({extra_dup_msgs} extra "
                            f"messages) without any crash, e.g. {sorted(dup)[:5]}")
        if unexpected:
            failures.append(f"{len(unexpected)} output(s) for unknown sources, "
                            f"e.g. {sorted(unexpected)[:5]}")
        stray = [s for s in self.event_sources if s not in expected or self.dead_letters.get(s)]
        if stray:
            failures.append(f"{len(stray)} event(s) for unknown or dead-lettered sources, "
                            f"e.g. {sorted(stray)[:5]}")
        if check_order:
            bad = self.order_violations()
            if bad:
                failures.append(f"per-partition order broken in {len(bad)} source partition(s): "
                                + "; ".join(bad[:3]))
        if self.n_problems:
            failures.append(f"{self.n_problems} contract problem(s): "
                            + "; ".join(self.problems[:5]))
        if self.decoder is not None and stats["analyses"] and not self.decoded:
            failures.append("no analysis was decoded as a sample")
        return failures, stats

    def order_violations(self):
        """Source partitions whose analyses are out of order. Replays after a crash are allowed:
        the first occurrences of the offsets must be strictly increasing."""
        bad = []
        for (t, p), offs in sorted(self.order.items()):
            seen = set()
            last = -1
            for o in offs:
                if o in seen:
                    continue
                seen.add(o)
                if o <= last:
                    bad.append(f"{t}[{p}]: offset {o} after {last}")
                    break
                last = o
        return bad


def check_commits(bootstrap, group, loaded):
    """Committed offsets of GROUP vs the input's high watermarks. Returns (failures, committed)."""
    committed = committed_offsets(bootstrap, group, loaded.topic, loaded.nparts)
    wm = watermarks(bootstrap, loaded.topic, loaded.nparts)
    failures = []
    for p in range(loaded.nparts):
        c, hi = committed[p], wm[p][1]
        if c is None or c != hi:
            failures.append(f"{loaded.topic}[{p}]: committed {c}, high watermark {hi}")
    return failures, committed


def check_commit_coverage(bootstrap, group, loaded, reader):
    """For each input partition: every offset below the group's committed offset has an output
    (at-least-once). Returns (failures, committed)."""
    committed = committed_offsets(bootstrap, group, loaded.topic, loaded.nparts)
    failures = []
    for p in range(loaded.nparts):
        c = committed[p] or 0
        gaps = [o for o in range(c)
                if not reader.analyses.get((loaded.topic, p, o))
                and not reader.dead_letters.get((loaded.topic, p, o))]
        if gaps:
            failures.append(f"{loaded.topic}[{p}]: committed {c} but {len(gaps)} offset(s) below "
                            f"it have no output, e.g. {gaps[:5]}")
    return failures, committed


def wait_committed(bootstrap, group, loaded, timeout, deadline=None):
    """Waits until GROUP's committed offsets equal the high watermarks on every input partition."""
    last = [None]
    logged = [time.monotonic()]

    def ok():
        try:
            f, c = check_commits(bootstrap, group, loaded)
        except KafkaException as e:
            last[0] = [str(e)]
            return False
        last[0] = f
        if f and time.monotonic() - logged[0] > 10:
            logged[0] = time.monotonic()
            log(f"group {group}: committed {sum(v or 0 for v in c.values())} of {loaded.total}")
        return not f

    try:
        wait_until(ok, timeout, f"group {group} to commit to the end of {loaded.topic}",
                   deadline=deadline, interval=0.5)
    except ScenarioTimeout as e:
        raise ScenarioTimeout(f"{e}: {'; '.join(last[0] or [])}") from None


# --- protobuf -------------------------------------------------------------------------------

class AnalysisDecoder:
    """Generates the Python classes of analysis.proto with protoc into a temporary directory and
    decodes values with them."""

    def __init__(self, tmpdir):
        out = Path(tmpdir) / "pb"
        out.mkdir(parents=True, exist_ok=True)
        subprocess.run(["protoc", f"--python_out={out}", "-I", str(SOURCE_DIR / "proto"),
                        str(SOURCE_DIR / "proto" / "wirescan" / "v1" / "analysis.proto")],
                       check=True, timeout=60)
        sys.path.insert(0, str(out))
        from wirescan.v1 import analysis_pb2  # noqa: E402 - generated just above
        self.pb = analysis_pb2

    def analysis(self, data):
        a = self.pb.ArticleAnalysis()
        a.ParseFromString(data)
        return a

    def event(self, data):
        e = self.pb.Event()
        e.ParseFromString(data)
        return e
