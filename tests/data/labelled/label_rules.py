"""The written labelling rules of README.md as a function: grade 3/2/1/0 per program for one screening.

Independent of matching/ (it never imports the scorer, its weights or needs.yaml); it reads only the engine's
statuses, estimates and the profile. Each rule cites DOMAIN.md; see README.md for the prose.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from eligibility.engine import Screening

# What the applicant says in its own words (the labeller's own list, written from the programs' 公募要領
# wording, not from matching/needs.yaml).
STATED = {
    "counterfeit_countermeasure": ["模倣品", "偽物", "偽造", "コピー商品", "海賊版"],
    "trademark_squatting_countermeasure": ["冒認", "先に出願", "先に登録", "勝手に登録", "勝手に出願"],
    "defensive_countermeasure": ["警告状", "訴えられ", "提訴", "侵害していると"],
    "ip_litigation_insurance": ["訴訟保険"],
    "foreign": ["海外出願", "外国出願", "海外へ出願", "海外に出願", "pct", "国際出願", "海外でも権利"],
    "ip_finance": ["融資", "銀行", "金融機関", "信用金庫"],
    "oi_model_contracts": ["契約書", "共同研究契約", "共同開発契約", "秘密保持", "nda", "ライセンス契約"],
    "ip_landscape_support": ["新規事業", "新しい用途", "用途", "連携先", "市場を探", "ランドスケープ"],
    # v2 (README "Rules v2"): what the v1 rules left to chance.
    "fee_reduction": ["審査請求料", "特許料", "減免", "軽減", "手数料を安く", "料金を安く"],
    "trade_secret": ["営業秘密", "ノウハウの管理", "持ち出", "技術流出", "情報漏えい", "情報漏洩"],
    "patent_search": ["特許調査", "先行技術調査", "先行調査", "侵害しないか", "抵触", "クリアランス"],
}
DISPUTE_KIND = {"counterfeit_countermeasure": "counterfeit", "trademark_squatting_countermeasure": "squatting",
                "defensive_countermeasure": "defense", "ip_litigation_insurance": "insurance"}
# Ties in grade: what the applicant does with an advisor or applies for first, fee reduction and reading last.
TIE_ORDER = ("kind", ["subsidy", "accelerated_examination", "expert_support", "consultation", "financing",
                      "fee_reduction", "contract_templates", "information"])
FOREIGN = ("foreign_filing_subsidy", "inpit_foreign_filing_subsidy")
# DOMAIN.md §7.4: 東京都's own 助成 (metro-funded) for disputes abroad, by the dispute's kind.
TOKYO_DISPUTE = {"tokyo_foreign_infringement_survey": "counterfeit", "tokyo_overseas_trademark": "squatting"}
MUNICIPAL = ("okazaki_ip_acquisition", "komaki_ip_acquisition")  # DOMAIN.md §7.4: need the 市区町村
LOCATION_FACTS = {"prefecture", "municipality"}


def _said(profile: Any, key: str) -> bool:
    text = unicodedata.normalize("NFKC", profile.description or "").lower()
    return any(w.lower() in text for w in STATED[key])


def grades(s: Screening) -> dict[str, int]:
    """Grade every program of a screening by the README's rules (ineligible → 0)."""
    p = s.profile
    live = {r.program_id: r for r in s.results if r.status != "ineligible"}
    interests = set(p.interests or ())
    g: dict[str, int] = dict.fromkeys((r.program_id for r in s.results), 0)

    def status_ok(pid: str) -> bool:
        """Eligible, or unknown only on who the applicant is (size, ownership), not on the need."""
        r = live.get(pid)
        return r is not None and (r.status == "eligible" or not set(r.missing_facts) & NEED_FACTS)

    def money(pid: str) -> int:
        r = live.get(pid)
        return r.estimate.amount_yen if r and r.estimate and r.estimate.amount_yen else 0

    def closed(pid: str) -> bool:
        r = live.get(pid)
        return r is not None and r.window is not None and r.window.status == "closed"

    def windowed(pid: str) -> bool:
        r = live.get(pid)
        return r is not None and r.window is not None

    def open_now(pid: str) -> bool:
        r = live.get(pid)
        return r is not None and (r.window is None or r.window.status in ("open", "closing_soon"))

    # Rule A (README §A): a concrete, actionable need, stated as an answer or in the description.
    first: dict[str, int] = {}
    planned = bool(p.foreign_filings and any(not f.already_filed for f in p.foreign_filings))
    if planned or (p.foreign_filings is None and _said(p, "foreign")):
        # DOMAIN.md §7.3: alternatives for the same case, one is the first step: the prefectural call where it
        # is open to the applicant (the shared case pub-01 keeps it in the top three), else INPIT's; v2: a call
        # whose window this fiscal year has closed is not the first step when the other one's has not (§7.1).
        candidates = [x for x in FOREIGN if x in live]
        primary = next((x for x in candidates if open_now(x)),
                       next((x for x in candidates if not closed(x)), candidates[0] if candidates else None))
        if primary:
            first[primary] = money(primary)
            for alt in FOREIGN:
                if alt != primary and alt in live:
                    g[alt] = 1
    if "tokyo_foreign_patent_filing" in live and status_ok("tokyo_foreign_patent_filing") and planned:
        first["tokyo_foreign_patent_filing"] = money("tokyo_foreign_patent_filing")  # v2: 東京都's own 助成, §7.4
    disputes = {d.kind for d in p.overseas_disputes or ()}
    for pid, kind in DISPUTE_KIND.items():
        stated = kind in disputes or (kind == "insurance" and p.litigation_insurance is not None)
        if pid in live and (stated or status_ok(pid) or _said(p, pid)):
            first[pid] = money(pid)
    for pid, kind in TOKYO_DISPUTE.items():  # v2: 東京都's 助成 for the same dispute (§7.4), by amount
        if pid in live and status_ok(pid) and kind in disputes:
            first[pid] = money(pid)
    if "patent_accelerated_exam_startup" in live and status_ok("patent_accelerated_exam_startup"):
        first["patent_accelerated_exam_startup"] = 0
    if "design_accelerated_exam_startup" in live and status_ok("design_accelerated_exam_startup"):
        first["design_accelerated_exam_startup"] = 0
    if p.applicant_type in ("vc", "accelerator", "ecosystem_builder") and "vc_ipas" in live:
        first["vc_ipas"] = 0  # DOMAIN.md §4: VC-IPAS, direct route
    if p.applicant_type in ("university", "research_institute"):
        if "overseas_rights_support_university" in live and planned:
            first["overseas_rights_support_university"] = 0
        elif "iaca" in live:
            first["iaca"] = 0
        if "inat" in live:
            g["inat"] = 2
    if p.applicant_type == "npo" and "i_open" in live:
        first["i_open"] = 0
    for pid in ("ip_finance", "oi_model_contracts", "ip_landscape_support"):
        if pid in live and _said(p, pid):
            first[pid] = 0
    # v2 (README "Rules v2"): what the applicant asks for by name and can act on.
    if "fee_reduction" in live and status_ok("fee_reduction") and (
            "fee_reduction" in interests or _said(p, "fee_reduction")):
        first["fee_reduction"] = 0  # 特許法施行令 第10条: claimed on the 審査請求 form (DOMAIN.md §3.4)
    if "ip_strategy_expert" in live and _said(p, "trade_secret"):
        first["ip_strategy_expert"] = 0  # its 営業秘密 specialist desk (catalog: 知財戦略エキスパート, 001:L2223-2255)
    if "tokyo_patent_search" in live and status_ok("tokyo_patent_search") and (
            p.patent_search_planned or _said(p, "patent_search")):
        first["tokyo_patent_search"] = money("tokyo_patent_search")
    for pid in (*MUNICIPAL, "inpit_foreign_filing_interim"):
        r = live.get(pid)
        if r is not None and r.status == "eligible":
            first[pid] = money(pid)  # the city's own call for the filing (§7.4); INPIT's 中間手続 for a pending one
    # v2: a call closed this fiscal year is not the first step when another concrete one is still open (§7.1;
    # issue 17: "a window open now ranks above a closed one").
    shut = [pid for pid in first if closed(pid)]
    if shut and len(shut) < len(first):
        for pid in shut:
            del first[pid]
            g[pid] = 2
    # v2: among calls with a window, one open now comes before one whose FY2026 edition is not confirmed or not
    # open yet (§7.1, §7.5: "not confirmed — never a silent open"); help without a window is not affected.
    later = [pid for pid in first if windowed(pid) and not open_now(pid)]
    if later and any(windowed(pid) and open_now(pid) for pid in first):
        for pid in later:
            del first[pid]
            g[pid] = 2
    # The largest amount first (README §A.2): ¥4,000,000 of defence before ¥200,000 of insurance.
    if first:
        top = max(first.values())
        for pid, m in first.items():
            g[pid] = 3 if m == top else 2

    # Rule B (README §B): no IP yet → the INPIT desk first, then strategy help (DOMAIN.md §4, 001:L1986-1990).
    no_ip = p.domestic_applications == [] and not p.foreign_filings and \
        p.patent_exam_status in (None, "none") and p.design_application in (None, "none")
    if no_ip and "ip_support_desk" in live:
        g["ip_support_desk"] = 3
        if "ip_strategy_expert" in live:
            g["ip_strategy_expert"] = max(g["ip_strategy_expert"], 2)

    # Rule C (README §C): expert support that fits the phase and what the applicant asked for.
    startup_help = {"mentoring", "ip_strategy", "financing"} & interests
    if "ipas" in live and s.phase.value in ("concept", "launch"):
        g["ipas"] = max(g["ipas"], 3 if startup_help and not first and not no_ip else 2 if startup_help else 1)
    if "ip_landscape_support" in live:
        wants = {"market_analysis", "partnership"} & interests
        g["ip_landscape_support"] = max(g["ip_landscape_support"],
                                        3 if wants and not first and not no_ip else 2 if wants
                                        else 1 if s.phase.value == "launch" else 0)
    if "ip_strategy_expert" in live:
        abroad = any(x in first for x in (*FOREIGN, "counterfeit_countermeasure", "trademark_squatting_countermeasure",
                                          "defensive_countermeasure", "ip_litigation_insurance"))
        g["ip_strategy_expert"] = max(g["ip_strategy_expert"],
                                      2 if abroad or {"ip_strategy", "overseas"} & interests else 1)
    if "ip_support_desk" in live:
        g["ip_support_desk"] = max(g["ip_support_desk"], 2 if not first or "consultation" in interests else 1)
    if "fee_reduction" in live:
        g["fee_reduction"] = max(g["fee_reduction"], 2 if status_ok("fee_reduction") else 1)
    if "ip_management_model_region" in live:
        g["ip_management_model_region"] = max(g["ip_management_model_region"],
                                              2 if {"mentoring", "partnership"} & interests else 1)

    # Rule D (README §D): what the applicant cannot act on, and generic help, is worth knowing only.
    for pid in ("pass_push_support", "ip_base"):
        if pid in live:
            g[pid] = max(g[pid], 1)
    if "vc_ipas" in live and p.applicant_type not in ("vc", "accelerator", "ecosystem_builder"):
        g["vc_ipas"] = 1  # the VC applies, not the startup (001:L725-760)
    if "ip_finance" in live and g["ip_finance"] < 3:
        g["ip_finance"] = 2 if "financing" in interests else 0
    if "oi_model_contracts" in live and g["oi_model_contracts"] < 3:
        g["oi_model_contracts"] = 2 if "partnership" in interests else 0
    if "i_open" in live and g["i_open"] == 0:
        g["i_open"] = 1
    # A need still unknown and not stated: worth asking about, not a first step (DOMAIN.md §6).
    for pid, r in live.items():
        if r.status == "needs_info" and set(r.missing_facts) & NEED_FACTS and pid not in first:
            g[pid] = min(g[pid], 1)
        # v2: a program for one municipality or prefecture the applicant did not name: worth asking (§7.4).
        if r.status == "needs_info" and set(r.missing_facts) & LOCATION_FACTS:
            g[pid] = min(g[pid], 1)
    return g


NEED_FACTS = {"foreign_filings", "overseas_disputes", "litigation_insurance", "patent_exam_status",
              "design_application", "domestic_applications", "vc_backed"}


def advisor_first(s: Screening, g: dict[str, int]) -> str | None:
    """The program an advisor names first: the highest grade, then the larger amount, then catalog order."""
    live = [r for r in s.results if r.status != "ineligible" and g.get(r.program_id, 0) > 0]
    if not live:
        return None
    return sorted(live, key=lambda r: tie_key(r, g))[0].program_id


def tie_key(r: Any, g: dict[str, int]) -> tuple[Any, ...]:
    """Higher grade, larger amount, eligible before needs_info, then TIE_ORDER of kinds."""
    kinds = TIE_ORDER[1]
    # v2: within consultations the INPIT desk first: it takes any question and refers to the strategy experts
    # (catalog ip_strategy_expert: 知財総合支援窓口からの紹介も可能; DOMAIN.md §4, 001:L1986-1990).
    return (-g.get(r.program_id, 0), -(r.estimate.amount_yen if r.estimate and r.estimate.amount_yen else 0),
            r.status != "eligible", kinds.index(r.program.kind) if r.program.kind in kinds else len(kinds),
            r.program_id != "ip_support_desk")
