"""Which of our programs a gBizINFO 補助金 title is, and its 公募年度 (DOMAIN.md §7.2).

A title maps only when it names the program without doubt; 「中小企業等海外展開支援事業費補助金」 alone covers
both the filing and the JETRO infringement programs, so it stays unmapped (listed as another subsidy).
The words are those of each program's official name (programs/catalog/<id>.yaml `names.ja`, the calls on
jGrants quoted in DOMAIN.md §7.4). gBizINFO lags and is incomplete: what it lists is shown as found, and
nothing is ever concluded from an award it does not list.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import NamedTuple

from eligibility.dates import fiscal_year


class TitleRule(NamedTuple):
    program_id: str
    words: tuple[str, ...]  # all must occur in the title (NFKC, no spaces)
    department: str | None = None  # must occur in government_departments (for a title several bodies use)


# First match wins: the specific rules come before the general ones.
RULES: tuple[TitleRule, ...] = (
    TitleRule("inpit_foreign_filing_interim", ("外国出願補助金", "中間")),
    TitleRule("inpit_foreign_filing_subsidy", ("外国出願補助金",)),
    TitleRule("foreign_filing_subsidy", ("海外展開支援事業費補助金", "海外出願")),
    TitleRule("foreign_filing_subsidy", ("海外出願支援",)),
    TitleRule("foreign_filing_subsidy", ("外国出願支援",)),  # the program's name until FY2016 (中小企業外国出願支援事業)
    TitleRule("counterfeit_countermeasure", ("模倣品対策",)),
    TitleRule("trademark_squatting_countermeasure", ("冒認商標",)),
    TitleRule("defensive_countermeasure", ("防衛型侵害対策",)),
    TitleRule("ip_litigation_insurance", ("知財訴訟", "保険")),
    TitleRule("overseas_rights_support_university", ("海外権利化支援",)),
    TitleRule("tokyo_foreign_infringement_survey", ("外国侵害調査費用助成",)),
    TitleRule("tokyo_patent_search", ("特許調査費用助成",)),
    TitleRule("tokyo_overseas_trademark", ("海外商標対策支援助成",)),
    TitleRule("tokyo_foreign_patent_filing", ("外国特許出願費用助成",)),
    TitleRule("okazaki_ip_acquisition", ("岡崎ものづくり支援補助金", "知的財産")),
    TitleRule("komaki_ip_acquisition", ("知的財産権取得事業費補助金",), department="小牧市"),
)


def _norm(text: str | None) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or ""))


def program_for(title: str | None, department: str | None = None) -> str | None:
    """The program id a subsidy title names, or None.

    >>> program_for("令和８年度 中小企業等海外展開支援事業費補助金（海外出願支援事業）")
    'foreign_filing_subsidy'
    >>> program_for("INPIT外国出願補助金"), program_for("中小企業等海外展開支援事業費補助金") is None
    ('inpit_foreign_filing_subsidy', True)
    >>> program_for("中小企業知的財産権取得事業費補助金", "小牧市"), program_for("中小企業知的財産権取得事業費補助金", "X市")
    ('komaki_ip_acquisition', None)
    """
    text, dept = _norm(title), _norm(department)
    for rule in RULES:
        if all(word in text for word in rule.words) and (rule.department is None or rule.department in dept):
            return rule.program_id
    return None


_REIWA = re.compile(r"(?:令和|R)(\d{1,2}|元)年度")
_HEISEI = re.compile(r"(?:平成|H)(\d{1,2}|元)年度")
_SEIREKI = re.compile(r"(20\d\d)年度")


def call_year(title: str | None, approved_on: dt.date | None) -> int | None:
    """The 公募年度: the 年度 the title names (令和8年度 → 2026), else the fiscal year of the approval date.

    A 交付決定 falls in its call's 年度 (calls open in spring; INPIT's March round of 令和8年度 decides in the
    new 年度), so the approval date's fiscal year is the fallback.

    >>> call_year("令和８年度INPIT外国出願補助金", dt.date(2026, 3, 30)), call_year("外国出願補助金", dt.date(2026, 3, 30))
    (2026, 2025)
    >>> call_year("平成30年度 中小企業知的財産活動支援事業", None), call_year("x", None)
    (2018, None)
    """
    text = _norm(title)
    if m := _REIWA.search(text):
        return 2018 + (1 if m[1] == "元" else int(m[1]))
    if m := _HEISEI.search(text):
        return 1988 + (1 if m[1] == "元" else int(m[1]))
    if m := _SEIREKI.search(text):
        return int(m[1])
    return fiscal_year(approved_on) if approved_on else None
