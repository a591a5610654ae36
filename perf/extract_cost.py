#!/usr/bin/env python3
"""Whole-process cost and output size of `wirescan extract --format protobuf`, per input.

    perf/extract_cost.py [--bin build/release/engine/wirescan] [--runs 3] [--rules rules]
                         NAME=FILE [NAME=FILE ...]

For each input (NDJSON, or plain-text files joined by commas), in one session and alternating
the inputs per round: the process's CPU time (user + system, from os.wait4: the machine's other
load does not count) and MB/s of input per CPU second, the median of --runs; the bytes of the
analyses (`--format protobuf`, length prefixes excluded) and of the events (`--events-only`,
what the daemon produces to the event topics) and their ratio to the input bytes (the records'
bytes: the JSON lines, or the plain-text files). The first input is the baseline of the
`cost/byte` column (its CPU seconds per byte = 1.00). Rules come from a warm --rules-cache
(compiled once before the runs). Standard library only.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def varint_frames(data):
    """Total payload bytes and count of a length-delimited stream."""
    i, total, n = 0, 0, 0
    while i < len(data):
        shift, length = 0, 0
        while True:
            b = data[i]
            i += 1
            length |= (b & 0x7F) << shift
            shift += 7
            if b < 0x80:
                break
        total += length
        n += 1
        i += length
    return total, n


def run(cmd):
    """Runs CMD with stdout to a temp file; returns (stdout bytes, cpu seconds)."""
    with tempfile.TemporaryFile() as out:
        p = subprocess.Popen(cmd, stdout=out, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        data = out.read()
        if p.returncode not in (0, 1) or not data:  # 1: some records rejected
            sys.exit(f"{' '.join(cmd)}: exit {p.returncode}, {len(data)} bytes out")
        return data, usage.ru_utime + usage.ru_stime


def input_bytes(files):
    total = 0
    for f in files:
        if f.endswith((".ndjson", ".jsonl")):
            with open(f, "rb") as fh:
                total += sum(len(l.rstrip(b"\n")) for l in fh if l.strip())
        else:
            total += os.path.getsize(f)
    return total


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", default=str(ROOT / "build/release/engine/wirescan"))
    ap.add_argument("--rules", default=str(ROOT / "rules"))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("inputs", nargs="+", metavar="NAME=FILE[,FILE...]")
    args = ap.parse_args()
    cache = tempfile.mkdtemp(prefix="wirescan-cost.")
    base = [args.bin, "extract", "--rules", args.rules, "--rules-cache", cache,
            "--format", "protobuf"]
    inputs = []
    for spec in args.inputs:
        name, _, files = spec.partition("=")
        inputs.append((name, files.split(",")))
    run(base + [inputs[0][1][0]])  # warms the rules cache
    cpu = {name: [] for name, _ in inputs}
    sizes = {}
    for r in range(args.runs):
        for name, files in inputs:
            out, t = run(base + files)
            cpu[name].append(t)
            if r == 0:
                events, _ = run(base + ["--events-only"] + files)
                sizes[name] = (varint_frames(out), varint_frames(events))
    base_cost = None
    print(f"bin {args.bin}; {args.runs} runs, medians; CPU = user + sys of the process")
    print("| input | records | input MB | CPU s | MB/s per CPU s | cost/byte | analyses / input "
          "| events / input | (analyses + events) / input |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, files in inputs:
        nbytes = input_bytes(files)
        t = statistics.median(cpu[name])
        (abytes, n), (ebytes, _) = sizes[name]
        cost = t / nbytes
        if base_cost is None:
            base_cost = cost
        print(f"| {name} | {n} | {nbytes / 1e6:.2f} | {t:.2f} | {nbytes / 1e6 / t:.1f} | "
              f"{cost / base_cost:.2f} | {abytes / nbytes:.2f} | {ebytes / nbytes:.2f} | "
              f"{(abytes + ebytes) / nbytes:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
