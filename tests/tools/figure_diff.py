#!/usr/bin/env python3
"""Figure counts of two wirescan trees on the same articles, and a sample of every change.

    tests/tools/figure_diff.py OLD_TREE NEW_TREE FILE.ndjson [--samples N] [--seed S]

Runs `build/release/engine/wirescan extract --include-text` of each tree (with that tree's
rules/) on FILE, collects every MONEY / PERCENT / QUANTITY mention by (article, field, span) and
prints: figures before and after; same span and value; same span, changed value (canonical
text); gained (a new figure overlapping no old one); lost (an old figure overlapping no new
one); re-spanned (overlapping spans that differ: merged, split, widened); CODE_FIGURE_SKIPPED
diagnostics after. Then N random samples of each change class with the text around them, so a
person can check that each change is right.
"""
import argparse
import json
import random
import subprocess
import sys

FIGURES = {"MONEY", "PERCENT", "QUANTITY"}


def run(tree, path):
    cmd = [f"{tree}/build/release/engine/wirescan", "extract", "--rules", f"{tree}/rules",
           "--include-text", path]
    out = subprocess.run(cmd, check=False, capture_output=True, text=True)
    if out.returncode not in (0, 1):
        sys.exit(f"{cmd}: exit {out.returncode}: {out.stderr[-2000:]}")
    figures, texts, skips = {}, {}, 0
    for line in out.stdout.splitlines():
        a = json.loads(line)
        art = a.get("article", {})
        aid = art.get("id", "")
        texts[(aid, "body")] = art.get("body", "")
        texts[(aid, "title")] = art.get("title", "")
        for d in a.get("diagnostics", []):
            if d.get("code") == "CODE_FIGURE_SKIPPED":
                skips += 1
        for m in a.get("mentions", []):
            if m.get("type") not in FIGURES:
                continue
            # Field: FIELD_TITLE, or unset (canonical JSON omits the default) for the body.
            field = "title" if m.get("field") == "FIELD_TITLE" else "body"
            key = (aid, field, int(m.get("begin", 0)), int(m.get("end", 0)))
            figures[key] = (m["type"], m.get("canonical", ""), m.get("text", ""))
    return figures, texts, skips


def encode_offsets(text):
    # Mention offsets are UTF-8 bytes; slice the text as bytes.
    return text.encode("utf-8")


def context(texts, key, width=40):
    aid, field, b, e = key
    raw = encode_offsets(texts.get((aid, field), ""))
    left = raw[max(0, b - width):b].decode("utf-8", "replace")
    mid = raw[b:e].decode("utf-8", "replace")
    right = raw[e:e + width].decode("utf-8", "replace")
    return f"{aid}/{field}: ...{left}[[{mid}]]{right}...".replace("\n", " ")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("old")
    ap.add_argument("new")
    ap.add_argument("file")
    ap.add_argument("--samples", type=int, default=8)
    ap.add_argument("--seed", type=int, default=11)
    args = ap.parse_args()
    old, texts, _ = run(args.old, args.file)
    new, _, skips = run(args.new, args.file)

    def by_doc(figs):
        d = {}
        for k in figs:
            d.setdefault(k[:2], []).append(k)
        return d

    old_doc, new_doc = by_doc(old), by_doc(new)

    def overlaps(k, doc):
        return [o for o in doc.get(k[:2], []) if o[2] < k[3] and k[2] < o[3]]

    same, changed, gained, lost, respanned = [], [], [], [], []
    for k, v in new.items():
        if k in old:
            (same if old[k][1] == v[1] and old[k][0] == v[0] else changed).append(k)
        elif not overlaps(k, old_doc):
            gained.append(k)
        else:
            respanned.append(k)
    for k in old:
        if k not in new and not overlaps(k, new_doc):
            lost.append(k)
    print(f"figures: before {len(old)}, after {len(new)}")
    print(f"  same span and value: {len(same)}")
    print(f"  same span, changed value: {len(changed)}")
    print(f"  gained: {len(gained)}")
    print(f"  lost: {len(lost)}")
    print(f"  re-spanned (new figures overlapping different old ones): {len(respanned)}")
    print(f"  CODE_FIGURE_SKIPPED diagnostics after: {skips}")
    rng = random.Random(args.seed)
    for name, keys in (("changed", changed), ("gained", gained), ("lost", lost),
                       ("re-spanned", respanned)):
        if not keys:
            continue
        print(f"\n== {name}: {min(args.samples, len(keys))} of {len(keys)}")
        for k in rng.sample(sorted(keys), min(args.samples, len(keys))):
            before = old.get(k)
            if name == "re-spanned":
                before = "; ".join(f"{old[o][2]!r} -> {old[o][1]}" for o in overlaps(k, old_doc))
            elif before is not None:
                before = before[1]
            after = new.get(k)
            print(f"  {context(texts, k)}")
            print(f"      before: {before}   after: {after[1] if after else None}")


if __name__ == "__main__":
    main()
