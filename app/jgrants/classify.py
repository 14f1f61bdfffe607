"""Place a jGrants call by its title: program id, area, 公募年度 and round name (pure, no I/O).

The title patterns come from DOMAIN.md 7.1 and 7.4: every prefecture's 海外出願 round is
「【<県/機関>】令和８年度_中小企業等海外展開支援事業費補助金（海外出願支援事業）…」, INPIT's are
「INPIT外国出願補助金…」 (「中間手続補助」 is the separate interim program), Tokyo's 知的財産総合センター
posts its 助成事業 under their own names, and the municipal programs carry the city's name.

A title is `Placed`, `Unplaced` (about IP, but no known program and area fit: a human decides) or
`Unrelated` (a keyword matched something that is not an IP program, e.g. 「海外展開」 of a trade fair).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from app.jgrants.places import MUNICIPALITIES, PREFECTURE_EN, Operator, operator_in, prefectures_in

NATIONAL = "全国"
TOKYO = "東京都"

# A title that names one of these is about IP: unknown ones become drafts, the others are ignored.
IP_TERMS = ("知財", "知的財産", "特許", "実用新案", "意匠", "商標", "出願", "侵害", "模倣", "冒認", "INPIT",
            "ブランド保護")


@dataclass(frozen=True)
class Placed:
    program_id: str
    area: str  # 全国, an official prefecture name, or 「愛知県岡崎市」
    fiscal_year: int  # 公募年度
    round_ja: str  # e.g. 令和8年度 2次募集
    round_en: str  # e.g. FY2026 2nd call
    operator: Operator | None  # who the title names, when it names one


@dataclass(frozen=True)
class Unplaced:
    reason_ja: str
    reason_en: str


@dataclass(frozen=True)
class Unrelated:
    pass


Placement = Placed | Unplaced | Unrelated

_KANJI_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}


def normalize(text: str) -> str:
    """NFKC (全角 digits and letters to ASCII, 「（」 to 「(」) and no spaces.

    >>> normalize("【岐阜県・２次募集】令和８年度 ＩＮＰＩＴ")
    '【岐阜県・2次募集】令和8年度INPIT'
    """
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or ""))


def fiscal_year(text: str) -> int | None:
    """The 公募年度 a title names: 令和N年度 (令和元年度 = 2019) or 20NN年度.

    >>> fiscal_year("【令和８年度】INPIT外国出願補助金"), fiscal_year("令和元年度"), fiscal_year("2027年度 募集")
    (2026, 2019, 2027)
    >>> fiscal_year("外国侵害調査費用助成事業") is None
    True
    """
    t = normalize(text)
    m = re.search(r"(?:令和|R)(元|\d{1,2})年度", t)
    if m:
        return 2018 + (1 if m.group(1) == "元" else int(m.group(1)))
    m = re.search(r"(20\d\d)年度", t)
    return int(m.group(1)) if m else None


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def round_marker(text: str) -> tuple[str, str] | None:
    """The round a title names: 「2次募集」「二次募集」「第3回」「追加募集」 → (ja, en).

    >>> round_marker("_二次募集"), round_marker("【岐阜県・２次募集】"), round_marker("第3回")
    (('2次募集', '2nd call'), ('2次募集', '2nd call'), ('第3回', '3rd call'))
    """
    t = normalize(text)
    m = re.search(r"(?:第)?([0-9]+|[一二三四五六七八九十])次(?:募集|公募)?", t)
    if m:
        n = int(m.group(1)) if m.group(1).isdigit() else _KANJI_DIGITS[m.group(1)]
        return f"{n}次募集", f"{_ordinal(n)} call"
    m = re.search(r"第([0-9]+|[一二三四五六七八九十])回", t)
    if m:
        n = int(m.group(1)) if m.group(1).isdigit() else _KANJI_DIGITS[m.group(1)]
        return f"第{n}回", f"{_ordinal(n)} call"
    if "追加募集" in t or "追加公募" in t:
        return "追加募集", "additional call"
    return None


def round_names(year: int, marker: tuple[str, str] | None) -> tuple[str, str]:
    """「令和8年度 2次募集」 / "FY2026 2nd call" (the year alone when no round is named)."""
    reiwa = year - 2018
    ja = f"令和{'元' if reiwa == 1 else reiwa}年度"
    en = f"FY{year}"
    if marker:
        return f"{ja} {marker[0]}", f"{en} {marker[1]}"
    return ja, en


def _bracket(t: str) -> str:
    m = re.match(r"^[【\[]([^】\]]*)[】\]]", t)
    return m.group(1) if m else ""


def _program(t: str) -> str | None:
    """The program id a normalised title names, before the area is checked."""
    if "INPIT" in t.upper() and "外国出願" in t:
        return "inpit_foreign_filing_interim" if "中間手続" in t else "inpit_foreign_filing_subsidy"
    if "海外出願支援" in t or ("海外展開支援事業費補助金" in t and "出願" in t):
        return "foreign_filing_subsidy"
    tokyo = (
        ("外国侵害調査費用助成", "tokyo_foreign_infringement_survey"),
        ("特許調査費用助成", "tokyo_patent_search"),
        ("海外商標対策支援助成", "tokyo_overseas_trademark"),
        ("外国特許出願費用助成", "tokyo_foreign_patent_filing"),
        ("外国実用新案出願費用助成", "tokyo_foreign_patent_filing"),
        ("外国意匠出願費用助成", "tokyo_foreign_patent_filing"),
        ("外国商標出願費用助成", "tokyo_foreign_patent_filing"),
    )
    for phrase, pid in tokyo:
        if phrase in t:
            return pid
    if "岡崎" in t and ("知的財産" in t or "知財" in t or "特許" in t):
        return "okazaki_ip_acquisition"
    if "小牧" in t and ("知的財産" in t or "知財" in t or "特許" in t):
        return "komaki_ip_acquisition"
    return None


def classify(title: str, target_area: str | None = None) -> Placement:
    """Place a call by its title; `target_area` (the call's `target_area_search`) confirms a Tokyo program.

    >>> classify("【岐阜県・2次募集】令和８年度_中小企業等海外展開支援事業費補助金（海外出願支援事業）")
    ... # doctest: +ELLIPSIS
    Placed(program_id='foreign_filing_subsidy', area='岐阜県', fiscal_year=2026, round_ja='令和8年度 2次募集', ...)
    >>> classify("令和８年度 展示会出展補助金（海外展開）")
    Unrelated()
    """
    t = normalize(title)
    if not t:
        return Unplaced("題名がありません", "the call has no title")
    pid = _program(t)
    if pid is None:
        if any(term.upper() in t.upper() for term in IP_TERMS):
            return Unplaced("知財に関する公募ですが、どの制度にも当てはまりません",
                             "an IP call that matches no program of the catalog")
        return Unrelated()
    year = fiscal_year(t)
    if year is None:
        return Unplaced("題名に公募年度（令和○年度）がありません", "the title names no fiscal year of the call")
    bracket = _bracket(t)
    area, operator = _area(pid, t, bracket, target_area)
    if area is None:
        return Unplaced("題名から地域（都道府県・市町村）を決められません",
                         "the title does not tell the area (prefecture or municipality)")
    # The round marker is looked for in the bracket and after the program name; 「（海外出願支援事業）」 has none.
    ja, en = round_names(year, round_marker(t))
    return Placed(pid, area, year, ja, en, operator)


def _bracket_operator(bracket: str, area: str) -> Operator | None:
    """An operator the 【…】 names that we do not list (「いわて産業振興センター」): its name as written.

    >>> _bracket_operator("いわて産業振興センター・2次募集", "岩手県")
    Operator(ja='いわて産業振興センター', en='いわて産業振興センター (Iwate Prefecture)', prefecture='岩手県', url=None)
    >>> _bracket_operator("岐阜県・2次募集", "岐阜県") is None
    True
    """
    for part in re.split(r"[・_/／\s]+", bracket):
        if part and part != area and round_marker(part) is None and area in PREFECTURE_EN and len(part) >= 4:
            return Operator(part, f"{part} ({PREFECTURE_EN[area]})", area)
    return None


def _area(pid: str, t: str, bracket: str, target_area: str | None) -> tuple[str | None, Operator | None]:
    """The area of a call of program `pid`, and the operator the title names (None, None: cannot tell)."""
    if pid.startswith("inpit_"):
        return NATIONAL, operator_in("INPIT")
    if pid.startswith("tokyo_"):
        # The center's titles do not always say 東京都: the call's own target area confirms it.
        named = "東京" in t or "知的財産総合センター" in t or "公社" in t
        if target_area is not None and target_area.strip() not in (TOKYO, ""):
            return None, None
        if not named and target_area is None:
            return None, None
        return TOKYO, operator_in("知的財産総合センター")
    if pid == "okazaki_ip_acquisition":
        return MUNICIPALITIES["岡崎"].prefecture, MUNICIPALITIES["岡崎"]
    if pid == "komaki_ip_acquisition":
        return MUNICIPALITIES["小牧"].prefecture, MUNICIPALITIES["小牧"]
    if pid == "foreign_filing_subsidy":
        where = bracket or t
        op = operator_in(where)
        prefs = prefectures_in(where)
        if op is not None:
            prefs.add(op.prefecture)
        if not prefs and target_area in PREFECTURE_EN:  # no 【…】: the call's own single prefecture
            prefs.add(target_area)
        if len(prefs) != 1:
            return None, None  # none, or two different prefectures: a human decides
        area = prefs.pop()
        if area != NATIONAL and area not in PREFECTURE_EN:
            return None, None
        return area, op or _bracket_operator(bracket, area)
    return None, None
