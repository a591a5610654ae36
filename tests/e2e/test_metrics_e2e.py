#!/usr/bin/python3
"""End-to-end test of the wirescan daemon's metrics endpoint, scraped by a real Prometheus.

  /usr/bin/python3 tests/e2e/test_metrics_e2e.py [--keep]

One scenario against a real single-node Kafka (tests/kafka/broker.sh):
  - a 3-partition input topic loaded with ~2,000 articles (deploy/samples/articles.ndjson cycled
    with unique ids) plus the 6 lines of deploy/samples/bad_records.ndjson;
  - the daemon with its own metrics port; once wirescan_source_messages_total (summed over the
    partitions) equals the number loaded: librdkafka's statistics show RTT to the broker for
    both clients and a steady group; `promtool check metrics` accepts /metrics, /healthz
    and /readyz are 200, the dead letters by reason match the bad records, events were counted,
    wirescan_rules_info has one series, the readiness gauges say assigned and not idle
    (wirescan_consumer_unassigned_seconds 0), POST /-/reload (the daemon has a reload token
    file) answers 401 without the token or with a wrong one, then 200 "reloaded: <version>"
    with it, and wirescan_rule_reloads_total{outcome="success"} becomes 1;
  - a Prometheus server of our own (free port, own config and storage directory, 1 s scrapes)
    whose query API reports sum(wirescan_source_messages_total) == the number loaded and
    up{job="wirescan"} == 1;
  - SIGTERM: the daemon exits 0. Prometheus and the broker are stopped (finally + atexit).

Prints one PASS/FAIL line per check, then `N passed, N failed`; exits 1 on any failure. Without
WIRESCAN_BIN, java, /usr/bin/prometheus or promtool every check is skipped (exit 0).

Environment: WIRESCAN_BIN (the daemon), WIRESCAN_SOURCE_DIR (repository root; default: two
levels up from here), WIRESCAN_E2E_BUDGET (seconds for the whole scenario, default 400).
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
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness as h  # noqa: E402

N_ARTICLES = 2000
N_PARTITIONS = 3
EXPECTED_DLQ = {"not_json": 1, "not_object": 1, "missing_body": 1, "wrong_type": 1,
                "empty_body": 1, "invalid_utf8": 1}
CHECKS = ["source_messages", "kafka_stats", "promtool", "healthz", "readyz", "dead_letters", "events",
          "rules_info", "readiness_gauges", "reload_unauthorized", "reload", "prometheus_sum",
          "prometheus_up", "sigterm_exit"]


class Failed(Exception):
    pass


# --- HTTP and the Prometheus text format ----------------------------------------------------------

def http(method, url, data=None, timeout=5, headers=None):
    """(status, body text); status None when the connection failed."""
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8", "replace")
    except (urllib.error.URLError, OSError) as e:
        return None, str(e)


_SAMPLE_RE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\S+)?$')
_LABEL_RE = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def _unescape(v):
    return re.sub(r'\\(.)', lambda m: "\n" if m.group(1) == "n" else m.group(1), v)


def parse_metrics(text):
    """[(name, {label: value}, float)] of the samples in a Prometheus text exposition."""
    out = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = _SAMPLE_RE.match(line)
        if not m:
            continue
        labels = {k: _unescape(v) for k, v in _LABEL_RE.findall(m.group(2) or "")}
        try:
            out.append((m.group(1), labels, float(m.group(3))))
        except ValueError:
            pass
    return out


class Scrape:
    def __init__(self, text):
        self.text = text
        self.samples = parse_metrics(text)

    def series(self, name):
        return [(lab, v) for n, lab, v in self.samples if n == name]

    def total(self, name):
        return sum(v for _, v in self.series(name))

    def by(self, name, label):
        out = defaultdict(float)
        for lab, v in self.series(name):
            out[lab.get(label)] += v
        return dict(out)


# --- Prometheus server -----------------------------------------------------------------------------

class PrometheusServer:
    def __init__(self, workdir, target, port=None):
        self.dir = Path(workdir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = port or h.free_port()
        self.target = target
        self.proc = None
        self.log_path = self.dir / "prometheus.log"
        self.url = f"http://127.0.0.1:{self.port}"

    def start(self):
        cfg = self.dir / "prometheus.yml"
        cfg.write_text(
            "global:\n"
            "  scrape_interval: 1s\n"
            "  evaluation_interval: 1s\n"
            "scrape_configs:\n"
            "  - job_name: wirescan\n"
            "    scrape_interval: 1s\n"
            "    scrape_timeout: 1s\n"
            "    static_configs:\n"
            f"      - targets: [{json.dumps(self.target)}]\n", encoding="utf-8")
        (self.dir / "data").mkdir(exist_ok=True)
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [shutil.which("prometheus"), f"--config.file={cfg}",
                 f"--storage.tsdb.path={self.dir / 'data'}",
                 f"--web.listen-address=127.0.0.1:{self.port}"],
                stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True,
                cwd=str(self.dir))
        h._live_procs[self.proc.pid] = self.proc  # SIGKILLed at exit if still running
        atexit.register(self.stop)
        h.log(f"prometheus: pid {self.proc.pid} on 127.0.0.1:{self.port}")
        return self

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def query(self, expr):
        """The instant-vector result of EXPR as [(labels, float)], or None on an error."""
        status, body = http("GET", f"{self.url}/api/v1/query?"
                            + urllib.parse.urlencode({"query": expr}))
        if status != 200:
            return None
        try:
            doc = json.loads(body)
            if doc.get("status") != "success":
                return None
            return [(r.get("metric", {}), float(r["value"][1])) for r in doc["data"]["result"]]
        except (ValueError, KeyError, TypeError, IndexError):
            return None

    def stop(self, timeout=20):
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            try:
                os.kill(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
            except OSError:
                pass
        h._live_procs.pop(self.proc.pid, None)
        return self.proc.returncode

    def log_tail(self, n=10):
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""


# --- input ---------------------------------------------------------------------------------------

def input_records():
    samples = h.SOURCE_DIR / "deploy" / "samples"
    arts = [json.loads(l) for l in (samples / "articles.ndjson").read_text("utf-8").splitlines()
            if l.strip()]
    records = []
    for i in range(N_ARTICLES):
        a = dict(arts[i % len(arts)])
        a["id"] = f"{a['id']}#{i}"
        records.append((a["id"].encode(),
                        json.dumps(a, ensure_ascii=False, separators=(",", ":")).encode()))
    # Raw bytes: one of them is deliberately not valid UTF-8.
    bad = [l for l in (samples / "bad_records.ndjson").read_bytes().split(b"\n") if l]
    for line in bad:
        key = h.article_id(line)
        records.append((key.encode() if key is not None else None, line))
    return records, len(bad)


# --- the scenario ----------------------------------------------------------------------------------

class Run:
    def __init__(self):
        self.results = []  # (check, ok, detail)

    def record(self, name, ok, detail):
        self.results.append((name, ok, detail))
        print(f"{'PASS' if ok else 'FAIL'} {name}: {detail}", flush=True)

    def check(self, name, fn):
        """Runs FN (returns a detail string, raises Failed/ScenarioTimeout on failure)."""
        t0 = time.monotonic()
        try:
            detail = fn()
            self.record(name, True, f"{detail} [{time.monotonic() - t0:.1f} s]")
            return True
        except (Failed, h.ScenarioTimeout, AssertionError) as e:
            self.record(name, False, f"{e} [{time.monotonic() - t0:.1f} s]")
        except Exception as e:  # noqa: BLE001 - a harness error fails this check only
            self.record(name, False, f"harness error {type(e).__name__}: {e}")
            traceback.print_exc()
        return False

    def fail_rest(self, why):
        done = {n for n, _, _ in self.results}
        for n in CHECKS:
            if n not in done:
                self.record(n, False, why)


def scenario(run, workdir, binary, budget):
    deadline = h.Deadline(budget, "metrics scenario")
    broker = h.Broker(workdir / "kafka")
    daemon = None
    prom = None
    try:
        broker.start()
        topic = h.unique("metrics-in")
        broker.create_topic(topic, N_PARTITIONS)
        records, n_bad = input_records()
        loaded = h.produce_records(broker.bootstrap, topic, N_PARTITIONS, records,
                                   timeout=deadline.cap(120))
        total = loaded.total
        h.log(f"loaded {total} records ({N_ARTICLES} articles + {n_bad} bad) into {topic}")

        cfg = h.daemon_config(broker.bootstrap, h.unique("metrics-group"), [topic],
                              h.unique("metrics-analysis"), h.unique("metrics-dlq"),
                              h.unique("metrics-ev") + ".")
        # librdkafka statistics every second instead of every 5 s: the kafka_stats check waits
        # for them.
        cfg.setdefault("kafka", {})["statistics.interval.ms"] = "1000"
        # POST /-/reload needs a bearer token (a file, as a mounted Kubernetes Secret).
        token = h.unique("e2e-token")
        (workdir / "daemon").mkdir(parents=True, exist_ok=True)
        token_file = workdir / "reload-token"
        token_file.write_text(token + "\n")
        cfg["admin"] = {"reload_token_file": str(token_file)}
        maddr = cfg["metrics_address"]
        base = f"http://{maddr}"
        daemon = h.Daemon("wirescan-metrics", workdir / "daemon", cfg, binary=binary).start()

        def scrape():
            status, body = http("GET", f"{base}/metrics")
            if status != 200:
                return None
            return Scrape(body)

        def alive_or_fail():
            if not daemon.alive():
                raise Failed(f"daemon exited with {daemon.returncode()}:\n"
                             f"{daemon.stderr_tail()}")

        # 1. every loaded record counted by the consumer side
        last = [None]

        def source_done():
            alive_or_fail()
            s = scrape()
            if s is None:
                return False
            last[0] = s
            return s.total("wirescan_source_messages_total") == total

        def check_source():
            try:
                h.wait_until(source_done, 120, "sum(wirescan_source_messages_total) == "
                             f"{total}", deadline=deadline, interval=0.5)
            except h.ScenarioTimeout as e:
                seen = last[0].by("wirescan_source_messages_total", "partition") if last[0] else None
                raise Failed(f"{e}; last per partition: {seen}") from None
            parts = last[0].by("wirescan_source_messages_total", "partition")
            return f"{total} messages over partitions {dict(sorted(parts.items()))}"

        if not run.check("source_messages", check_source):
            run.fail_rest("the daemon never counted every loaded record")
            return

        # 2. the exposition itself is valid
        def check_kafka_stats():
            # librdkafka's statistics of both clients, about the real broker: RTT samples, the
            # connection up, and the consumer's group steady with every partition assigned.
            want_broker = broker.bootstrap + "/"
            got = [None]

            def ok():
                s = scrape()
                if s is None:
                    return False
                rtt = {(lab.get("client"), lab.get("stat")): v
                       for lab, v in s.series("wirescan_kafka_broker_rtt_seconds")
                       if lab.get("broker", "").startswith(want_broker)}
                up = {lab.get("client"): v for lab, v in s.series("wirescan_kafka_broker_up")
                      if lab.get("broker", "").startswith(want_broker)}
                steady = s.total("wirescan_kafka_consumer_group_steady")
                assigned = s.total("wirescan_kafka_consumer_assigned_partitions")
                got[0] = {"rtt": rtt, "up": up, "steady": steady, "assigned": assigned,
                          "brokers seen": sorted({lab.get("broker", "") for lab, _ in
                                                  s.series("wirescan_kafka_broker_up")})}
                return (all((c, st) in rtt for c in ("consumer", "producer")
                            for st in ("avg", "p50", "p99"))
                        and all(v > 0 for v in rtt.values())
                        and up == {"consumer": 1, "producer": 1}
                        and steady == 1 and assigned == N_PARTITIONS)

            try:
                h.wait_until(ok, 30, "librdkafka statistics on /metrics", deadline=deadline,
                             interval=0.5)
            except h.ScenarioTimeout:
                raise Failed(f"librdkafka statistics: {got[0]}") from None
            rtt = got[0]["rtt"]
            return (f"rtt p99 consumer {rtt[('consumer', 'p99')] * 1e3:.2f} ms, producer "
                    f"{rtt[('producer', 'p99')] * 1e3:.2f} ms; group steady, "
                    f"{int(got[0]['assigned'])} partitions")

        run.check("kafka_stats", check_kafka_stats)

        def check_promtool():
            s = scrape()
            if s is None:
                raise Failed("GET /metrics failed")
            r = subprocess.run([shutil.which("promtool"), "check", "metrics"], input=s.text,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               timeout=deadline.cap(30), check=False)
            if r.returncode != 0:
                raise Failed(f"promtool check metrics exited {r.returncode}:\n"
                             f"{(r.stdout + r.stderr).strip()}")
            return f"{len(s.samples)} samples, {len(s.text)} bytes accepted"

        run.check("promtool", check_promtool)

        def check_endpoint(path):
            def fn():
                # Ready may need a moment after the last message was counted: bounded retry.
                got = [None]

                def ok():
                    got[0] = http("GET", f"{base}{path}")
                    return got[0][0] == 200

                try:
                    h.wait_until(ok, 15, f"GET {path} == 200", deadline=deadline, interval=0.5)
                except h.ScenarioTimeout:
                    raise Failed(f"GET {path}: {got[0][0]} {got[0][1].strip()!r}") from None
                return f"200 {got[0][1].strip()!r}"
            return fn

        run.check("healthz", check_endpoint("/healthz"))
        run.check("readyz", check_endpoint("/readyz"))

        def check_dead_letters():
            got = [None]

            def ok():
                s = scrape()
                if s is None:
                    return False
                got[0] = {k: int(v) for k, v in
                          s.by("wirescan_dead_letters_total", "reason").items() if v}
                return got[0] == EXPECTED_DLQ

            try:
                h.wait_until(ok, 30, "dead letters by reason", deadline=deadline, interval=0.5)
            except h.ScenarioTimeout:
                raise Failed(f"dead letters {got[0]}, expected {EXPECTED_DLQ}") from None
            return f"{dict(sorted(got[0].items()))}"

        run.check("dead_letters", check_dead_letters)

        def check_events():
            got = [None]

            def ok():
                s = scrape()
                if s is None:
                    return False
                got[0] = s.by("wirescan_events_total", "type")
                return sum(got[0].values()) > 0

            try:
                h.wait_until(ok, 30, "wirescan_events_total > 0", deadline=deadline, interval=0.5)
            except h.ScenarioTimeout:
                raise Failed(f"wirescan_events_total: {got[0]}") from None
            return f"{int(sum(got[0].values()))} events: {dict(sorted(got[0].items()))}"

        run.check("events", check_events)

        def rules_info():
            s = scrape()
            if s is None:
                raise Failed("GET /metrics failed")
            return s.series("wirescan_rules_info")

        def check_rules_info():
            series = rules_info()
            if len(series) != 1:
                raise Failed(f"{len(series)} wirescan_rules_info series: {series}")
            lab, v = series[0]
            if not lab.get("version"):
                raise Failed(f"wirescan_rules_info without a version label: {lab}")
            return f"version {lab['version']!r} = {v:g}"

        run.check("rules_info", check_rules_info)

        def check_readiness_gauges():
            s = scrape()
            if s is None:
                raise Failed("no scrape")
            unassigned = s.total("wirescan_consumer_unassigned_seconds")
            idle = s.series("wirescan_consumer_idle_seconds")
            conns = s.series("wirescan_admin_connections")
            if unassigned != 0 or not idle or not conns:
                raise Failed(f"unassigned {unassigned}, idle {idle}, admin connections {conns}")
            return f"unassigned 0 s, idle {idle[0][1]:g} s, admin connections {conns[0][1]:g}"

        run.check("readiness_gauges", check_readiness_gauges)

        def check_reload_unauthorized():
            got = []
            for hdr in ({}, {"Authorization": "Bearer wrong-" + token},
                        {"Authorization": "Basic " + token}):
                status, body = http("POST", f"{base}/-/reload", data=b"", timeout=30, headers=hdr)
                got.append(status)
            s = scrape()
            refused = s.total("wirescan_admin_reload_unauthorized_total") if s else None
            reloads = s.by("wirescan_rule_reloads_total", "outcome") if s else None
            if got != [401, 401, 401] or refused != 3 or any(reloads.values()):
                raise Failed(f"statuses {got}, unauthorized counted {refused}, reloads {reloads}")
            return "401 x3 (none, wrong token, Basic), no reload run"

        run.check("reload_unauthorized", check_reload_unauthorized)

        def check_reload():
            status, body = http("POST", f"{base}/-/reload", data=b"", timeout=30,
                                headers={"Authorization": f"Bearer {token}"})
            m = re.fullmatch(r"reloaded: (\S+)\n?", body or "")
            if status != 200 or not m:
                raise Failed(f"POST /-/reload: {status} {body!r}")
            version = m.group(1)
            got = [None]

            def ok():
                s = scrape()
                if s is None:
                    return False
                got[0] = s.by("wirescan_rule_reloads_total", "outcome")
                return got[0].get("success") == 1

            try:
                h.wait_until(ok, 15, 'wirescan_rule_reloads_total{outcome="success"} == 1',
                             deadline=deadline, interval=0.5)
            except h.ScenarioTimeout:
                raise Failed(f"wirescan_rule_reloads_total by outcome: {got[0]}") from None
            series = rules_info()
            if len(series) != 1 or series[0][0].get("version") != version:
                raise Failed(f"after reloading {version!r}, wirescan_rules_info is {series}")
            return f"200 'reloaded: {version}', reloads {got[0]}"

        run.check("reload", check_reload)
        alive_or_fail()

        # 3. a real Prometheus scrapes the daemon
        prom = PrometheusServer(workdir / "prometheus", maddr).start()

        def prom_wait(expr, want, what):
            got = [None]

            def ok():
                if not prom.alive():
                    raise Failed(f"prometheus exited with {prom.proc.returncode}:\n"
                                 f"{prom.log_tail()}")
                got[0] = prom.query(expr)
                return got[0] is not None and len(got[0]) == 1 and got[0][0][1] == want

            try:
                h.wait_until(ok, 60, what, deadline=deadline, interval=1.0)
            except h.ScenarioTimeout as e:
                raise Failed(f"{e}; last result {got[0]}\n{prom.log_tail(5)}") from None
            return f"{expr} = {got[0][0][1]:g}"

        run.check("prometheus_sum", lambda: prom_wait(
            "sum(wirescan_source_messages_total)", float(total),
            f"Prometheus: sum(wirescan_source_messages_total) == {total}"))
        run.check("prometheus_up", lambda: prom_wait(
            'up{job="wirescan"}', 1.0, 'Prometheus: up{job="wirescan"} == 1'))

        # 4. graceful shutdown
        def check_sigterm():
            alive_or_fail()
            daemon.sigterm()
            rc = daemon.wait(deadline.cap(30))
            if rc is None:
                daemon.kill9()
                raise Failed("no exit within 30 s of SIGTERM (killed)")
            if rc != 0:
                raise Failed(f"exit code {rc}:\n{daemon.stderr_tail()}")
            return f"exit 0 in {daemon.exit_seconds:.1f} s"

        run.check("sigterm_exit", check_sigterm)
    except (h.ScenarioTimeout, Failed, RuntimeError) as e:
        run.fail_rest(f"setup: {e}")
    except Exception as e:  # noqa: BLE001
        traceback.print_exc()
        run.fail_rest(f"harness error {type(e).__name__}: {e}")
    finally:
        if daemon is not None and daemon.alive():
            daemon.stop()
        if prom is not None:
            prom.stop()
        broker.stop()
        if daemon is not None and any(not ok for _, ok, _ in run.results):
            print(f"  daemon stderr ({daemon.stderr_path}):\n{daemon.stderr_tail(10)}",
                  file=sys.stderr)


def main(argv):
    # SIGTERM (ctest, CI) unwinds like Ctrl-C: finally blocks and atexit stop everything.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    keep = "--keep" in argv
    binary = os.environ.get("WIRESCAN_BIN")
    binary = str(Path(binary).resolve()) if binary else None
    skip = None
    if not binary:
        skip = "WIRESCAN_BIN is not set"
    elif not os.access(binary, os.X_OK):
        skip = f"WIRESCAN_BIN={binary} is not an executable file"
    elif not shutil.which("prometheus") or not shutil.which("promtool"):
        skip = "prometheus and/or promtool not installed"
    elif not shutil.which("java"):
        skip = "no java (tests/kafka/broker.sh needs Java 17)"
    if skip:
        for n in CHECKS:
            print(f"SKIP {n}: {skip}", flush=True)
        print(f"0 passed, 0 failed, {len(CHECKS)} skipped")
        return 0

    budget = float(os.environ.get("WIRESCAN_E2E_BUDGET", "400"))
    workdir = Path(tempfile.mkdtemp(prefix="wirescan-e2e-metrics."))
    run = Run()
    t0 = time.monotonic()
    try:
        scenario(run, workdir, binary, budget)
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
