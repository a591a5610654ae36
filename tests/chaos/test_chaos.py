#!/usr/bin/python3
"""Chaos tests of the wirescan daemon against a real Kafka broker (tests/chaos/README.md).

  /usr/bin/python3 tests/chaos/test_chaos.py [--long] [--keep] [SCENARIO...]

Scenarios (the CI set by default; name others to run them):
  kill9_loop       kill -9 of one of two daemons, repeatedly (5; --long 30), while records keep
                   arriving: after every kill the committed offsets are covered by outputs;
                   at the end every input has an output, duplicates counted
  broker_restarts  the broker restarted mid-stream (2; --long 10): the daemon recovers by itself;
                   same accounting; how long consumption stalled after each restart
  fuzz_stream      2,000 (--long 20,000) random and mutated records (from fuzz/corpus) on three
                   partitions: the daemon stays up, exactly one output per record
  poison           oversized records, a record whose analysis is over 1 MB, slow records,
                   malformed ones, interleaved with good ones on three partitions: the daemon
                   stays up, every record has its analysis or the right dead letter
  admin_flood      slowloris and idle connections on the admin port, then a burst of concurrent
                   reloads: /healthz and /metrics keep answering

Prints one PASS/FAIL/SKIP line per scenario, then the totals; exit 1 on any failure. Environment
as tests/e2e (WIRESCAN_BIN, WIRESCAN_SOURCE_DIR, WIRESCAN_E2E_CORPUS); WIRESCAN_E2E_BUDGET is
the time budget per scenario (default 300 s, --long 1200 s); WIRESCAN_CHAOS_SEED (default 14)
seeds every random choice.
"""

import json
import os
import random
import signal
import socket
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))
import harness as h  # noqa: E402
import test_daemon_e2e as e2e  # noqa: E402
from test_metrics_e2e import Scrape, http  # noqa: E402

Failed = e2e.Failed
require = e2e.require
# The dead-letter reasons of issue 14's fix (analyses too large for their topic, records over
# the CPU budget), on top of the parser's.
h.DLQ_REASONS = h.DLQ_REASONS | {"output_too_large", "too_slow"}

SEED = int(os.environ.get("WIRESCAN_CHAOS_SEED", "14"))
LONG = False  # --long


def sized(ci, long):
    return long if LONG else ci


# --- a paced input stream: records keep arriving while the chaos happens --------------------

class PacedStream:
    """Produces the NDJSON file PATH to TOPIC (record i -> partition i % nparts) at an even pace
    over about SECONDS, on a thread; join() returns the LoadedInput."""

    def __init__(self, bootstrap, topic, nparts, path, seconds):
        self.lines = [l for l in Path(path).read_bytes().split(b"\n") if l.strip()]
        self.total = len(self.lines)
        self.rate = self.total / max(seconds, 1.0)
        self.loaded = None
        self.error = None
        self._args = (bootstrap, topic, nparts)
        self._seconds = seconds
        self._thread = threading.Thread(target=self._run, name="paced-producer", daemon=True)

    def _records(self):
        t0 = time.monotonic()
        for i, line in enumerate(self.lines):
            if i % 200 == 0:
                ahead = t0 + i / self.rate - time.monotonic()
                if ahead > 0:
                    time.sleep(ahead)
            key = h.article_id(line)
            yield (key.encode() if key is not None else None, line)

    def _run(self):
        try:
            self.loaded = h.produce_records(*self._args, self._records(),
                                            timeout=self._seconds + 300)
        except Exception as e:  # noqa: BLE001 - reported by join()
            self.error = e

    def start(self):
        self._thread.start()
        h.log(f"streaming {self.total} records over ~{self._seconds:.0f} s "
              f"({self.rate:.0f}/s)")
        return self

    def producing(self):
        return self._thread.is_alive()

    def join(self, deadline):
        self._thread.join(deadline.cap(deadline.left()))
        if self._thread.is_alive():
            raise h.ScenarioTimeout("the paced producer did not finish")
        if self.error is not None:
            raise Failed(f"producing the input failed: {self.error}")
        return self.loaded


def accounted(reader):
    """How many distinct sources have an output so far (the reader only reads our topics)."""
    return len(set(reader.analyses) | set(reader.dead_letters))


def wait_outputs(reader, n, deadline, what, daemons=()):
    """Reads until N sources have an output; fails at once if a daemon died."""
    def ok():
        reader.poll_for(0.5, max_messages=5000)
        for d in daemons:
            if d.proc is not None and not d.alive():
                raise Failed(f"{d.name} exited ({d.returncode()}) while waiting for {what}: "
                             f"{d.stderr_tail(5)}")
        return accounted(reader) >= n
    h.wait_until(ok, deadline.left(), what, deadline=deadline, interval=0)


def uncovered_commits(ctx, t, reader, deadline):
    """Committed offsets of the group, read first; then the reader catches up: every offset
    below a committed one must have an output (a commit is made only after the outputs' delivery
    reports, so they are on the topics before the watermarks the reader reaches)."""
    got = {}

    def query():  # the group coordinator may still be moving after a broker restart
        try:
            got["c"] = h.committed_offsets(ctx.bootstrap, t.group, t.input, t.in_parts)
            return True
        except h.KafkaException as e:
            h.log(f"committed offsets: {e}; retrying")
            return False
    h.wait_until(query, 60, "the group's committed offsets", deadline=deadline, interval=1)
    committed = got["c"]
    reader.catch_up(60, deadline)
    gaps = []
    for p, c in committed.items():
        missing = [o for o in range(c or 0) if not reader.analyses.get((t.input, p, o))
                   and not reader.dead_letters.get((t.input, p, o))]
        if missing:
            gaps.append(f"{t.input}[{p}]: committed {c}, {len(missing)} offset(s) below it "
                        f"without output, e.g. {missing[:5]}")
    return gaps, sum(c or 0 for c in committed.values())


# --- scenarios ---------------------------------------------------------------------------------

def s_kill9_loop(ctx, deadline):
    kills = sized(5, 30)
    t = e2e.Topics(ctx, "chaos-kill9", 6, 6)
    stream = PacedStream(ctx.bootstrap, t.input, 6, ctx.input_file(), sized(30, 300))
    ds = [ctx.daemon(f"kill9-{x}", t.config(ctx)) for x in "ab"]
    t0 = time.monotonic()
    stream.start()
    for d in ds:
        d.start()
    reader = t.reader(ctx)
    try:
        failures, under_load = [], 0
        for k in range(kills):
            wait_outputs(reader, stream.total * (k + 1) // (kills + 2), deadline,
                         f"the outputs before kill {k + 1}", ds)
            victim = ds[k % 2]
            under_load += stream.producing() or accounted(reader) < stream.total
            victim.kill9()
            gaps, committed = uncovered_commits(ctx, t, reader, deadline)
            failures += [f"after kill {k + 1}: {g}" for g in gaps]
            h.log(f"kill {k + 1}/{kills}: {accounted(reader)} accounted, {committed} committed")
            victim.start()
        loaded = stream.join(deadline)
        h.wait_committed(ctx.bootstrap, t.group, loaded, deadline.left(), deadline)
        elapsed = time.monotonic() - t0
        for d in ds:
            e2e.stop_expect_zero(d, failures)
        f2, stats = e2e.final_checks(ctx, t, loaded, reader, deadline, allow_duplicates=True)
        require(failures + f2)
        return (e2e.summary(stats, elapsed)
                + f" ({kills} kills -9, {under_load} while input was still arriving)")
    finally:
        reader.close()


def s_broker_restarts(ctx, deadline):
    restarts = sized(2, 10)
    t = e2e.Topics(ctx, "chaos-broker", 6, 6)
    stream = PacedStream(ctx.bootstrap, t.input, 6, ctx.input_file(), sized(30, 300))
    d = ctx.daemon("broker-restarts", t.config(ctx))
    t0 = time.monotonic()
    stream.start()
    d.start()
    reader = t.reader(ctx)
    try:
        failures, stalls, downs = [], [], []
        for k in range(restarts):
            wait_outputs(reader, stream.total * (k + 1) // (restarts + 2), deadline,
                         f"the outputs before broker restart {k + 1}", [d])
            downs.append(ctx.broker.restart())
            # How long until the daemon's outputs move again (reported, not asserted).
            before, r0 = accounted(reader), time.monotonic()
            wait_outputs(reader, min(before + 1, stream.total), deadline,
                         f"outputs after broker restart {k + 1}", [d])
            stalls.append(time.monotonic() - r0)
            gaps, _ = uncovered_commits(ctx, t, reader, deadline)
            failures += [f"after restart {k + 1}: {g}" for g in gaps]
        loaded = stream.join(deadline)
        h.wait_committed(ctx.bootstrap, t.group, loaded, deadline.left(), deadline)
        elapsed = time.monotonic() - t0
        e2e.stop_expect_zero(d, failures)
        f2, stats = e2e.final_checks(ctx, t, loaded, reader, deadline, allow_duplicates=True)
        require(failures + f2)
        return (e2e.summary(stats, elapsed) + f" ({restarts} broker restarts, down "
                f"{'/'.join(f'{x:.0f}' for x in downs)} s; first output after each "
                f"{'/'.join(f'{x:.1f}' for x in stalls)} s)")
    finally:
        reader.close()


# -- fuzzed records --

FUZZ_DIR = h.SOURCE_DIR / "fuzz"


def _tokens():
    """The libFuzzer dictionaries' entries, as bytes."""
    out = []
    for name in ("json.dict", "figures.dict"):
        for line in (FUZZ_DIR / "dict" / name).read_text(encoding="ascii").splitlines():
            line = line.strip()
            if line.startswith('"') and line.endswith('"'):
                out.append(line[1:-1].encode("latin-1").decode("unicode_escape")
                           .encode("latin-1"))
    return out


def fuzzed_records(n, rng):
    """N records: the JSON-parser corpus, the extractor corpus as JSON bodies, the samples, and
    mutations of them (byte flips, cuts, inserted dictionary tokens, splices, random bytes)."""
    seeds = [p.read_bytes() for p in sorted((FUZZ_DIR / "corpus" / "json_parser").iterdir())]
    for p in sorted((FUZZ_DIR / "corpus" / "extractor").iterdir()):
        text = p.read_bytes()[1:].decode("utf-8", "replace")
        seeds.append(json.dumps({"id": p.stem, "title": text.split("\n", 1)[0],
                                 "body": text}, ensure_ascii=rng.random() < 0.5).encode())
    tokens = _tokens()

    def mutate(b):
        b = bytearray(b)
        for _ in range(rng.randint(1, 6)):
            op = rng.randrange(6)
            pos = rng.randrange(len(b) + 1)
            if op == 0 and b:
                b[min(pos, len(b) - 1)] ^= 1 << rng.randrange(8)
            elif op == 1:
                del b[pos:pos + rng.randint(1, 64)]
            elif op == 2:
                b[pos:pos] = rng.choice(tokens)
            elif op == 3:
                other = rng.choice(seeds)
                q = rng.randrange(len(other) + 1)
                b[pos:] = other[q:]
            elif op == 4:
                b[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))
            elif op == 5 and b:
                q = rng.randrange(len(b))
                b[pos:pos] = b[q:q + rng.randint(1, 256)] * rng.randint(1, 8)
        return bytes(b)

    out = []
    for i in range(n):
        r = rng.random()
        if r < 0.15:
            v = rng.choice(seeds)
        elif r < 0.9:
            v = mutate(rng.choice(seeds))
        else:
            v = bytes(rng.randrange(256) for _ in range(rng.randint(0, 512)))
        k = rng.random()
        key = (None if k < 0.3 else f"fuzz-{i}".encode() if k < 0.8
               else bytes(rng.randrange(256) for _ in range(rng.randint(0, 24))))
        out.append((key, v))
    return out


def python_view(value):
    """What Python's strict JSON reader makes of a record: 'article' (an object with a non-blank
    string body, string-or-number id, string-or-null other fields), or why not."""
    try:
        obj = json.loads(value.decode("utf-8"), parse_constant=lambda c: 1 / 0)
    except (UnicodeDecodeError, ValueError, ZeroDivisionError, RecursionError):
        return "not_json_or_utf8"
    if not isinstance(obj, dict):
        return "not_object"
    body = obj.get("body")
    for f in ("title", "body", "source", "url", "published_at"):
        if obj.get(f) is not None and not isinstance(obj[f], str):
            return "wrong_type"
    if obj.get("id") is not None and (isinstance(obj["id"], bool)
                                      or not isinstance(obj["id"], (str, int, float))):
        return "wrong_type"
    if body is None:
        return "missing_body"
    if not body.strip(" \t\r\n"):
        return "empty_body"
    return "article"


def s_fuzz_stream(ctx, deadline):
    n = sized(2000, 20000)
    rng = random.Random(SEED)
    records = fuzzed_records(n, rng)
    t = e2e.Topics(ctx, "chaos-fuzz", 3, 2)
    loaded = h.produce_records(ctx.bootstrap, t.input, 3, records, keep_values=True)
    d = ctx.daemon("fuzz-stream", t.config(ctx))
    t0 = time.monotonic()
    d.start()
    reader = t.reader(ctx)
    try:
        h.wait_committed(ctx.bootstrap, t.group, loaded, deadline.left(), deadline)
        elapsed = time.monotonic() - t0
        reader.catch_up(60, deadline)
        failures = []
        e2e.stop_expect_zero(d, failures)
        reasons, disagree = {}, {}
        for p in range(3):
            for o, (key, value) in enumerate(zip(loaded.keys[p], loaded.values[p])):
                src = (t.input, p, o)
                na, dl = reader.analyses.get(src, 0), reader.dlq.get(src, [])
                if na + len(dl) != 1:
                    failures.append(f"{src}: {na} analyses and {len(dl)} dead letters")
                    continue
                got = "article" if na else dl[0][2]
                reasons[got] = reasons.get(got, 0) + 1
                if dl and (dl[0][1] != value or dl[0][0] != key):
                    failures.append(f"{src}: dead letter's key or bytes differ from the input")
                py = python_view(value)
                if (py == "article") != (got == "article"):
                    disagree.setdefault((py, got), []).append(src)
        if reader.n_problems:
            failures.append(f"{reader.n_problems} contract problem(s): {reader.problems[:3]}")
        require(failures[:10] + ([f"... {len(failures) - 10} more"] if len(failures) > 10 else []))
        notes = "; ".join(f"python {py} / daemon {got}: {len(v)} (e.g. {v[0]})"
                          for (py, got), v in sorted(disagree.items()))
        return (f"{n} fuzzed records, each exactly one output ({reasons}), daemon up, "
                f"SIGTERM exit 0, {elapsed:.1f} s"
                + (f"; disagreements with Python's JSON reader (not failures): {notes}"
                   if notes else ""))
    finally:
        reader.close()


# -- poison records --

def slow_sentence(nbytes):
    """One sentence without a full stop, full of triggers, figures and aliases (issue 14 item 2:
    super-linear event assembly)."""
    unit = ("TSMC will invest US$1.5 billion and Samsung plans to spend 20% more, while Intel "
            "raises capacity by 30,000 wafers per month in Taiwan and 台積電投資120億美元, ")
    return (unit * (nbytes // len(unit) + 1))[:nbytes].rsplit(" ", 1)[0]


def dense_body(nbytes):
    """Valid sentences dense in mentions: the analysis is many times the input."""
    unit = "TSMC, Samsung, Intel, SK Hynix and ASE invested $5 billion, 10% and 2,000 wafers. "
    return unit * (nbytes // len(unit) + 1)


def poison_records(good):
    """Per partition (three): lists of (key, value, want). `want` is a set of acceptable
    outcomes: 'article' or dead-letter reasons."""
    big_nonjson = (b"This is not JSON. " * 60000)[:1_040_000]
    big_analysis = json.dumps({"id": "poison-dense", "title": "Dense",
                               "body": dense_body(120_000)}).encode()
    slow = json.dumps({"id": "poison-slow", "title": "Slow",
                       "body": slow_sentence(sized(168_000, 672_000))}).encode()
    bad = [l for l in (h.SOURCE_DIR / "deploy" / "samples" / "bad_records.ndjson")
           .read_bytes().split(b"\n") if l]
    poison = [
        (big_nonjson, {"not_json"}),
        (big_analysis, {"article", "output_too_large"}),
        (slow, {"article", "too_slow", "output_too_large"}),
        (b'{"id":123456789012345678901234567890,"title":"Long id","body":"TSMC said so."}',
         {"article"}),
        (b'\xef\xbb\xbf{"id":"poison-bom","title":"BOM","body":"TSMC said so."}', {"article"}),
        # Found by fuzz_stream: a number beyond 64 bits in a field the daemon does not read.
        (b'{"id":"poison-bignum","body":"TSMC said so.","views":123456789012345678901234567890,'
         b'"score":1e400}', {"article"}),
    ] + [(v, {e2e.BAD_EXPECTED[i]}) for i, v in enumerate(bad)]
    parts = [[], [], []]
    g = [0]

    def add_good(p):
        obj = dict(good[g[0] % len(good)])
        obj["id"] = f"{obj['id']}#poison{g[0]}"
        g[0] += 1
        v = json.dumps(obj, ensure_ascii=False).encode()
        parts[p].append((obj["id"].encode(), v, {"article"}))

    for p, order in ((0, poison), (1, list(reversed(poison)))):
        for v, want in order:
            add_good(p)
            k = h.article_id(v)
            parts[p].append((k.encode() if k is not None else None, v, want))
        add_good(p)
    while len(parts[2]) < max(len(parts[0]), len(parts[1])) + 10:
        add_good(2)
    for p in (0, 1):
        while len(parts[p]) < len(parts[2]):
            add_good(p)
    return parts


def wait_committed_or_exit(ctx, t, loaded, d, timeout, deadline):
    """Waits until the group has committed the whole input; fails as soon as daemon D exits."""
    def done():
        if not d.alive():
            raise Failed(f"{d.name} exited ({d.returncode()}): {d.stderr_tail(4)}")
        try:
            return not h.check_commits(ctx.bootstrap, t.group, loaded)[0]
        except h.KafkaException:
            return False
    h.wait_until(done, timeout, "the whole input to be committed", deadline=deadline,
                 interval=0.5)


def s_poison(ctx, deadline):
    good = [json.loads(l) for l in (h.SOURCE_DIR / "deploy" / "samples" / "articles.ndjson")
            .read_text(encoding="utf-8").splitlines() if l.strip()]
    parts = poison_records(good)
    flat = [parts[i % 3][i // 3] for i in range(3 * len(parts[0]))]  # record i -> partition i % 3
    t = e2e.Topics(ctx, "chaos-poison", 3, 3)
    loaded = h.produce_records(ctx.bootstrap, t.input, 3, [(k, v) for k, v, _ in flat],
                               keep_values=True)
    d = ctx.daemon("poison", t.config(ctx))  # every size limit at its default
    t0 = time.monotonic()
    d.start()
    reader = t.reader(ctx)
    try:
        failures = []
        try:
            wait_committed_or_exit(ctx, t, loaded, d, min(deadline.left(), 240), deadline)
        except (Failed, h.ScenarioTimeout) as e:
            failures.append(str(e))
        reader.catch_up(60, deadline)
        for p in range(3):
            for o, (_, value, want) in enumerate(parts[p]):
                src = (t.input, p, o)
                na, dl = reader.analyses.get(src, 0), reader.dlq.get(src, [])
                got = (["article"] * na) + [x[2] for x in dl]
                what = f"{t.input}[{p}]@{o} ({len(value)} bytes, want {sorted(want)})"
                if len(got) != 1:
                    failures.append(f"{what}: outputs {got}")
                elif got[0] not in want:
                    failures.append(f"{what}: got {got[0]} ({dl[0][3] if dl else ''})")
                elif dl and not value.startswith(dl[0][1] or b""):
                    failures.append(f"{what}: dead letter is not the input or a prefix of it")
        if not d.alive():
            failures.append(f"the daemon died (exit {d.returncode()}): {d.stderr_tail(4)}")
        else:
            e2e.stop_expect_zero(d, failures)
        require(failures[:12])
        dl_reasons = sorted({x[2] for v in reader.dlq.values() for x in v})
        return (f"{sum(len(p) for p in parts)} records on 3 partitions, poison on 2: all "
                f"accounted (dead letters: {dl_reasons}), daemon up, SIGTERM exit 0 "
                f"({time.monotonic() - t0:.1f} s)")
    finally:
        reader.close()


# -- the admin port under attack --

def probe_round(base, n=9):
    """N probes alternating /healthz and /metrics, each given 5 s: the failures."""
    bad = []
    for i in range(n):
        path = "/healthz" if i % 2 == 0 else "/metrics"
        t0 = time.monotonic()
        status, body = http("GET", base + path)
        if status != 200:
            bad.append(f"{path}: {status} {body[:80]!r} after {time.monotonic() - t0:.1f} s")
    return bad


class Attackers:
    """SLOW slowloris connections (one header byte per second, never finished) and IDLE
    connections that send nothing, to HOST:PORT, held until close()."""

    def __init__(self, host, port, slow, idle):
        self.socks, self.slow = [], []
        self.stop = threading.Event()
        self.refused = 0
        for i in range(slow + idle):
            try:
                s = socket.create_connection((host, port), timeout=5)
            except OSError:
                self.refused += 1
                continue
            (self.slow if i < slow else self.socks).append(s)
        for s in self.slow:
            s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")
        self.thread = threading.Thread(target=self._drip, name="slowloris", daemon=True)
        self.thread.start()

    def _drip(self):
        while not self.stop.wait(1.0):
            for s in self.slow:
                try:
                    s.send(b"X")
                except OSError:
                    pass

    def close(self):
        self.stop.set()
        self.thread.join(5)
        for s in self.slow + self.socks:
            s.close()


def s_admin_flood(ctx, deadline):
    t = e2e.Topics(ctx, "chaos-admin", 2, 2)
    path = ctx.workdir / "admin-input.ndjson"
    h.repeat_ndjson(h.SOURCE_DIR / "deploy" / "samples" / "articles.ndjson", path, 2000)
    loaded = h.load_ndjson(ctx.bootstrap, t.input, 2, path)
    d = ctx.daemon("admin", t.config(ctx))
    host, port = d.config["metrics_address"].split(":")
    base = f"http://{host}:{port}"
    d.start()
    reader = t.reader(ctx)
    attackers = None
    try:
        h.wait_until(lambda: http("GET", base + "/healthz", timeout=2)[0] == 200, 60,
                     "the admin port to answer", deadline=deadline)
        failures = []
        slow, idle, reloads = 2, sized(300, 1000), sized(20, 100)
        attackers = Attackers(host, int(port), slow, idle)
        refused = attackers.refused
        failures += [f"under {slow} slowloris + {idle} idle connections: {b}"
                     for b in probe_round(base)]
        # A burst of reloads (single-flight: they join one); probes meanwhile.
        results = []
        threads = [threading.Thread(target=lambda: results.append(
            http("POST", base + "/-/reload", timeout=120, data=b"")), name=f"reload-{i}")
            for i in range(reloads)]
        for th in threads:
            th.start()
        failures += [f"during {reloads} concurrent reloads: {b}" for b in probe_round(base)]
        for th in threads:
            th.join(deadline.cap(150))
        not_ok = [r for r in results if r[0] != 200]
        if len(results) != reloads or not_ok:
            failures.append(f"{reloads} reloads: {len(results)} answered, not 200: "
                            f"{not_ok[:3]}")
        status, metrics = http("GET", base + "/metrics")
        done = Scrape(metrics).total("wirescan_rule_reloads_total") if status == 200 else None
        attackers.close()
        attackers = None
        h.wait_committed(ctx.bootstrap, t.group, loaded, min(deadline.left(), 120), deadline)
        if not d.alive():
            failures.append(f"the daemon died (exit {d.returncode()})")
        e2e.stop_expect_zero(d, failures)
        f2, stats = e2e.final_checks(ctx, t, loaded, reader, deadline, allow_duplicates=False)
        require(failures[:12] + f2)
        return (f"probes all answered under {slow} slowloris + {idle} idle connections "
                f"(refused at connect: {refused}) and during {reloads} concurrent "
                f"reloads ({done} reloads counted); {stats['inputs']} inputs accounted")
    finally:
        if attackers is not None:
            attackers.close()
        reader.close()


CI = [
    ("kill9_loop", s_kill9_loop),
    ("broker_restarts", s_broker_restarts),
    ("fuzz_stream", s_fuzz_stream),
    ("poison", s_poison),
    ("admin_flood", s_admin_flood),
]


def main(argv):
    global LONG
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    LONG = "--long" in argv
    names = [a for a in argv if not a.startswith("--")]
    todo = e2e.pick_scenarios(CI, names) if names else CI
    if todo is None:
        return 2
    binary = os.environ.get("WIRESCAN_BIN")
    binary = str(Path(binary).resolve()) if binary else None
    budget = float(os.environ.get("WIRESCAN_E2E_BUDGET", "1200" if LONG else "300"))
    records = sized(30000, 300000)
    return e2e.run_scenarios(todo, binary, budget, records, keep="--keep" in argv,
                             prefix="wirescan-chaos.")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
