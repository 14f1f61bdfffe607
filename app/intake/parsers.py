"""One parser per kind of value, shared by every channel (questionnaire, console form, CSV/JSON Lines, CLI).

The same text gives the same value whichever channel it came through (tests/intake/test_parsers.py runs the
tricky inputs through each channel). Normalisation of 全角, 和暦 and 万・億 is in `app.intake.normalize`.

A share (出資比率, 役員比率) is read once, the same way everywhere:
    `50`, `50%`, `５０％`, `50パーセント`, `5割`  → 50 %   (a number without a decimal point is a percentage)
    `12.5`                                       → 12.5 % (a decimal number above 1 is a percentage)
    `0.5`, `０．５`, `1.0`                       → 50 %, 100 % (a decimal number ≤ 1 is a fraction)
So `1` is 1 % but `1.0` is 100 %; the labels, the CSV column help and the messages say so (SHARE_HELP).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from app.intake.normalize import (
    NormalizeError,
    normalize_prefecture,
    parse_bool,
    parse_date,
    parse_int,
    parse_yen,
    to_halfwidth,
)
from eligibility.facts import PREFECTURES
from programs.rounds import MUNICIPALITY_RE, normalise_place

Msg = tuple[str, str]  # (Japanese, English)
Parser = Callable[[str], Any]

SHARE_HELP: Msg = ("30、30%、3割 はいずれも30%。0.3 のように小数点のある1以下の数は比率（0.3 = 30%）",
                   "30, 30% and 3割 all mean 30%; a decimal number of at most 1 such as 0.3 is a fraction (0.3 = 30%)")
M_PERCENT: Msg = ("割合は 30、30%、3割 または 0.3 のように入力してください",
                  "Enter a share like 30, 30%, 3割 or 0.3")
M_PERCENT_RANGE: Msg = ("100以下の数で入力してください（割合は0%〜100%です）",
                        "Enter at most 100 (a share is between 0% and 100%)")

_WS = re.compile(r"\s+")
_SHARE = re.compile(r"(?P<num>[0-9]+(?:\.[0-9]+)?)(?P<unit>%|パーセント|割)?")
_SHARE_BU = re.compile(r"(?P<wari>[0-9]+)割(?P<bu>[0-9])分")  # 5割5分 = 55 %
_NEGATIVE_PREFIX = re.compile(r"^[¥\\]?(?:-|▲|△|マイナス)")


def parse_share(text: str) -> float:
    """A share as a ratio 0–1 (see the module's docstring for the reading of a bare number).

    >>> parse_share("50"), parse_share("50%"), parse_share("5割"), parse_share("0.5"), parse_share("12.5")
    (0.5, 0.5, 0.5, 0.5, 0.125)
    >>> parse_share("３０％"), parse_share("0"), parse_share("1"), parse_share("1.0"), parse_share("5割5分")
    (0.3, 0.0, 0.01, 1.0, 0.55)
    """
    t = _WS.sub("", to_halfwidth(text))
    if not t:
        raise NormalizeError("empty", "入力してください", "This field is empty")
    if m := _SHARE_BU.fullmatch(t):
        value = Decimal(m["wari"]) * 10 + Decimal(m["bu"])
    elif m := _SHARE.fullmatch(t):
        try:
            num = Decimal(m["num"])
        except InvalidOperation:  # pragma: no cover (the pattern admits only digits)
            raise NormalizeError("percent", *M_PERCENT) from None
        if m["unit"] == "割":
            value = num * 10
        elif m["unit"] is None and "." in m["num"] and num <= 1:
            value = num * 100  # 0.5: a fraction, as a spreadsheet writes a share
        else:
            value = num
    else:
        raise NormalizeError("percent", *M_PERCENT)
    if value > 100:
        raise NormalizeError("percent_range", *M_PERCENT_RANGE)
    return float(value / 100)


def parse_signed_yen(text: str) -> int:
    """An amount that may be negative (a loss, as 課税所得 can be): ▲500万円, -5,000,000, マイナス300万.

    >>> parse_signed_yen("▲500万円"), parse_signed_yen("1,800万円"), parse_signed_yen("マイナス300万")
    (-5000000, 18000000, -3000000)
    """
    t = to_halfwidth(text).strip()
    m = _NEGATIVE_PREFIX.match(t)
    return -parse_yen(t[m.end():]) if m else parse_yen(t)


def parse_iso_date(text: str) -> str:
    """A date (西暦, 和暦, 全角) as ISO 8601 text, as the profile holds it."""
    return parse_date(text).isoformat()


def parse_prefecture(text: str) -> str:
    """A prefecture, or the prefecture an address starts with (所在地 columns hold whole addresses).

    >>> parse_prefecture("大阪"), parse_prefecture("東京都千代田区丸の内1-1"), parse_prefecture("京都府京都市")
    ('大阪府', '東京都', '京都府')
    """
    try:
        return normalize_prefecture(text)
    except NormalizeError:
        address = _WS.sub("", to_halfwidth(text))
        for name in PREFECTURES:
            if address.startswith(name):
                return name
        raise


def parse_municipality(text: str) -> str:
    """A municipality (市区町村), 全角 and spaces allowed, a leading prefecture dropped (the prefecture is its own fact).

    >>> parse_municipality("愛知県　岡崎市"), parse_municipality("名古屋市中区")
    ('岡崎市', '名古屋市中区')
    """
    value = normalise_place(text)
    for name in PREFECTURES:
        if value.startswith(name) and len(value) > len(name):
            value = value[len(name):]
            break
    if not MUNICIPALITY_RE.match(value):
        raise NormalizeError("municipality", "市区町村名を入力してください（例: 岡崎市、品川区、西春日井郡豊山町）",
                             "Enter a municipality (city, ward, town or village), e.g. 岡崎市")
    return value


def text_parser(limit: int) -> Parser:
    """Free text cut to nothing: refused when longer than `limit` characters."""
    def parse(text: str) -> str:
        value = text.strip()
        if len(value) > limit:
            raise NormalizeError("too_long", f"{limit:,}文字以内で入力してください（{len(value):,}文字あります）",
                                 f"Use at most {limit:,} characters ({len(value):,} given)")
        return value
    return parse


# The parser of each kind of text input (Question.parse and the CSV columns use these names).
PARSERS: dict[str, Parser] = {
    "date": parse_iso_date,
    "int": parse_int,
    "yen": parse_yen,
    "signed_yen": parse_signed_yen,
    "percent": parse_share,
    "municipality": parse_municipality,
}

__all__ = ["M_PERCENT", "M_PERCENT_RANGE", "PARSERS", "SHARE_HELP", "Msg", "Parser", "parse_bool",
           "parse_iso_date", "parse_municipality", "parse_prefecture", "parse_share", "parse_signed_yen", "text_parser"]
