#!/usr/bin/python3
"""`wirescan extract` reads its input as a stream and caches the compiled rules.

  WIRESCAN_BIN=build/release/engine/wirescan python3 tests/extract_stream_test.py

Checks (each can fail; prints PASS/FAIL lines and `N passed, N failed`):
  - bounded memory: a 60 MB NDJSON input (our sample articles, cycled with unique ids) through
    stdin and through a file keeps the peak RSS under 100 MB (the whole input read at once
    needed ~2 bytes per input byte: > 120 MB here);
  - the output of the stream is the same as the output of the same records given one file each
    run (the reader's chunk boundaries change nothing);
  - an oversized line (over --max-record-bytes) is reported with its line number and size and
    the lines after it are still analysed; a plain-text article over the limit is rejected;
  - --rules-cache DIR: the first run writes the compiled database there, the second reads it
    and prints the same bytes; --no-rules-cache writes nothing.
"""

import hashlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

SOURCE = Path(os.environ.get("WIRESCAN_SOURCE_DIR") or Path(__file__).resolve().parents[1])
BIN = os.environ.get("WIRESCAN_BIN")
RESULTS = []


def check(name, ok, detail=""):
    RESULTS.append(bool(ok))
    print(f"{'PASS' if ok else 'FAIL'} {name}{': ' + detail if detail and not ok else ''}",
          flush=True)


def run(args, stdin=None, env=None):
    """(returncode, stdout bytes, stderr text, peak RSS in MB of this child). Output goes to a
    file, not a pipe: a parent holding a large output would make the next child's pre-exec RSS
    (a copy of the parent's) count."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        p = subprocess.Popen([BIN, "extract", *args], stdin=stdin, stdout=out, stderr=err,
                             env=dict(os.environ, **(env or {})))
        _, status, usage = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        data = out.read(10_000_000)
        if len(data) == 10_000_000:  # a large output: keep a digest only, read in pieces
            digest = hashlib.sha256(data)
            while chunk := out.read(1 << 20):
                digest.update(chunk)
            data = digest.digest()
        return p.returncode, data, err.read().decode(errors="replace"), usage.ru_maxrss / 1024


def main():
    if not BIN:
        print("SKIP: WIRESCAN_BIN is not set\n0 passed, 0 failed, 1 skipped")
        return 0
    tmp = Path(tempfile.mkdtemp(prefix="wirescan-extract-stream."))
    cache = tmp / "cache"
    env = {"WIRESCAN_RULES_CACHE": str(cache)}
    samples = [json.loads(l) for l in (SOURCE / "deploy" / "samples" / "articles.ndjson")
               .read_text(encoding="utf-8").splitlines() if l.strip()]
    big = tmp / "big.ndjson"
    size = 0
    n = 0
    with open(big, "w", encoding="utf-8") as f:
        while size < 60_000_000:
            a = dict(samples[n % len(samples)], id=f"a{n}")
            line = json.dumps(a, ensure_ascii=False) + "\n"
            f.write(line)
            size += len(line.encode())
            n += 1
    with open(big, "rb") as stdin:
        rc, out_stdin, err, rss = run(["--format", "protobuf", "-"], stdin=stdin, env=env)
    # Under ASan the quarantine and shadow memory (hundreds of MB) say nothing about what the
    # program keeps: the memory bound is checked in the release build only.
    sanitized = os.environ.get("WIRESCAN_SANITIZED") == "1"
    bound = float("inf") if sanitized else 100
    if sanitized:
        print("SKIP the peak-RSS bound of *_bounded_memory: sanitizer build (checked in release)")
    check("stdin_bounded_memory", rc == 0 and rss < bound,
          f"rc {rc}, peak RSS {rss:.0f} MB; {err[-300:]}")
    rc, out_file, err, rss = run(["--format", "protobuf", str(big)], env=env)
    check("file_bounded_memory", rc == 0 and rss < bound, f"rc {rc}, peak RSS {rss:.0f} MB")
    check("stdin_equals_file", out_stdin == out_file and len(out_file) > 0)

    # The first 200 records one run each vs streamed together (JSON output).
    small = tmp / "small.ndjson"
    lines = big.read_bytes().splitlines(keepends=True)[:200]
    small.write_bytes(b"".join(lines))
    rc, together, _, _ = run([str(small)], env=env)
    one_by_one = []
    for i, line in enumerate(lines[:20]):
        p = tmp / f"one{i}.ndjson"
        p.write_bytes(line)
        one_by_one.append(run([str(p)], env=env)[1])
    check("stream_equals_single_records",
          rc == 0 and together.splitlines(keepends=True)[:20] == one_by_one)

    # An oversized line in the middle.
    mixed = tmp / "mixed.ndjson"
    huge = json.dumps({"id": "huge", "body": "x" * 3_000_000})
    mixed.write_text("\n".join([json.dumps(samples[0]), huge, json.dumps(samples[1])]) + "\n")
    rc, out, err, _ = run(["--max-record-bytes", "1000000", str(mixed)], env=env)
    ids = [json.loads(l)["article"]["id"] for l in out.splitlines()]
    check("oversized_line_reported", rc == 1 and f"{mixed}:2: rejected (too_large): record of "
          f"{len(huge)} bytes" in err, err[-300:])
    check("lines_after_oversized_analysed", ids == [samples[0]["id"], samples[1]["id"]], str(ids))
    text = tmp / "long.txt"
    text.write_text("Title\n" + "word " * 300_000)
    rc, out, err, _ = run(["--max-record-bytes", "1000000", str(text)], env=env)
    check("oversized_plain_text_rejected", rc == 1 and not out and "too_large" in err, err[-300:])

    # The rules cache.
    cache2 = tmp / "cache2"
    rc1, out1, _, _ = run(["--rules-cache", str(cache2), str(small)])
    files = sorted(p.name for p in cache2.glob("*.hsdb")) if cache2.exists() else []
    rc2, out2, _, _ = run(["--rules-cache", str(cache2), str(small)])
    check("cache_written", rc1 == 0 and files, str(files))
    check("cache_read_same_output", rc2 == 0 and out1 == out2 and
          sorted(p.name for p in cache2.glob("*.hsdb")) == files)
    cache3 = tmp / "cache3"
    run(["--no-rules-cache", str(small)], env={"WIRESCAN_RULES_CACHE": str(cache3)})
    check("no_rules_cache_writes_nothing", not cache3.exists())

    subprocess.run(["rm", "-rf", str(tmp)], check=False)
    passed = sum(1 for r in RESULTS if r)
    print(f"{passed} passed, {len(RESULTS) - passed} failed")
    return 0 if passed == len(RESULTS) else 1


if __name__ == "__main__":
    sys.exit(main())
