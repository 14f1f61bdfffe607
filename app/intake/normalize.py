"""Normalise what people type in Japan (全角, 和暦, 万・億, 法人番号, 都道府県) before a profile is validated."""

from __future__ import annotations

import calendar
import datetime as dt
import re
import unicodedata
from fractions import Fraction
from typing import NamedTuple

MAX_VALUE = 10**15  # same bound as the profile's MAX_YEN: anything larger is a typing mistake
_MAX_INPUT = 100  # longer input is never a number or a date; also keeps int()/Fraction() cheap


class NormalizeError(ValueError):
    """Input that cannot be read, with a stable `code` and a message in Japanese and English.

    >>> try:
    ...     parse_int("-3")
    ... except NormalizeError as e:
    ...     print(e.code, e.message_ja)
    negative 0以上の数を入力してください（マイナスは使えません）
    """

    def __init__(self, code: str, message_ja: str, message_en: str):
        self.code = code
        self.message_ja = message_ja
        self.message_en = message_en
        super().__init__(message_en)


# ---------------------------------------------------------------- widths and dashes

# NFKC already folds U+FF0D and U+FE63 to "-"; the rest survive it, so they are mapped here.
_DASHES = str.maketrans(dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u2043\uff0d\ufe63", "-"))
# 長音 "ー" is a real letter in katakana words (コーヒー); only between digits is it a mistyped hyphen.
_CHOON_BETWEEN_DIGITS = re.compile(r"(?<=[0-9])ー(?=[0-9])")
_SPACES = re.compile(r"\s+")


def to_halfwidth(text: str) -> str:
    """NFKC (全角→半角, ideographic space → space), every dash to "-", surrounding whitespace stripped.

    >>> to_halfwidth("２０人")
    '20人'
    >>> to_halfwidth("１，０００万円")
    '1,000万円'
    >>> to_halfwidth("　０３−１２３４ー５６７８　")
    '03-1234-5678'
    >>> to_halfwidth("コーヒー")
    'コーヒー'
    >>> to_halfwidth("ﾃｽﾄ　株式会社")
    'テスト 株式会社'
    """
    text = unicodedata.normalize("NFKC", text).translate(_DASHES)
    return _CHOON_BETWEEN_DIGITS.sub("-", text).strip()


def _clean(text: str) -> str:
    """Half-width text with no whitespace at all, after the checks every parser needs."""
    text = _SPACES.sub("", to_halfwidth(text))
    if not text:
        raise NormalizeError("empty", "入力してください", "This field is empty")
    if len(text) > _MAX_INPUT:
        raise NormalizeError("too_long", "入力が長すぎます", "The input is too long")
    return text


def _too_large() -> NormalizeError:
    return NormalizeError("too_large", "値が大きすぎます。桁数を確認してください", "The value is too large; check the number of digits")


# ---------------------------------------------------------------- counts and amounts

# Commas only in groups of three, so a slip like "1,0000" is caught rather than read as 10000.
_DIGITS = r"(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)"
_INT = re.compile(rf"(?P<num>{_DIGITS})[人名社件]?")
# ▲ and △ are how Japanese accounts write a negative amount.
_NEGATIVE = re.compile(r"[¥\\]?[-▲△]")
_DECIMAL = re.compile(r"[0-9]\.[0-9]")


def _reject_negative(text: str) -> None:
    if _NEGATIVE.match(text):
        raise NormalizeError("negative", "0以上の数を入力してください（マイナスは使えません）", "Enter zero or a positive number")


def parse_int(text: str) -> int:
    """A non-negative whole number, optionally with commas and a unit 人・名・社・件.

    >>> parse_int("２０")
    20
    >>> parse_int("20人")
    20
    >>> parse_int("1,000")
    1000
    >>> parse_int("2.5")
    Traceback (most recent call last):
    ...
    app.intake.normalize.NormalizeError: Enter a whole number (no decimals)
    """
    text = _clean(text)
    m = _INT.fullmatch(text)
    if m is None:
        _reject_negative(text)
        if _DECIMAL.search(text):
            raise NormalizeError("decimal", "整数で入力してください（小数は使えません）", "Enter a whole number (no decimals)")
        raise NormalizeError("int_format", "数字で入力してください（例: 20、20人、1,000）",
                             "Enter a whole number (e.g. 20, 1,000)")
    value = int(m["num"].replace(",", ""))
    if value > MAX_VALUE:
        raise _too_large()
    return value


_NUMBER = rf"{_DIGITS}(?:\.[0-9]+)?"
_SECTION = rf"{_NUMBER}(?:千(?:{_NUMBER})?)?"  # "5千" inside a 万 or 億 group: 5千万 = 5,000万
# A backslash is accepted for "¥": on Japanese keyboards and fonts they are the same key and glyph.
_YEN = re.compile(rf"[¥\\]?(?:(?P<oku>{_SECTION})億)?(?:(?P<man>{_SECTION})万)?(?P<one>{_SECTION})?円?")
_QUALIFIER = re.compile(r"以下|以上|未満|超|約|程度|くらい|ぐらい|前後|ほど|まで|から|[~〜]")
_YEN_UNITS = (("oku", 10**8), ("man", 10**4), ("one", 1))


def _yen_format() -> NormalizeError:
    return NormalizeError("yen_format", "金額を読み取れませんでした。「1,000万円」「3億円」「1200000」のように入力してください",
                          "Could not read the amount; write it like 1,000万円, 3億円 or 1200000")


def _number(text: str) -> Fraction:
    return Fraction(text.replace(",", "")) if text else Fraction(0)


def _section(text: str) -> Fraction:
    """The value of "5千300" or "2.5" (one group before 億, 万 or the end)."""
    thousands, has_sen, rest = text.partition("千")
    if not has_sen:
        return _number(text)
    if _number(rest) >= 1000:  # "1千2000" is a typing mistake, not 3,000
        raise _yen_format()
    return _number(thousands) * 1000 + _number(rest)


def parse_yen(text: str) -> int:
    """An amount of yen written with 円, ¥, commas, 億・万・千 or a mix of them.

    >>> parse_yen("1,000万円")
    10000000
    >>> parse_yen("1億5,000万円")
    150000000
    >>> parse_yen("2.5万")
    25000
    >>> parse_yen("¥1,200,000")
    1200000
    >>> parse_yen("300万円以下")
    Traceback (most recent call last):
    ...
    app.intake.normalize.NormalizeError: Enter the amount only, without words like 以下, 以上 or 約
    """
    text = _clean(text)
    if _QUALIFIER.search(text):
        raise NormalizeError("yen_qualifier", "「以下」「以上」「約」などは付けずに、金額だけを入力してください（例: 300万円）",
                             "Enter the amount only, without words like 以下, 以上 or 約")
    m = _YEN.fullmatch(text)
    if m is None or not any(m.groupdict().values()):
        _reject_negative(text)
        raise _yen_format()
    total, previous_unit = Fraction(0), None
    for group, unit in _YEN_UNITS:
        if m[group] is None:
            continue
        part = _section(m[group]) * unit
        # Each group must be smaller than the unit before it: "1億15000万" is a slip, not 2億5,000万.
        if previous_unit is not None and part >= previous_unit:
            raise _yen_format()
        total, previous_unit = total + part, unit
    if total.denominator != 1:
        raise NormalizeError("yen_fraction", "1円未満の端数は入力できません", "Amounts below one yen cannot be entered")
    if total > MAX_VALUE:
        raise _too_large()
    return int(total)


# ---------------------------------------------------------------- dates and 和暦


class Era(NamedTuple):
    """One 元号: its name, one-letter abbreviation, romaji and first and last day.

    >>> [era.letter for era in ERAS]
    ['R', 'H', 'S', 'T']
    """

    name: str
    letter: str
    romaji: str
    start: dt.date
    end: dt.date | None  # last day, inclusive


# Newest first. 大正 and 昭和 share 1926-12-25 (改元 on the day itself); 平成 began the day after 昭和 ended.
ERAS: tuple[Era, ...] = (
    Era("令和", "R", "Reiwa", dt.date(2019, 5, 1), None),
    Era("平成", "H", "Heisei", dt.date(1989, 1, 8), dt.date(2019, 4, 30)),
    Era("昭和", "S", "Showa", dt.date(1926, 12, 25), dt.date(1989, 1, 7)),
    Era("大正", "T", "Taisho", dt.date(1912, 7, 30), dt.date(1926, 12, 25)),
)
_ERA_BY_KEY = {key: era for era in ERAS for key in (era.name, era.letter)}

# Mixed separators ("2021年4/1") are tolerated: the intent is unambiguous.
_YMD = r"(?:年|[-/.])(?P<month>[0-9]{1,2})(?:月|[-/.])(?P<day>[0-9]{1,2})日?"
_WAREKI = re.compile(rf"(?P<era>令和|平成|昭和|大正|[RHSTrhst])(?P<year>[0-9]{{1,4}}|元){_YMD}")
_SEIREKI = re.compile(rf"(?P<year>[0-9]{{4}}){_YMD}")
_COMPACT = re.compile(r"(?P<year>[0-9]{4})(?P<month>[0-9]{2})(?P<day>[0-9]{2})")  # 20210401, as on many forms
_YEAR_MONTH = re.compile(r"(?:(?:令和|平成|昭和|大正|[RHSTrhst])(?:[0-9]{1,4}|元)|[0-9]{4})(?:年|[-/.])(?:[0-9]{1,2}月?)?")


def _era_year(year: int) -> str:
    return "元" if year == 1 else str(year)


def format_wareki(d: dt.date) -> str:
    """A date in 和暦 for display; dates before 大正 fall back to 西暦 (both read back by parse_date).

    >>> format_wareki(dt.date(2019, 5, 1))
    '令和元年5月1日'
    >>> format_wareki(dt.date(2021, 4, 1))
    '令和3年4月1日'
    >>> format_wareki(dt.date(1989, 1, 7))
    '昭和64年1月7日'
    >>> format_wareki(dt.date(1900, 1, 1))
    '1900年1月1日'
    """
    for era in ERAS:
        if d >= era.start:
            return f"{era.name}{_era_year(d.year - era.start.year + 1)}年{d.month}月{d.day}日"
    return f"{d.year}年{d.month}月{d.day}日"


def _make_date(year: int, month: int, day: int, year_ja: str) -> dt.date:
    """A real calendar date, or an error that says which part is impossible."""
    if not 1 <= year <= dt.MAXYEAR:
        raise NormalizeError("date_year", "年が範囲外です", "The year is out of range")
    if not 1 <= month <= 12:
        raise NormalizeError("date_month", f"{month}月という月はありません。月は1〜12で入力してください",
                             f"There is no month {month}; the month must be 1 to 12")
    last = calendar.monthrange(year, month)[1]
    if not 1 <= day <= last:
        raise NormalizeError("date_day", f"{year_ja}{month}月は{last}日までです（{day}日という日はありません）",
                             f"{year}-{month:02d} has {last} days; there is no day {day}")
    return dt.date(year, month, day)


def _from_wareki(m: re.Match[str]) -> dt.date:
    era = _ERA_BY_KEY[m["era"].upper()]
    year = 1 if m["year"] == "元" else int(m["year"])
    if year == 0:
        raise NormalizeError("era_year", f"{era.name}0年はありません。1年目は「{era.name}元年」です",
                             f"There is no {era.romaji} 0; the first year is {era.romaji} 1 (元年)")
    d = _make_date(era.start.year + year - 1, int(m["month"]), int(m["day"]), f"{era.name}{_era_year(year)}年")
    typed = f"{era.name}{_era_year(year)}年{d.month}月{d.day}日"
    if d < era.start:
        older = ERAS[ERAS.index(era) + 1].name if era is not ERAS[-1] else "西暦"
        raise NormalizeError(
            "era_not_started",
            f"{era.name}は元年{era.start.month}月{era.start.day}日からです。それより前の日付は{older}で入力してください"
            f"（{typed}は{format_wareki(d)}のことです）",
            f"{era.romaji} began on {era.start}; {d} is {format_wareki(d)}",
        )
    if era.end is not None and d > era.end:
        newer = ERAS[ERAS.index(era) - 1]
        raise NormalizeError(
            "era_ended",
            f"{era.name}は{era.end.year - era.start.year + 1}年{era.end.month}月{era.end.day}日までです。"
            f"{newer.name}元年{newer.start.month}月{newer.start.day}日以降は{newer.name}で入力してください"
            f"（{typed}は{format_wareki(d)}のことです）",
            f"{era.romaji} ended on {era.end}; from {newer.start} use {newer.romaji} ({d} is {format_wareki(d)})",
        )
    return d


def parse_date(text: str) -> dt.date:
    """A date in 西暦 (2021-04-01, 2021/4/1, 2021年4月1日, 2021.4.1) or 和暦 (令和3年4月1日, R3.4.1, H31/4/30).

    >>> parse_date("2021年4月1日")
    datetime.date(2021, 4, 1)
    >>> parse_date("令和元年5月1日")
    datetime.date(2019, 5, 1)
    >>> parse_date("Ｒ３．４．１")
    datetime.date(2021, 4, 1)
    >>> parse_date("h31.4.30")
    datetime.date(2019, 4, 30)
    >>> parse_date("平成32年4月1日")
    Traceback (most recent call last):
    ...
    app.intake.normalize.NormalizeError: Heisei ended on 2019-04-30; from 2019-05-01 use Reiwa (2020-04-01 is 令和2年4月1日)
    """
    text = _clean(text)
    if m := _WAREKI.fullmatch(text):
        return _from_wareki(m)
    if m := _SEIREKI.fullmatch(text) or _COMPACT.fullmatch(text):
        year = int(m["year"])
        return _make_date(year, int(m["month"]), int(m["day"]), f"{year}年")
    if _YEAR_MONTH.fullmatch(text):
        raise NormalizeError("date_no_day", "日付は日まで入力してください（例: 2021年4月1日、令和3年4月1日）",
                             "Enter the day as well (e.g. 2021-04-01)")
    raise NormalizeError(
        "date_format",
        "日付を読み取れませんでした。「2021-04-01」「2021年4月1日」「令和3年4月1日」「R3.4.1」のように年・月・日を入力してください",
        "Could not read the date; write it like 2021-04-01, 2021年4月1日 or R3.4.1",
    )


# ---------------------------------------------------------------- 法人番号

# Hyphens or spaces may separate digits (7-0000-1205-0002), but not lead, trail or double up.
_CORPORATE_NUMBER = re.compile(r"[0-9]+(?:[- ][0-9]+)*")


def corporate_check_digit(base: str) -> int:
    """The check digit (the first of the 13) of a 12-digit base number, as the 国税庁 specifies it.

    >>> corporate_check_digit("000012050002")
    7
    >>> corporate_check_digit("180301018771")
    1
    """
    total = sum(int(digit) * (2 if n % 2 == 0 else 1) for n, digit in enumerate(reversed(base), start=1))
    return 9 - total % 9


def parse_corporate_number(text: str) -> str:
    """A 13-digit 法人番号 with a valid check digit; full-width digits, hyphens and spaces are accepted.

    >>> parse_corporate_number("７０００－０１２０－５０００２")
    '7000012050002'
    >>> parse_corporate_number("1 1803 0101 8771")
    '1180301018771'
    >>> parse_corporate_number("8000012050002")
    Traceback (most recent call last):
    ...
    app.intake.normalize.NormalizeError: The check digit does not match; check the corporate number for typos
    """
    text = to_halfwidth(text)
    if not _CORPORATE_NUMBER.fullmatch(text):
        raise NormalizeError("corporate_number_format", "法人番号は13桁の数字で入力してください",
                             "Enter the 13-digit corporate number")
    digits = text.replace("-", "").replace(" ", "")
    if len(digits) != 13:
        raise NormalizeError("corporate_number_length", f"法人番号は13桁です（入力は{len(digits)}桁です）",
                             f"A corporate number has 13 digits, not {len(digits)}")
    if int(digits[0]) != corporate_check_digit(digits[1:]):
        raise NormalizeError("corporate_number_check", "法人番号が正しくありません（確認用の先頭の数字が合いません）。入力を見直してください",
                             "The check digit does not match; check the corporate number for typos")
    return digits


# ---------------------------------------------------------------- yes / no


_TRUE = frozenset({"はい", "yes", "y", "true", "1", "あり", "有", "ある"})
_FALSE = frozenset({"いいえ", "no", "n", "false", "0", "なし", "無", "ない"})
_UNKNOWN = frozenset({"", "わからない", "分からない", "わかりません", "分かりません", "不明", "unknown"})


def parse_bool(text: str) -> bool | None:
    """はい/いいえ, yes/no, true/false, 1/0, あり/なし; None when the person does not know.

    >>> parse_bool("はい"), parse_bool("ＮＯ"), parse_bool("なし")
    (True, False, False)
    >>> print(parse_bool("わからない"))
    None
    """
    key = _SPACES.sub("", to_halfwidth(text)).casefold()
    if key in _TRUE:
        return True
    if key in _FALSE:
        return False
    if key in _UNKNOWN:
        return None
    raise NormalizeError("bool", "「はい」か「いいえ」で答えてください（わからない場合は「わからない」）",
                         "Answer yes or no (or 'unknown')")


# ---------------------------------------------------------------- 都道府県

PREFECTURES: tuple[str, ...] = (
    "北海道", "青森県", "岩手県", "宮城県", "秋田県", "山形県", "福島県", "茨城県", "栃木県", "群馬県",
    "埼玉県", "千葉県", "東京都", "神奈川県", "新潟県", "富山県", "石川県", "福井県", "山梨県", "長野県",
    "岐阜県", "静岡県", "愛知県", "三重県", "滋賀県", "京都府", "大阪府", "兵庫県", "奈良県", "和歌山県",
    "鳥取県", "島根県", "岡山県", "広島県", "山口県", "徳島県", "香川県", "愛媛県", "高知県", "福岡県",
    "佐賀県", "長崎県", "熊本県", "大分県", "宮崎県", "鹿児島県", "沖縄県",
)
# "東京" → 東京都, "京都" → 京都府; 北海道 keeps its 道 (nobody writes "北海").
_PREFECTURE_BY_NAME = {name: full for full in PREFECTURES for name in {full, full if full == "北海道" else full[:-1]}}


def normalize_prefecture(text: str) -> str:
    """The official name of one of the 47 prefectures, with or without 都・府・県.

    >>> normalize_prefecture("東京"), normalize_prefecture("京都"), normalize_prefecture("北海道")
    ('東京都', '京都府', '北海道')
    >>> normalize_prefecture(" 大阪府 ")
    '大阪府'
    """
    full = _PREFECTURE_BY_NAME.get(_SPACES.sub("", to_halfwidth(text)))
    if full is None:
        raise NormalizeError("prefecture", "都道府県名を正しく入力してください（例: 東京都、大阪府）",
                             "Enter a Japanese prefecture name (e.g. 東京都)")
    return full
