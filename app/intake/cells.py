"""The cells of a member list: one parser per kind of value (yes/no, choices, lists, foreign filings, disputes)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from app.intake.normalize import (
    NormalizeError,
    parse_bool,
    parse_yen,
    to_halfwidth,
)
from app.intake.parsers import (
    Parser,
)
from eligibility.facts import ENUM_LABELS


class Unknown:
    """Marker: the cell says nothing (empty, わからない, 不明, -)."""


class Unplaced(NormalizeError):
    """A cell read but not placed (a free-text industry outside the JSIC table): a note on the row, the field
    left unknown to be asked later; never a rejected row."""


UNKNOWN = Unknown()
_UNKNOWN_WORDS = frozenset({"", "わからない", "分からない", "わかりません", "分かりません", "不明", "未定", "unknown",
                            "n/a", "na", "-", "ー", "?", "不詳"})
_WS = re.compile(r"\s+")


def cell_key(text: str) -> str:
    """The comparison key of a label or heading: NFKC, no whitespace, case-folded."""
    return _WS.sub("", to_halfwidth(text)).casefold()


def is_unknown(text: str) -> bool:
    """
    >>> is_unknown(" "), is_unknown("わからない"), is_unknown("不明"), is_unknown("0")
    (True, True, True, False)
    """
    return cell_key(text) in _UNKNOWN_WORDS


def bool_cell(text: str) -> Any:
    value = parse_bool(text)
    return UNKNOWN if value is None else value


def _choices(enum: str, aliases: dict[str, str] | None = None) -> dict[str, str]:
    """Lookup key → enum id: the ids, the Japanese and English labels, and extra aliases."""
    table: dict[str, str] = {}
    for value, (ja, en) in ENUM_LABELS.get(enum, {}).items():
        for word in (value, ja, en):
            table[cell_key(word)] = value
    for word, value in (aliases or {}).items():
        table[cell_key(word)] = value
    return table


def _choice_error(field_name: str, value: str, enum: str, ids: list[str] | None = None) -> NormalizeError:
    labels = ENUM_LABELS.get(enum, {})
    shown = [labels[i][0] for i in (ids or list(labels)) if i in labels]
    return NormalizeError(
        "choice", f"「{value}」は選択肢にありません。次のいずれかを入力してください: {'、'.join(shown)}",
        f"{value!r} is not a valid choice; use one of: {', '.join(ids or list(labels))}",
    )


def enum_parser(enum: str, aliases: dict[str, str] | None = None) -> Parser:
    table = _choices(enum, aliases)

    def parse(text: str) -> str:
        value = table.get(cell_key(text))
        if value is None:
            raise _choice_error(enum, text.strip(), enum)
        return value
    return parse


_LIST_SEP = re.compile(r"[;,、，・/／\s]+")


def enum_list_parser(enum: str, aliases: dict[str, str] | None = None, allowed: set[str] | None = None) -> Parser:
    """Several choices separated by ; 、 , ・ / or spaces; なし = an empty list."""
    table = _choices(enum, aliases)

    def parse(text: str) -> list[str]:
        if cell_key(text) in ("なし", "無し", "ない", "none", "no"):
            return []
        out: list[str] = []
        for item in _LIST_SEP.split(to_halfwidth(text)):
            if not item:
                continue
            value = table.get(cell_key(item))
            if value is None or (allowed is not None and value not in allowed):
                raise _choice_error(enum, item, enum, sorted(allowed, key=list(ENUM_LABELS[enum]).index)
                                    if allowed else None)
            if value not in out:
                out.append(value)
        return out
    return parse


APPLICANT_ALIASES = {
    "会社": "corporation", "法人": "corporation", "株式会社": "corporation", "有限会社": "corporation",
    "合同会社": "corporation", "合名会社": "corporation", "合資会社": "corporation", "企業": "corporation",
    "個人事業主": "sole_proprietor", "個人事業者": "sole_proprietor", "個人事業": "sole_proprietor",
    "個人": "individual", "創業前": "individual", "創業予定": "individual", "個人(創業前)": "individual",
    "大学": "university", "高専": "university", "tlo": "university",
    "研究機関": "research_institute", "公設試": "research_institute",
    "vc": "vc", "アクセラレータ": "accelerator",
    "npo": "npo", "特定非営利活動法人": "npo",
    "事業協同組合": "sme_group", "組合": "sme_group", "中小企業グループ": "sme_group",
    "商工会議所": "chamber", "商工会": "chamber",
}
INDUSTRY_ALIASES = {
    "製造": "manufacturing", "建設": "construction", "運輸": "transport", "物流": "transport",
    "卸売": "wholesale", "卸": "wholesale", "小売": "retail", "サービス": "services",
    "ソフトウェア": "software", "ソフトウェア業": "software", "情報処理": "software", "情報処理サービス業": "software",
    "情報サービス業": "software", "it": "software", "ゴム": "rubber", "ゴム製品製造": "rubber",
    "旅館": "hotel", "ホテル": "hotel", "ホテル・旅館業": "hotel", "その他": "other",
}
PHASE_ALIASES = {
    "構想": "concept", "事業構想": "concept", "立上": "launch", "立ち上げ": "launch", "事業立上": "launch",
    "事業立ち上げ": "launch", "拡大": "expansion", "事業拡大": "expansion",
}
RIGHT_ALIASES = {"実案": "utility_model", "冒認": "squatting_trademark", "冒認対策": "squatting_trademark"}
EXAM_ALIASES = {
    "なし": "none", "出願なし": "none", "予定": "planned", "出願予定": "planned",
    "出願済み": "filed", "出願済": "filed", "未請求": "filed", "審査請求前": "filed",
    "請求済み": "requested", "請求済": "requested", "審査請求済み": "requested", "審査請求済": "requested",
    "審査待ち": "requested", "審査中": "started", "審査開始": "started", "着手済み": "started",
}
DESIGN_ALIASES = {
    "なし": "none", "出願なし": "none", "予定": "planned", "出願予定": "planned",
    "出願済み": "filed", "出願済": "filed", "済み": "filed", "済": "filed",
}
INTEREST_ALIASES = {
    "海外": "overseas", "海外展開": "overseas", "海外進出": "overseas", "輸出": "overseas",
    "模倣品": "enforcement", "模倣品対策": "enforcement", "権利行使": "enforcement", "侵害対策": "enforcement",
    "早期審査": "fast_examination", "早期権利化": "fast_examination",
    "減免": "fee_reduction", "手数料減免": "fee_reduction", "費用軽減": "fee_reduction",
    "資金調達": "financing", "融資": "financing", "知財金融": "financing",
    "戦略": "ip_strategy", "知財戦略": "ip_strategy", "伴走支援": "mentoring",
    "市場分析": "market_analysis", "ipランドスケープ": "market_analysis", "ランドスケープ": "market_analysis",
    "連携": "partnership", "協業": "partnership", "オープンイノベーション": "partnership",
}
DISPUTE_ALIASES = {
    "模倣品": "counterfeit", "模倣": "counterfeit", "偽物": "counterfeit", "海賊版": "counterfeit",
    "冒認": "squatting", "冒認出願": "squatting", "冒認商標": "squatting", "商標の先取り": "squatting",
    "防衛": "defense", "被警告": "defense", "警告": "defense", "訴訟": "defense", "警告・訴訟": "defense",
}
_FLAGS = {  # 海外トラブル: extra parts like 現地権利あり
    "現地権利": "holds_local_right", "現地の権利": "holds_local_right", "現地ライセンス": "holds_local_right",
    "日本商標": "holds_jp_trademark", "国内商標": "holds_jp_trademark", "日本の商標": "holds_jp_trademark",
}
_ITEM_SEP = re.compile(r"[;\n、]+")  # not ",": amounts such as 1,000万 contain commas

_right = enum_parser("right", RIGHT_ALIASES)
_dispute_kind = enum_parser("dispute_kind", DISPUTE_ALIASES)


def _parts(text: str) -> Iterator[list[str]]:
    for item in _ITEM_SEP.split(to_halfwidth(text)):
        if item.strip():
            yield [p.strip() for p in item.split(":")]


def parse_foreign_filings(text: str) -> list[dict[str, Any]]:
    """`特許:340万;意匠:80万` → planned filings (a third part 出願済み marks one already filed).

    >>> parse_foreign_filings("特許：３４０万；意匠:80万円")
    [{'right': 'patent', 'already_filed': False, 'cost_yen': 3400000}, \
{'right': 'design', 'already_filed': False, 'cost_yen': 800000}]
    """
    if cell_key(text) in ("なし", "無し", "予定なし"):
        return []
    out = []
    for parts in _parts(text):
        if len(parts) > 3:
            raise NormalizeError("filing_format", f"「{':'.join(parts)}」を読み取れません。「特許:340万;意匠:80万」の形で入力してください",
                                 f"Cannot read {':'.join(parts)!r}; write it like 特許:340万;意匠:80万")
        item: dict[str, Any] = {"right": _right(parts[0]), "already_filed": False}
        if len(parts) > 1 and not is_unknown(parts[1]):
            item["cost_yen"] = parse_yen(parts[1])
        if len(parts) > 2:
            status = cell_key(parts[2])
            if status in ("出願済み", "出願済", "済み", "済", "filed"):
                item["already_filed"] = True
            elif status not in ("未出願", "予定", "出願予定", "未", "planned"):
                raise NormalizeError("filing_status", f"「{parts[2]}」は「出願済み」か「未出願」で入力してください",
                                     f"{parts[2]!r}: write 出願済み (filed) or 未出願 (not yet filed)")
        out.append(item)
    return out


def parse_disputes(text: str) -> list[dict[str, Any]]:
    """`模倣品:300万:現地権利あり` → overseas disputes (kind, cost, 現地権利あり/なし, 日本商標あり/なし).

    >>> parse_disputes("模倣品:300万:現地権利あり")
    [{'kind': 'counterfeit', 'cost_yen': 3000000, 'holds_local_right': True}]
    """
    if cell_key(text) in ("なし", "無し"):
        return []
    out = []
    for parts in _parts(text):
        item: dict[str, Any] = {"kind": _dispute_kind(parts[0])}
        if len(parts) > 1 and not is_unknown(parts[1]):
            item["cost_yen"] = parse_yen(parts[1])
        for flag in parts[2:]:
            k = cell_key(flag)
            m = re.fullmatch(r"(.+?)(あり|有り|有|なし|無し|無)", k)
            name = _FLAGS.get(m[1]) if m else None
            if m is None or name is None:
                raise NormalizeError("dispute_flag", f"「{flag}」を読み取れません。「現地権利あり」「日本商標なし」のように入力してください",
                                     f"Cannot read {flag!r}; write 現地権利あり / 日本商標なし")
            item[name] = m[2] in ("あり", "有り", "有")
        out.append(item)
    return out


