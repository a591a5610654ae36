#!/usr/bin/python3
"""A pass-through stand-in for `wirescan run`, in Python: the same command line and output
contract, no extraction. The e2e harness validates itself against it (test_daemon_e2e.py
--self-test), and it is a baseline for the real daemon's numbers.

  fake_daemon.py run --config FILE [--exit-when-idle]

Reads the subset of the YAML config that tests/e2e/harness.py writes (block maps, JSON scalars,
flow lists). Per input message: a dead letter (value and key unchanged, wirescan-dlq-reason /
-message) or an ArticleAnalysis carrying only `article` (id, title, source, ...), key = article
id, partition = input partition mod analysis partitions; one Event for every 10th article, on
event_topic_prefix + "test". Offsets are committed only after every output of the batch was
delivered (batches: consume, produce, flush, commit). SIGTERM/SIGINT: finish the batch, flush,
commit, exit 0.

WIRESCAN_FAKE_FAULT injects one contract violation, so the self-test can prove the checks fail:
  drop=P:O        no output for input partition P offset O (the offset is still committed)
  swap=P          the analyses of the first two messages of input partition P swapped
  commit_ahead=N  on shutdown, commit N offsets past the last delivered one
  dlq_mutate      dead letters carry a modified value
  dlq_reason      every dead letter gets reason not_json
  ignore_term     SIGTERM/SIGINT are ignored (the harness has to SIGKILL it)
"""

import json
import os
import signal
import shutil
import sys
import tempfile
import time
from pathlib import Path

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import harness  # noqa: E402

CT_ANALYSIS = harness.CT_ANALYSIS
CT_EVENT = harness.CT_EVENT


def log(msg):
    print(f"fake_daemon[{os.getpid()}] {time.strftime('%H:%M:%S')} {msg}", file=sys.stderr,
          flush=True)


def parse_config(text):
    """The YAML subset harness.to_yaml() writes."""
    root = {}
    stack = [(-1, root)]
    for raw in text.splitlines():
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        indent = len(raw) - len(raw.lstrip(" "))
        key, _, val = raw.strip().partition(":")
        val = val.strip()
        while stack[-1][0] >= indent:
            stack.pop()
        parent = stack[-1][1]
        if val == "":
            parent[key] = {}
            stack.append((indent, parent[key]))
        elif val.startswith("["):
            parent[key] = json.loads(val)
        elif val in ("true", "false"):
            parent[key] = val == "true"
        elif val == "{}":
            parent[key] = {}
        else:
            parent[key] = json.loads(val)
    return root


def classify(value, max_bytes):
    """(reason, message) for a bad record, or (None, article dict)."""
    if len(value) > max_bytes:
        return "too_large", f"{len(value)} bytes > max_record_bytes {max_bytes}"
    try:
        text = value.decode("utf-8")
    except UnicodeDecodeError as e:
        return "invalid_utf8", str(e)
    try:
        obj = json.loads(text)
    except ValueError as e:
        return "not_json", str(e)
    if not isinstance(obj, dict):
        return "not_object", f"top-level {type(obj).__name__}"
    if "body" not in obj:
        return "missing_body", "no field body"
    if not isinstance(obj["body"], str):
        return "wrong_type", "body is not a string"
    if not obj["body"]:
        return "empty_body", "body is empty"
    return None, obj


class FakeDaemon:
    def __init__(self, cfg, exit_when_idle):
        self.cfg = cfg
        self.exit_when_idle = exit_when_idle
        self.stop = False
        inp, out = cfg["input"], cfg.get("output", {})
        self.topics = inp["topics"]
        self.max_bytes = int(inp.get("max_record_bytes", 4194304))
        self.analysis_topic = out.get("analysis_topic", "wirescan.analysis")
        self.dlq_topic = out.get("dead_letter_topic", "wirescan.dlq")
        self.event_topic = out.get("event_topic_prefix", "wirescan.events.") + "test"
        self.rules_version = "fake-0"
        fault = os.environ.get("WIRESCAN_FAKE_FAULT", "")
        self.fault, _, self.fault_arg = fault.partition("=")
        self.swapped = False
        self.delivery_errors = []
        self.assigned = set()
        self.pending = {}  # (topic, partition) -> next offset to commit

        self.committed = {}  # (topic, partition) -> last offset committed
        self.pbdir = tempfile.mkdtemp(prefix="wirescan-fake-pb.")
        self.pb = harness.AnalysisDecoder(self.pbdir).pb

        common = {"bootstrap.servers": cfg["brokers"], "client.id": cfg.get("client_id", "fake")}
        common.update(cfg.get("kafka", {}))
        ccfg = dict(common, **{"group.id": cfg.get("group_id", "wirescan"),
                               "enable.auto.commit": False,
                               "partition.assignment.strategy": "range,roundrobin"})
        ccfg.update(cfg.get("consumer", {}))
        pcfg = dict(common, **{"enable.idempotence": True, "linger.ms": 20,
                               "message.max.bytes": 8388608})
        pcfg.update(cfg.get("producer", {}))
        self.consumer = Consumer(ccfg)
        self.producer = Producer(pcfg)
        md = self.producer.list_topics(topic=self.analysis_topic, timeout=10)
        self.analysis_parts = max(1, len(md.topics[self.analysis_topic].partitions))

    # -- rebalance --

    def on_assign(self, consumer, parts):
        self.assigned |= {(tp.topic, tp.partition) for tp in parts}
        log(f"assigned {sorted(p for _, p in self.assigned)}")

    def on_revoke(self, consumer, parts):
        self.flush_and_commit()
        gone = {(tp.topic, tp.partition) for tp in parts}
        self.assigned -= gone
        # Not committed now, never by us: the next owner re-reads them (at-least-once).
        for tp in gone:
            self.pending.pop(tp, None)
        log(f"revoked {sorted(p for _, p in gone)}")

    # -- data plane --

    def on_delivery(self, err, msg):
        if err is not None:
            self.delivery_errors.append(str(err))

    def headers(self, msg, content_type=None):
        h = [(harness.H_TOPIC, msg.topic()), (harness.H_PARTITION, str(msg.partition())),
             (harness.H_OFFSET, str(msg.offset())), (harness.H_RULES, self.rules_version)]
        if content_type:
            h.append((harness.H_CONTENT_TYPE, content_type))
        return h

    def produce(self, *args, **kw):
        while True:
            try:
                self.producer.produce(*args, on_delivery=self.on_delivery, **kw)
                return
            except BufferError:
                self.producer.poll(0.05)

    def handle(self, msg, batch_out):
        if self.fault == "drop" and self.fault_arg == f"{msg.partition()}:{msg.offset()}":
            return
        reason, res = classify(msg.value() or b"", self.max_bytes)
        if reason is not None:
            value = msg.value()
            if self.fault == "dlq_mutate":
                value = (value or b"") + b" "
            if self.fault == "dlq_reason":
                reason = "not_json"
            h = self.headers(msg) + [(harness.H_DLQ_REASON, reason),
                                     (harness.H_DLQ_MESSAGE, res)]
            batch_out.append((self.dlq_topic, dict(value=value, key=msg.key(), headers=h)))
            return
        a = self.pb.ArticleAnalysis()
        art = a.article
        art.id = str(res.get("id", ""))
        art.title = str(res.get("title", ""))
        art.source = str(res.get("source", ""))
        art.url = str(res.get("url", ""))
        art.published_at = str(res.get("published_at", ""))
        art.body_bytes = len(res["body"].encode("utf-8"))
        a.rules_version = self.rules_version
        a.engine_version = "fake"
        key = art.id.encode()
        batch_out.append((self.analysis_topic, dict(
            value=a.SerializeToString(), key=key,
            partition=msg.partition() % self.analysis_parts,
            headers=self.headers(msg, CT_ANALYSIS))))
        if msg.offset() % 10 == 0:
            e = self.pb.Event(id=f"{msg.offset():016x}", type="test", article_id=art.id,
                              rules_version=self.rules_version)
            batch_out.append((self.event_topic, dict(value=e.SerializeToString(), key=key,
                                                     headers=self.headers(msg, CT_EVENT))))

    def flush_and_commit(self, extra=0):
        deadline = time.monotonic() + 120
        while len(self.producer) and time.monotonic() < deadline:
            self.producer.flush(1.0)
            if self.stop and time.monotonic() > self.stop_by:
                break
        if len(self.producer) or self.delivery_errors:
            log(f"{len(self.producer)} undelivered, errors {self.delivery_errors[:3]}: "
                "not committing")
            return False
        if extra:  # fault injection: claim more than was delivered
            self.pending = {tp: o + extra for tp, o in dict(self.committed, **self.pending).items()}
        if not self.pending:
            return True
        offs = [TopicPartition(t, p, o) for (t, p), o in self.pending.items()]
        # One try while running (the main loop must keep polling, or the group drops us; the
        # offsets stay pending for the next batch); a few on shutdown.
        for attempt in range(10 if self.stop else 1):
            try:
                self.consumer.commit(offsets=offs, asynchronous=False)
                self.committed.update(self.pending)
                self.pending.clear()
                return True
            except KafkaException as e:
                log(f"commit failed: {e}")
                if self.stop and time.monotonic() < self.stop_by:
                    time.sleep(0.3)
        return False

    def idle(self):
        """Every assigned partition read to its high watermark and committed."""
        if not self.assigned or self.pending:
            return False
        tps = [TopicPartition(t, p) for t, p in self.assigned]
        pos = self.consumer.position(tps)
        for tp in pos:
            _, hi = self.consumer.get_watermark_offsets(tp, timeout=5, cached=False)
            if tp.offset < 0 and hi > 0 or tp.offset >= 0 and tp.offset < hi:
                return False
        return True

    def run(self):
        self.consumer.subscribe(self.topics, on_assign=self.on_assign, on_revoke=self.on_revoke)
        log(f"consuming {self.topics} -> {self.analysis_topic} ({self.analysis_parts} partitions),"
            f" {self.dlq_topic}")
        n = 0
        while not self.stop:
            msgs = self.consumer.consume(num_messages=500, timeout=0.2)
            batch_out = []
            for m in msgs:
                if m.error():
                    log(f"consumer: {m.error()}")
                    continue
                self.handle(m, batch_out)
                self.pending[(m.topic(), m.partition())] = m.offset() + 1
                n += 1
            if (self.fault == "swap" and not self.swapped):
                idx = [i for i, (t, kw) in enumerate(batch_out)
                       if t == self.analysis_topic and
                       dict(kw["headers"])[harness.H_PARTITION] == self.fault_arg]
                if len(idx) >= 2:
                    i, j = idx[0], idx[1]
                    batch_out[i], batch_out[j] = batch_out[j], batch_out[i]
                    self.swapped = True
            for topic, kw in batch_out:
                self.produce(topic, **kw)
            self.producer.poll(0)
            if msgs:
                self.flush_and_commit()
            elif self.exit_when_idle and self.idle():
                log(f"idle after {n} messages: exiting")
                break
        if self.stop_by == float("inf"):
            self.stop_by = time.monotonic() + 9
        extra = int(self.fault_arg) if self.fault == "commit_ahead" else 0
        ok = self.flush_and_commit(extra=extra)
        self.consumer.close()
        shutil.rmtree(self.pbdir, ignore_errors=True)
        log(f"stopped after {n} messages (clean={ok})")
        return 0 if ok else 1


def main(argv):
    if len(argv) < 3 or argv[0] != "run" or argv[1] != "--config":
        print(__doc__, file=sys.stderr)
        return 2
    cfg = parse_config(Path(argv[2]).read_text(encoding="utf-8"))
    d = FakeDaemon(cfg, "--exit-when-idle" in argv[3:])
    d.stop_by = float("inf")

    def on_signal(signum, _frame):
        if d.fault == "ignore_term":
            log(f"signal {signum}: ignored (WIRESCAN_FAKE_FAULT)")
            return
        log(f"signal {signum}: stopping")
        d.stop = True
        d.stop_by = time.monotonic() + float(
            cfg.get("pipeline", {}).get("shutdown_timeout_ms", 10000)) / 1000 - 1

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    return d.run()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
