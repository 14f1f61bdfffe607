"""Generates the rule-labelled profiles (gen-*.yaml), re-labels every case by label_rules.py, and reports the
agreement with the previous hand labels. Run: .venv/bin/python tests/data/labelled/build.py"""

from __future__ import annotations

import random
import re
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parents[2]), str(HERE)]

import yaml  # noqa: E402
from label_rules import advisor_first, grades, tie_key  # noqa: E402

from eligibility.engine import Engine  # noqa: E402
from matching.evaluate import json_ready  # noqa: E402
from programs.loader import load_catalog  # noqa: E402

SEED = 17
N_GENERATED = 60
PREFS = ["北海道", "宮城県", "東京都", "神奈川県", "新潟県", "石川県", "静岡県", "愛知県", "大阪府", "兵庫県",
         "広島県", "福岡県", "熊本県", "青森県", "長野県"]
INDUSTRY_WORDS = {
    "manufacturing": ["精密部品", "食品機械", "金属加工", "化粧品", "木工家具"],
    "software": ["SaaS", "画像認識AI", "業務アプリ", "ゲーム"],
    "retail": ["和菓子店", "雑貨店", "アパレル"],
    "wholesale": ["日本茶の卸", "真珠の卸", "水産加工品の卸"],
    "services": ["デザイン事務所", "学習塾", "美容サロン"],
    "hotel": ["温泉旅館"],
}
# Each need: how the profile states it (structured facts) and the words of the description.
NEEDS: dict[str, dict[str, Any]] = {
    "foreign_filing": {"phase": "expansion", "interests": ["overseas"],
                       "text": "{what}の製品を{country}で売るので、{right_ja}を{country}にも出願したい。"},
    "foreign_text_only": {"phase": "expansion", "interests": ["overseas"],
                          "text": "{what}を{country}へ輸出し始めた。海外出願の費用の補助を受けたい。"},
    "counterfeit": {"phase": "expansion", "interests": ["enforcement", "overseas"],
                    "text": "{country}で当社{what}の偽物がECサイトで売られている。摘発したい。"},
    "counterfeit_text_only": {"phase": "expansion", "interests": ["overseas"],
                              "text": "{country}の展示会で当社{what}の模倣品を見つけた。どうすればよいか。"},
    "squatting": {"phase": "expansion", "interests": ["enforcement"],
                  "text": "{country}で当社のブランド名が第三者に先に出願されていた。取り消したい。"},
    "defense": {"phase": "expansion", "interests": ["enforcement", "overseas"],
                "text": "{country}の企業から特許侵害の警告状が届いた。反論の費用が心配。"},
    "insurance": {"phase": "expansion", "interests": ["overseas"],
                  "text": "{country}に進出するので、海外知財訴訟保険に入りたい。"},
    "insurance_and_defense": {"phase": "expansion", "interests": ["enforcement", "overseas"],
                              "text": "{country}で訴えられた。今後に備えて訴訟保険にも入りたい。"},
    "exam": {"phase": "concept", "interests": ["fast_examination"],
             "text": "{what}の特許を出願し審査請求した。資金調達の前に早く権利にしたい。"},
    "design": {"phase": "concept", "interests": ["fast_examination"],
               "text": "{what}の新製品の外観デザインを発売前に守りたい。"},
    "no_ip": {"phase": "concept", "interests": ["consultation"],
              "text": "{what}で起業した。知財のことは何もしておらず、何から始めればよいか分からない。"},
    "mentoring": {"phase": "concept", "interests": ["mentoring", "ip_strategy"],
                  "text": "{what}の事業と知財の戦略を専門家に一緒に考えてほしい。"},
    "landscape": {"phase": "launch", "interests": ["market_analysis", "partnership"],
                  "text": "{what}の技術を活かせる新しい用途と連携先を探したい。"},
    "finance": {"phase": "concept", "interests": ["financing"],
                "text": "取引のある信用金庫に当社の{what}の技術の強みを理解してもらい融資を受けたい。"},
    "contract": {"phase": "launch", "interests": ["partnership"],
                 "text": "大手企業と{what}の共同開発を始める。共同開発契約の書き方を知りたい。"},
    "fees": {"phase": "launch", "interests": ["fee_reduction"],
             "text": "{what}の特許の審査請求料と特許料を安くしたい。"},
}
COUNTRIES = ["中国", "米国", "タイ", "ベトナム", "台湾", "欧州", "韓国"]
# Second batch (v2 rules): the FY2026 programs of DOMAIN.md §7.4 — 東京都's 助成, the 岡崎市 / 小牧市 calls,
# INPIT's 中間手続 — and needs the first batch did not state (trade secrets). Its own seed: the first batch stays.
SEED_2026 = 29
N_2026 = 40
NEEDS_2026: dict[str, dict[str, Any]] = {
    "municipal_patent": {"phase": "launch", "interests": [],
                         "text": "新しい{what}の特許を出願して審査請求したい。費用の補助はないか。"},
    "tokyo_foreign": {"phase": "expansion", "interests": ["overseas"],
                      "text": "{what}の特許を{country}にも出願したい。"},
    "tokyo_search": {"phase": "launch", "interests": [],
                     "text": "新製品の{what}を出す前に、他社の特許を侵害しないか特許調査をしたい。"},
    "tokyo_counterfeit": {"phase": "expansion", "interests": ["enforcement", "overseas"],
                          "text": "{country}で当社{what}の模倣品が出回っている。現地で調査したい。"},
    "tokyo_squatting": {"phase": "expansion", "interests": ["enforcement"],
                        "text": "{country}で当社のブランドが先に商標登録されていた。取り消したい。"},
    "interim": {"phase": "expansion", "interests": ["overseas"],
                "text": "INPITの補助で{country}に出願した特許に拒絶理由が来た。応答の費用を補助してほしい。"},
    "trade_secret": {"phase": "expansion", "interests": ["ip_strategy"],
                     "text": "退職した技術者が{what}の製造データを持ち出した疑いがある。営業秘密の管理を整えたい。"},
    "aichi_no_city": {"phase": "launch", "interests": [],
                      "text": "{what}の特許を出願したい。"},
}


def profile_for(rng: random.Random, need: str, i: int) -> tuple[dict[str, Any], str]:
    young = need in ("exam", "design", "no_ip", "mentoring") or rng.random() < 0.3
    industry = rng.choice(list(INDUSTRY_WORDS))
    what = rng.choice(INDUSTRY_WORDS[industry])
    as_of = rng.choice(["2025-06-10", "2025-10-01", "2026-02-15", "2026-07-01", "2026-12-01"])
    year = int(as_of[:4])
    size = rng.choice([3, 8, 15, 40, 120, 250])
    prof: dict[str, Any] = {
        "as_of": as_of, "applicant_type": "corporation",
        "established_on": f"{year - rng.randint(1, 6) if young else year - rng.randint(12, 60)}-04-01",
        "employees": size, "capital_yen": rng.choice([3_000_000, 10_000_000, 30_000_000, 90_000_000]),
        "industry": industry, "large_company_shareholding": {"largest": 0, "combined": 0},
        "large_company_officer_ratio": 0, "wholly_owned_by_large_parent": False,
        "avg_taxable_income_yen": rng.choice([0, 5_000_000, 30_000_000]), "prefecture": rng.choice(PREFS),
    }
    spec = NEEDS[need]
    if rng.random() < 0.8:
        prof["phase"] = spec["phase"]
    prof["interests"] = list(spec["interests"])
    country = rng.choice(COUNTRIES)
    right = rng.choice(["patent", "design", "trademark"])
    right_ja = {"patent": "特許", "design": "意匠", "trademark": "商標"}[right]
    prof["domestic_applications"] = [right] if need != "no_ip" else []
    if need == "foreign_filing":
        prof["foreign_filings"] = [{"right": right, "cost_yen": rng.choice([400_000, 1_200_000, 3_000_000]),
                                    "already_filed": False}]
    elif need in ("counterfeit", "squatting", "defense", "insurance_and_defense"):
        kind = {"counterfeit": "counterfeit", "squatting": "squatting"}.get(need, "defense")
        prof["overseas_disputes"] = [{"kind": kind, "cost_yen": rng.choice([900_000, 3_000_000, 7_500_000]),
                                      "holds_local_right": True, "holds_jp_trademark": True}]
        prof["domestic_applications"] = ["trademark", right] if right != "trademark" else ["trademark"]
    if need in ("insurance", "insurance_and_defense"):
        prof["litigation_insurance"] = {"premium_yen": rng.choice([200_000, 400_000]), "renewal": False}
        prof["chamber_member"] = True
    if need == "exam":
        prof["domestic_applications"] = ["patent"]
        prof["patent_exam_status"] = rng.choice(["filed", "requested"])
    if need == "design":
        prof["design_application"] = "planned"
        prof["working_related"] = True
    if need == "fees":
        prof["domestic_applications"] = ["patent"]
        prof["patent_exam_status"] = "planned"
    if need in ("exam", "mentoring") and rng.random() < 0.4:
        prof["vc_backed"] = True
    if need == "no_ip":
        prof["foreign_filings"] = []
        prof["patent_exam_status"] = "none"
    if i % 7 == 3:  # now and then an applicant who does not answer the ownership questions
        prof.pop("large_company_shareholding")
    text = spec["text"].format(what=what, country=country, right_ja=right_ja)
    prof["description"] = f"{prof['prefecture']}の{what}の会社（従業員{size}人）。{text}"
    return prof, text


def profile_2026(rng: random.Random, need: str, i: int) -> tuple[dict[str, Any], str]:
    """A profile for one need of the second batch (DOMAIN.md §7.4 programs), with the first batch's shape."""
    prof, _ = profile_for(rng, "foreign_filing" if need == "tokyo_foreign" else "exam", i)
    for k in ("foreign_filings", "patent_exam_status", "vc_backed", "design_application", "working_related"):
        prof.pop(k, None)
    prof["as_of"] = rng.choice(["2026-05-10", "2026-07-01", "2026-09-15", "2026-12-03"])
    prof["established_on"] = f"{int(prof['as_of'][:4]) - rng.randint(3, 50)}-04-01"
    spec = NEEDS_2026[need]
    prof["phase"] = spec["phase"]
    prof["interests"] = list(spec["interests"])
    country = rng.choice(COUNTRIES)
    prof["domestic_applications"] = ["patent"]
    if need in ("municipal_patent", "aichi_no_city"):
        prof.update(prefecture="愛知県", industry="manufacturing")
        prof["patent_exam_status"] = rng.choice(["planned", "filed"])
        if need == "municipal_patent":
            prof["municipality"] = rng.choice(["岡崎市", "小牧市", "豊田市"])
            prof["local_site_6_months"] = True
    if need.startswith("tokyo_"):
        prof["prefecture"] = "東京都"
    if need == "tokyo_foreign":
        prof["foreign_filings"] = [{"right": "patent", "cost_yen": rng.choice([1_200_000, 3_000_000, 5_000_000]),
                                    "already_filed": False}]
    if need == "tokyo_search":
        prof["patent_search_planned"] = rng.random() < 0.5 or None
    if need in ("tokyo_counterfeit", "tokyo_squatting"):
        kind = "counterfeit" if need == "tokyo_counterfeit" else "squatting"
        prof["overseas_disputes"] = [{"kind": kind, "cost_yen": rng.choice([900_000, 3_000_000, 7_500_000]),
                                      "holds_local_right": True, "holds_jp_trademark": True}]
        prof["domestic_applications"] = ["trademark", "patent"]
    if need == "interim":
        prof["foreign_patent_grant_decided"] = True
        prof["foreign_procedure_pending"] = True
    if prof.get("patent_search_planned") is None:
        prof.pop("patent_search_planned", None)
    what = prof["description"].split("の")[1] if "の" in prof["description"] else "製品"
    text = spec["text"].format(what=what.split("の会社")[0], country=country)
    where = prof.get("municipality") or prof["prefecture"]
    prof["description"] = f"{where}の{what}（従業員{prof['employees']}人）。{text}"
    return prof, text


def generate(engine: Engine) -> None:
    rng = random.Random(SEED)
    needs = list(NEEDS)
    for old in HERE.glob("gen-*.yaml"):
        old.unlink()
    for i in range(N_GENERATED):
        need = needs[i % len(needs)]
        prof, text = profile_for(rng, need, i)
        body = {"id": f"gen-{i + 1:03d}", "title": f"[{need}] {text}", "generated": {"by": "build.py", "seed": SEED,
                "need": need}, "profile": prof}
        (HERE / f"gen-{i + 1:03d}.yaml").write_text(
            yaml.safe_dump(body, allow_unicode=True, sort_keys=False, width=120), encoding="utf-8")
    rng = random.Random(SEED_2026)
    needs = list(NEEDS_2026)
    for i in range(N_2026):
        need = needs[i % len(needs)]
        prof, text = profile_2026(rng, need, i)
        n = N_GENERATED + i + 1
        body = {"id": f"gen-{n:03d}", "title": f"[{need}] {text}", "generated": {"by": "build.py",
                "seed": SEED_2026, "need": need}, "profile": prof}
        (HERE / f"gen-{n:03d}.yaml").write_text(
            yaml.safe_dump(body, allow_unicode=True, sort_keys=False, width=120), encoding="utf-8")


LABEL_BLOCK = re.compile(r"\n# --- labels written by label_rules\.py.*\Z", re.S)


def relabel(engine: Engine) -> list[dict[str, Any]]:
    """Write grades / ideal_top3 / advisor_first into every case; return the comparison with old labels."""
    rows = []
    for path in sorted(HERE.glob("*.yaml")):
        raw = LABEL_BLOCK.sub("", path.read_text(encoding="utf-8")).rstrip("\n") + "\n"
        raw = re.sub(r"^ideal_top3:", "previous_ideal_top3:", raw, flags=re.M)
        d = yaml.safe_load(raw)
        s = engine.screen(json_ready(d["profile"]))
        g = grades(s)
        live = [r.program_id for r in s.results if r.status != "ineligible"]
        graded = {pid: g[pid] for pid in live}
        first = advisor_first(s, g)
        ranked = sorted((r for r in s.results if graded.get(r.program_id, 0) > 0), key=lambda r: tie_key(r, g))
        ideal = [r.program_id for r in ranked][:3]
        block = {"labelled_by": "label_rules.py (README.md)", "grades": graded, "advisor_first": first,
                 "ideal_top3": ideal}
        text = yaml.safe_dump(block, allow_unicode=True, sort_keys=False, width=120, default_flow_style=None)
        path.write_text(raw + "\n# --- labels written by label_rules.py (do not edit by hand; run build.py)\n"
                        + text, encoding="utf-8")
        if d.get("previous_ideal_top3"):
            rows.append({"id": d.get("id", path.stem), "old": d["previous_ideal_top3"], "new": ideal,
                         "first": first, "grades": graded})
    return rows


def agreement(rows: list[dict[str, Any]]) -> str:
    n = len(rows)
    first = sum(r["old"][0] == r["first"] for r in rows)
    first3 = sum(r["grades"].get(r["old"][0], 0) == 3 or r["old"][0] == r["first"] for r in rows)
    overlap = sum(len(set(r["old"][:3]) & set(r["new"])) for r in rows) / max(1, sum(len(r["old"][:3]) for r in rows))
    return (f"previous labels: {n} cases; same first program {first}/{n}; previous first graded 3 (or first) "
            f"{first3}/{n}; top-3 overlap {overlap:.0%}")


def main() -> int:
    engine = Engine(load_catalog())
    if "--no-generate" not in sys.argv:
        generate(engine)
    rows = relabel(engine)
    print(agreement(rows))
    for r in rows:
        if r["old"][0] != r["first"]:
            print(f"  {r['id']}: previous {r['old']} → rules {r['new']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
