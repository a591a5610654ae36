#!/usr/bin/python3
"""End-to-end test of the daemon's output formats against a real Kafka and a real Schema Registry.

  /usr/bin/python3 tests/e2e/test_outputs_e2e.py [--keep]

A single-node Kafka (tests/kafka/broker.sh) and Apicurio Registry 3 (tests/registry/registry.sh,
its Confluent-compatible API /apis/ccompat/v7) are started side by side; the input topic holds
our own articles (deploy/samples/articles.ndjson and tests/eval/own_articles.ndjson). Four daemon
runs (`wirescan run --exit-when-idle`), each with its own group and output topics:

  confluent   output.format confluent_protobuf with schema_registry.url: the daemon registers
              "<topic>-value" for the analysis topic and every event topic; every value is
              decoded by confluent-kafka's own ProtobufDeserializer (Debian's 1.7.0) and equals
              the bare message after the 6-byte frame (magic 0, the registered id big-endian,
              message index [0]); the schema the registry holds under that id lists the
              produced message first; content-type names the framing and id.
  json        output.format json: every analysis is byte-identical to the line
              `wirescan extract --format json` prints for the same article, every event to a
              line of `--events-only`; content-type application/json.
  refused     the registry refuses the schema (the subject's compatibility is BACKWARD and an
              incompatible version is registered first): exit 78, nothing produced.
  unreachable schema_registry.url on a port nothing listens on, timeout_ms 2000: exit 1.

Prints one PASS/FAIL line per check, then `N passed, N failed`; exits 1 on any failure. Without
WIRESCAN_BIN, java or mvn, or confluent_kafka's schema_registry module (needs python3-requests),
every check is skipped (exit 0).
"""

import atexit
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness as h  # noqa: E402

REGISTRY_SH = h.SOURCE_DIR / "tests" / "registry" / "registry.sh"
CHECKS = ["confluent_exit", "confluent_registered", "confluent_framing", "confluent_deserializer",
          "confluent_schema_first", "confluent_content_type", "json_exit", "json_identical",
          "json_events_identical", "json_content_type", "refused_exit_78", "refused_nothing_produced",
          "unreachable_exit_1"]


class Registry:
    """A registry.sh registry in its own directory; stopped at exit."""

    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="wirescan-e2e-registry."))
        self.url = None

    def start(self):
        t0 = time.monotonic()
        r = subprocess.run([str(REGISTRY_SH), "start", "--dir", str(self.dir)],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           timeout=400, check=False)
        if r.returncode != 0:
            raise RuntimeError(f"registry.sh start failed: {r.stderr[-2000:]}")
        self.url = r.stdout.strip().splitlines()[-1]
        atexit.register(self.stop)
        h.log(f"registry at {self.url} ({time.monotonic() - t0:.1f} s)")
        return self

    def stop(self):
        if self.url is None:
            return
        self.url = None
        subprocess.run([str(REGISTRY_SH), "stop", str(self.dir)], timeout=60, check=False,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(self.dir, ignore_errors=True)

    def call(self, method, path, body=None):
        req = urllib.request.Request(
            self.url + path, method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Content-Type": "application/vnd.schemaregistry.v1+json"})
        with urllib.request.urlopen(req, timeout=10) as resp:
            return json.loads(resp.read())


class Run:
    def __init__(self):
        self.results = []

    def check(self, name, ok, detail=""):
        self.results.append((name, bool(ok), detail))
        print(f"{'PASS' if ok else 'FAIL'} {name}{': ' + detail if detail and not ok else ''}",
              flush=True)


def read_topic(bootstrap, topic, timeout=30):
    """Every message of TOPIC (1 partition) up to its high watermark: [(value, headers)]."""
    from confluent_kafka import Consumer, TopicPartition
    c = Consumer({**h.QUIET, "bootstrap.servers": bootstrap, "group.id": h.unique("read"),
                  "enable.auto.commit": False})
    try:
        md = c.list_topics(topic=topic, timeout=10).topics.get(topic)
        if md is None or md.error is not None:
            return []
        out = []
        for p in md.partitions:
            low, high = c.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
            if high <= low:
                continue
            c.assign([TopicPartition(topic, p, low)])
            end = time.monotonic() + timeout
            got = 0
            while got < high - low and time.monotonic() < end:
                m = c.poll(1.0)
                if m is None or m.error():
                    continue
                out.append((m.value(), h._headers(m)))
                got += 1
        return out
    finally:
        c.close()


def run_daemon(workdir, binary, name, cfg, timeout=120):
    d = h.Daemon(name, workdir, cfg, binary=binary, extra_args=["--exit-when-idle"])
    d.start()
    rc = d.wait(timeout)
    if rc is None:
        rc = d.stop()
    if rc != 0:
        h.log(f"{name}: exit {rc}; stderr:\n{d.stderr_tail(20)}")
    return rc, d


EVENT_TYPES = []  # the event types our articles produce (from `wirescan extract`)


def config(bootstrap, input_topic, name, **output):
    cfg = h.daemon_config(bootstrap, f"g-{name}", [input_topic], f"{name}.analysis",
                          f"{name}.dlq", f"{name}.events.", workers=1)
    # Rules name shared event topics: each run gets its own.
    cfg["output"]["event_topics"] = {t: f"{name}.events.{t}" for t in EVENT_TYPES}
    cfg["output"].update(output)
    return cfg


def scenario(run, workdir, binary):
    pb = h.AnalysisDecoder(workdir).pb
    from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer
    from confluent_kafka.serialization import MessageField, SerializationContext

    # Our own articles, one file.
    articles = workdir / "articles.ndjson"
    with open(articles, "wb") as out:
        for src in [h.SOURCE_DIR / "deploy" / "samples" / "articles.ndjson",
                    h.SOURCE_DIR / "tests" / "eval" / "own_articles.ndjson"]:
            for line in src.read_bytes().splitlines():
                if line.strip():
                    out.write(line + b"\n")
    n_articles = sum(1 for _ in open(articles, "rb"))
    ev = subprocess.run([binary, "extract", "--no-rules-cache", "--events-only", str(articles)],
                        stdout=subprocess.PIPE, check=True, timeout=120)
    want_events = sorted(ev.stdout.splitlines())
    EVENT_TYPES.extend(sorted({json.loads(e)["type"] for e in want_events}))

    broker = h.Broker()
    registry = Registry()
    failure = []

    def start_registry():
        try:
            registry.start()
        except Exception as e:  # noqa: BLE001 - reported below
            failure.append(e)

    t = threading.Thread(target=start_registry, name="registry-start")
    t.start()
    try:
        broker.start()
    finally:
        t.join()
    if failure:
        raise failure[0]
    try:
        broker.create_topic("in", 1)
        h.load_ndjson(broker.bootstrap, "in", 1, articles)

        # --- confluent_protobuf, registered at start-up ---
        cfg = config(broker.bootstrap, "in", "cf", format="confluent_protobuf")
        cfg["schema_registry"] = {"url": registry.url}
        rc, _ = run_daemon(workdir, binary, "cf", cfg)
        run.check("confluent_exit", rc == 0, f"exit {rc}")
        topics = [("cf.analysis", pb.ArticleAnalysis, "ArticleAnalysis")] + [
            (t, pb.Event, "Event") for t in broker.topics_with_prefix("cf.events.")]
        subjects = set(registry.call("GET", "/subjects"))
        missing = [t for t, _, _ in topics if f"{t}-value" not in subjects]
        run.check("confluent_registered", len(topics) > 1 and not missing,
                  f"{len(topics)} topics, not registered: {missing}")
        framing, deser, first, ctype, n_analyses = [], [], [], [], 0
        for topic, cls, name in topics:
            latest = registry.call("GET", f"/subjects/{topic}-value/versions/latest")
            sid = latest["id"]
            schema = registry.call("GET", f"/schemas/ids/{sid}")["schema"]
            names = re.findall(r"(?m)^message (\w+) \{", schema)
            if not names or names[0] != name:
                first.append(f"{topic}: schema {sid} lists {names[:3]}")
            d = ProtobufDeserializer(cls)
            ctx = SerializationContext(topic, MessageField.VALUE)
            for value, headers in read_topic(broker.bootstrap, topic):
                if topic == "cf.analysis":
                    n_analyses += 1
                want = b"\x00" + sid.to_bytes(4, "big") + b"\x00"
                if value[:6] != want:
                    framing.append(f"{topic}: {value[:6].hex()} != {want.hex()}")
                    continue
                bare = cls()
                bare.ParseFromString(value[6:])
                try:
                    msg = d(value, ctx)
                    if msg != bare or (name == "ArticleAnalysis" and not msg.article.id):
                        deser.append(f"{topic}: decoded message differs")
                except Exception as e:  # noqa: BLE001
                    deser.append(f"{topic}: {e}")
                want_ct = (f"application/x-protobuf; messageType=wirescan.v1.{name}; "
                           f"framing=confluent; schemaId={sid}")
                if headers.get(h.H_CONTENT_TYPE) != want_ct:
                    ctype.append(f"{topic}: {headers.get(h.H_CONTENT_TYPE)}")
        run.check("confluent_framing", not framing and n_analyses == n_articles,
                  f"{n_analyses}/{n_articles} analyses; {framing[:3]}")
        run.check("confluent_deserializer", not deser and n_analyses > 0, str(deser[:3]))
        run.check("confluent_schema_first", not first, str(first[:3]))
        run.check("confluent_content_type", not ctype, str(ctype[:3]))

        # --- json: byte-identical to `wirescan extract --format json` ---
        rc, _ = run_daemon(workdir, binary, "js", config(broker.bootstrap, "in", "js", format="json"))
        run.check("json_exit", rc == 0, f"exit {rc}")
        ext = subprocess.run([binary, "extract", "--no-rules-cache", "--format", "json",
                              str(articles)], stdout=subprocess.PIPE, check=True, timeout=120)
        want = sorted(ext.stdout.splitlines())
        got_msgs = read_topic(broker.bootstrap, "js.analysis")
        got = sorted(v for v, _ in got_msgs)
        run.check("json_identical", got == want and len(got) == n_articles,
                  f"{len(got)} analyses, {len(want)} expected, "
                  f"{len(set(got) - set(want))} differ")
        got_events = []
        cts = {hd.get(h.H_CONTENT_TYPE) for _, hd in got_msgs}
        for t in broker.topics_with_prefix("js.events."):
            for v, hd in read_topic(broker.bootstrap, t):
                got_events.append(v)
                cts.add(hd.get(h.H_CONTENT_TYPE))
        run.check("json_events_identical", sorted(got_events) == want_events and want_events,
                  f"{len(got_events)} events, {len(want_events)} expected")
        run.check("json_content_type", cts == {"application/json"}, str(cts))

        # --- the registry refuses: exit 78 before producing ---
        registry.call("PUT", "/config/rf.analysis-value", {"compatibility": "BACKWARD"})
        registry.call("POST", "/subjects/rf.analysis-value/versions", {
            "schemaType": "PROTOBUF",
            "schema": 'syntax = "proto3";\npackage wirescan.v1;\n'
                      "message ArticleAnalysis {\n  int32 article = 1;\n}\n"})
        cfg = config(broker.bootstrap, "in", "rf", format="confluent_protobuf")
        cfg["schema_registry"] = {"url": registry.url}
        rc, d = run_daemon(workdir, binary, "rf", cfg)
        run.check("refused_exit_78", rc == 78, f"exit {rc}")
        run.check("refused_nothing_produced", not read_topic(broker.bootstrap, "rf.analysis", 5))

        # --- the registry cannot be reached: exit 1 ---
        cfg = config(broker.bootstrap, "in", "ur", format="confluent_protobuf")
        cfg["schema_registry"] = {"url": f"http://127.0.0.1:{h.free_port()}", "timeout_ms": 2000}
        rc, _ = run_daemon(workdir, binary, "ur", cfg)
        run.check("unreachable_exit_1", rc == 1, f"exit {rc}")
    finally:
        registry.stop()
        broker.cleanup()


def main(argv):
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    keep = "--keep" in argv
    binary = os.environ.get("WIRESCAN_BIN")
    binary = str(Path(binary).resolve()) if binary else None
    skip = None
    try:
        import confluent_kafka.schema_registry.protobuf  # noqa: F401 - needs python3-requests
    except ImportError as e:
        skip = f"confluent_kafka.schema_registry.protobuf cannot be imported ({e})"
    if not binary or not os.access(binary, os.X_OK):
        skip = "WIRESCAN_BIN is not set to an executable"
    elif not shutil.which("java") or not shutil.which("mvn"):
        skip = "no java/mvn (the broker and the registry need them)"
    if skip:
        for n in CHECKS:
            print(f"SKIP {n}: {skip}", flush=True)
        print(f"0 passed, 0 failed, {len(CHECKS)} skipped")
        return 0
    workdir = Path(tempfile.mkdtemp(prefix="wirescan-e2e-outputs."))
    run = Run()
    t0 = time.monotonic()
    try:
        scenario(run, workdir, binary)
    except Exception:  # noqa: BLE001 - a crashed scenario fails the checks it did not reach
        traceback.print_exc()
        done = {n for n, _, _ in run.results}
        for n in CHECKS:
            if n not in done:
                run.check(n, False, "scenario failed before this check")
    finally:
        failed = sum(1 for _, ok, _ in run.results if not ok)
        if keep or failed:
            print(f"work directory kept: {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
        h.log(f"total {time.monotonic() - t0:.1f} s")
    passed = sum(1 for _, ok, _ in run.results if ok)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
