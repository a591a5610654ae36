#!/usr/bin/python3
"""End-to-end test of rule hot reload in a running `wirescan run` against a real broker.

  /usr/bin/python3 tests/e2e/test_reload_e2e.py [--keep]

One scenario, `reload`: rules/ is copied to a temporary rules directory; 100,000 corpus articles
(or the deploy/samples fallback, as test_daemon_e2e.py does) go into a 6-partition topic, fed in
chunks while one daemon (rules_dir = the copy, commit_interval_ms 500) consumes them; meanwhile 20
reloads alternate a good pack (an event trigger changed, or an entity alias added; each good pack
distinct) and a broken one (an unknown key, a bad regex, a duplicate id, a failing example),
triggered by rewriting the files (inotify) or by SIGHUP. Then SIGTERM (exit 0) and:
  - every input offset has an analysis or a dead letter (duplicates counted, allowed);
  - the daemon logged exactly 10 successful reloads (OLD -> NEW, the versions computed here) and
    10 failed ones ("keeping rules <current>");
  - every output's wirescan-rules-version is a good version (initial + reloads), never a broken
    pack's; every good version produced outputs; an event carries its analysis's version;
  - per input partition, versions in offset order never go back to an older pack;
  - each output was produced (Kafka CreateTime) inside its version's live interval, as recorded
    from the daemon's log timestamps (1 s before its start, 5 s after its end).

The rules directory is a symlink (`<work>/rules`) to the watched directory `packs/live`. An
inotify reload rewrites files in packs/live; a SIGHUP reload writes the pack to a fresh
`packs/hup-NN` and swaps the symlink to it (no event in the watched directory, so SIGHUP alone
triggers it), then the next inotify reload swaps back to packs/live first and rewrites its files.
A pack's version is computed as the engine does (engine/rules/rule_pack.cc CompileRulePack:
FNV-1a 64 over length-prefixed (name, bytes) of the *.yaml files sorted by name, name =
"<rules_dir>/<file>"), and checked against `wirescan rules check <rules_dir>` for every pack
that gets as far as running its examples.

Prints a PASS/FAIL/SKIP line and `N passed, N failed`; exit 1 on failure; every scenario is
skipped without WIRESCAN_BIN. Environment as test_daemon_e2e.py (WIRESCAN_BIN,
WIRESCAN_SOURCE_DIR, WIRESCAN_E2E_CORPUS, WIRESCAN_E2E_RECORDS, WIRESCAN_E2E_BUDGET).
"""

import datetime
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness as h  # noqa: E402
import test_daemon_e2e as e2e  # noqa: E402 - Ctx, Topics, stop_expect_zero, Failed, require

IN_PARTS = 6
ANALYSIS_PARTS = 6
RELOADS = 20
RELOAD_SPACING_S = 0.7          # at least this long between two triggers
RELOAD_WAIT_S = 15              # for a reload's log line (debounce 0.5 s + compile + examples)
PRELOAD_FRACTION = 0.3          # of the input loaded before the daemon starts; the rest in
                                # chunks: one before each reload, the last after the last reload
EARLY_SLACK_S = 1.0             # an output may carry a version this long before its log line
LATE_SLACK_S = 5.0              # ... and this long after the next version went live

LOG_TS = r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3})Z"
RE_START = re.compile(LOG_TS + r" .*? rules ([0-9a-f]{16}): .*consuming ")
RE_OK = re.compile(LOG_TS + r" .*? rule reload \(([^)]*)\): ([0-9a-f]{16}) -> ([0-9a-f]{16}) "
                   r"in (\d+) ms")
RE_FAIL = re.compile(LOG_TS + r" .*? rule reload \(([^)]*)\) failed, keeping rules "
                     r"([0-9a-f]{16}): (.*)")


def log_time(ts):
    """Epoch seconds of a daemon log timestamp (UTC, ms)."""
    return datetime.datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%f").replace(
        tzinfo=datetime.timezone.utc).timestamp()


# --- rule packs ----------------------------------------------------------------------------------

def fnv_field(state, data):
    """Fnv64::AddField: the length as 8 little-endian bytes, then the bytes (FNV-1a 64)."""
    for c in len(data).to_bytes(8, "little") + data:
        state = ((state ^ c) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return state


def pack_version(rules_dir, files):
    """The version the engine gives FILES ({file name: bytes}) loaded from RULES_DIR: file names
    relative to the pack, in the order of their full paths (the same whichever path the pack is
    given by)."""
    state = 0xCBF29CE484222325
    names = sorted((os.path.normpath(os.path.join(rules_dir, n)), n, data)
                   for n, data in files.items() if n.endswith((".yaml", ".yml")))
    names = [(n, data) for _, n, data in names]
    for name, data in names:
        state = fnv_field(fnv_field(state, name.encode()), data)
    return f"{state:016x}"


def replace_once(files, name, old, new):
    text = files[name].decode("utf-8")
    if text.count(old) != 1:
        raise e2e.Failed(f"rule pack edit: {old!r} occurs {text.count(old)} times in {name}")
    out = dict(files)
    out[name] = text.replace(old, new, 1).encode("utf-8")
    return out


def good_pack(base, k):
    """The k-th good pack (k >= 1): the base with one change, distinct for every k. Odd k add a
    trigger word to event.investment, even k add an alias to org.tsmc."""
    if k % 2:
        return replace_once(base, "events.yaml", "triggers: [invest, invests,",
                            f"triggers: [invest, e2ereload{k}, invests,")
    return replace_once(base, "orgs.yaml", "aliases: [TSMC, ", f"aliases: [TSMC, E2E Reload Alias {k}, ")


BROKEN_KINDS = ("unknown_key", "bad_regex", "duplicate_id", "failing_example")
ZZ = "zz_e2e_reload.yaml"


def broken_pack(current, j):
    """The j-th broken pack: the running (good) pack plus one error. Returns (files, kind, what
    the rejection message must contain)."""
    kind = BROKEN_KINDS[j % len(BROKEN_KINDS)]
    if kind == "unknown_key":
        key = f"e2e_unknown_key_{j}"
        return (replace_once(current, "events.yaml", "    type: tariff\n",
                             f"    type: tariff\n    {key}: true\n"), kind, key)
    files = dict(current)
    if kind == "bad_regex":
        rid = f"e2e.bad_regex_{j}"
        files[ZZ] = (f"patterns:\n  - id: {rid}\n    type: DATE\n"
                     f"    regex: '(?:unclosed{j}'\n").encode()
        return files, kind, rid
    if kind == "duplicate_id":
        files[ZZ] = (f"entities:\n  - id: org.tsmc\n    type: ORG\n    canonical: E2E Dup {j}\n"
                     f"    aliases: [E2E Duplicate Corp {j}]\n").encode()
        return files, kind, "org.tsmc"
    rid = f"example.e2e_failing_{j}"
    files[ZZ] = (f"examples:\n  - id: {rid}\n    text: Nothing to find here {j}.\n"
                 f"    mentions:\n      - {{text: Nothing, type: ORG, canonical: Nobody}}\n"
                 ).encode()
    return files, kind, "example failure"


def materialize(directory, files, only_changed):
    """Makes DIRECTORY hold exactly FILES (rule files; other names are left alone). Returns the
    names written or removed."""
    directory.mkdir(parents=True, exist_ok=True)
    touched = []
    for p in directory.iterdir():
        if p.suffix in (".yaml", ".yml") and p.name not in files:
            p.unlink()
            touched.append(p.name)
    for name, data in sorted(files.items()):
        p = directory / name
        if only_changed and p.exists() and p.read_bytes() == data:
            continue
        p.write_bytes(data)
        touched.append(name)
    return touched


def point_symlink(link, target):
    tmp = link.with_name(link.name + ".new")
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    os.symlink(target, tmp)
    os.replace(tmp, link)  # atomic: the daemon sees the old or the new directory


def check_tool_version(binary, rules_dir):
    """(exit code, version printed by `wirescan rules check`, or None, stderr tail)."""
    r = subprocess.run([binary, "rules", "check", rules_dir], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=60, check=False)
    m = re.search(re.escape(rules_dir) + r": version ([0-9a-f]{16}):", r.stdout)
    return r.returncode, (m.group(1) if m else None), (r.stderr.strip().splitlines() or [""])[-1]


# --- output reader that keeps versions ----------------------------------------------------------

class VersionReader(h.OutputReader):
    """OutputReader that also records, per output, its rules version and CreateTime."""

    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        self.seq = []            # (src, version, create time s, kind) of analyses and dead letters
        self.event_versions = []  # (src, version, create time s)
        self.version_counts = defaultdict(int)

    def _handle(self, msg):
        super()._handle(msg)
        hd = h._headers(msg)
        try:
            src = (hd[h.H_TOPIC], int(hd[h.H_PARTITION]), int(hd[h.H_OFFSET]))
        except (KeyError, ValueError):
            return  # already a problem in the base class
        if self.source_topics is not None and src[0] not in self.source_topics:
            return
        v = hd.get(h.H_RULES)
        ts_type, ts = msg.timestamp()
        t = ts / 1000.0 if ts_type != 0 else None
        if msg.topic() == self.analysis_topic:
            self.seq.append((src, v, t, "analysis"))
        elif msg.topic() == self.dlq_topic:
            self.seq.append((src, v, t, "dead letter"))
        else:
            self.event_versions.append((src, v, t))
        self.version_counts[v] += 1


# --- the scenario --------------------------------------------------------------------------------

class DaemonLog:
    """Reads the daemon's stderr incrementally: start line, reload successes and failures."""

    def __init__(self, path):
        self.path = path
        self.pos = 0
        self.buf = b""
        self.start = None        # (time, version)
        self.reloads = []        # dicts: ok, time, why, old, new / keep, msg, ms

    def poll(self):
        try:
            with open(self.path, "rb") as f:
                f.seek(self.pos)
                data = f.read()
        except OSError:
            return
        self.pos += len(data)
        self.buf += data
        *lines, self.buf = self.buf.split(b"\n")
        for raw in lines:
            line = raw.decode("utf-8", "replace")
            m = RE_OK.search(line)
            if m:
                self.reloads.append({"ok": True, "time": log_time(m.group(1)), "why": m.group(2),
                                     "old": m.group(3), "new": m.group(4),
                                     "ms": int(m.group(5))})
                continue
            m = RE_FAIL.search(line)
            if m:
                self.reloads.append({"ok": False, "time": log_time(m.group(1)),
                                     "why": m.group(2), "keep": m.group(3), "msg": m.group(4)})
                continue
            m = RE_START.search(line)
            if m and self.start is None:
                self.start = (log_time(m.group(1)), m.group(2))


def chunks_of(records, n_chunks, nparts):
    """Splits RECORDS into N_CHUNKS slices whose sizes are multiples of NPARTS (so that the
    round-robin partition of a record is its global index mod NPARTS in every chunk)."""
    per = max(nparts, (len(records) // n_chunks) // nparts * nparts)
    out = [records[i:i + per] for i in range(0, len(records), per)]
    return out


def s_reload(ctx, deadline):
    binary = ctx.binary
    failures = []
    # Rule packs: base = rules/*.yaml; rules_dir = <work>/rules -> packs/live (watched).
    src_rules = h.SOURCE_DIR / "rules"
    base = {p.name: p.read_bytes() for p in sorted(src_rules.iterdir())
            if p.is_file() and p.suffix in (".yaml", ".yml")}
    packs = ctx.workdir / "packs"
    live_dir = packs / "live"
    materialize(live_dir, base, only_changed=False)
    rules_link = ctx.workdir / "rules"
    point_symlink(rules_link, live_dir)
    rules_dir = str(rules_link)
    initial = pack_version(rules_dir, base)
    rc, tool_v, err = check_tool_version(binary, rules_dir)
    if rc != 0 or tool_v != initial:
        raise e2e.Failed(f"version of the copied rules: computed {initial}, `rules check` says "
                         f"{tool_v} (exit {rc}: {err})")

    # Input: PRELOAD_FRACTION now, the rest in one chunk per reload (and a last one).
    lines = [l for l in ctx.input_file().read_bytes().split(b"\n") if l.strip()]
    records = [((k.encode() if k is not None else None), l)
               for l, k in ((l, h.article_id(l)) for l in lines)]
    n_pre = int(len(records) * PRELOAD_FRACTION) // IN_PARTS * IN_PARTS
    # One chunk before each reload and the rest after the last one: every version, the last
    # one included, has input to process, and the stream runs across all reloads.
    later = chunks_of(records[n_pre:], RELOADS + 1, IN_PARTS)
    t = e2e.Topics(ctx, "reload", IN_PARTS, ANALYSIS_PARTS)
    loaded = h.LoadedInput(t.input, IN_PARTS)

    def produce(chunk):
        part = h.produce_records(ctx.bootstrap, t.input, IN_PARTS, chunk,
                                 timeout=deadline.cap(120))
        for p in range(IN_PARTS):
            loaded.keys[p] += part.keys[p]
        loaded.bytes += part.bytes
        loaded.seconds += part.seconds

    produce(records[:n_pre])
    h.log(f"preloaded {n_pre} of {len(records)} records; {len(later)} chunks of "
          f"{len(later[0]) if later else 0} follow")

    d = ctx.daemon("reload", t.config(ctx, commit_interval_ms=500))
    d.config["rules_dir"] = rules_dir
    t0 = time.monotonic()
    d.start()
    dlog = DaemonLog(d.stderr_path)
    reader = VersionReader(ctx.bootstrap, t.analysis, t.dlq, t.analysis_parts, t.dlq_parts,
                           decoder=ctx.decoder, source_topics=[t.input])
    try:
        def started():
            dlog.poll()
            if not d.alive():
                raise e2e.Failed(f"daemon exited at start ({d.returncode()}): {d.stderr_tail(5)}")
            return dlog.start
        h.wait_until(started, 60, "the daemon's start line", deadline)
        if dlog.start[1] != initial:
            failures.append(f"daemon started with rules {dlog.start[1]}, expected {initial}")
        # The initial pack must produce something before the first reload.
        h.wait_until(lambda: reader.poll_for(0.3) or reader.n_messages, 60,
                     "the first output", deadline, interval=0)

        good_versions = [initial]
        broken = []              # (version, kind)
        current = base
        plan = []                # per reload: dict(kind, trigger, expect version / keep, needle)
        last_trigger = 0.0
        k_good = j_bad = 0
        hup_n = 0
        for i in range(RELOADS):
            good = i % 2 == 0
            trigger = "inotify" if i % 4 in (0, 3) else "SIGHUP"
            if good:
                k_good += 1
                files = good_pack(base, k_good)
                kind, needle = f"good#{k_good}", None
            else:
                files, kind, needle = broken_pack(current, j_bad)
                j_bad += 1
            version = pack_version(rules_dir, files)
            known = good_versions + [v for v, _ in broken]
            if version in known:
                raise e2e.Failed(f"reload {i + 1}: pack {kind} has the version {version} of an "
                                 f"earlier pack")
            # Feed the stream, keep the spacing, then trigger.
            if i < len(later):
                produce(later[i])
            wait = RELOAD_SPACING_S - (time.monotonic() - last_trigger)
            if wait > 0:
                reader.poll_for(wait)
            if trigger == "inotify":
                point_symlink(rules_link, live_dir)  # back to the watched directory, no event
                touched = materialize(live_dir, files, only_changed=True)
                if not touched:
                    raise e2e.Failed(f"reload {i + 1}: nothing to rewrite in {live_dir}")
            else:
                hup_n += 1
                hup_dir = packs / f"hup-{hup_n:02d}"
                materialize(hup_dir, files, only_changed=False)
                point_symlink(rules_link, hup_dir)
                os.kill(d.proc.pid, signal.SIGHUP)
            last_trigger = time.monotonic()
            plan.append({"kind": kind, "trigger": trigger, "version": version, "good": good,
                         "needle": needle, "expect_from": good_versions[-1]})
            # What `rules check` says about this pack (the directory now holds it).
            rc, tool_v, err = check_tool_version(binary, rules_dir)
            if good and (rc != 0 or tool_v != version):
                failures.append(f"reload {i + 1} ({kind}): `rules check` exit {rc}, version "
                                f"{tool_v}, computed {version}: {err}")
            if not good and rc == 0:
                failures.append(f"reload {i + 1} ({kind}): `rules check` accepts the broken pack")
            if not good and tool_v is not None and tool_v != version:
                failures.append(f"reload {i + 1} ({kind}): `rules check` version {tool_v}, "
                                f"computed {version}")

            def logged(n=i + 1):
                dlog.poll()
                reader.poll_for(0.1)
                if not d.alive():
                    raise e2e.Failed(f"daemon exited during reload {n} ({d.returncode()}): "
                                     f"{d.stderr_tail(5)}")
                return len(dlog.reloads) >= n
            h.wait_until(logged, RELOAD_WAIT_S, f"the log line of reload {i + 1} ({kind}, "
                         f"{trigger})", deadline, interval=0)
            if good:
                good_versions.append(version)
                current = files
            else:
                broken.append((version, plan[-1]["kind"]))
            r = dlog.reloads[i]
            h.log(f"reload {i + 1:2d} {trigger:7s} {kind:16s} {version}: "
                  + (f"ok {r['old']} -> {r['new']} in {r['ms']} ms" if r["ok"]
                     else f"rejected, keeping {r['keep']}: {r['msg'][:100]}"))
        reload_span = time.monotonic() - t0
        for chunk in later[RELOADS:]:
            produce(chunk)
        if loaded.total != len(records):
            raise e2e.Failed(f"produced {loaded.total} of {len(records)} records")
        h.wait_committed(ctx.bootstrap, t.group, loaded, deadline.left(), deadline)
        elapsed = time.monotonic() - t0
        time.sleep(0.5)
        dlog.poll()
        e2e.stop_expect_zero(d, failures)
        dlog.poll()
        f2, stats = e2e.final_checks(ctx, t, loaded, reader, deadline, allow_duplicates=True)
        failures += f2

        # -- the reload log ------------------------------------------------------------------
        oks = [r for r in dlog.reloads if r["ok"]]
        fails = [r for r in dlog.reloads if not r["ok"]]
        if len(oks) != RELOADS // 2 or len(fails) != RELOADS // 2:
            failures.append(f"log shows {len(oks)} successful and {len(fails)} failed reloads, "
                            f"expected {RELOADS // 2} and {RELOADS // 2}")
        for i, (p, r) in enumerate(zip(plan, dlog.reloads)):
            what = f"reload {i + 1} ({p['kind']}, {p['trigger']})"
            want_why = "SIGHUP" if p["trigger"] == "SIGHUP" else "rules directory changed"
            if r["why"] != want_why:
                failures.append(f"{what}: logged as ({r['why']}), expected ({want_why})")
            if p["good"]:
                if not r["ok"]:
                    failures.append(f"{what}: rejected: {r['msg'][:300]}")
                elif (r["old"], r["new"]) != (p["expect_from"], p["version"]):
                    failures.append(f"{what}: logged {r['old']} -> {r['new']}, expected "
                                    f"{p['expect_from']} -> {p['version']}")
            else:
                if r["ok"]:
                    failures.append(f"{what}: ACCEPTED ({r['old']} -> {r['new']})")
                else:
                    if r["keep"] != p["expect_from"]:
                        failures.append(f"{what}: keeping {r['keep']}, expected "
                                        f"{p['expect_from']}")
                    if p["needle"] not in r["msg"]:
                        failures.append(f"{what}: rejection message lacks {p['needle']!r}: "
                                        f"{r['msg'][:200]}")

        # -- live intervals of the good versions, from the log timestamps ----------------------
        intervals = {}  # version -> [start, end) epoch seconds; the last one ends at +inf
        order = {}
        if dlog.start:
            seq = [(dlog.start[0], dlog.start[1])] + [(r["time"], r["new"]) for r in oks]
            for n, (ts, v) in enumerate(seq):
                end = seq[n + 1][0] if n + 1 < len(seq) else float("inf")
                intervals[v] = (ts, end)
                order[v] = n
        good_set = set(good_versions)
        broken_set = {v: k for v, k in broken}

        # -- every output's version ----------------------------------------------------------
        bad_version = defaultdict(int)
        for (_, v, _, _) in reader.seq:
            if v not in good_set:
                bad_version[v] += 1
        for (_, v, _) in reader.event_versions:
            if v not in good_set:
                bad_version[v] += 1
        for v, n in sorted(bad_version.items(), key=lambda x: str(x[0])):
            label = (f"the BROKEN pack {broken_set[v]}" if v in broken_set else "no known pack")
            failures.append(f"{n} output(s) with rules version {v}: {label}")
        unused = [v for v in good_versions if not reader.version_counts.get(v)]
        if unused:
            failures.append(f"{len(unused)} good version(s) produced no output (a reload after "
                            f"the stream?): {unused}")

        # -- per input partition: versions never go back (first output per offset) -------------
        first = {}
        for (src, v, ts, _) in reader.seq:
            first.setdefault(src, (v, ts))
        per_part = defaultdict(list)
        for (topic, p, o), (v, _) in first.items():
            per_part[p].append((o, v))
        regress = []
        for p, items in sorted(per_part.items()):
            items.sort()
            last_o, last_n = None, -1
            for o, v in items:
                n = order.get(v)
                if n is None:
                    continue
                if n < last_n:
                    regress.append(f"{t.input}[{p}]: offset {o} has version #{n} {v} after "
                                   f"offset {last_o} with #{last_n}")
                    break
                last_o, last_n = o, n
        if regress:
            failures.append(f"versions go back in {len(regress)} input partition(s): "
                            + "; ".join(regress[:3]))

        # -- events carry their analysis's version -------------------------------------------
        mismatch = [(src, v, first[src][0]) for (src, v, _) in reader.event_versions
                    if src in first and reader.analyses.get(src) == 1 and v != first[src][0]]
        if mismatch:
            failures.append(f"{len(mismatch)} event(s) with another version than their "
                            f"analysis, e.g. {mismatch[:2]}")

        # -- each output inside its version's live interval (CreateTime vs log time) ------------
        early = late = 0
        max_late = 0.0
        example = None
        for (src, v, ts, _) in reader.seq:
            if ts is None or v not in intervals:
                continue
            lo, hi = intervals[v]
            if ts < lo - EARLY_SLACK_S:
                early += 1
                example = example or (src, v, ts - lo)
            if ts > hi:
                max_late = max(max_late, ts - hi)
                if ts > hi + LATE_SLACK_S:
                    late += 1
                    example = example or (src, v, ts - hi)
        if early or late:
            failures.append(f"outputs outside their version's live interval: {early} more than "
                            f"{EARLY_SLACK_S} s before it went live, {late} more than "
                            f"{LATE_SLACK_S} s after it was replaced, e.g. {example}")
        first_ts = {}
        for (_, v, ts, _) in reader.seq:
            if ts is not None and v in intervals:
                first_ts[v] = min(first_ts.get(v, ts), ts)
        pickup = sorted(first_ts[v] - intervals[v][0]
                        for v in good_versions[1:] if v in first_ts) or [float("nan")]
        last_reload = max((r["time"] for r in dlog.reloads), default=0)
        last_out = max((ts for (_, _, ts, _) in reader.seq if ts), default=0)
        if last_out <= last_reload:
            failures.append("the stream was over before the last reload "
                            f"({last_out - last_reload:.1f} s)")

        e2e.require(failures)
        ms = sorted(r["ms"] for r in oks)
        per_version = ", ".join(str(reader.version_counts.get(v, 0)) for v in good_versions)
        return (e2e.summary(stats, elapsed)
                + f"; reloads: {len(oks)} ok ({ms[0]}-{ms[-1]} ms), {len(fails)} rejected "
                f"({', '.join(sorted({k for _, k in broken}))}) in {reload_span:.1f} s, "
                f"{sum(1 for p in plan if p['trigger'] == 'SIGHUP')} by SIGHUP; outputs per "
                f"version [{per_version}], none of a broken pack, versions monotonic per "
                f"partition, first output of a new version {pickup[0] * 1000:.0f}-{pickup[-1] * 1000:.0f} ms "
                f"after its log line, max {max_late * 1000:.0f} ms after it was replaced"
                f" [{ctx.input_note}]")
    finally:
        reader.close()


def main(argv):
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    keep = "--keep" in argv
    name = "reload"
    binary = os.environ.get("WIRESCAN_BIN")
    binary = str(Path(binary).resolve()) if binary else None
    skip_reason = None
    if not binary:
        skip_reason = "WIRESCAN_BIN is not set"
    elif not os.access(binary, os.X_OK):
        skip_reason = f"WIRESCAN_BIN={binary} is not an executable file"
    elif not shutil.which("java"):
        skip_reason = "no java (tests/kafka/broker.sh needs Java 17)"
    if skip_reason:
        print(f"SKIP {name}: {skip_reason}", flush=True)
        print("0 passed, 0 failed, 1 skipped")
        return 0

    budget = float(os.environ.get("WIRESCAN_E2E_BUDGET", "300"))
    records = int(os.environ.get("WIRESCAN_E2E_RECORDS", "100000"))
    workdir = Path(tempfile.mkdtemp(prefix="wirescan-e2e-reload."))
    broker = h.Broker(workdir / "kafka")
    t_run = time.monotonic()
    passed = failed = 0
    try:
        try:
            broker.start()
        except Exception as e:  # noqa: BLE001
            print(f"FAIL {name}: broker did not start: {e}", flush=True)
            print("0 passed, 1 failed")
            return 1
        ctx = e2e.Ctx(broker, workdir, binary, budget, records)
        deadline = h.Deadline(budget, f"scenario {name}")
        t0 = time.monotonic()
        try:
            detail = s_reload(ctx, deadline)
            passed += 1
            print(f"PASS {name}: {detail} [{time.monotonic() - t0:.1f} s]", flush=True)
        except (e2e.Failed, h.ScenarioTimeout, AssertionError) as e:
            failed += 1
            print(f"FAIL {name}: {e} [{time.monotonic() - t0:.1f} s]", flush=True)
            for d in ctx.daemons:
                print(f"  {d.name} stderr ({d.stderr_path}):\n{d.stderr_tail(10)}",
                      file=sys.stderr)
        except Exception as e:  # noqa: BLE001
            failed += 1
            print(f"FAIL {name}: harness error {type(e).__name__}: {e}", flush=True)
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
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
