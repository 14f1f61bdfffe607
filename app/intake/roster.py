"""A chamber's real member list: heading aliases, free-text industries through JSIC, addresses and legal forms, as data.

The tables are YAML in `programs/`: `roster_columns.yaml` (the headings each column may have, the template's
example row, the legal forms of a name) and `jsic_industries.yaml` (the words of a free-text 業種 → one of our
industries, with its sources). `app.intake.columns` reads a roster with them; the console's batch page lists
them and offers the template CSV (`template_csv`).
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from app.intake.address import split_address
from eligibility.facts import ENUM_LABELS, field_label

DATA = Path(__file__).resolve().parents[2] / "programs"
COLUMNS_FILE = DATA / "roster_columns.yaml"
JSIC_FILE = DATA / "jsic_industries.yaml"

# Columns that are not profile fields: what the reader does with them (app/intake/columns.py).
SPECIAL_LABELS: dict[str, tuple[str, str]] = {
    "company_name": ("会社名", "Company name"),
    "corporate_number": ("法人番号", "Corporate number"),
    "contact_name": ("代表者名・担当者名（案件の連絡先として保存。判定には使いません）",
                     "Representative or contact (kept as the case's contact; not screened)"),
    "address": ("所在地（都道府県と市区町村に分けて読みます）", "Address (read as prefecture and municipality)"),
}
EXTRA_FIELDS = frozenset({"contact_name"})  # kept, never put in the profile


def _norm(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).casefold()


@lru_cache(maxsize=1)
def _columns_data() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(COLUMNS_FILE.read_text(encoding="utf-8"))
    return data


@lru_cache(maxsize=1)
def _jsic_data() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(JSIC_FILE.read_text(encoding="utf-8"))
    return data


def headings_of(field: str) -> tuple[str, ...]:
    """The headings a column may have (the first is the template's).

    >>> headings_of("company_name")[:5]
    ('会社名', '企業名', '事業者名', '事業所名', '事業所名称')
    """
    spec = _columns_data()["columns"].get(field) or {}
    return tuple(str(h) for h in spec.get("headings") or ())


def column_fields() -> list[str]:
    """Every column of the table, in the file's order."""
    return list(_columns_data()["columns"])


def column_label(field: str, lang: str = "ja") -> str:
    """What a column means, for the batch page (a profile field's label, or the special columns' own)."""
    if field in SPECIAL_LABELS:
        ja, en = SPECIAL_LABELS[field]
        return ja if lang == "ja" else en
    head, _, sub = field.partition(".")
    label = field_label(head, lang)
    if sub:
        part = {"largest": ("最大1社", "largest single"), "combined": ("合計", "combined"),
                "premium_yen": ("保険料", "premium"), "renewal": ("更新", "renewal")}.get(sub, (sub, sub))
        label += f"（{part[0]}）" if lang == "ja" else f" ({part[1]})"
    return label


def accepted_columns(lang: str = "ja") -> list[dict[str, Any]]:
    """The batch page's table: each column with its meaning, the template's heading and the other headings."""
    out = []
    for field, spec in _columns_data()["columns"].items():
        names = headings_of(field)
        out.append({"field": field, "label": column_label(field, lang), "heading": names[0],
                    "aliases": list(names[1:]), "example": str(spec.get("example") or ""),
                    "in_template": spec.get("template", True)})
    return out


def template_csv() -> bytes:
    """The member list's template for Excel: UTF-8 with BOM, CRLF, the headings and one example row.

    >>> rows = list(csv.reader(io.StringIO(template_csv().decode("utf-8-sig"))))
    >>> rows[0][:4], rows[1][0]
    (['会社名', '法人番号', '代表者名', '所在地'], '株式会社サンプル製作所')
    """
    cols = [c for c in accepted_columns() if c["in_template"]]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([c["heading"] for c in cols])
    w.writerow([c["example"] for c in cols])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


# ------------------------------------------------------------------ industries (JSIC)


@lru_cache(maxsize=1)
def _industry_words() -> list[tuple[str, str]]:
    """(normalised word, our industry), longest words first."""
    valid = set(ENUM_LABELS["industry"])
    pairs: list[tuple[str, str]] = []
    for entry in _jsic_data()["industries"]:
        industry = entry["industry"]
        if industry not in valid:
            raise ValueError(f"{JSIC_FILE}: unknown industry {industry!r}")
        pairs += [(_norm(str(w)), industry) for w in entry["words"]]
    return sorted(pairs, key=lambda p: -len(p[0]))


def jsic_sources() -> list[dict[str, str]]:
    """The sources of the industry table: [{title, href}]."""
    return [{"title": str(s["title"]), "href": str(s["href"])} for s in _jsic_data()["sources"]]


def industry_from_text(text: str) -> str | None:
    """Our industry for a free-text 業種 (the longest JSIC word found decides); None when none or two tie.

    >>> industry_from_text("印刷業"), industry_from_text("繊維工業"), industry_from_text("ソフトウェア開発")
    ('manufacturing', 'manufacturing', 'software')
    >>> industry_from_text("ゴム製品製造業"), industry_from_text("情報サービス業"), industry_from_text("飲食店")
    ('rubber', 'software', 'retail')
    >>> print(industry_from_text("建設工業"), industry_from_text("よろず屋"))
    None None
    """
    key = _norm(text)
    best: set[str] = set()
    length = 0
    for word, industry in _industry_words():
        if len(word) < length:
            break
        if word and word in key:
            length = len(word)
            best.add(industry)
    return best.pop() if len(best) == 1 else None


# ------------------------------------------------------------------ legal forms and addresses


@lru_cache(maxsize=1)
def _legal_forms() -> list[tuple[str, str]]:
    valid = set(ENUM_LABELS["applicant_type"])
    out = []
    for entry in _columns_data()["legal_forms"]:
        if entry["type"] not in valid:
            raise ValueError(f"{COLUMNS_FILE}: unknown applicant type {entry['type']!r}")
        out += [(_norm(str(f)), entry["type"]) for f in entry["forms"]]
    return out


def applicant_from_name(name: str) -> tuple[str, str] | None:
    """(applicant type, the legal form found) from a name's 株式会社 / 有限会社 / 合同会社 …; None without one.

    >>> applicant_from_name("株式会社山田製作所"), applicant_from_name("山田印刷(株)")
    (('corporation', '株式会社'), ('corporation', '(株)'))
    >>> applicant_from_name("ミライ事業協同組合"), applicant_from_name("一般社団法人 地域デザイン")
    (('sme_group', '事業協同組合'), ('corporation', '一般社団法人'))
    >>> print(applicant_from_name("山田商店"))
    None
    """
    key = _norm(name)
    for form, kind in _legal_forms():
        if form in key:
            return kind, unicodedata.normalize("NFKC", form)
    return None


def parse_address(text: str) -> dict[str, str]:
    """The prefecture and municipality of an address (what cannot be read is left out, never an error).

    >>> parse_address("東京都千代田区丸の内３－２－２"), parse_address("大阪府大阪市北区1-1")
    ({'prefecture': '東京都', 'municipality': '千代田区'}, {'prefecture': '大阪府', 'municipality': '大阪市'})
    >>> parse_address("丸の内3-2-2")
    {}
    """
    address = split_address(text)
    out: dict[str, str] = {}
    if address.prefecture:
        out["prefecture"] = address.prefecture
    if address.municipality:
        out["municipality"] = address.municipality
    return out
