#!/usr/bin/env python3
"""Converts the test corpora in shared/corpus into NDJSON articles for wirescan.

One JSON object per line, keys in this order:
  id, title, body, source, url, published_at, lang[, labels]
(url and published_at may be empty strings). Standard library only.

With --labels, Reuters articles carry the corpus's own labels, for `wirescan rules eval`:
  labels: {"split": "TRAIN", "topics": ["earn"], "topics_complete": true}
split is LEWISSPLIT (TRAIN, TEST, NOT-USED); topics the <TOPICS> <D> entries in corpus order;
topics_complete is TOPICS="YES" (the story was indexed for topics, so an empty list means "no
topic"; TOPICS="NO"/"BYPASS" stories were not, and their list says nothing). Without --labels the
output is unchanged (the benchmarks read it). --split S keeps only the Reuters stories of that
split (and drops the Chinese sources, which have no split).

Sources (see shared/corpus/{en,zh}/SOURCE.md):
  en  Reuters-21578 SGML, en/reut2-*.sgm: one article per <REUTERS> element that has a <BODY>
      (19,043 of 21,578); id reuters-<NEWID>, published_at is <DATE> verbatim.
  zh  THUCNews          zh/thucnews/cnews.val.txt            thucnews-<n>
      Cute-Crawlers     zh/cute_crawlers_stock/*.jsonl       stock-<n>
      CLUENER2020       zh/cluener2020/*.json (sentences)    cluener-<n>, 10 sentences each
      CFSC              zh/cfsc_ner/*.json (sentences)       cfsc-<n>, 10 sentences each
      Sogou smarty      zh/sogou/*.dat (<doc> records)       sogou-sohu-<n>, sogou-tensite-<n>

Encoding decisions:
  * Reuters files are ASCII apart from one stray 0xFC byte in reut2-017.sgm (transmission noise
    in the middle of a body: "growth.\\xfc&#5;&#30;side"). Files are decoded as UTF-8 with
    errors='replace', so that byte becomes U+FFFD and the output stays valid UTF-8.
  * Character references (&lt; &amp; &#3; ...) are decoded; control characters other than
    tab and newline (the &#2; &#3; &#5; &#30; &#127; wire-service markers) are dropped.
  * news_tensite_xml.smarty.dat is GBK with garbled runs: decoded as gb18030, errors='ignore'.

Ordering: each source in corpus order; --seed S shuffles each language's articles with
random.Random(S). --lang all interleaves en and zh proportionally (a fixed merge by relative
position), so zh articles are spread evenly through the en ones. --limit N keeps the first N
after ordering; --repeat-to N then cycles them until N records are written, suffixing the ids of
the second, third ... pass with "#2", "#3" ...

Usage:
  corpus_to_ndjson.py --corpus ../shared/corpus --lang all --repeat-to 100000 --seed 1 -o a.ndjson
"""

import argparse
import glob
import json
import os
import random
import re
import sys
import time

# --- text helpers ---------------------------------------------------------------------------

_NAMED_REFS = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}
_REF_RE = re.compile(r"&(#[0-9]+|#[xX][0-9a-fA-F]+|lt|gt|amp|quot|apos);")
# C0 controls except \t and \n, DEL, C1 controls. \r is dropped too (bodies use \n).
_CONTROL_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_WS_RE = re.compile(r"\s+")


def _ref(m):
    s = m.group(1)
    if s[0] != "#":
        return _NAMED_REFS[s]
    cp = int(s[2:], 16) if s[1] in "xX" else int(s[1:])
    if cp > 0x10FFFF or 0xD800 <= cp <= 0xDFFF:
        return "\ufffd"
    return chr(cp)


def decode_sgml_text(s):
    """Decodes character references and drops control characters (keeps tab and newline)."""
    return _CONTROL_RE.sub("", _REF_RE.sub(_ref, s))


def one_line(s):
    return _WS_RE.sub(" ", s).strip()


def article(id_, title, body, source, url, published_at, lang, labels=None):
    # Dict insertion order is the output key order.
    a = {
        "id": id_,
        "title": title,
        "body": body,
        "source": source,
        "url": url,
        "published_at": published_at,
        "lang": lang,
    }
    if labels is not None:
        a["labels"] = labels
    return a


# --- English: Reuters-21578 -----------------------------------------------------------------

_REUTERS_RE = re.compile(r"<REUTERS\b([^>]*)>(.*?)</REUTERS>", re.S)
_NEWID_RE = re.compile(r'NEWID="(\d+)"')
_DATE_RE = re.compile(r"<DATE>(.*?)</DATE>", re.S)
_TITLE_RE = re.compile(r"<TITLE>(.*?)</TITLE>", re.S)
_BODY_RE = re.compile(r"<BODY>(.*?)</BODY>", re.S)
_SPLIT_RE = re.compile(r'LEWISSPLIT="([^"]*)"')
_TOPICS_ATTR_RE = re.compile(r'TOPICS="([^"]*)"')
_TOPICS_RE = re.compile(r"<TOPICS>(.*?)</TOPICS>", re.S)
_D_RE = re.compile(r"<D>(.*?)</D>", re.S)


def reuters_labels(attrs, inner):
    """The story's LEWISSPLIT and TOPICS, as the `labels` object of the output."""
    split_m = _SPLIT_RE.search(attrs)
    indexed_m = _TOPICS_ATTR_RE.search(attrs)
    topics_m = _TOPICS_RE.search(inner)
    topics = [t.strip() for t in _D_RE.findall(topics_m.group(1))] if topics_m else []
    return {
        "split": split_m.group(1) if split_m else "",
        "topics": topics,
        "topics_complete": bool(indexed_m) and indexed_m.group(1) == "YES",
    }


def parse_reuters_sgml(text):
    """Yields articles from the text of one Reuters-21578 .sgm file (bodyless ones skipped)."""
    for m in _REUTERS_RE.finditer(text):
        attrs, inner = m.group(1), m.group(2)
        body_m = _BODY_RE.search(inner)
        if body_m is None:
            continue
        body = decode_sgml_text(body_m.group(1)).strip()
        if not body:
            continue
        newid_m = _NEWID_RE.search(attrs)
        title_m = _TITLE_RE.search(inner)
        date_m = _DATE_RE.search(inner)
        yield article(
            "reuters-" + (newid_m.group(1) if newid_m else str(m.start())),
            one_line(decode_sgml_text(title_m.group(1))) if title_m else "",
            body,
            "reuters",
            "",
            date_m.group(1).strip() if date_m else "",
            "en",
            reuters_labels(attrs, inner),
        )


def load_en(corpus):
    out = []
    for path in sorted(glob.glob(os.path.join(corpus, "en", "reut2-*.sgm"))):
        with open(path, "rb") as f:
            out.extend(parse_reuters_sgml(f.read().decode("utf-8", errors="replace")))
    return {"reuters": out}


# --- Chinese ----------------------------------------------------------------------------------


def thucnews_title(text):
    """The first sentence up to (not including) the first 。 if it is at most 60 chars, else ''."""
    i = text.find("。")
    if 0 < i <= 60:
        return text[:i].strip()
    return ""


def parse_thucnews(lines):
    n = 0
    for line in lines:
        line = line.rstrip("\r\n")
        if not line:
            continue
        _label, _, text = line.partition("\t")
        text = text.strip()
        if not text:
            continue
        n += 1
        yield article("thucnews-%d" % n, thucnews_title(text), text, "thucnews", "", "", "zh")


def parse_stock_jsonl(lines):
    n = 0
    for line in lines:
        if not line.strip():
            continue
        rec = json.loads(line)
        body = (rec.get("text") or "").strip()
        if not body:
            continue
        n += 1
        yield article(
            "stock-%d" % n,
            one_line(rec.get("title") or ""),
            body,
            "cute_crawlers_stock",
            "",
            "",
            "zh",
        )


def group_sentences(sentences, prefix, source, per_article=10):
    """Groups consecutive sentences into articles of `per_article`, joined by newlines."""
    out = []
    for i in range(0, len(sentences), per_article):
        chunk = [s for s in sentences[i : i + per_article] if s]
        if chunk:
            out.append(
                article("%s-%d" % (prefix, len(out) + 1), "", "\n".join(chunk), source, "", "", "zh")
            )
    return out


def cluener_sentences(lines):
    return [json.loads(l)["text"].strip() for l in lines if l.strip()]


def cfsc_sentences(text):
    return [rec["text"].strip() for rec in json.loads(text)]


_DOC_RE = re.compile(r"<doc>(.*?)</doc>", re.S)


def _field(name, doc):
    m = re.search(r"<%s>(.*?)</%s>" % (name, name), doc, re.S)
    return m.group(1).strip() if m else ""


def parse_sogou(text, prefix):
    n = 0
    for m in _DOC_RE.finditer(text):
        doc = m.group(1)
        body = _CONTROL_RE.sub("", _field("content", doc)).strip()
        if not body:
            continue
        n += 1
        yield article(
            "%s-%d" % (prefix, n),
            one_line(_CONTROL_RE.sub("", _field("contenttitle", doc))),
            body,
            "sogou",
            _field("url", doc),
            "",
            "zh",
        )


def _read(path, encoding="utf-8", errors="strict"):
    with open(path, "rb") as f:
        return f.read().decode(encoding, errors=errors)


def load_zh(corpus):
    zh = os.path.join(corpus, "zh")
    out = {}
    out["thucnews"] = list(
        parse_thucnews(_read(os.path.join(zh, "thucnews", "cnews.val.txt")).splitlines())
    )
    out["cute_crawlers_stock"] = list(
        parse_stock_jsonl(
            _read(os.path.join(zh, "cute_crawlers_stock", "stock_news_articles.jsonl")).splitlines()
        )
    )
    sentences = []
    for path in sorted(glob.glob(os.path.join(zh, "cluener2020", "*.json"))):
        sentences.extend(cluener_sentences(_read(path).splitlines()))
    out["cluener2020"] = group_sentences(sentences, "cluener", "cluener2020")
    sentences = []
    for path in sorted(glob.glob(os.path.join(zh, "cfsc_ner", "*.json"))):
        sentences.extend(cfsc_sentences(_read(path)))
    out["cfsc"] = group_sentences(sentences, "cfsc", "cfsc")
    # Docs with an empty <content> (36 + 34 of the 200 + 200) are skipped.
    out["sogou-sohu"] = list(
        parse_sogou(_read(os.path.join(zh, "sogou", "news_sohusite_xml.smarty.dat")), "sogou-sohu")
    )
    out["sogou-tensite"] = list(
        parse_sogou(
            _read(os.path.join(zh, "sogou", "news_tensite_xml.smarty.dat"), "gb18030", "ignore"),
            "sogou-tensite",
        )
    )
    return out


# --- ordering and output ----------------------------------------------------------------------


def interleave(a, b):
    """Merges two lists so each keeps its order and both are spread evenly (deterministic)."""
    keyed = [((i + 0.5) / len(a), 0, x) for i, x in enumerate(a)]
    keyed += [((i + 0.5) / len(b), 1, x) for i, x in enumerate(b)]
    keyed.sort(key=lambda t: (t[0], t[1]))
    return [t[2] for t in keyed]


def order(by_source, seed):
    """Concatenates sources (in their load order), shuffled with `seed` unless it is None."""
    arts = [a for arts in by_source.values() for a in arts]
    if seed is not None:
        random.Random(seed).shuffle(arts)
    return arts


def build(corpus, lang, seed=None, split=None):
    """Returns (articles in output order, {source: count}). `split`: only the Reuters stories of
    that LEWISSPLIT (the Chinese sources have none and are left out)."""
    counts = {}
    parts = []
    if lang in ("en", "all"):
        en = load_en(corpus)
        if split is not None:
            en = {k: [a for a in v if a["labels"]["split"] == split] for k, v in en.items()}
        counts.update((k, len(v)) for k, v in en.items())
        parts.append(order(en, seed))
    if lang in ("zh", "all") and split is None:
        zh = load_zh(corpus)
        counts.update((k, len(v)) for k, v in zh.items())
        parts.append(order(zh, None if seed is None else seed + 1))
    arts = parts[0] if len(parts) == 1 else interleave(parts[0], parts[1])
    return arts, counts


def write_ndjson(arts, out, repeat_to=None, labels=False):
    """Writes articles as NDJSON bytes to `out`; cycles them up to `repeat_to` records. Without
    `labels` the articles' `labels` key is left out."""
    total = len(arts) if repeat_to is None else repeat_to
    if total and not arts:
        raise ValueError("no articles to repeat")
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    buf = []
    written = 0
    rnd = 1
    while written < total:
        for a in arts:
            if written >= total:
                break
            if rnd > 1:
                a = dict(a, id="%s#%d" % (a["id"], rnd))
            if not labels and "labels" in a:
                a = {k: v for k, v in a.items() if k != "labels"}
            buf.append(dumps(a))
            written += 1
            if len(buf) >= 4096:
                out.write(("\n".join(buf) + "\n").encode("utf-8"))
                buf.clear()
        rnd += 1
    if buf:
        out.write(("\n".join(buf) + "\n").encode("utf-8"))
    return written


def main(argv=None):
    default_corpus = os.path.normpath(
        os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared", "corpus")
    )
    p = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    p.add_argument("--corpus", default=default_corpus, help="default: %(default)s")
    p.add_argument("--lang", choices=("en", "zh", "all"), default="all")
    p.add_argument("--limit", type=int, help="keep the first N articles (after ordering)")
    p.add_argument("--repeat-to", type=int, help="cycle the articles until N records are written")
    p.add_argument("--seed", type=int, help="shuffle deterministically (default: corpus order)")
    p.add_argument("--labels", action="store_true", help="write Reuters TOPICS and LEWISSPLIT")
    p.add_argument(
        "--split",
        choices=("TRAIN", "TEST", "NOT-USED"),
        help="only Reuters stories of this LEWISSPLIT (no Chinese sources)",
    )
    p.add_argument("-o", "--output", help="output file (default: stdout)")
    args = p.parse_args(argv)
    for name in ("limit", "repeat_to"):
        v = getattr(args, name)
        if v is not None and v < 0:
            p.error("--%s must be >= 0" % name.replace("_", "-"))
    if not os.path.isdir(args.corpus):
        p.error("corpus directory not found: %s" % args.corpus)

    t0 = time.monotonic()
    if args.split is not None and args.lang == "zh":
        p.error("--split selects Reuters stories: use --lang en (or all)")
    arts, counts = build(args.corpus, args.lang, args.seed, args.split)
    if args.limit is not None:
        arts = arts[: args.limit]
    if args.output:
        with open(args.output, "wb") as f:
            written = write_ndjson(arts, f, args.repeat_to, args.labels)
    else:
        try:
            written = write_ndjson(arts, sys.stdout.buffer, args.repeat_to, args.labels)
            sys.stdout.buffer.flush()
        except BrokenPipeError:  # e.g. piped into `head`
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 0
    for src, n in counts.items():
        print("corpus_to_ndjson: %-20s %6d articles" % (src, n), file=sys.stderr)
    print(
        "corpus_to_ndjson: %d distinct, %d records written in %.2fs"
        % (len(arts), written, time.monotonic() - t0),
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
