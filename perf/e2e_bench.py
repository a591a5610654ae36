#!/usr/bin/python3
"""End-to-end benchmark of the wirescan daemon against a real broker (tests/kafka/broker.sh).

    /usr/bin/python3 perf/e2e_bench.py [--articles 50000] [--runs 3] [--bin PATH]
                                       [--input corpora|dense|dense-sample|samples]

Same broker, same machine, same config (workers, partitions, client settings) for both modes:
  (a) `wirescan run --passthrough --exit-when-idle`   the baseline (consume -> produce unchanged)
  (b) `wirescan run --exit-when-idle`                 default rules (parse, match, extract, proto)
each run with its own group id and output topics, on the same preloaded 6-partition input topic.

Reported per run (medians of --runs, with min..max):
  rate      articles/s and MB/s (input record bytes) over the processing window: preloaded, from
            the daemon's first partition assignment (its log) to the last output's timestamp
            (the broker's append time); half load, from the first to the last output; `wall` is process start -> exit (start-up, group join,
            drain, final commit, shutdown).
  cpu       (utime + stime) of the daemon from os.wait4 at exit, per 1,000 articles (start-up
            included; rules come from a warm rules_cache_dir after the first run).
  rss       the daemon's peak resident set (VmHWM in /proc/PID/status, polled every 20 ms until
            it exits; not ru_maxrss, which inherits the parent's peak across fork + exec).
  latency   preloaded: output timestamp minus max(input timestamp, daemon start), i.e. the time
            since the record was available to this daemon (a position in the drained backlog).
            half load: output message timestamp minus the input message's, both broker append
            times (the input, analysis and dead-letter topics are created with LogAppendTime
            before the daemon starts): broker has the input -> broker has its analysis, per
            input, p50/p99. (Before commit da9fa19+1 the output side was CreateTime, the daemon's
            produce() call, which left out linger, send and append; with queues that hold the
            whole input, produce() calls also end long before delivery, so the old processing
            window overstated (a).) With everything preloaded this is dominated
            by the time the record waited in the backlog; at half load a paced producer
            produces at 50% of the median max rate of (b) (or --half-only RATE) while the
            daemon runs, once with (a) and once with (b): perf/paced_producer (C++, 1 ms ticks
            with catch-up, librdkafka properties from --producer-prop over linger.ms=5; it
            reports its own pacing and produce -> delivery times) when built, else
            (--producer python) the original confluent_kafka loop (linger.ms=0, 5 ms ticks).
  warm-up   --half-warmup S leaves the first S seconds of each half-load run's input out of
            the percentiles (both are printed); --half-warmup-runs N runs N unreported half-load
            runs per mode first. A freshly started broker spends its first ~20 s of small-batch
            traffic compiling (C1/C2 threads: 2.9, 2.6, 1.7 CPU s in the first three runs, then
            <= 0.2), on the two cores it shares with the daemon.
  --dump DIR  per half-load run, a CSV of per-record latencies (input partition, offset, input
            and output append times), the C++ producer's per-record produce/delivery times and
            the daemon's /metrics text before it stops.

Needs Java 17 + Maven (broker.sh), python3-confluent-kafka; reuses tests/e2e/harness.py.
"""

import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACED_PRODUCER = ROOT / "build/release/perf/paced_producer"
sys.path.insert(0, str(ROOT / "tests" / "e2e"))
import harness  # noqa: E402
from harness import log  # noqa: E402
from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition  # noqa: E402
from confluent_kafka.admin import NewTopic  # noqa: E402


def create_input_topic(broker, name, nparts):
    """A topic whose message timestamps are the broker's append times (LogAppendTime): the
    input, and the daemon's analysis and dead-letter topics (created before it starts)."""
    fut = broker.admin().create_topics(
        [NewTopic(name, nparts, 1, config={"message.timestamp.type": "LogAppendTime"})],
        operation_timeout=30)[name]
    try:
        fut.result(timeout=30)
    except KafkaException:
        pass
    broker.create_topic(name, nparts)  # waits for the leaders (accepts the existing topic)


def create_output_topics(broker, run, nparts):
    """Output timestamps = broker append times, so the processing window ends when the last
    output was stored, not when the daemon handed it to its producer (with queues large enough
    to hold the whole input, produce() calls finish long before the broker has the data)."""
    create_input_topic(broker, run.analysis, nparts)
    create_input_topic(broker, run.dlq, nparts)


def make_input(args, data_dir):
    """--input corpora: the shared corpora (--lang all --seed 1, repeated to --articles);
    dense / dense-sample: perf/dense_corpus.py --profile seed / sample, --articles distinct
    articles (EN and ZH); samples: deploy/samples/articles.ndjson repeated. corpora falls back to
    samples when --corpus is absent."""
    data_dir.mkdir(parents=True, exist_ok=True)
    if args.input in ("dense", "dense-sample"):
        profile = "seed" if args.input == "dense" else "sample"
        path = data_dir / f"e2e-{args.input}-{args.articles}.ndjson"
        if not path.exists():
            subprocess.run([sys.executable, str(ROOT / "perf/dense_corpus.py"), "--lang", "all",
                            "--profile", profile, "--seed", "1", "--articles", str(args.articles),
                            "-o", str(path) + ".tmp"], check=True)
            os.rename(str(path) + ".tmp", path)
        return path, f"perf/dense_corpus.py --profile {profile} --lang all --seed 1"
    corpus = Path(args.corpus)
    if args.input == "corpora" and corpus.is_dir():
        path = data_dir / f"e2e-all-{args.articles}.ndjson"
        if not path.exists():
            subprocess.run([sys.executable, str(ROOT / "tests/tools/corpus_to_ndjson.py"),
                            "--corpus", str(corpus), "--lang", "all", "--seed", "1",
                            "--repeat-to", str(args.articles), "-o", str(path) + ".tmp"],
                           check=True)
            os.rename(str(path) + ".tmp", path)
        return path, "corpora (--lang all --seed 1)"
    path = data_dir / f"e2e-samples-{args.articles}.ndjson"
    harness.repeat_ndjson(ROOT / "deploy/samples/articles.ndjson", path, args.articles)
    why = "" if args.input == "samples" else " (../shared/corpus absent)"
    return path, f"deploy/samples/articles.ndjson repeated{why}"


def read_lines(path):
    out = []
    with open(path, "rb") as f:
        for line in f:
            line = line.rstrip(b"\n")
            if line:
                k = harness.article_id(line)
                out.append((k.encode() if k is not None else None, line))
    return out


def read_topic(bootstrap, topics_parts, expect, timeout):
    """Reads (topic, nparts) pairs from the beginning until EXPECT messages were read. Returns a
    list of (timestamp_ms, headers dict, value_len)."""
    c = Consumer({**harness.QUIET, "bootstrap.servers": bootstrap,
                  "group.id": harness.unique("perf-reader"), "enable.auto.commit": False,
                  "fetch.max.bytes": 52428800, "max.partition.fetch.bytes": 10485760})
    c.assign([TopicPartition(t, p, -2) for t, n in topics_parts for p in range(n)])
    out = []
    end = time.monotonic() + timeout
    try:
        while len(out) < expect and time.monotonic() < end:
            for m in c.consume(num_messages=5000, timeout=0.5):
                if m.error():
                    continue
                out.append((m.timestamp()[1], harness._headers(m), len(m.value() or b"")))
    finally:
        c.close()
    return out


def input_timestamps(bootstrap, topic, nparts, expect):
    c = Consumer({**harness.QUIET, "bootstrap.servers": bootstrap,
                  "group.id": harness.unique("perf-ts"), "enable.auto.commit": False,
                  "fetch.max.bytes": 52428800, "max.partition.fetch.bytes": 10485760})
    c.assign([TopicPartition(topic, p, -2) for p in range(nparts)])
    ts = {}
    end = time.monotonic() + 120
    try:
        while len(ts) < expect and time.monotonic() < end:
            for m in c.consume(num_messages=5000, timeout=0.5):
                if not m.error():
                    ts[(m.partition(), m.offset())] = m.timestamp()[1]
    finally:
        c.close()
    return ts


def pct(xs, q):
    xs = sorted(xs)
    if not xs:
        return float("nan")
    i = min(len(xs) - 1, max(0, int(round(q / 100.0 * (len(xs) - 1)))))
    return xs[i]


def vm_hwm_kib(pid):
    """The process's own peak resident set (VmHWM, KiB), 0 once it has exited."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class Run:
    """One daemon process; rusage from os.wait4."""

    def __init__(self, args, bootstrap, input_topic, mode, workdir, extra=()):
        self.mode = mode
        tag = harness.unique(f"perf-{mode}")
        self.analysis = f"{tag}.analysis"
        self.dlq = f"{tag}.dlq"
        cfg = harness.daemon_config(bootstrap, tag, [input_topic], self.analysis, self.dlq,
                                    f"{tag}.events.", workers=args.workers)
        cfg["rules_dir"] = str(ROOT / "rules")
        cfg["rules_cache_dir"] = str(ROOT / "build" / "perf-cache" / "e2e")
        cfg["consumer"].update(dict(kv.split("=", 1) for kv in args.consumer_prop))
        if args.daemon_producer_prop:
            cfg["producer"] = dict(kv.split("=", 1) for kv in args.daemon_producer_prop)
        env = dict(kv.split("=", 1) for kv in args.daemon_env)
        self.daemon = harness.Daemon(tag, workdir, cfg, binary=args.bin, env=env,
                                     extra_args=list(extra) + (["--passthrough"]
                                                               if mode == "passthrough" else []))

    def start(self, extra=()):
        self.t0 = time.time()
        self.daemon.start(extra_args=extra)
        return self

    def wait(self, timeout):
        pid = self.daemon.proc.pid
        end = time.monotonic() + timeout
        hwm_kib = 0
        while True:
            hwm_kib = max(hwm_kib, vm_hwm_kib(pid))
            wpid, status, ru = os.wait4(pid, os.WNOHANG)
            if wpid == pid:
                break
            if time.monotonic() > end:
                log(f"{self.mode}: still running after {timeout} s: SIGKILL")
                os.kill(pid, 9)
                wpid, status, ru = os.wait4(pid, 0)
                break
            time.sleep(0.02)
        self.t1 = time.time()
        harness._live_procs.pop(pid, None)
        self.daemon.proc.returncode = os.waitstatus_to_exitcode(status)
        self.rc = self.daemon.proc.returncode
        self.cpu = ru.ru_utime + ru.ru_stime
        # Not ru_maxrss: Linux carries the parent's peak across fork + exec into the child's
        # ru_maxrss, so it reported this Python process's size (hundreds of MiB of articles).
        self.rss_mb = hwm_kib / 1024.0  # KiB -> MiB
        if self.rc != 0:
            log(f"{self.mode}: exit {self.rc}: {self.daemon.stderr_tail()}")
        return self


def assigned_ms(run):
    """Epoch ms of the daemon's first "assigned" log line (UTC ISO timestamps), or None."""
    try:
        with open(run.daemon.stderr_path) as f:
            for line in f:
                if " assigned " in line:
                    t = datetime.datetime.strptime(line.split()[0], "%Y-%m-%dT%H:%M:%S.%fZ")
                    return int(t.replace(tzinfo=datetime.timezone.utc).timestamp() * 1000)
    except (OSError, ValueError, IndexError):
        pass
    return None


def measure(bootstrap, run, nparts, n, in_bytes, in_ts, keep=None, read_n=None, since_start=False,
            dump=None, warm_until=None):
    """SINCE_START: latency from max(input timestamp, daemon start) (preloaded input). DUMP: a
    CSV path for one line per output (input partition, offset, input and output timestamps).
    WARM_UNTIL: latencies of inputs appended before this time (ms) are left out of p50/p99/max
    (the warm-up); all_p50/p99/max_ms keep them."""
    outs = read_topic(bootstrap, [(run.analysis, nparts), (run.dlq, nparts)], read_n or n,
                      timeout=120)
    start_ms = int(run.t0 * 1000)
    lat, lat_all, first, last, seen = [], [], None, None, 0
    rows = []
    for ts, h, _ in outs:
        try:
            key = (int(h[harness.H_PARTITION]), int(h[harness.H_OFFSET]))
        except (KeyError, ValueError):
            continue
        if keep is not None and key not in keep:
            continue
        seen += 1
        first = ts if first is None else min(first, ts)
        last = ts if last is None else max(last, ts)
        if key in in_ts:
            lat_all.append(ts - (max(in_ts[key], start_ms) if since_start else in_ts[key]))
            if warm_until is None or in_ts[key] >= warm_until:
                lat.append(lat_all[-1])
            rows.append((key[0], key[1], in_ts[key], ts))
    if dump:
        Path(dump).parent.mkdir(parents=True, exist_ok=True)
        with open(dump, "w") as f:
            f.write("partition,offset,in_ts_ms,out_ts_ms,latency_ms\n")
            for part, off, t_in, t_out in sorted(rows, key=lambda r: r[2]):
                f.write(f"{part},{off},{t_in},{t_out},{t_out - t_in}\n")
    if since_start and first is not None:
        # Preloaded: from the daemon's first partition assignment (when it could start reading)
        # to the broker's append of the last output. The first output's own timestamp is no
        # start: appends bunch behind the backlog, so first..last understates the work.
        first = min(first, assigned_ms(run) or first)
    window = max(1e-3, (last - first) / 1000.0) if first is not None else float("nan")
    return {
        "mode": run.mode, "rc": run.rc, "outputs": seen, "expected": n,
        "wall_s": run.t1 - run.t0, "window_s": window,
        "art_s": seen / window, "mb_s": in_bytes / 1e6 / window,
        "cpu_s": run.cpu, "cpu_per_1k": run.cpu / n * 1000.0, "rss_mb": run.rss_mb,
        "p50_ms": pct(lat, 50), "p99_ms": pct(lat, 99), "max_ms": max(lat) if lat else None,
        "all_p50_ms": pct(lat_all, 50), "all_p99_ms": pct(lat_all, 99),
        "all_max_ms": max(lat_all) if lat_all else None, "measured": len(lat),
    }


def paced_cpp(args, bootstrap, topic, data, rate, count, trace=None):
    """perf/paced_producer: records (P + i) mod n of DATA, i < COUNT, to partition i mod P."""
    cmd = [str(PACED_PRODUCER), "--brokers", bootstrap, "--topic", topic, "--input", str(data),
           "--rate", str(rate), "--count", str(count), "--partitions", str(args.partitions),
           "--skip", str(args.partitions), "--tick-us", str(args.tick_us)]
    if trace:
        Path(trace).parent.mkdir(parents=True, exist_ok=True)
        cmd += ["--trace", str(trace)]
    # linger.ms=5 (librdkafka's default, and the daemon's): the input side's batching happens
    # before the input's append time, so it is outside the measured latency; linger.ms=0 with
    # 1 ms ticks sent ~5x the produce requests and cost the broker 2-3x the CPU (0.37-0.5 vs
    # 0.16 cores at 16,000 articles/s), CPU that the broker shares with the daemon here.
    for kv in ["linger.ms=5", "enable.idempotence=true", "message.max.bytes=8388608",
               *args.producer_prop]:
        cmd += ["-X", kv]
    out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, timeout=count / rate + 120)
    stats = json.loads(out.stdout)
    log(f"paced_producer: {json.dumps(stats)}")
    return stats["sent"], stats["offered_rate"], stats


def paced_python(args, bootstrap, topic, records, rate, count):
    """The original generator: linger.ms=0, 5 ms ticks, one process with the bench."""
    n = len(records)
    p = Producer({**harness.QUIET, "bootstrap.servers": bootstrap, "linger.ms": 0,
                  "enable.idempotence": True, "message.max.bytes": 8388608})
    t0 = time.monotonic()
    step = 0.005
    sent = 0
    while sent < count:
        due = min(count, int((time.monotonic() - t0) * rate) + 1)
        while sent < due:
            k, v = records[(args.partitions + sent) % n]
            p.produce(topic, value=v, key=k, partition=sent % args.partitions)
            sent += 1
        p.poll(0)
        time.sleep(step)
    p.flush(30)
    return sent, sent / (time.monotonic() - t0), None


def scrape_metrics(run, path):
    """Saves the daemon's /metrics text (its own latency histogram, librdkafka statistics)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with urllib.request.urlopen(f"http://{run.daemon.config['metrics_address']}/metrics",
                                    timeout=5) as resp:
            path.write_bytes(resp.read())
    except OSError as e:
        log(f"metrics scrape failed: {e}")


def med(rows, key):
    xs = [r[key] for r in rows if r.get(key) is not None]
    if not xs:
        return float("nan"), float("nan"), float("nan")
    return statistics.median(xs), min(xs), max(xs)


def fmt(rows, key, f="{:.0f}"):
    m, lo, hi = med(rows, key)
    return f"{f.format(m)} ({f.format(lo)}..{f.format(hi)})"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--articles", type=int, default=50000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--partitions", type=int, default=6)
    ap.add_argument("--bin", default=str(ROOT / "build/release/engine/wirescan"))
    ap.add_argument("--corpus", default=str(ROOT.parent / "shared" / "corpus"))
    ap.add_argument("--input", choices=["corpora", "dense", "dense-sample", "samples"],
                    default="corpora",
                    help="corpora: Reuters + Chinese (--corpus); dense: perf/dense_corpus.py at the "
                         "seeds' density (~17 mentions/KB); dense-sample: at the samples' (~32); "
                         "samples: deploy/samples/articles.ndjson repeated")
    ap.add_argument("--half-seconds", type=float, default=20.0,
                    help="duration of the paced half-load production")
    ap.add_argument("--daemon-env", action="append", default=[], metavar="K=V",
                    help="environment for the daemon (experiments, e.g. MALLOC_ARENA_MAX=2)")
    ap.add_argument("--consumer-prop", action="append", default=[], metavar="K=V",
                    help="extra librdkafka consumer property for the daemon (both modes)")
    ap.add_argument("--half-only", type=float, metavar="RATE",
                    help="skip the preloaded runs; half load at this rate (articles/s)")
    ap.add_argument("--no-half", action="store_true",
                    help="preloaded runs only (no half-load runs); used by perf/scaling_curves.sh")
    ap.add_argument("--half-count", type=int, metavar="N",
                    help="records to offer per half-load run (default: min(--articles, rate x "
                         "--half-seconds)); the C++ producer cycles through the input")
    ap.add_argument("--half-warmup", type=float, default=0.0, metavar="S",
                    help="paced production for S seconds more at the start of each half-load run, "
                         "left out of the latency percentiles (the whole-run ones are printed too)")
    ap.add_argument("--half-warmup-runs", type=int, default=0, metavar="N",
                    help="N half-load runs per mode before the measured ones, not reported")
    ap.add_argument("--producer", choices=["cpp", "python"],
                    default="cpp" if PACED_PRODUCER.exists() else "python",
                    help="half-load generator: perf/paced_producer (1 ms ticks with catch-up; the "
                         "default once built) or the Python one (5 ms ticks)")
    ap.add_argument("--producer-prop", action="append", default=[], metavar="K=V",
                    help="librdkafka property of the C++ half-load producer (default linger.ms=5, "
                         "enable.idempotence=true)")
    ap.add_argument("--tick-us", type=int, default=1000, help="C++ producer's pacing tick")
    ap.add_argument("--daemon-producer-prop", action="append", default=[], metavar="K=V",
                    help="extra librdkafka producer property for the daemon (both modes)")
    ap.add_argument("--dump", metavar="DIR",
                    help="per half-load run: a CSV of per-record latencies and the daemon's "
                         "/metrics text scraped before it stops")
    ap.add_argument("--modes", default="passthrough,full")
    ap.add_argument("--json", default=str(ROOT / "build/perf-data/e2e.json"))
    args = ap.parse_args()

    data, source = make_input(args, ROOT / "build" / "perf-data")
    records = read_lines(data)
    n = len(records)
    in_bytes = sum(len(v) for _, v in records)
    log(f"input: {n} records, {in_bytes / 1e6:.1f} MB from {source}")
    workdir = Path(harness.tempfile.mkdtemp(prefix="wirescan-perf."))
    results = {"full": [], "passthrough": [], "half": [], "half_passthrough": []}
    with harness.Broker() as broker:
        bs = broker.bootstrap
        topic = harness.unique("perf-in")
        create_input_topic(broker, topic, args.partitions)
        harness.produce_records(bs, topic, args.partitions, records, timeout=300)
        in_ts = input_timestamps(bs, topic, args.partitions, n)
        log(f"loaded {n} records into {topic}")
        modes = args.modes.split(",")
        for i in range(0 if args.half_only else args.runs):
            for mode in modes:
                r = Run(args, bs, topic, mode, workdir)
                create_output_topics(broker, r, args.partitions)
                r = r.start(["--exit-when-idle"]).wait(600)
                row = measure(bs, r, args.partitions, n, in_bytes, in_ts, since_start=True)
                results[mode].append(row)
                log(f"run {i + 1} {mode}: {json.dumps(row)}")

        # Half load: a paced producer at 50% of the median max rate of (b), daemon running.
        rate = args.half_only or (0 if args.no_half else 0.5 * med(results["full"], "art_s")[0])
        count = (args.half_count or min(n, int(rate * args.half_seconds))) + int(
            rate * args.half_warmup)
        # --half-warmup-runs: whole runs first, discarded (the broker's JIT compilers took ~3 runs
        # to go quiet on a freshly started broker: 2.9, 2.6, 1.7, then <= 0.2 CPU s per run).
        runs = range(0) if args.no_half else range(-args.half_warmup_runs, args.runs)
        plan = [(i, m) for i in runs for m in modes]
        for i, mode in plan:
            htopic = harness.unique("perf-half")
            create_input_topic(broker, htopic, args.partitions)
            # One warm-up record per partition: its output says the daemon is assigned and ready.
            harness.produce_records(bs, htopic, args.partitions, records[:args.partitions])
            r = Run(args, bs, htopic, mode, workdir)
            create_output_topics(broker, r, args.partitions)
            r.start()
            harness.wait_until(lambda: len(read_topic(bs, [(r.analysis, args.partitions),
                                                           (r.dlq, args.partitions)],
                                                      args.partitions, 2)) >= args.partitions,
                               120, "the warm-up outputs")
            tag = f"half-{mode}-{i + 1}" if i >= 0 else f"warmup-{mode}{i}"
            if args.producer == "cpp":
                sent, achieved, pstats = paced_cpp(
                    args, bs, htopic, data, rate, count,
                    trace=Path(args.dump) / f"{tag}.producer.csv" if args.dump else None)
            else:
                sent, achieved, pstats = paced_python(args, bs, htopic, records, rate, count)
            total = args.partitions + sent
            ts = input_timestamps(bs, htopic, args.partitions, total)
            keep = {k for k in ts if k[1] >= 1}  # without the warm-up record (offset 0)
            # --half-warmup: the first paced records warm the broker's and the daemon's paths.
            warm_until = (min(ts[k] for k in keep) + int(args.half_warmup * 1000)
                          if args.half_warmup and keep else None)
            harness.wait_until(lambda: len(read_topic(bs, [(r.analysis, args.partitions),
                                                           (r.dlq, args.partitions)],
                                                      total, 5)) >= total, 120, "all outputs")
            if args.dump:
                scrape_metrics(r, Path(args.dump) / f"{tag}.metrics")
            r.daemon.sigterm()
            r.wait(60)
            hb = sum(len(records[(args.partitions + j) % n][1]) for j in range(sent))
            row = measure(bs, r, args.partitions, sent, hb, ts, keep=keep, read_n=total,
                          dump=Path(args.dump) / f"{tag}.csv" if args.dump else None,
                          warm_until=warm_until)
            row["target_rate"] = rate
            row["achieved_rate"] = achieved
            row["producer"] = pstats
            if i < 0:
                log(f"half-load warm-up run {mode} (discarded): {json.dumps(row)}")
                continue
            results["half" if mode == "full" else "half_passthrough"].append(row)
            log(f"half-load run {i + 1} {mode}: {json.dumps(row)}")

    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps({"input": source, "records": n, "bytes": in_bytes,
                                           "results": results}, indent=1))
    a, b, h = results["passthrough"], results["full"], results["half"]
    ha = results["half_passthrough"]
    ratios = [y["art_s"] / x["art_s"] for x, y in zip(a, b)] or [float("nan")]
    print()
    print(f"input: {n} articles, {in_bytes / 1e6:.1f} MB ({source}); {args.partitions} partitions, "
          f"workers {args.workers}; medians of {args.runs} runs (min..max)")
    print()
    cols = [a, b, ha, h]
    print("| | (a) pass-through, preloaded | (b) extraction, preloaded | (a) half load | (b) half load |")
    print("|---|---:|---:|---:|---:|")

    def line(title, key, f="{:.0f}"):
        print(f"| {title} | " + " | ".join(fmt(c, key, f) for c in cols) + " |")

    line("articles/s (processing window)", "art_s")
    print(f"| offered articles/s (paced producer: {args.producer}) | - | - | "
          f"{fmt(ha, 'achieved_rate')} | {fmt(h, 'achieved_rate')} |")
    line("MB/s", "mb_s", "{:.1f}")
    line("wall s (start..exit)", "wall_s", "{:.1f}")
    line("CPU s / 1,000 articles", "cpu_per_1k", "{:.3f}")
    line("peak RSS MiB", "rss_mb")
    line("latency p50 ms", "p50_ms")
    line("latency p99 ms", "p99_ms")
    line("latency max ms", "max_ms")
    if args.half_warmup:
        line(f"latency p99 ms incl. the {args.half_warmup:g} s warm-up", "all_p99_ms")
        line(f"latency max ms incl. the {args.half_warmup:g} s warm-up", "all_max_ms")
    print()
    rm, rlo, rhi = statistics.median(ratios), min(ratios), max(ratios)
    print(f"(b)/(a) articles/s: {rm:.0%} ({rlo:.0%}..{rhi:.0%}) target >= 70%: "
          f"{'met' if rm >= 0.7 else 'MISSED'}")
    p99 = med(h, "p99_ms")[0]
    print(f"half-load p99: {p99:.0f} ms, target <= 20 ms: {'met' if p99 <= 20 else 'MISSED'}")
    rss = med(b, "rss_mb")[0]
    print(f"full-load RSS: {rss:.0f} MiB, target <= 300 MB: {'met' if rss * 1.048576 <= 300 else 'MISSED'}")
    bad = [r for r in a + b + h if r["rc"] != 0 or r["outputs"] < r["expected"]]
    if bad:
        print(f"WARNING: {len(bad)} run(s) with a non-zero exit or missing outputs")
    subprocess.run(["rm", "-rf", str(workdir)], check=False)


if __name__ == "__main__":
    main()
