#!/usr/bin/env python3
"""Generates the dense benchmark corpus: EN and ZH articles of the kind wirescan exists for.

    perf/dense_corpus.py [--lang en|zh|all] [--profile seed|sample] [--articles N] [--seed S]
                         -o OUT.ndjson

The Reuters-21578 and Chinese corpora the other benchmarks read are short stories with few
entities. The news our users buy wirescan for is semiconductor / AI supply-chain reporting: every
sentence names companies, places, technologies and figures. This script writes such articles from
sentence patterns of our own (nothing is copied from the seed articles or the samples; facts and
figures of the same kind recur), filled with names the shipped rule pack knows and with figures
drawn from a seeded random.Random, so the output is the same for the same arguments. Like a
news story, each article has a cast (five companies, four places, five technologies) that most
of its sentences name; the others are drawn from the whole lists.

Profiles (the density is mentions per KB of the NDJSON record, as `wirescan extract` reports):
  seed    (default) the seed articles' density: ~18 mentions and ~1.2 events per KB (the
          seeds: 10-17 mentions, 0.2-0.9 events per KB): dense sentences with sentences of
          context between them (what analysts said, what the market expects).
  sample  deploy/samples/articles.ndjson's density: ~32 mentions and ~2.9 events per KB (the
          samples: 30 and 2.6): dense sentences, one or two of context per paragraph.

Each article has a title, a lead, 3-7 paragraphs and a closing line; investment, capacity,
earnings, acquisition, funding, tariff, export-control and plant-opening sentences (the default
event types) are mixed in. --lang all interleaves EN and ZH (two EN for one ZH; ZH articles are
in simplified or traditional characters, one each in turn). Records have the keys of
tests/tools/corpus_to_ndjson.py: id, title, body, source, url, published_at, lang.
Standard library only.
"""

import argparse
import json
import random
import sys

# Names from rules/*.yaml (aliases the rule pack matches). English ones by their usual written
# form; Chinese ones in (simplified, traditional) pairs.
EN_ORGS = [
    "TSMC", "SMIC", "Hua Hong Semiconductor", "UMC", "GlobalFoundries", "Samsung Electronics",
    "SK hynix", "Micron Technology", "CXMT", "YMTC", "Kioxia", "Nanya Technology",
    "Winbond Electronics", "GigaDevice", "ASE Technology Holding", "Amkor Technology",
    "JCET Group", "Tongfu Microelectronics", "Powertech Technology", "King Yuan Electronics",
    "Nvidia", "AMD", "Broadcom", "Qualcomm", "MediaTek", "Marvell", "Huawei", "HiSilicon",
    "Cambricon", "Alibaba", "Tencent", "Baidu", "ASML", "Applied Materials", "Lam Research",
    "Tokyo Electron", "KLA", "Naura", "AMEC", "Unimicron", "Ibiden", "Foxconn", "Quanta",
    "Wistron", "Rapidus", "Tower Semiconductor", "Vanguard International Semiconductor",
    "Powerchip Semiconductor Manufacturing", "Nexchip", "Innotron Memory",
]
EN_PEOPLE = [
    ("Jensen Huang", "chief executive of Nvidia"), ("Lisa Su", "AMD's chief executive"),
    ("C.C. Wei", "TSMC's chairman"), ("Sanjay Mehrotra", "Micron's chief executive"),
    ("Kwak Noh-jung", "chief executive of SK hynix"), ("Zhao Haijun", "co-chief executive of SMIC"),
    ("Christophe Fouquet", "ASML's chief executive"), ("Rick Tsai", "MediaTek's chief executive"),
    ("Howard Lutnick", "the US commerce secretary"), ("Hock Tan", "Broadcom's chief executive"),
]
EN_PLACES = [
    "Shanghai", "Lin-gang Special Area", "Beijing", "Shenzhen", "Wuxi", "Suzhou", "Nanjing",
    "Hefei", "Wuhan", "Xi'an", "Chengdu", "Hsinchu", "Taichung", "Tainan", "Kaohsiung",
    "Kumamoto", "Hiroshima", "Arizona", "Texas", "Idaho", "New York", "Dresden", "Penang",
    "Singapore", "Malaysia", "Vietnam", "India", "Japan", "South Korea", "Taiwan", "China",
    "the United States", "Germany", "the Netherlands", "Pyeongtaek", "Icheon", "Yongin",
]
EN_TECH = [
    "advanced packaging", "CoWoS", "CoWoS-L", "SoIC", "InFO", "hybrid bonding",
    "through-silicon via", "fan-out wafer-level packaging", "chiplet", "2.5D packaging",
    "3D packaging", "silicon interposer", "HBM", "HBM3E", "HBM4", "DRAM", "DDR5", "LPDDR5",
    "NAND flash", "3D NAND", "EUV", "High-NA EUV", "gate-all-around", "backside power delivery",
    "co-packaged optics", "silicon photonics", "glass substrate", "ABF substrate", "CXL",
    "FC-BGA", "system-in-package", "XDFOI", "thermal compression bonding", "SSD",
]
ZH_ORGS = [
    ("台积电", "台積電"), ("中芯国际", "中芯國際"), ("华虹半导体", "華虹半導體"), ("联电", "聯電"),
    ("三星电子", "三星電子"), ("SK海力士", "SK海力士"), ("美光科技", "美光科技"),
    ("长鑫存储", "長鑫存儲"), ("长江存储", "長江存儲"), ("南亚科技", "南亞科技"),
    ("华邦电子", "華邦電子"), ("兆易创新", "兆易創新"), ("日月光投控", "日月光投控"),
    ("长电科技", "長電科技"), ("通富微电", "通富微電"), ("华天科技", "華天科技"),
    ("力成科技", "力成科技"), ("京元电子", "京元電子"), ("英伟达", "輝達"), ("华为", "華為"),
    ("寒武纪", "寒武紀"), ("阿里巴巴", "阿里巴巴"), ("腾讯", "騰訊"), ("百度", "百度"),
    ("北方华创", "北方華創"), ("中微公司", "中微公司"), ("欣兴电子", "欣興電子"),
    ("鸿海", "鴻海"), ("广达", "廣達"), ("联发科", "聯發科"), ("晶合集成", "晶合集成"),
    ("力积电", "力積電"),
]
ZH_PEOPLE = [
    ("黄仁勋", "黃仁勳", "英伟达首席执行官", "輝達執行長"),
    ("魏哲家", "魏哲家", "台积电董事长", "台積電董事長"),
    ("苏姿丰", "蘇姿丰", "AMD首席执行官", "AMD執行長"),
    ("赵海军", "趙海軍", "中芯国际联席首席执行官", "中芯國際聯席執行長"),
    ("蔡力行", "蔡力行", "联发科首席执行官", "聯發科執行長"),
]
ZH_PLACES = [
    ("上海", "上海"), ("临港新片区", "臨港新片區"), ("北京", "北京"), ("深圳", "深圳"),
    ("无锡", "無錫"), ("苏州", "蘇州"), ("南京", "南京"), ("合肥", "合肥"), ("武汉", "武漢"),
    ("西安", "西安"), ("成都", "成都"), ("新竹", "新竹"), ("台中", "台中"), ("台南", "台南"),
    ("高雄", "高雄"), ("熊本", "熊本"), ("日本", "日本"), ("韩国", "韓國"), ("美国", "美國"),
    ("马来西亚", "馬來西亞"), ("越南", "越南"), ("新加坡", "新加坡"), ("德国", "德國"),
]
ZH_TECH = [
    ("先进封装", "先進封裝"), ("CoWoS", "CoWoS"), ("混合键合", "混合鍵合"), ("硅通孔", "矽穿孔"),
    ("HBM", "HBM"), ("HBM3E", "HBM3E"), ("HBM4", "HBM4"), ("DRAM", "DRAM"), ("DDR5", "DDR5"),
    ("3D封装", "3D封裝"), ("2.5D封装", "2.5D封裝"), ("小芯片", "小晶片"), ("EUV", "EUV"),
    ("玻璃基板", "玻璃基板"), ("共封装光学", "共封裝光學"), ("硅光子", "矽光子"),
    ("扇出型晶圆级封装", "扇出型晶圓級封裝"), ("ABF载板", "ABF載板"), ("成熟制程", "成熟製程"),
]


# Share of the dense sentences that state an event (investment, earnings, ...); the rest name
# companies, places, technologies and figures without a trigger. The seeds state ~0.2-0.9
# events per KB, the samples ~2.6.
EVENT_SHARE = {"seed": 0.3, "sample": 0.5}


def draw(rng, cast, table, n):
    """N distinct entries: each from the article's cast (its few recurring names) with
    probability 0.85, else from the whole table, as a news story keeps naming its main
    companies, places and technologies."""
    out = []
    while len(out) < n:
        x = rng.choice(cast) if rng.random() < 0.85 else rng.choice(table)
        if x not in out:
            out.append(x)
    return out


class En:
    """English sentences. Each method returns one sentence; `dense` ones carry 3-8 mentions."""

    def __init__(self, rng, event_share):
        self.r = rng
        self.event_share = event_share  # share of dense sentences that state an event
        self.orgs_cast = rng.sample(EN_ORGS, 5)
        self.places_cast = rng.sample(EN_PLACES, 4)
        self.tech_cast = rng.sample(EN_TECH, 5)

    def org(self):
        return draw(self.r, self.orgs_cast, EN_ORGS, 1)[0]

    def orgs(self, n):
        return draw(self.r, self.orgs_cast, EN_ORGS, n)

    def place(self):
        return draw(self.r, self.places_cast, EN_PLACES, 1)[0]

    def tech(self):
        return draw(self.r, self.tech_cast, EN_TECH, 1)[0]

    def money(self):
        r = self.r
        kind = r.randrange(6)
        if kind == 0:
            return f"${r.randint(11, 990) / 10:.1f} billion"
        if kind == 1:
            return f"${r.randint(120, 950)} million"
        if kind == 2:
            return f"{r.randint(12, 480) / 10:.1f} billion yuan"
        if kind == 3:
            return f"US${r.randint(105, 880) / 100:.2f} billion"
        if kind == 4:
            return f"NT${r.randint(20, 900)} billion"
        return f"{r.randint(100, 999)} billion won"

    def pct(self):
        r = self.r
        if r.randrange(3) == 0:
            return f"{r.randint(3, 95)} percent"
        return f"{r.randint(10, 990) / 10:.1f}%"

    def wafers(self):
        return f"{self.r.choice([10, 15, 20, 25, 30, 40, 50, 60, 80, 100])},000 wafers per month"

    def when(self):
        r = self.r
        return r.choice([f"the second half of {r.randint(2025, 2028)}",
                         f"the first quarter of {r.randint(2025, 2028)}",
                         f"{r.choice(['early ', 'mid-', 'late '])}{r.randint(2025, 2028)}",
                         f"{r.choice(['March', 'June', 'September', 'November'])} {r.randint(2025, 2028)}"])

    def title(self):
        r = self.r
        a, b = self.orgs(2)
        return r.choice([
            f"{a} to invest {self.money()} in {self.place()} {self.tech()} plant",
            f"{a} lifts {self.tech()} capacity to {self.wafers()} as {b} orders grow",
            f"{a} revenue rises {self.pct()} on {self.tech()} demand",
            f"{a} agrees to acquire {b} for {self.money()}",
            f"{a} opens {self.place()} fab; {b} weighs {self.tech()} expansion",
        ])

    def cast(self):
        """Three companies, two technologies, two places and a person with their role."""
        r = self.r
        a, b, c = self.orgs(3)
        t1, t2 = draw(r, self.tech_cast, EN_TECH, 2)
        p1, p2 = draw(r, self.places_cast, EN_PLACES, 2)
        person, role = r.choice(EN_PEOPLE)
        return a, b, c, t1, t2, p1, p2, person, role

    def plain(self):
        """Dense sentences without an event trigger: names, places and figures only."""
        r = self.r
        a, b, c, t1, t2, p1, p2, person, role = self.cast()
        return r.choice([
            f"{a} counts {b} and {c} among its {t1} customers in {p1}.",
            f"Engineers from {a} and {b} have worked on {t1} and {t2} in {p1} since {self.when()}.",
            f"{person}, {role}, visited {p1} and {p2} this week to meet {a} and {b}.",
            f"{a} competes with {b} in {t1}, where it holds about {self.pct()} of the market.",
            f"The {p1} line uses {t1} from {a} and {t2} tools from {b}.",
            f"{a} and {b} are the only suppliers of {t1} qualified by {c} so far.",
            f"{b} moved part of its {t1} work from {p1} to {p2} in {self.when()}.",
            f"Prices of {t1} have climbed {self.pct()} since {self.when()}, according to {a}.",
        ])

    def dense(self):
        r = self.r
        if r.random() < self.event_share:
            return self.event()
        return self.plain()

    def event(self):
        r = self.r
        a, b, c, t1, t2, p1, p2, person, role = self.cast()
        return r.choice([
            f"{a} said it would invest {self.money()} in a {t1} plant in {p1}, with volume "
            f"production due in {self.when()}.",
            f"The {p1} site is expected to reach {self.wafers()} of {t1} output by {self.when()}, "
            f"up from about {r.randint(5, 40)},000 today.",
            f"{a} reported quarterly revenue of {self.money()}, up {self.pct()} from a year "
            f"earlier, while net profit rose {self.pct()} to {self.money()}.",
            f"Sales of {t1} products made up {self.pct()} of {a}'s revenue in the quarter, against "
            f"{self.pct()} a year before.",
            f"{a} agreed to acquire {b} for {self.money()} in cash, a deal that gives it {t1} lines "
            f"in {p1} and {p2}.",
            f"{b} raised {self.money()} in a Series {r.choice('BCDE')} funding round led by {a} "
            f"and {c}, valuing it at {self.money()}.",
            f"{person}, {role}, told investors in {p1} that {t1} and {t2} capacity would remain "
            f"short until {self.when()}.",
            f"{a} opened its {p1} plant on {r.choice(['Monday', 'Tuesday', 'Wednesday', 'Thursday'])}; "
            f"the {self.money()} facility will package {t1} for {b} and {c}.",
            f"Washington's export controls on {t1} and {t2} tools have cut {a}'s shipments to "
            f"{p1} by {self.pct()}, the company said.",
            f"A {self.pct()} tariff on chips made in {p1} would raise {b}'s costs by {self.money()} "
            f"a year, analysts at {c} estimated.",
            f"{a} plans to spend {self.money()} on {t1} equipment in {self.when()}, about "
            f"{self.pct()} more than it spent last year.",
            f"{a}, {b} and {c} together hold roughly {self.pct()} of the world's {t1} capacity, "
            f"most of it in {p1} and {p2}.",
            f"Its shares rose {self.pct()} in {p1} after {a} lifted its {t1} capacity target to "
            f"{self.wafers()}.",
            f"{a} will supply {t1} to {b} for its {t2} accelerators, with shipments starting in "
            f"{self.when()}.",
        ])

    def context(self, k):
        return self.r.sample([
            "Analysts said the schedule leaves little room for delays in equipment delivery.",
            "The company did not say how much of the spending would come from government grants.",
            "People familiar with the matter said talks had been under way for several months.",
            "Industry executives expect the shortage to ease only when the new lines are running.",
            "The announcement came a day before the company's annual shareholder meeting.",
            "Customers have been asked to sign longer supply agreements in exchange for priority.",
            "Local officials have promised land, power and water at below-market prices.",
            "Some investors worry that the new capacity will arrive just as demand cools.",
            "The plan still needs approval from regulators, which is expected within weeks.",
            "Engineers hired from rival firms will run the first production lines.",
            "Most of the equipment has already been ordered, according to a supplier.",
            "A spokesperson declined to comment on pricing or on the names of customers.",
        ], k)

    def paragraph(self, profile):
        r = self.r
        if profile == "seed":
            out = [self.dense() for _ in range(r.randint(1, 3))]
            contexts = self.context(r.randint(3, 5))
        else:
            out = [self.dense() for _ in range(r.randint(2, 3))]
            contexts = self.context(1)
        for c in contexts:
            out.insert(r.randint(0, len(out)), c)
        return " ".join(out)


class Zh:
    """Chinese sentences, in simplified (t=0) or traditional (t=1) characters."""

    def __init__(self, rng, t, event_share):
        self.r = rng
        self.t = t
        self.event_share = event_share
        self.orgs_cast = rng.sample(ZH_ORGS, 5)
        self.places_cast = rng.sample(ZH_PLACES, 4)
        self.tech_cast = rng.sample(ZH_TECH, 5)

    def pick(self, table):
        return self.r.choice(table)[self.t]

    def orgs(self, n):
        return [o[self.t] for o in draw(self.r, self.orgs_cast, ZH_ORGS, n)]

    def place(self):
        return draw(self.r, self.places_cast, ZH_PLACES, 1)[0][self.t]

    def tech(self):
        return draw(self.r, self.tech_cast, ZH_TECH, 1)[0][self.t]

    def money(self):
        r = self.r
        kind = r.randrange(4)
        if kind == 0:
            return f"{r.randint(12, 980)}亿元" if self.t == 0 else f"{r.randint(12, 980)}億元"
        if kind == 1:
            return f"{r.randint(11, 99) / 10:.1f}亿美元" if self.t == 0 else f"{r.randint(11, 99) / 10:.1f}億美元"
        if kind == 2:
            return f"新台币{r.randint(20, 900)}亿元" if self.t == 0 else f"新台幣{r.randint(20, 900)}億元"
        return f"{r.randint(2, 60)}亿美元" if self.t == 0 else f"{r.randint(2, 60)}億美元"

    def pct(self):
        return f"{self.r.randint(10, 990) / 10:.1f}%"

    def wafers(self):
        n = self.r.choice([1, 2, 3, 4, 5, 6, 8])
        return f"每月{n}万片" if self.t == 0 else f"每月{n}萬片"

    def when(self):
        r = self.r
        return f"{r.randint(2025, 2028)}年{r.choice(['第一季度', '第二季度', '下半年', '上半年', '年底'])}"

    def title(self):
        r = self.r
        a, b = self.orgs(2)
        s = [
            (f"{a}拟投资{self.money()}在{self.place()}建设{self.tech()}工厂",
             f"{a}擬投資{self.money()}在{self.place()}興建{self.tech()}新廠"),
            (f"{a}{self.tech()}产能提升至{self.wafers()}",
             f"{a}{self.tech()}產能擴至{self.wafers()}"),
            (f"{a}营收同比增长{self.pct()}", f"{a}營收年增{self.pct()}"),
            (f"{a}收购{b} 交易金额{self.money()}", f"{a}收購{b} 交易金額{self.money()}"),
        ]
        return r.choice(s)[self.t]

    def cast(self):
        """Three companies, two technologies, two places and a person with their role, in the
        article's script."""
        r = self.r
        a, b, c = self.orgs(3)
        t1, t2 = (t[self.t] for t in draw(r, self.tech_cast, ZH_TECH, 2))
        p1, p2 = (p[self.t] for p in draw(r, self.places_cast, ZH_PLACES, 2))
        person = r.choice(ZH_PEOPLE)
        return a, b, c, t1, t2, p1, p2, person[self.t], person[2 + self.t]

    def plain(self):
        """Dense sentences without an event trigger."""
        r = self.r
        a, b, c, t1, t2, p1, p2, name, role = self.cast()
        s = [
            (f"{a}的{t1}客户包括{b}和{c}，主要分布在{p1}。",
             f"{a}的{t1}客戶包括{b}與{c}，主要位於{p1}。"),
            (f"{role}{name}本周走访{p1}和{p2}，与{a}、{b}高层会面。",
             f"{role}{name}本週走訪{p1}與{p2}，與{a}、{b}高層會面。"),
            (f"{a}在{t1}领域与{b}竞争，市场份额约{self.pct()}。",
             f"{a}在{t1}領域與{b}競爭，市占率約{self.pct()}。"),
            (f"{p1}产线采用{a}的{t1}和{b}的{t2}设备。",
             f"{p1}產線採用{a}的{t1}與{b}的{t2}設備。"),
            (f"目前通过{c}认证的{t1}供应商只有{a}和{b}两家。",
             f"目前通過{c}認證的{t1}供應商僅有{a}與{b}兩家。"),
            (f"据{a}统计，{t1}价格自{self.when()}以来上涨{self.pct()}。",
             f"據{a}統計，{t1}價格自{self.when()}以來上漲{self.pct()}。"),
        ]
        return r.choice(s)[self.t]

    def dense(self):
        if self.r.random() < self.event_share:
            return self.event()
        return self.plain()

    def event(self):
        r = self.r
        a, b, c, t1, t2, p1, p2, name, role = self.cast()
        s = [
            (f"{a}公告称，公司拟在{p1}投资{self.money()}建设{t1}生产基地，预计{self.when()}投产。",
             f"{a}公告指出，公司將在{p1}投入{self.money()}興建{t1}產線，預計{self.when()}量產。"),
            (f"{p1}新厂达产后{t1}产能可达{self.wafers()}，较目前提升{self.pct()}。",
             f"{p1}新廠滿載後{t1}產能可達{self.wafers()}，較目前提高{self.pct()}。"),
            (f"{a}第三季度营收{self.money()}，同比增长{self.pct()}；净利润{self.money()}，同比增长{self.pct()}。",
             f"{a}第三季營收{self.money()}，年增{self.pct()}；淨利{self.money()}，年增{self.pct()}。"),
            (f"{a}宣布以{self.money()}收购{b}，将获得其在{p1}和{p2}的{t1}产线。",
             f"{a}宣布以{self.money()}收購{b}，取得其在{p1}與{p2}的{t1}產線。"),
            (f"{b}完成{self.money()}融资，由{a}和{c}领投，资金将用于{t1}研发。",
             f"{b}完成{self.money()}融資，由{a}與{c}領投，資金將投入{t1}研發。"),
            (f"{role}{name}表示，{t1}与{t2}的产能在{self.when()}之前仍将供不应求。",
             f"{role}{name}表示，{t1}與{t2}產能在{self.when()}前仍將供不應求。"),
            (f"美国扩大对{t1}设备的出口管制后，{a}对{p1}客户的出货量下降{self.pct()}。",
             f"美國擴大對{t1}設備的出口管制後，{a}對{p1}客戶的出貨量減少{self.pct()}。"),
            (f"若美国对{p1}产芯片加征{self.pct()}关税，{b}每年成本将增加{self.money()}。",
             f"若美國對{p1}製晶片加徵{self.pct()}關稅，{b}每年成本將增加{self.money()}。"),
            (f"{a}、{b}与{c}合计占全球{t1}产能约{self.pct()}，主要集中在{p1}和{p2}。",
             f"{a}、{b}與{c}合計占全球{t1}產能約{self.pct()}，主要集中於{p1}與{p2}。"),
            (f"{a}将为{b}供应{t1}，用于其{t2}产品，预计{self.when()}开始出货。",
             f"{a}將為{b}供應{t1}，用於其{t2}產品，預計{self.when()}開始出貨。"),
            (f"受{t1}需求带动，{a}股价上涨{self.pct()}，市值突破{self.money()}。",
             f"受{t1}需求帶動，{a}股價上漲{self.pct()}，市值突破{self.money()}。"),
        ]
        return r.choice(s)[self.t]

    def context(self, k):
        s = [
            ("分析人士认为，设备交付进度将决定新产线能否如期投产。",
             "法人認為，設備交期將決定新產線能否如期量產。"),
            ("公司未透露政府补贴在投资总额中所占比例。", "公司並未說明政府補助占投資總額的比重。"),
            ("知情人士称，双方的谈判已持续数月。", "知情人士指出，雙方已洽談數月。"),
            ("业内人士预计，供应紧张的局面短期内难以缓解。", "業界預期，供應吃緊的情況短期內難以紓解。"),
            ("部分投资者担心，新增产能释放时需求可能已经放缓。", "部分投資人擔心，新產能開出時需求恐已降溫。"),
            ("公司发言人拒绝就价格和客户名单置评。", "公司發言人不評論價格與客戶名單。"),
            ("当地政府承诺在土地、电力和用水方面给予优惠。", "地方政府承諾提供土地、電力與用水優惠。"),
            ("该计划仍需监管部门批准，预计数周内有结果。", "該計畫仍須主管機關核准，預計數週內定案。"),
            ("大部分设备已经下单，一家供应商透露。", "多數設備已下單，一家供應商透露。"),
            ("首批产线将由从同业挖来的工程师负责运营。", "首批產線將由自同業延攬的工程師負責。"),
            ("客户被要求签订更长期的供货协议以换取优先供应。", "客戶被要求簽署更長期的供貨合約以換取優先出貨。"),
            ("消息公布前一天，公司刚刚召开年度股东大会。", "消息公布前一天，公司才剛召開年度股東會。"),
        ]
        return [c[self.t] for c in self.r.sample(s, k)]

    def paragraph(self, profile):
        r = self.r
        if profile == "seed":
            out = [self.dense() for _ in range(r.randint(1, 2))]
            contexts = self.context(r.randint(3, 5))
        else:
            out = [self.dense() for _ in range(r.randint(2, 3))]
            contexts = self.context(r.randint(1, 2))
        for c in contexts:
            out.insert(r.randint(0, len(out)), c)
        return "".join(out)


def article(rng, lang, variant, profile, n):
    if lang == "en":
        w = En(rng, EVENT_SHARE[profile])
        sep, tag, source = "\n\n", "en", "wirescan-dense"
    else:
        w = Zh(rng, variant, EVENT_SHARE[profile])
        sep, tag, source = "\n\n", "zh-hant" if variant else "zh-hans", "wirescan-dense"
    title = w.title()
    body = sep.join(w.paragraph(profile) for _ in range(rng.randint(3, 7)))
    day = 1 + n % 28
    return {"id": f"dense-{profile}-{tag}-{n}", "title": title, "body": body, "source": source,
            "url": f"https://dense.wirescan.invalid/{tag}/{n}",
            "published_at": f"2025-{1 + n % 12:02d}-{day:02d}T08:00:00+08:00", "lang": lang}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lang", choices=["en", "zh", "all"], default="all")
    ap.add_argument("--profile", choices=["seed", "sample"], default="seed")
    ap.add_argument("--articles", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("-o", "--output", required=True)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    zh_variant = 0
    with open(args.output, "w", encoding="utf-8") as out:
        for n in range(args.articles):
            if args.lang == "all":
                lang = "zh" if n % 3 == 2 else "en"
            else:
                lang = args.lang
            variant = 0
            if lang == "zh":
                variant = zh_variant
                zh_variant ^= 1
            out.write(json.dumps(article(rng, lang, variant, args.profile, n),
                                 ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
