#!/usr/bin/env python3
"""Sanity checks for the wirescan entity gazetteer (rules/*.yaml `entities:` sections).

Usage: python3 rules/tools/check_gazetteer.py [rules_dir]

Checks: YAML parses; only RuleFile / EntityRule keys; ids unique and well formed with a
type-matching prefix; aliases globally unique (case-insensitively unless the alias is
case-sensitive: case: sensitive, or case auto with an all-capitals/digits alias); no
1-character aliases; attribute values are strings. Prints counts per type and Chinese
coverage of ORG entities. Exits non-zero on any error.
"""
import glob
import os
import re
import sys
from collections import Counter, defaultdict

import yaml

RULEFILE_KEYS = {"entities", "patterns", "figures", "events", "examples"}
ENTITY_KEYS = {"id", "type", "canonical", "aliases", "case", "attributes", "word_boundary"}
TYPES = {"ORG": "org.", "PLACE": "place.", "TECH": "tech.", "PERSON": "person.", "PRODUCT": "product."}
CASES = {"auto", "sensitive", "insensitive"}
ID_RE = re.compile(r"^[a-z0-9_.-]+$")
CJK_RE = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")

# Characters whose Traditional and Simplified forms differ (a small sample, enough to
# tell which script an alias is written in when it contains one of them).
TRAD = set("達爾塊膠盤態閃碟烏國說電體導體際術環島發產聯製華東長開銀與會從對農學實廣門兩嚴鐵龍區視達積葉圖應網資經濟專業務價標無線備進數變結構軟議員團處點區當歐興龜縣優勝碼擴導灣協協飛紀聖測試將樂機計設畫貿創雲儀盟鴻碩緯聯穎譜儲壓鍵場圓億萬書試統組織寶蘭馬韓亞義蘇張黃劉陳鄭趙錢孫楊廠園觀遠頻寬記憶讀號顯盤監總檢礦氣燈運輸購銷戶費財徵權視語線證麥麗歷")
SIMP = set("圆达尔块胶盘态闪硬阿乌国说电体导际术环岛发产联制华东长开银与会从对农学实广门两严铁龙区视达积叶图应网资经济专业务价标无线备进数变结构软议员团处点当欧兴龟县优胜码扩湾协飞纪圣测试将乐机计设画贸创云仪盟鸿硕纬颖谱储压键场亿万书统组织宝兰马韩亚义苏张黄刘陈郑赵钱孙杨厂园观远频宽记忆读号显盘监总检矿气灯运输购销户费财征权语证麦丽历")


def is_upper_alias(a):
    """Engine's LooksLikeAcronym: no ASCII lower-case letter and at least one A-Z."""
    return any("A" <= c <= "Z" for c in a) and not any("a" <= c <= "z" for c in a)


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..")
    files = sorted(glob.glob(os.path.join(root, "*.yaml")))
    errors = []
    ids = {}
    by_lower = defaultdict(list)  # lower(alias) -> [(alias, sensitive, entity id, file)]
    types = Counter()
    org_zh = org_zh_both = org_total = 0
    for path in files:
        name = os.path.basename(path)
        with open(path, encoding="utf-8") as f:
            try:
                doc = yaml.safe_load(f)
            except yaml.YAMLError as e:
                errors.append(f"{name}: YAML error: {e}")
                continue
        if doc is None:
            continue
        if not isinstance(doc, dict):
            errors.append(f"{name}: top level is not a mapping")
            continue
        for k in doc:
            if k not in RULEFILE_KEYS:
                errors.append(f"{name}: unknown top-level key {k!r}")
        for i, e in enumerate(doc.get("entities") or []):
            where = f"{name}: entity #{i}"
            if not isinstance(e, dict):
                errors.append(f"{where}: not a mapping")
                continue
            for k in e:
                if k not in ENTITY_KEYS:
                    errors.append(f"{where} {e.get('id')}: unknown key {k!r}")
            eid, typ, canon = e.get("id"), e.get("type"), e.get("canonical")
            aliases = e.get("aliases") or []
            case = e.get("case", "auto")
            where = f"{name}: {eid}"
            if not isinstance(eid, str) or not ID_RE.match(eid):
                errors.append(f"{where}: bad id")
            elif eid in ids:
                errors.append(f"{where}: duplicate id (also in {ids[eid]})")
            else:
                ids[eid] = name
            if typ not in TYPES:
                errors.append(f"{where}: bad type {typ!r}")
            elif isinstance(eid, str) and not eid.startswith(TYPES[typ]):
                errors.append(f"{where}: id prefix does not match type {typ}")
            if not isinstance(canon, str) or not canon:
                errors.append(f"{where}: canonical missing")
            if case not in CASES:
                errors.append(f"{where}: bad case {case!r}")
            if "word_boundary" in e and not isinstance(e["word_boundary"], bool):
                errors.append(f"{where}: word_boundary not a bool")
            attrs = e.get("attributes") or {}
            if not isinstance(attrs, dict):
                errors.append(f"{where}: attributes not a mapping")
                attrs = {}
            for k, v in attrs.items():
                if not isinstance(k, str) or not isinstance(v, str):
                    errors.append(f"{where}: attribute {k!r}: {v!r} is not a string (quote it)")
            if not aliases:
                errors.append(f"{where}: no aliases")
            types[typ] += 1
            for a in aliases:
                if not isinstance(a, str):
                    errors.append(f"{where}: alias {a!r} is not a string")
                    continue
                if a != a.strip() or not a:
                    errors.append(f"{where}: alias {a!r} has surrounding blanks")
                if len(a) < 2:
                    errors.append(f"{where}: 1-character alias {a!r}")
                # Same rule as the engine (engine/rules/rule_pack.cc): two aliases collide when
                # one can match the other's text, including within one entity.
                sensitive = case == "sensitive" or (case == "auto" and is_upper_alias(a))
                if not any(c.isascii() and c.isalpha() for c in a):
                    sensitive = True
                for other, osens, oid, ofile in by_lower[a.lower()]:
                    if not osens or not sensitive or other == a:
                        errors.append(f"{where}: alias {a!r} clashes with {other!r} of "
                                      f"{'this entity' if oid == eid else oid} ({ofile})")
                        break
                by_lower[a.lower()].append((a, sensitive, eid, name))
            if typ == "ORG":
                org_total += 1
                zh = [a for a in aliases if isinstance(a, str) and CJK_RE.search(a)]
                if zh:
                    org_zh += 1
                    has_t = any(TRAD & set(a) for a in zh)
                    has_s = any(SIMP & set(a) for a in zh)
                    neutral = all(not (TRAD & set(a)) and not (SIMP & set(a)) for a in zh)
                    if (has_t and has_s) or neutral:
                        org_zh_both += 1
    for e in errors:
        print("ERROR", e)
    print("files:", ", ".join(os.path.basename(f) for f in files))
    for t, n in sorted(types.items()):
        print(f"{t}: {n}")
    print(f"ORG with a Chinese alias: {org_zh}/{org_total}; with both scripts (or script-neutral): {org_zh_both}")
    print("aliases:", sum(len(v) for v in by_lower.values()))
    if errors:
        print(f"{len(errors)} error(s)")
        return 1
    if org_total < 320:
        print(f"note: only {org_total} ORG entities (< 320)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
