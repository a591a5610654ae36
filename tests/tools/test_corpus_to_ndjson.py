#!/usr/bin/env python3
"""Self-check for corpus_to_ndjson.py. Run: python3 tests/tools/test_corpus_to_ndjson.py

No pytest. Unit checks use small made-up samples written below; the corpus checks run only when
../shared/corpus (beside the repository) exists. Ends with "N passed, N failed[, N skipped]";
exits 1 on any failure.
"""

import io
import json
import os
import sys
import tempfile
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import corpus_to_ndjson as c2n  # noqa: E402

REPO = os.path.normpath(os.path.join(HERE, "..", ".."))
CORPUS = os.path.normpath(os.path.join(REPO, "..", "shared", "corpus"))
KEYS = ["id", "title", "body", "source", "url", "published_at", "lang"]


class Skip(Exception):
    pass


# --- made-up samples --------------------------------------------------------------------------

SGML = """<!DOCTYPE lewis SYSTEM "lewis.dtd">
<REUTERS TOPICS="YES" LEWISSPLIT="TRAIN" CGISPLIT="TRAINING-SET" OLDID="1" NEWID="7">
<DATE> 3-MAR-1987 09:15:00.00</DATE>
<TOPICS><D>earn</D></TOPICS>
<TEXT>&#2;
<TITLE>ACME WIDGETS &lt;AWI> RAISES
PAYOUT</TITLE>
<DATELINE>    SPRINGFIELD, March 3 - </DATELINE><BODY>Acme Widgets Inc &lt;AWI> said profit rose
12 pct to 4.5 mln dlrs &amp; it will pay 10 cts&#127;.
 Reuter
&#3;</BODY></TEXT>
</REUTERS>
<REUTERS TOPICS="NO" NEWID="8">
<DATE> 3-MAR-1987 09:16:00.00</DATE>
<TEXT TYPE="BRIEF">&#2;
<TITLE>ONLY A HEADLINE</TITLE>
&#3;</TEXT>
</REUTERS>
<REUTERS TOPICS="NO" NEWID="9">
<DATE> 3-MAR-1987 09:17:00.00</DATE>
<TEXT TYPE="UNPROC">&#2;
unprocessed text without a body tag
&#3;</TEXT>
</REUTERS>
<REUTERS TOPICS="NO" NEWID="10">
<TEXT>&#2;
<BODY>No title, no date, a stray byte: \xfc&#5;&#30;end.</BODY></TEXT>
</REUTERS>
<REUTERS TOPICS="YES" LEWISSPLIT="TEST" CGISPLIT="TRAINING-SET" OLDID="2" NEWID="11">
<DATE> 3-MAR-1987 09:18:00.00</DATE>
<TOPICS><D>acq</D><D>trade</D></TOPICS>
<TEXT>&#2;
<TITLE>BIG CO BUYS SMALL CO</TITLE>
<BODY>Big Co said it agreed to buy Small Co.</BODY></TEXT>
</REUTERS>
<REUTERS TOPICS="YES" LEWISSPLIT="TRAIN" CGISPLIT="TRAINING-SET" OLDID="3" NEWID="12">
<TOPICS></TOPICS>
<TEXT>&#2;
<BODY>Indexed for topics, none given.</BODY></TEXT>
</REUTERS>
"""

THUC = (
    "科技\t示例公司今日发布新款芯片。该芯片采用5纳米工艺，性能提升三成。\n"
    "财经\t" + "很长的一句话" * 15 + "。第二句。\n"
    "\n"
)

STOCK = [
    {"source_path": "stock/x/示例", "title": "示例标题 一", "text": "示例正文一，涨幅5%。"},
    {"source_path": "stock/x/空", "title": "空正文", "text": "  "},
    {"source_path": "stock/x/示例二", "title": "示例标题\n二", "text": "示例正文二。"},
]

SOGOU = """<doclist>
<doc>
<url>http://example.com/a</url>
<docno>aaa</docno>
<contenttitle>示例新闻　标题</contenttitle>
<content>示例正文，投资２０亿元。</content>
</doc>
<doc>
<url>http://example.com/b</url>
<docno>bbb</docno>
<contenttitle>没有正文</contenttitle>
<content></content>
</doc>
</doclist>
"""


# --- checks -----------------------------------------------------------------------------------


def test_reuters_sgml():
    arts = list(c2n.parse_reuters_sgml(SGML))
    assert [a["id"] for a in arts] == ["reuters-7", "reuters-10", "reuters-11", "reuters-12"], arts
    a = arts[0]
    assert list(a) == KEYS + ["labels"]
    assert a["title"] == "ACME WIDGETS <AWI> RAISES PAYOUT", a["title"]
    assert a["body"] == (
        "Acme Widgets Inc <AWI> said profit rose\n12 pct to 4.5 mln dlrs & it will pay 10 cts.\n"
        " Reuter"
    ), repr(a["body"])
    assert a["published_at"] == "3-MAR-1987 09:15:00.00"
    assert (a["source"], a["url"], a["lang"]) == ("reuters", "", "en")
    b = arts[1]
    assert (b["title"], b["published_at"]) == ("", "")
    assert b["body"] == "No title, no date, a stray byte: \xfcend.", repr(b["body"])


def test_reuters_labels():
    arts = {a["id"]: a for a in c2n.parse_reuters_sgml(SGML)}
    assert arts["reuters-7"]["labels"] == {"split": "TRAIN", "topics": ["earn"],
                                           "topics_complete": True}
    # TOPICS="NO", no LEWISSPLIT: the list says nothing.
    assert arts["reuters-10"]["labels"] == {"split": "", "topics": [], "topics_complete": False}
    assert arts["reuters-11"]["labels"] == {"split": "TEST", "topics": ["acq", "trade"],
                                            "topics_complete": True}
    # Indexed with no topic: an empty list that is complete (a negative for every topic).
    assert arts["reuters-12"]["labels"] == {"split": "TRAIN", "topics": [],
                                            "topics_complete": True}


def test_labels_only_on_request():
    arts = list(c2n.parse_reuters_sgml(SGML))
    out = io.BytesIO()
    c2n.write_ndjson(arts, out)
    plain = [json.loads(l) for l in out.getvalue().decode("utf-8").splitlines()]
    assert all(list(a) == KEYS for a in plain), "without --labels the output is unchanged"
    out = io.BytesIO()
    c2n.write_ndjson(arts, out, repeat_to=5, labels=True)
    labelled = [json.loads(l) for l in out.getvalue().decode("utf-8").splitlines()]
    assert [a["id"] for a in labelled] == ["reuters-7", "reuters-10", "reuters-11", "reuters-12",
                                           "reuters-7#2"]
    assert labelled[4]["labels"]["topics"] == ["earn"], "repeated records keep their labels"


def test_decode_refs_and_controls():
    f = c2n.decode_sgml_text
    assert f("a&lt;b&gt;c&amp;d&quot;e&apos;") == "a<b>c&d\"e'"
    assert f("x&#3;&#2;&#5;&#22;&#31;&#127;y") == "xy"
    assert f("tab\tnl\ncr\r.") == "tab\tnl\ncr."
    assert f("&#x41;&#65;&#xD800;&nbsp;") == "AA\ufffd&nbsp;"


def test_invalid_utf8_byte_becomes_replacement_char():
    with tempfile.TemporaryDirectory() as d:
        os.makedirs(os.path.join(d, "en"))
        with open(os.path.join(d, "en", "reut2-000.sgm"), "wb") as f:
            f.write(SGML.replace("\xfc", "@").encode("ascii").replace(b"@", b"\xfc"))
        arts = c2n.load_en(d)["reuters"]
    assert arts[1]["body"] == "No title, no date, a stray byte: \ufffdend.", arts[1]["body"]


def test_thucnews():
    arts = list(c2n.parse_thucnews(THUC.splitlines(True)))
    assert [a["id"] for a in arts] == ["thucnews-1", "thucnews-2"]
    assert arts[0]["title"] == "示例公司今日发布新款芯片"
    assert arts[0]["body"] == "示例公司今日发布新款芯片。该芯片采用5纳米工艺，性能提升三成。"
    assert arts[1]["title"] == "", "first sentence longer than 60 chars gives no title"
    assert (arts[0]["source"], arts[0]["lang"]) == ("thucnews", "zh")


def test_stock_jsonl():
    lines = [json.dumps(r, ensure_ascii=False) for r in STOCK]
    arts = list(c2n.parse_stock_jsonl(lines))
    assert [a["id"] for a in arts] == ["stock-1", "stock-2"], "empty text skipped, ids dense"
    assert arts[1]["title"] == "示例标题 二"
    assert arts[0]["body"] == "示例正文一，涨幅5%。"


def test_sentence_grouping():
    cluener_lines = [json.dumps({"text": "句子%d。" % i, "label": {}}) for i in range(23)]
    sents = c2n.cluener_sentences(cluener_lines + [""])
    arts = c2n.group_sentences(sents, "cluener", "cluener2020")
    assert [a["id"] for a in arts] == ["cluener-1", "cluener-2", "cluener-3"]
    assert arts[0]["body"].split("\n") == ["句子%d。" % i for i in range(10)]
    assert arts[2]["body"] == "句子20。\n句子21。\n句子22。"
    cfsc = json.dumps([{"text": "甲%d" % i, "labels": []} for i in range(10)], ensure_ascii=False)
    arts = c2n.group_sentences(c2n.cfsc_sentences(cfsc), "cfsc", "cfsc")
    assert len(arts) == 1 and arts[0]["id"] == "cfsc-1" and arts[0]["source"] == "cfsc"


def test_sogou():
    arts = list(c2n.parse_sogou(SOGOU, "sogou-sohu"))
    assert len(arts) == 1, "empty content skipped"
    a = arts[0]
    assert (a["id"], a["url"], a["source"]) == ("sogou-sohu-1", "http://example.com/a", "sogou")
    assert a["title"] == "示例新闻 标题" and a["body"] == "示例正文，投资２０亿元。"


def test_interleave_and_repeat():
    a = [{"id": "e%d" % i} for i in range(6)]
    b = [{"id": "z%d" % i} for i in range(2)]
    ids = [x["id"] for x in c2n.interleave(a, b)]
    assert ids == ["e0", "e1", "z0", "e2", "e3", "e4", "z1", "e5"], ids
    out = io.BytesIO()
    n = c2n.write_ndjson([dict(id="x", body="β")], out, repeat_to=3)
    lines = out.getvalue().decode("utf-8").splitlines()
    assert n == 3 and [json.loads(l)["id"] for l in lines] == ["x", "x#2", "x#3"]
    assert "β" in lines[0], "non-ASCII written as UTF-8, not \\u escapes"


def _fake_corpus(d):
    """A complete miniature corpus tree, including the GBK Sogou file."""
    os.makedirs(os.path.join(d, "en"))
    with open(os.path.join(d, "en", "reut2-000.sgm"), "w", encoding="utf-8") as f:
        f.write(SGML)
    for sub in ("thucnews", "cute_crawlers_stock", "cluener2020", "cfsc_ner", "sogou"):
        os.makedirs(os.path.join(d, "zh", sub))
    z = lambda *p: os.path.join(d, "zh", *p)  # noqa: E731
    with open(z("thucnews", "cnews.val.txt"), "w", encoding="utf-8") as f:
        f.write(THUC)
    with open(z("cute_crawlers_stock", "stock_news_articles.jsonl"), "w", encoding="utf-8") as f:
        f.write("\n".join(json.dumps(r, ensure_ascii=False) for r in STOCK) + "\n")
    with open(z("cluener2020", "train.json"), "w", encoding="utf-8") as f:
        f.write("".join(json.dumps({"text": "训练%d" % i}) + "\n" for i in range(12)))
    with open(z("cfsc_ner", "val.json"), "w", encoding="utf-8") as f:
        json.dump([{"text": "验证%d" % i} for i in range(5)], f)
    with open(z("sogou", "news_sohusite_xml.smarty.dat"), "w", encoding="utf-8") as f:
        f.write(SOGOU)
    with open(z("sogou", "news_tensite_xml.smarty.dat"), "wb") as f:
        f.write(SOGOU.encode("gbk"))


def test_cli_end_to_end_and_determinism():
    with tempfile.TemporaryDirectory() as d:
        _fake_corpus(d)
        out = os.path.join(d, "out.ndjson")

        def run(*args):
            c2n.main(["--corpus", d, "-o", out] + list(args))
            with open(out, encoding="utf-8") as f:
                return [json.loads(l) for l in f]

        stderr, sys.stderr = sys.stderr, io.StringIO()
        try:
            zh = run("--lang", "zh")
            ids = [a["id"] for a in zh]
            assert ids == [
                "thucnews-1", "thucnews-2", "stock-1", "stock-2", "cluener-1", "cluener-2",
                "cfsc-1", "sogou-sohu-1", "sogou-tensite-1",
            ], ids
            assert zh[-1]["body"] == "示例正文，投资２０亿元。", "GBK decoded"
            all1 = run("--lang", "all", "--seed", "3", "--repeat-to", "25")
            all2 = run("--lang", "all", "--seed", "3", "--repeat-to", "25")
            assert all1 == all2, "same seed, same output"
            assert len(all1) == 25 and len({a["id"] for a in all1}) == 25
            assert all(list(a) == KEYS for a in all1)
            assert {a["lang"] for a in all1} == {"en", "zh"}
            # 13 distinct articles (4 en + 9 zh): 13 plain, 12 "#2".
            assert sum("#" not in a["id"] for a in all1) == 13
            assert sum(a["id"].endswith("#2") for a in all1) == 12
            assert [a["id"] for a in run("--lang", "en", "--limit", "1")] == ["reuters-7"]
            train = run("--lang", "all", "--split", "TRAIN", "--labels")
            assert [a["id"] for a in train] == ["reuters-7", "reuters-12"], train
            assert all(a["labels"]["split"] == "TRAIN" for a in train)
            test = run("--lang", "en", "--split", "TEST")
            assert [a["id"] for a in test] == ["reuters-11"] and "labels" not in test[0]
            report = sys.stderr.getvalue()
        finally:
            sys.stderr = stderr
        assert "reuters" in report and "sogou-tensite" in report, report


def test_real_corpus_counts():
    if not os.path.isdir(CORPUS):
        raise Skip("../shared/corpus absent")
    arts, counts = c2n.build(CORPUS, "all")
    # 21,578 <REUTERS> documents; 2,535 have no <BODY> (1,798 TYPE="BRIEF" headline-only,
    # 737 TYPE="UNPROC"), leaving the 19,043 that SOURCE.md states.
    expected = {
        "reuters": 19043,
        "thucnews": 1000,
        "cute_crawlers_stock": 614,
        "cluener2020": 1210,  # ceil(10,748/10) + ceil(1,343/10) = 1,075 + 135
        "cfsc": 214,  # ceil(1,067/10) * 2
        "sogou-sohu": 164,  # 200 docs, 36 with empty <content>
        "sogou-tensite": 166,  # 200 docs, 34 with empty <content>
    }
    assert counts == expected, counts
    assert len(arts) == sum(expected.values())
    assert len({a["id"] for a in arts}) == len(arts), "ids unique"
    by_id = {a["id"]: a for a in arts}
    # The one non-ASCII byte of the Reuters files (0xFC in reut2-017.sgm) is a U+FFFD.
    assert [a["id"] for a in arts if a["lang"] == "en" and "\ufffd" in a["body"]] == [
        "reuters-17980"
    ]
    assert by_id["reuters-1"]["title"] == "BAHIA COCOA REVIEW"
    assert by_id["reuters-1"]["published_at"] == "26-FEB-1987 15:01:01.79"
    assert by_id["reuters-1"]["labels"] == {"split": "TRAIN", "topics": ["cocoa"],
                                            "topics_complete": True}
    # The stories `wirescan rules eval` scores on document level: TRAIN, indexed for topics.
    en = [a for a in arts if a["lang"] == "en"]
    train = [a for a in en if a["labels"]["split"] == "TRAIN" and a["labels"]["topics_complete"]]
    assert len(train) == 8762, len(train)
    count = lambda t: sum(t in a["labels"]["topics"] for a in train)  # noqa: E731
    assert (count("earn"), count("acq"), count("trade")) == (2709, 1488, 337)
    splits = {}
    for a in en:
        splits[a["labels"]["split"]] = splits.get(a["labels"]["split"], 0) + 1
    assert splits == {"TRAIN": 12865, "TEST": 5458, "NOT-USED": 720}, splits
    for a in arts:
        body = a["body"]
        assert body and "&#" not in body and "&lt;" not in body, a["id"]
        assert not any(ch < " " and ch not in "\t\n" for ch in body), a["id"]


def main():
    tests = [(n, f) for n, f in sorted(globals().items()) if n.startswith("test_")]
    passed = failed = skipped = 0
    for name, fn in tests:
        try:
            fn()
        except Skip as e:
            skipped += 1
            print("skipped: %s (%s)" % (e, name))
        except Exception:  # report every check, not only the first failure
            failed += 1
            print("FAILED: %s" % name)
            traceback.print_exc(file=sys.stdout)
        else:
            passed += 1
            print("ok: %s" % name)
    line = "%d passed, %d failed" % (passed, failed)
    print(line + (", %d skipped" % skipped if skipped else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
