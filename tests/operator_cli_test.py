#!/usr/bin/python3
"""The operator's commands and exits (README "Running the daemon", "Checking a configuration").

  WIRESCAN_BIN=build/release/engine/wirescan python3 tests/operator_cli_test.py

Checks (PASS/FAIL lines, then `N passed, N failed`):
  - `wirescan config check`: the example config needs its SASL password (exit 78 naming
    file:line of the SASL settings) and passes with it (exit 0); a misspelt librdkafka property,
    a bad SASL mechanism, an unknown WIRESCAN_* variable: exit 78 with file:line / the variable;
    usage errors: exit 2;
  - `wirescan run --config` with such a mistake exits 78 before it binds its port or creates a
    Kafka client (no "admin endpoint" line, nothing of librdkafka's);
  - `wirescan rules check`: every error of a broken pack in one run (two files, each blamed),
    `--junit FILE` writes JUnit XML (one failing case per broken file; on the shipped pack one
    passing case per example).
"""

import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

SOURCE = Path(os.environ.get("WIRESCAN_SOURCE_DIR") or Path(__file__).resolve().parents[1])
BIN = os.environ.get("WIRESCAN_BIN")
RESULTS = []
EXAMPLE = SOURCE / "deploy" / "wirescan.example.yaml"


def check(name, ok, detail=""):
    RESULTS.append(bool(ok))
    print(f"{'PASS' if ok else 'FAIL'} {name}{': ' + detail if detail and not ok else ''}",
          flush=True)


def run(args, env=None, timeout=120):
    # Only this test's WIRESCAN_* variables: the caller's could be anything.
    base = {k: v for k, v in os.environ.items() if not k.startswith("WIRESCAN_")}
    base["WIRESCAN_RULES"] = str(SOURCE / "rules")
    p = subprocess.run([BIN, *args], env=dict(base, **(env or {})), capture_output=True,
                       text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def line_of(path, text):
    for i, line in enumerate(Path(path).read_text().splitlines(), 1):
        if text in line:
            return i
    raise AssertionError(f"{text!r} not in {path}")


def config_checks(tmp):
    rc, out, err = run(["config", "check", str(EXAMPLE)])
    want = f"{EXAMPLE}:{line_of(EXAMPLE, 'sasl.username:')}: kafka: 'sasl.username': "
    check("example config without its SASL password: exit 78 at the SASL line",
          rc == 78 and err.startswith(want) and "sasl.password must be set" in err,
          f"rc {rc}: {err.strip()[:300]}")
    rc, out, err = run(["config", "check", str(EXAMPLE)],
                       env={"WIRESCAN_KAFKA": "sasl.password=secret"})
    check("example config with WIRESCAN_KAFKA=sasl.password=...: exit 0",
          rc == 0 and ": ok: " in out, f"rc {rc}: {err.strip()[:300]}")

    minimal = "brokers: 127.0.0.1:1\ninput:\n  topics: [news]\nmetrics_address: 127.0.0.1:1\n"
    cases = [
        ("a misspelt librdkafka property", minimal + "kafka:\n  securty.protocol: SASL_SSL\n",
         {}, ":6: kafka: 'securty.protocol': No such configuration property"),
        ("a SASL mechanism librdkafka does not know",
         minimal + "kafka:\n  security.protocol: SASL_PLAINTEXT\n  sasl.mechanism: PLAN\n"
                   "  sasl.username: u\n  sasl.password: p\n",
         {}, ":7: kafka: 'sasl.mechanism': Unsupported SASL mechanism: PLAN"),
        ("an unknown WIRESCAN_* variable", minimal, {"WIRESCAN_PIPELINE__WORKER": "4"},
         "WIRESCAN_PIPELINE__WORKER: no such configuration key (did you mean "
         "WIRESCAN_PIPELINE__WORKERS?)"),
    ]
    for i, (name, text, env, want) in enumerate(cases):
        path = Path(tmp) / f"case{i}.yaml"
        path.write_text(text)
        rc, out, err = run(["config", "check", str(path)], env=env)
        check(f"config check, {name}: exit 78 with the location", rc == 78 and want in err,
              f"rc {rc}: {err.strip()[:300]}")
        rc, out, err = run(["run", "--config", str(path)], env=env, timeout=30)
        check(f"run, {name}: exit 78 before binding or connecting",
              rc == 78 and want in err and "admin endpoint" not in err and "rdkafka" not in err,
              f"rc {rc}: {err.strip()[:300]}")
    rc, _, err = run(["config", "check"])
    check("config check without FILE: exit 2", rc == 2, f"rc {rc}")
    rc, _, err = run(["config", "frobnicate"])
    check("config with an unknown subcommand: exit 2", rc == 2, f"rc {rc}")


def rules_checks(tmp):
    pack = Path(tmp) / "pack"
    pack.mkdir()
    (pack / "a.yaml").write_text(
        "entities:\n  - {id: org.a, type: COMPANY, canonical: A, aliases: [A1]}\n")
    (pack / "b.yaml").write_text(
        "entities:\n  - {id: org.b, type: ORG, canonical: B, aliases: [B1]}\n"
        "  - {id: org.b, type: ORG, canonical: B, aliases: [B2]}\n")
    junit = Path(tmp) / "junit.xml"
    rc, out, err = run(["rules", "check", str(pack), "--junit", str(junit)])
    lines = [l for l in err.splitlines() if l.strip()]
    check("rules check: every error in one run, each blamed on its file",
          rc == 1 and len(lines) == 3 and lines[0].startswith(f"{pack}/a.yaml:2: rule org.a: ")
          and lines[1].startswith(f"{pack}/b.yaml:3: rule org.b: duplicate id (first defined at "
                                  f"{pack}/b.yaml:2)")
          and lines[2] == "2 error(s)",
          f"rc {rc}: {err.strip()[:500]}")
    try:
        root = ET.parse(junit).getroot()
        suite = root.find("testsuite")
        cases = suite.findall("testcase")
        ok = (suite.get("failures") == "2" and len(cases) == 2
              and [c.get("name") for c in cases] == [f"{pack}/a.yaml", f"{pack}/b.yaml"]
              and all(c.find("failure") is not None for c in cases))
        check("rules check --junit on a broken pack: one failing case per file", ok,
              ET.tostring(root, encoding="unicode")[:500])
    except (ET.ParseError, OSError, AttributeError) as e:
        check("rules check --junit on a broken pack: one failing case per file", False, str(e))

    junit.unlink(missing_ok=True)
    rc, out, err = run(["rules", "check", str(SOURCE / "rules"), "--junit", str(junit)],
                       timeout=300)
    try:
        suite = ET.parse(junit).getroot().find("testsuite")
        cases = suite.findall("testcase")
        examples = int(out.split(" example(s) run")[0].rsplit("\n", 1)[-1])
        check("rules check --junit on the shipped pack: one passing case per example",
              rc == 0 and suite.get("failures") == "0" and len(cases) == examples > 0
              and all(c.get("classname").endswith(".yaml") for c in cases),
              f"rc {rc}, {len(cases)} cases: {out.strip()[-200:]}")
    except (ET.ParseError, OSError, AttributeError, ValueError) as e:
        check("rules check --junit on the shipped pack: one passing case per example", False,
              f"{e}: {out[-200:]} {err[-300:]}")


def main():
    if not BIN:
        print("SKIP: WIRESCAN_BIN is not set\n0 passed, 0 failed, 1 skipped")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        config_checks(tmp)
        rules_checks(tmp)
    failed = RESULTS.count(False)
    print(f"{RESULTS.count(True)} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
