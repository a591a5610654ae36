#!/usr/bin/python3
"""End-to-end tests of the wirescan daemon against a real Kafka broker (tests/kafka/broker.sh).

  /usr/bin/python3 tests/e2e/test_daemon_e2e.py [--keep] [SCENARIO...]
  /usr/bin/python3 tests/e2e/test_daemon_e2e.py --self-test

Scenarios (names or numbers; all by default):
  1 all_accounted   100,000 corpus articles, 6 partitions, two daemons in one group (the second
                    joins mid-stream, after 5% of the outputs): every input offset has exactly
                    one analysis or dead letter, per-partition order kept, committed offsets
                    reach the high watermarks
  2 kill9           kill -9 one of two daemons after ~30% of the outputs, restart it: nothing lost
  3 broker_restart  broker stop + start mid-stream: the daemon recovers by itself, nothing lost
  4 bad_records     deploy/samples/bad_records.ndjson + an oversized record + good ones: the
                    right dead-letter reasons, unchanged bytes, the daemon keeps running
  5 shutdown        SIGTERM under load: exit 0 within the timeout, commits covered by delivered
                    outputs; a restart with --exit-when-idle completes the rest
  6 oversized       default Kafka size settings: two 1.04 MB bad records (dead letters keep a
                    prefix) and an article whose analysis is over 1 MB (cut) among good ones on
                    three partitions: one output each, daemon alive, SIGTERM exit 0
  7 too_slow        pipeline.record_budget_ms 10: two 600 KB sentences dense with triggers and
                    figures among good articles are dead letters `too_slow` (bytes unchanged),
                    the good ones are analysed, all committed; record_budget_ms 5: exit 78

Prints one line per scenario and then `N passed, N failed[, N skipped]`; exits 1 on any failure.
Without WIRESCAN_BIN every scenario is skipped (exit 0). --self-test runs scenarios 1 and 4 against
tests/e2e/fake_daemon.py, then injects faults into the fake and requires the checks to fail.

Environment: WIRESCAN_BIN (the daemon), WIRESCAN_SOURCE_DIR (repository root; default: two levels
up from here), WIRESCAN_E2E_CORPUS (default $WIRESCAN_SOURCE_DIR/../shared/corpus),
WIRESCAN_E2E_RECORDS (default 100000), WIRESCAN_E2E_BUDGET (seconds per scenario, default 300).
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness as h  # noqa: E402

FAKE = Path(__file__).resolve().parent / "fake_daemon.py"
SHUTDOWN_TIMEOUT_MS = 10000
SHUTDOWN_SLACK_S = 2.0
JOIN_AT = 0.05  # fraction of the outputs the first daemon has produced when the second starts
DEFAULT_EVENT_PREFIX = "wirescan.events."  # process start-up/teardown on 2 shared cores


class Failed(Exception):
    pass


def require(failures, what=""):
    if failures:
        raise Failed((what + ": " if what else "") + "; ".join(failures))


class Ctx:
    """What the scenarios share: one broker, a work directory, the decoder, the input file."""

    def __init__(self, broker, workdir, binary, budget, records, fault=None):
        self.broker = broker
        self.workdir = Path(workdir)
        self.binary = binary
        self.budget = budget
        self.records = records
        self.fault = fault
        self.decoder = h.AnalysisDecoder(self.workdir)
        self.daemons = []
        self._input = None
        self.input_note = ""

    @property
    def bootstrap(self):
        return self.broker.bootstrap

    def input_file(self):
        """The corpus articles as NDJSON (made once per run), or the samples fallback."""
        if self._input is not None:
            return self._input
        corpus = Path(os.environ.get("WIRESCAN_E2E_CORPUS")
                      or h.SOURCE_DIR.parent / "shared" / "corpus")
        out = self.workdir / "articles.ndjson"
        if (corpus / "en").is_dir() or (corpus / "zh").is_dir():
            t0 = time.monotonic()
            subprocess.run(
                ["/usr/bin/python3", str(h.SOURCE_DIR / "tests" / "tools" / "corpus_to_ndjson.py"),
                 "--corpus", str(corpus), "--lang", "all", "--repeat-to", str(self.records),
                 "--seed", "1", "-o", str(out)],
                check=True, timeout=300, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            self.input_note = f"corpus en+zh x{self.records}"
            h.log(f"converted {corpus} in {time.monotonic() - t0:.1f} s")
        else:
            n = min(self.records, 20000)
            h.repeat_ndjson(h.SOURCE_DIR / "deploy" / "samples" / "articles.ndjson", out, n)
            self.input_note = f"FALLBACK: no corpus at {corpus}, deploy/samples x{n}"
            h.log(self.input_note)
        self._input = out
        return out

    def daemon(self, name, config, env=None):
        env = dict(env or {})
        if self.fault:
            env["WIRESCAN_FAKE_FAULT"] = self.fault
        d = h.Daemon(name, self.workdir / "daemons", config, binary=self.binary, env=env)
        self.daemons.append(d)
        return d

    def stop_all(self):
        for d in self.daemons:
            if d.alive():
                d.stop(timeout=15)
        self.daemons = []


class Topics:
    """A scenario's own input, analysis and dead-letter topics, and group id."""

    def __init__(self, ctx, tag, in_parts, analysis_parts, dlq_parts=1):
        base = h.unique(f"e2e-{tag}")
        self.input, self.analysis, self.dlq = f"{base}.in", f"{base}.analysis", f"{base}.dlq"
        self.event_prefix = f"{base}.events."
        self.group = f"{base}-group"
        self.in_parts, self.analysis_parts, self.dlq_parts = in_parts, analysis_parts, dlq_parts
        ctx.broker.create_topic(self.input, in_parts)
        ctx.broker.create_topic(self.analysis, analysis_parts)
        ctx.broker.create_topic(self.dlq, dlq_parts)

    def config(self, ctx, workers=2, **kw):
        return h.daemon_config(ctx.bootstrap, self.group, [self.input], self.analysis, self.dlq,
                               self.event_prefix, workers=workers,
                               shutdown_timeout_ms=SHUTDOWN_TIMEOUT_MS, **kw)

    def reader(self, ctx):
        return h.OutputReader(ctx.bootstrap, self.analysis, self.dlq, self.analysis_parts,
                              self.dlq_parts, decoder=ctx.decoder, source_topics=[self.input])


def stop_expect_zero(d, failures):
    """SIGTERM; the daemon must exit 0 within shutdown_timeout_ms (+ slack)."""
    if not d.alive():
        failures.append(f"{d.name} was not running at the end (exit {d.returncode()}): "
                        f"{d.stderr_tail(5)}")
        return
    d.sigterm()
    rc = d.wait(SHUTDOWN_TIMEOUT_MS / 1000 + SHUTDOWN_SLACK_S)
    if rc is None:
        limit = SHUTDOWN_TIMEOUT_MS / 1000 + SHUTDOWN_SLACK_S
        failures.append(f"{d.name}: still running {limit:.0f} s after SIGTERM")
        d.kill9()
    elif rc != 0:
        failures.append(f"{d.name}: exit {rc} after SIGTERM: {d.stderr_tail(5)}")


def summary(stats, seconds):
    return (f"{stats['inputs']} inputs: {stats['analyses']} analyses, {stats['dead_letters']} "
            f"dead letters, {stats['duplicated_inputs']} duplicated inputs "
            f"({stats['duplicate_messages']} extra messages), {stats['events']} events, "
            f"{stats['decoded_samples']} decoded; {seconds:.1f} s "
            f"({stats['inputs'] / max(seconds, 1e-3):.0f} msg/s)")


def final_checks(ctx, t, loaded, reader, deadline, allow_duplicates):
    """After the run: read all outputs, account, check the commits are at the end."""
    # Events go to event_topic_prefix + type, or to the topic an event rule names (the shipped
    # rules use wirescan.events.<type>, shared by all scenarios: filtered by source topic).
    reader.add_event_topics(ctx.broker.topics_with_prefix(t.event_prefix)
                            + ctx.broker.topics_with_prefix(DEFAULT_EVENT_PREFIX))
    reader.catch_up(60, deadline)
    failures, stats = reader.report(loaded, allow_duplicates=allow_duplicates)
    cf, _ = h.check_commits(ctx.bootstrap, t.group, loaded)
    return failures + cf, stats


# --- scenarios -------------------------------------------------------------------------------

def s_all_accounted(ctx, deadline, path=None, in_parts=6, analysis_parts=4, instances=2):
    """Two daemons, one group: exactly one output per input, order kept, commits at the end.
    The analysis topic has fewer partitions than the input, so the `mod` mapping is exercised."""
    t = Topics(ctx, "accounted", in_parts, analysis_parts)
    loaded = h.load_ndjson(ctx.bootstrap, t.input, in_parts, path or ctx.input_file())
    ds = [ctx.daemon(f"accounted-{i}", t.config(ctx)) for i in range(instances)]
    t0 = time.monotonic()
    ds[0].start()
    reader = t.reader(ctx)
    try:
        # The others join mid-stream, once the first has produced JOIN_AT of the outputs: a
        # cooperative rebalance moves busy partitions, which must not produce a single duplicate
        # (librdkafka 2.0 loses the assignment if a commit races the rebalance; see
        # engine/source/kafka_source.h).
        reader.wait_accounted(loaded.expected(), deadline.left(), deadline, fraction=JOIN_AT)
        for d in ds[1:]:
            d.start()
        # Committed to the end implies (at-least-once) every output was delivered.
        h.wait_committed(ctx.bootstrap, t.group, loaded, deadline.left(), deadline)
        elapsed = time.monotonic() - t0
        failures = []
        for d in ds:
            stop_expect_zero(d, failures)
        f2, stats = final_checks(ctx, t, loaded, reader, deadline, allow_duplicates=False)
        require(failures + f2)
        note = f" [{ctx.input_note}]" if path is None else ""
        return summary(stats, elapsed) + note
    finally:
        reader.close()


def s_kill9(ctx, deadline):
    t = Topics(ctx, "kill9", 6, 6)
    loaded = h.load_ndjson(ctx.bootstrap, t.input, 6, ctx.input_file())
    a = ctx.daemon("kill9-a", t.config(ctx))
    b = ctx.daemon("kill9-b", t.config(ctx))
    t0 = time.monotonic()
    a.start()
    b.start()
    reader = t.reader(ctx)
    try:
        reader.wait_accounted(loaded.expected(), deadline.left(), deadline, fraction=0.3)
        if not a.alive():
            raise Failed(f"kill9-a exited early ({a.returncode()}): {a.stderr_tail(5)}")
        a.kill9()
        a.start()
        h.wait_committed(ctx.bootstrap, t.group, loaded, deadline.left(), deadline)
        elapsed = time.monotonic() - t0
        failures = []
        stop_expect_zero(a, failures)
        stop_expect_zero(b, failures)
        f2, stats = final_checks(ctx, t, loaded, reader, deadline, allow_duplicates=True)
        require(failures + f2)
        return summary(stats, elapsed) + " (kill -9 at 30%)"
    finally:
        reader.close()


def s_broker_restart(ctx, deadline):
    t = Topics(ctx, "brokerrestart", 6, 6)
    loaded = h.load_ndjson(ctx.bootstrap, t.input, 6, ctx.input_file())
    d = ctx.daemon("brokerrestart", t.config(ctx))
    t0 = time.monotonic()
    d.start()
    reader = t.reader(ctx)
    try:
        reader.wait_accounted(loaded.expected(), deadline.left(), deadline, fraction=0.3)
        restart_s = ctx.broker.restart()
        h.wait_committed(ctx.bootstrap, t.group, loaded, deadline.left(), deadline)
        elapsed = time.monotonic() - t0
        failures = []
        stop_expect_zero(d, failures)  # also fails if it died instead of recovering
        f2, stats = final_checks(ctx, t, loaded, reader, deadline, allow_duplicates=True)
        require(failures + f2)
        return summary(stats, elapsed) + f" (broker down/up {restart_s:.1f} s at 30%)"
    finally:
        reader.close()


BAD_EXPECTED = {  # bad_records.ndjson line -> dead-letter reason (deploy/samples/README.md)
    0: "not_json", 1: "not_object", 2: "missing_body", 3: "wrong_type", 4: "empty_body",
    5: "invalid_utf8",
}
MAX_RECORD_BYTES = 65536


def s_bad_records(ctx, deadline):
    """One partition: good, bad, good, bad, ..., oversized, good."""
    samples = h.SOURCE_DIR / "deploy" / "samples"
    good = [l for l in (samples / "articles.ndjson").read_bytes().split(b"\n") if l.strip()]
    bad = [l for l in (samples / "bad_records.ndjson").read_bytes().split(b"\n") if l]
    if len(bad) != len(BAD_EXPECTED):
        raise Failed(f"bad_records.ndjson has {len(bad)} lines, the test knows {len(BAD_EXPECTED)}")
    big = json.dumps({"id": "bad-too-large", "title": "Oversized",
                      "body": "Valid but oversized. " * (MAX_RECORD_BYTES // 20 + 10),
                      "source": "wirescan-e2e"}, separators=(",", ":")).encode()
    assert len(big) > MAX_RECORD_BYTES
    records, want = [], {}  # want: index -> reason, or None for an analysis
    gi = 0
    for i, line in enumerate(bad + [big]):
        records.append(good[gi % len(good)])
        want[len(records) - 1] = None
        gi += 1
        records.append(line)
        want[len(records) - 1] = BAD_EXPECTED.get(i, "too_large")
    for _ in range(3):
        records.append(good[gi % len(good)])
        want[len(records) - 1] = None
        gi += 1
    # Good ones repeat: give them distinct ids (an analysis's key is the article id).
    keyed = []
    for i, v in enumerate(records):
        if want[i] is None:
            obj = json.loads(v)
            obj["id"] = f"{obj['id']}#e2e{i}"
            v = json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()
        k = h.article_id(v)
        keyed.append((k.encode() if k is not None else None, v))

    t = Topics(ctx, "bad", 1, 1)
    loaded = h.produce_records(ctx.bootstrap, t.input, 1, keyed, keep_values=True)
    d = ctx.daemon("bad", t.config(ctx, input_extra={"max_record_bytes": MAX_RECORD_BYTES}))
    t0 = time.monotonic()
    d.start()
    reader = t.reader(ctx)
    reader.sample_every = 1
    try:
        h.wait_committed(ctx.bootstrap, t.group, loaded, min(120, deadline.left()), deadline)
        reader.catch_up(60, deadline)
        failures = []
        for i, reason in want.items():
            src = (t.input, 0, i)
            dl = reader.dlq.get(src, [])
            if reason is None:
                if reader.analyses.get(src, 0) != 1 or dl:
                    failures.append(f"good record at offset {i}: {reader.analyses.get(src, 0)} "
                                    f"analyses, {len(dl)} dead letters "
                                    f"({[x[2] for x in dl]})")
                continue
            if len(dl) != 1 or reader.analyses.get(src):
                failures.append(f"offset {i} ({reason}): {len(dl)} dead letters, "
                                f"{reader.analyses.get(src, 0)} analyses")
                continue
            key, value, got, msg = dl[0]
            if got != reason:
                failures.append(f"offset {i}: reason {got!r}, expected {reason!r} ({msg!r})")
            if value != loaded.values[0][i]:
                failures.append(f"offset {i} ({reason}): dead-letter value differs from the input "
                                f"({len(value or b'')} vs {len(loaded.values[0][i])} bytes)")
            if key != loaded.keys[0][i]:
                failures.append(f"offset {i} ({reason}): key {key!r}, input key "
                                f"{loaded.keys[0][i]!r}")
            if not msg:
                failures.append(f"offset {i} ({reason}): empty {h.H_DLQ_MESSAGE}")
        if not d.alive():
            failures.append(f"daemon died on bad input (exit {d.returncode()}): "
                            f"{d.stderr_tail(5)}")
        f2, stats = final_checks(ctx, t, loaded, reader, deadline, allow_duplicates=False)
        stop_expect_zero(d, failures)
        require(failures + f2)
        return (f"{len(want) - list(want.values()).count(None)} bad records dead-lettered with "
                f"the right reason and bytes, {list(want.values()).count(None)} good analysed, "
                f"daemon alive, SIGTERM exit 0 ({time.monotonic() - t0:.1f} s)")
    finally:
        reader.close()


def s_shutdown(ctx, deadline):
    t = Topics(ctx, "shutdown", 6, 6)
    loaded = h.load_ndjson(ctx.bootstrap, t.input, 6, ctx.input_file())
    expected = loaded.expected()
    d = ctx.daemon("shutdown", t.config(ctx))
    d.start()
    reader = t.reader(ctx)
    try:
        reader.wait_accounted(expected, deadline.left(), deadline, fraction=0.2)
        seen_before = [s for s in expected if reader.analyses.get(s) or reader.dead_letters.get(s)]
        d.sigterm()
        rc = d.wait(SHUTDOWN_TIMEOUT_MS / 1000 + SHUTDOWN_SLACK_S)
        failures = []
        if rc is None:
            d.kill9()
            raise Failed(f"still running {SHUTDOWN_TIMEOUT_MS / 1000 + SHUTDOWN_SLACK_S:.0f} s "
                         f"after SIGTERM: {d.stderr_tail(5)}")
        if rc != 0:
            failures.append(f"exit {rc} after SIGTERM: {d.stderr_tail(5)}")
        exit_s = d.exit_seconds
        reader.catch_up(60, deadline)
        cov, committed = h.check_commit_coverage(ctx.bootstrap, t.group, loaded, reader)
        failures += cov
        # Drain + commit: what was delivered before SIGTERM must be committed by the exit.
        uncommitted = [s for s in seen_before if (committed[s[1]] or 0) <= s[2]]
        if uncommitted:
            failures.append(f"{len(uncommitted)} input(s) whose outputs were delivered before "
                            f"SIGTERM are not committed after exit, e.g. {sorted(uncommitted)[:3]}")
        done_at_stop = sum(c or 0 for c in committed.values())
        require(failures, "after SIGTERM")
        # Restart: it must complete the rest and exit by itself.
        d.start(["--exit-when-idle"])
        rc = None
        end = time.monotonic() + deadline.cap(deadline.left())
        while rc is None and time.monotonic() < end:
            rc = d.wait(1)
            reader.poll_for(0.2)
        if rc is None:
            raise Failed(f"--exit-when-idle: still running when the budget ran out: "
                         f"{d.stderr_tail(5)}")
        if rc != 0:
            failures.append(f"--exit-when-idle: exit {rc}: {d.stderr_tail(5)}")
        f2, stats = final_checks(ctx, t, loaded, reader, deadline, allow_duplicates=True)
        require(failures + f2, "after the restart")
        return (f"SIGTERM at {len(seen_before)}/{len(expected)} outputs: exit 0 in {exit_s:.1f} s,"
                f" {done_at_stop} committed, all covered; restart completed: "
                f"{stats['duplicated_inputs']} duplicated inputs")
    finally:
        reader.close()


OUTPUT_LIMIT = 1000000  # librdkafka's default message.max.bytes: every output fits in it


def big_article(ctx, ident, want_analysis_bytes):
    """A valid JSON article (bytes) whose analysis, as `wirescan extract` makes it, is larger
    than WANT_ANALYSIS_BYTES: sentences dense with entities, figures and event triggers."""
    sentence = ("JCET Group said it will invest $1.5 billion in a new plant in Jiangyin, raising "
                "capacity by 20% to 35,000 wafers a month. ")
    reps = 1000
    while True:
        rec = json.dumps({"id": ident, "title": "JCET invests", "body": sentence * reps,
                          "source": "wirescan-e2e"}, separators=(",", ":")).encode()
        out = subprocess.run([ctx.binary, "extract", "--format", "protobuf", "-"], input=rec + b"\n",
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=120,
                             check=True).stdout
        if len(out) > want_analysis_bytes:
            return rec, len(out)
        if len(rec) > 900000:
            raise Failed(f"a {len(rec)}-byte article still has an analysis of {len(out)} bytes")
        reps *= 2


def s_oversized(ctx, deadline):
    """Default Kafka size settings: a 1.04 MB non-JSON record and a 1.04 MB JSON array (their
    dead letters keep a prefix), and a valid article whose analysis is over 1 MB (cut), among
    good articles on three partitions: exactly one output each, the daemon stays alive, every
    partition flows to the end, SIGTERM exits 0."""
    samples = h.SOURCE_DIR / "deploy" / "samples"
    good = [l for l in (samples / "articles.ndjson").read_bytes().split(b"\n") if l.strip()]
    junk = b"\x00wirescan-e2e " + b"#" * (1040000 - 14)
    array = b"[" + b"1," * ((1040000 - 2) // 2) + b"1]"
    big, big_analysis = big_article(ctx, "e2e-big-article", int(OUTPUT_LIMIT * 1.2))
    nparts, n = 3, 600
    special = {31: ("junk", junk, "not_json"), 62: ("e2e-big-article", big, None),
               90: ("array", array, "not_object")}
    records, want = [], {}
    for i in range(n):
        if i in special:
            key, value, reason = special[i]
            records.append((key.encode(), value))
            want[i] = (key, reason)
            continue
        obj = json.loads(good[i % len(good)])
        obj["id"] = f"{obj['id']}#ov{i}"
        records.append((obj["id"].encode(), json.dumps(obj, ensure_ascii=False,
                                                       separators=(",", ":")).encode()))
        want[i] = (None, None)
    t = Topics(ctx, "oversized", nparts, nparts)
    loaded = h.produce_records(ctx.bootstrap, t.input, nparts, records, keep_values=True)
    # A producer limit above what the topics accept is a configuration error: exit 78.
    bad = ctx.daemon("oversized-contradiction",
                     t.config(ctx, producer_extra={"message.max.bytes": "2000000"}))
    bad.start()
    rc = bad.wait(deadline.cap(60))
    if rc != 78 or "message.max.bytes 2000000 exceeds" not in bad.stderr_tail(5):
        bad.stop()
        raise Failed(f"producer message.max.bytes 2000000: exit {rc}, expected 78: "
                     f"{bad.stderr_tail(3)}")
    d = ctx.daemon("oversized", t.config(ctx))
    t0 = time.monotonic()
    d.start()
    reader = t.reader(ctx)
    reader.sample_every = 1
    try:
        h.wait_committed(ctx.bootstrap, t.group, loaded, min(120, deadline.left()), deadline)
        reader.catch_up(60, deadline)
        failures = []
        for i, (kind, reason) in want.items():
            src = (t.input, i % nparts, i // nparts)
            dl, nan = reader.dlq.get(src, []), reader.analyses.get(src, 0)
            value = loaded.values[src[1]][src[2]]
            if reason is None:
                if nan != 1 or dl:
                    failures.append(f"{kind or 'good'} record {src}: {nan} analyses, {len(dl)} "
                                    f"dead letters ({[x[2] for x in dl]})")
                continue
            if len(dl) != 1 or nan:
                failures.append(f"{kind} {src}: {len(dl)} dead letters, {nan} analyses")
                continue
            key, dvalue, got, msg = dl[0]
            hdrs = reader.dlq_headers[src][0]
            if got != reason:
                failures.append(f"{kind}: reason {got!r}, expected {reason!r} ({msg!r})")
            if not dvalue or len(dvalue) >= len(value) or value[:len(dvalue)] != dvalue:
                failures.append(f"{kind}: the dead letter ({len(dvalue or b'')} bytes) is not a "
                                f"shorter prefix of the {len(value)}-byte input")
            if len(dvalue or b"") + len(key or b"") > OUTPUT_LIMIT:
                failures.append(f"{kind}: a dead letter of {len(dvalue)} bytes")
            if hdrs.get(h.H_DLQ_TRUNCATED) != "true" or \
                    hdrs.get(h.H_DLQ_ORIGINAL_SIZE) != str(len(value)):
                failures.append(f"{kind}: truncation headers {hdrs.get(h.H_DLQ_TRUNCATED)!r}, "
                                f"{hdrs.get(h.H_DLQ_ORIGINAL_SIZE)!r} (input {len(value)} bytes)")
            if key != kind.encode():
                failures.append(f"{kind}: key {key!r}")
        # The big article's analysis: cut, with a diagnostic, within the limit.
        big_src = (t.input, 62 % nparts, 62 // nparts)
        c2 = h.Consumer({**h.QUIET, "bootstrap.servers": ctx.bootstrap, "group.id": h.unique("big"),
                         "enable.auto.commit": False, "max.partition.fetch.bytes": 10485760})
        try:
            part = big_src[1] % t.analysis_parts
            c2.assign([h.TopicPartition(t.analysis, part, 0)])
            cut = None
            end = time.monotonic() + deadline.cap(30)
            while cut is None and time.monotonic() < end:
                for m in c2.consume(num_messages=500, timeout=0.5):
                    if m.error() or m.key() != b"e2e-big-article":
                        continue
                    cut = m.value()
        finally:
            c2.close()
        if cut is None:
            failures.append("the big article's analysis was not found")
        else:
            a = ctx.decoder.analysis(cut)
            codes = [dg.code for dg in a.diagnostics]
            if 4 not in codes:  # Diagnostic.CODE_OUTPUT_CUT
                failures.append(f"the big article's analysis has no CODE_OUTPUT_CUT ({codes})")
            if len(cut) > OUTPUT_LIMIT:
                failures.append(f"the big article's analysis is {len(cut)} bytes")
        if not d.alive():
            failures.append(f"daemon died (exit {d.returncode()}): {d.stderr_tail(5)}")
        f2, stats = final_checks(ctx, t, loaded, reader, deadline, allow_duplicates=False)
        stop_expect_zero(d, failures)
        require(failures + f2)
        return (f"2 x 1.04 MB dead letters cut to a prefix, a {big_analysis}-byte analysis cut "
                f"to {len(cut)} bytes, {n - 3} good analysed on {nparts} partitions, daemon "
                f"alive, SIGTERM exit 0 ({time.monotonic() - t0:.1f} s)")
    finally:
        reader.close()


DENSE_UNIT = ("TSMC will invest US$1.5 billion and Samsung plans to spend 20% more, while Intel "
              "raises capacity by 30,000 wafers per month in Taiwan and 台積電投資120億美元, JCET "
              "revenue rose 5% to $2 billion, a tariff of 25% on China, export controls on Huawei, ")


def s_too_slow(ctx, deadline):
    """One partition: good, slow, good, slow, good x3, with a 10 ms record budget. A slow record
    is one 600 KB sentence full of triggers and figures (a third of a second of extraction in a
    release build); a good one never reaches the budget's first clock reading."""
    samples = h.SOURCE_DIR / "deploy" / "samples"
    good = [l for l in (samples / "articles.ndjson").read_bytes().split(b"\n") if l.strip()]
    unit = DENSE_UNIT.encode()
    body = (unit * (600000 // len(unit))).decode()
    records, want = [], {}  # offset -> expected dead-letter reason, or None for an analysis
    for i in range(7):
        if i in (1, 3):
            ident = f"e2e-slow-{i}"
            value = json.dumps({"id": ident, "title": "Worst case", "body": body,
                                "source": "wirescan-e2e"}, ensure_ascii=False,
                               separators=(",", ":")).encode()
            want[i] = "too_slow"
        else:
            obj = json.loads(good[i % len(good)])
            obj["id"] = ident = f"{obj['id']}#slow{i}"
            value = json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()
            want[i] = None
        records.append((ident.encode(), value))
    t = Topics(ctx, "tooslow", 1, 1)
    loaded = h.produce_records(ctx.bootstrap, t.input, 1, records, keep_values=True)
    # Out of range: the daemon refuses to start (78, a configuration error) and says why.
    bad_cfg = t.config(ctx)
    bad_cfg["pipeline"]["record_budget_ms"] = 5
    bad = ctx.daemon("tooslow-config", bad_cfg)
    bad.start()
    rc = bad.wait(deadline.cap(30))
    if rc != 78 or "pipeline.record_budget_ms" not in bad.stderr_tail(5):
        bad.stop()
        raise Failed(f"record_budget_ms 5: exit {rc}, expected 78: {bad.stderr_tail(3)}")
    cfg = t.config(ctx)
    cfg["pipeline"]["record_budget_ms"] = 10
    d = ctx.daemon("tooslow", cfg)
    t0 = time.monotonic()
    d.start()
    reader = t.reader(ctx)
    reader.sample_every = 1
    try:
        h.wait_committed(ctx.bootstrap, t.group, loaded, min(60, deadline.left()), deadline)
        reader.catch_up(30, deadline)
        failures = []
        for i, reason in want.items():
            src = (t.input, 0, i)
            dl, nan = reader.dlq.get(src, []), reader.analyses.get(src, 0)
            if reason is None:
                if nan != 1 or dl:
                    failures.append(f"good record at offset {i}: {nan} analyses, {len(dl)} dead "
                                    f"letters ({[x[2] for x in dl]})")
                continue
            if len(dl) != 1 or nan:
                failures.append(f"slow record at offset {i}: {len(dl)} dead letters, {nan} analyses")
                continue
            key, value, got, msg = dl[0]
            if got != reason:
                failures.append(f"offset {i}: reason {got!r}, expected {reason!r} ({msg!r})")
            if value != loaded.values[0][i] or key != loaded.keys[0][i]:
                failures.append(f"offset {i}: the dead letter's key or bytes differ from the input")
            if "record_budget_ms" not in (msg or ""):
                failures.append(f"offset {i}: {h.H_DLQ_MESSAGE} {msg!r} does not name the budget")
        if not d.alive():
            failures.append(f"daemon died (exit {d.returncode()}): {d.stderr_tail(5)}")
        f2, stats = final_checks(ctx, t, loaded, reader, deadline, allow_duplicates=False)
        stop_expect_zero(d, failures)
        require(failures + f2)
        return (f"2 slow records dead-lettered too_slow, 5 good analysed, all committed; "
                f"record_budget_ms 5 refused (exit 78); SIGTERM exit 0 "
                f"({time.monotonic() - t0:.1f} s)")
    finally:
        reader.close()


SCENARIOS = [
    ("all_accounted", s_all_accounted),
    ("kill9", s_kill9),
    ("broker_restart", s_broker_restart),
    ("bad_records", s_bad_records),
    ("shutdown", s_shutdown),
    ("oversized", s_oversized),
    ("too_slow", s_too_slow),
]


# --- self-test: the checks against the fake daemon, and that they can fail ------------------

def _small_input(ctx, n=3000):
    path = ctx.workdir / "small.ndjson"
    if not path.exists():
        h.repeat_ndjson(h.SOURCE_DIR / "deploy" / "samples" / "articles.ndjson", path, n)
    return path


def _expect_failure(ctx, deadline, fault, run, must_contain):
    ctx.fault = fault
    try:
        run(ctx, deadline)
    except (Failed, h.ScenarioTimeout) as e:
        if must_contain not in str(e):
            raise Failed(f"fault {fault}: failed, but not with {must_contain!r}: {e}") from None
        return f"fault {fault} detected: {str(e)[:150]}"
    finally:
        ctx.fault = None
        ctx.stop_all()
    raise Failed(f"fault {fault} was NOT detected: the checks passed")


def self_tests():
    small = lambda ctx, dl: s_all_accounted(ctx, dl, path=_small_input(ctx), in_parts=3,  # noqa
                                            analysis_parts=2, instances=1)
    return [
        ("all_accounted", s_all_accounted),
        ("bad_records", s_bad_records),
        ("detects:drop", lambda c, dl: _expect_failure(c, dl, "drop=1:7", small,
                                                       "without any output")),
        ("detects:reorder", lambda c, dl: _expect_failure(c, dl, "swap=0", small,
                                                          "order broken")),
        ("detects:commit_ahead", lambda c, dl: _expect_failure(c, dl, "commit_ahead=5", small,
                                                               "high watermark")),
        ("detects:uncovered_commit", lambda c, dl: _expect_failure(
            c, dl, "commit_ahead=5", s_shutdown, "have no output")),
        ("detects:sigterm_ignored", lambda c, dl: _expect_failure(
            c, dl, "ignore_term", s_bad_records, "after SIGTERM")),
        ("detects:dlq_bytes", lambda c, dl: _expect_failure(c, dl, "dlq_mutate", s_bad_records,
                                                            "value differs")),
        ("detects:dlq_reason", lambda c, dl: _expect_failure(c, dl, "dlq_reason", s_bad_records,
                                                             "expected 'not_object'")),
    ]


# --- main --------------------------------------------------------------------------------------

def main(argv):
    # SIGTERM (ctest, CI) unwinds like Ctrl-C: the finally blocks and atexit stop the broker and
    # the daemons. A SIGKILL cannot: broker.sh's broker (setsid) would survive it.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    keep = "--keep" in argv
    self_test = "--self-test" in argv
    names = [a for a in argv if not a.startswith("--")]
    if self_test:
        binary = str(FAKE)
        todo = self_tests()
    else:
        binary = os.environ.get("WIRESCAN_BIN")
        binary = str(Path(binary).resolve()) if binary else None
        todo = SCENARIOS
    todo = pick_scenarios(todo, names)
    if todo is None:
        return 2
    budget = float(os.environ.get("WIRESCAN_E2E_BUDGET", "300"))
    records = int(os.environ.get("WIRESCAN_E2E_RECORDS", "100000"))
    return run_scenarios(todo, binary, budget, records, keep)


def pick_scenarios(todo, names):
    """The scenarios of TODO named (or numbered from 1) in NAMES, all when NAMES is empty; None
    (after saying why) when a name is unknown."""
    if not names:
        return todo
    byname = {n: f for n, f in todo}
    picked = []
    for n in names:
        if n.isdigit() and 1 <= int(n) <= len(todo):
            picked.append(todo[int(n) - 1])
        elif n in byname:
            picked.append((n, byname[n]))
        else:
            print(f"unknown scenario {n!r}; known: {', '.join(byname)}", file=sys.stderr)
            return None
    return picked


def run_scenarios(todo, binary, budget, records, keep=False, prefix="wirescan-e2e."):
    """Runs TODO ([(name, fn(ctx, deadline))]) against BINARY on one broker, each scenario with
    its own Deadline of BUDGET seconds; prints PASS/FAIL/SKIP lines and the totals. Returns the
    exit status (1 on any failure). Also used by tests/chaos/test_chaos.py."""
    passed = failed = skipped = 0
    skip_reason = None
    if not binary:
        skip_reason = "WIRESCAN_BIN is not set"
    elif not os.access(binary, os.X_OK):
        skip_reason = f"WIRESCAN_BIN={binary} is not an executable file"
    elif not shutil.which("java"):
        skip_reason = "no java (tests/kafka/broker.sh needs Java 17)"
    if skip_reason:
        for n, _ in todo:
            print(f"SKIP {n}: {skip_reason}", flush=True)
        print(f"0 passed, 0 failed, {len(todo)} skipped")
        return 0

    workdir = Path(tempfile.mkdtemp(prefix=prefix))
    broker = h.Broker(workdir / "kafka")
    t_run = time.monotonic()
    try:
        try:
            broker.start()
        except Exception as e:  # noqa: BLE001 - every scenario fails the same way
            for n, _ in todo:
                print(f"FAIL {n}: broker did not start: {e}", flush=True)
            print(f"0 passed, {len(todo)} failed")
            return 1
        ctx = Ctx(broker, workdir, binary, budget, records)
        for n, fn in todo:
            deadline = h.Deadline(budget, f"scenario {n}")
            t0 = time.monotonic()
            try:
                detail = fn(ctx, deadline)
                passed += 1
                print(f"PASS {n}: {detail} [{time.monotonic() - t0:.1f} s]", flush=True)
            except (Failed, h.ScenarioTimeout, AssertionError) as e:
                failed += 1
                print(f"FAIL {n}: {e} [{time.monotonic() - t0:.1f} s]", flush=True)
                for d in ctx.daemons:
                    print(f"  {d.name} stderr ({d.stderr_path}):\n{d.stderr_tail(10)}",
                          file=sys.stderr)
            except Exception as e:  # noqa: BLE001 - a harness error fails the scenario only
                failed += 1
                print(f"FAIL {n}: harness error {type(e).__name__}: {e}", flush=True)
                traceback.print_exc()
            finally:
                ctx.stop_all()
    finally:
        broker.stop()
        if keep or failed:
            print(f"work directory kept: {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
        h.log(f"total {time.monotonic() - t_run:.1f} s")
    line = f"{passed} passed, {failed} failed"
    if skipped:
        line += f", {skipped} skipped"
    print(line)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
