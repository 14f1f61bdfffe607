"""Tests for app.normalize: examples from real forms, era boundaries, and properties on arbitrary text."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from app.intake.normalize import (
    MAX_VALUE,
    PREFECTURES,
    NormalizeError,
    corporate_check_digit,
    format_wareki,
    normalize_prefecture,
    parse_bool,
    parse_corporate_number,
    parse_date,
    parse_int,
    parse_yen,
    to_halfwidth,
)
from eligibility.facts import PREFECTURES as PROFILE_PREFECTURES
from eligibility.money import yen_ja


def error_code(fn: Callable[[str], object], text: str) -> str:
    with pytest.raises(NormalizeError) as info:
        fn(text)
    err = info.value
    assert err.message_ja and err.message_en, "every error explains itself in both languages"
    return err.code


# ---------------------------------------------------------------- to_halfwidth


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("２０人", "20人"),
        ("１，０００万円", "1,000万円"),
        ("ＡＢＣ", "ABC"),
        ("　東京都　", "東京都"),
        ("株式会社　テスト", "株式会社 テスト"),
        ("03\u22121234\u20145678", "03-1234-5678"),
        ("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u2043\uff0d\ufe63", "-" * 10),
        ("090ー1234ー5678", "090-1234-5678"),
        ("ｰ", "ー"),  # half-width 長音 alone stays a 長音
        ("コーヒー", "コーヒー"),
        ("1ーA", "1ーA"),
    ],
)
def test_to_halfwidth(text: str, expected: str) -> None:
    assert to_halfwidth(text) == expected


@given(st.text())
def test_to_halfwidth_is_idempotent(text: str) -> None:
    once = to_halfwidth(text)
    assert to_halfwidth(once) == once


# ---------------------------------------------------------------- parse_int


@pytest.mark.parametrize(
    ("text", "expected"),
    [("２０", 20), ("20人", 20), ("20 名", 20), ("３社", 3), ("12件", 12), ("1,000", 1000), ("0", 0), ("１，２３４人", 1234)],
)
def test_parse_int(text: str, expected: int) -> None:
    assert parse_int(text) == expected


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "empty"),
        ("　", "empty"),
        ("-3", "negative"),
        ("−3人", "negative"),
        ("▲3", "negative"),
        ("2.5", "decimal"),
        ("２．５人", "decimal"),
        ("約20人", "int_format"),
        ("1,0000", "int_format"),
        ("二十", "int_format"),
        ("20円", "int_format"),
        ("1" * 16, "too_large"),
        ("1" * 200, "too_long"),
    ],
)
def test_parse_int_rejects(text: str, code: str) -> None:
    assert error_code(parse_int, text) == code


@given(st.integers(min_value=0, max_value=MAX_VALUE), st.sampled_from(["", "人", "名", "社", "件"]))
def test_parse_int_reads_formatted_numbers(n: int, unit: str) -> None:
    assert parse_int(f"{n:,}{unit}") == n
    assert parse_int(f"{n}{unit}") == n


# ---------------------------------------------------------------- parse_yen


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1,000万円", 10_000_000),
        ("3億", 300_000_000),
        ("1億5000万", 150_000_000),
        ("1億5,000万円", 150_000_000),
        ("１，０００万円", 10_000_000),
        ("2.5万", 25_000),
        ("1.5億円", 150_000_000),
        ("500000", 500_000),
        ("¥1,200,000", 1_200_000),
        ("￥1,200,000", 1_200_000),
        ("\\1,200,000", 1_200_000),  # the ¥ key on a Japanese keyboard
        ("5千万円", 50_000_000),
        ("1億2千万", 120_000_000),
        ("3千円", 3_000),
        ("123万4,567円", 1_234_567),
        ("1億 5000万 円", 150_000_000),
        ("1億20", 100_000_020),
        ("0円", 0),
        ("1,000億円", 100_000_000_000),
    ],
)
def test_parse_yen(text: str, expected: int) -> None:
    assert parse_yen(text) == expected


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("300万円以下", "yen_qualifier"),
        ("約300万円", "yen_qualifier"),
        ("1億円超", "yen_qualifier"),
        ("100〜200万円", "yen_qualifier"),
        ("0.00001万", "yen_fraction"),
        ("1000.5円", "yen_fraction"),
        ("-100万円", "negative"),
        ("▲100万円", "negative"),
        ("¥-1,000", "negative"),
        ("10000001億", "too_large"),
        ("1" * 17, "too_large"),
        ("", "empty"),
        ("円", "yen_format"),
        ("万円", "yen_format"),
        ("百万円", "yen_format"),
        ("1億15000万", "yen_format"),  # a group at least as big as the unit before it is a slip
        ("1万20000", "yen_format"),
        ("1千2000", "yen_format"),
        ("1,0000円", "yen_format"),
        ("3万億", "yen_format"),
        ("100ドル", "yen_format"),
    ],
)
def test_parse_yen_rejects(text: str, code: str) -> None:
    assert error_code(parse_yen, text) == code


@given(st.integers(min_value=0, max_value=MAX_VALUE))
def test_parse_yen_reads_what_the_app_writes(n: int) -> None:
    assert parse_yen(yen_ja(n)) == n
    assert parse_yen(f"¥{n:,}") == n
    assert parse_yen(f"{n}円") == n


# ---------------------------------------------------------------- parse_date


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2021-04-01", dt.date(2021, 4, 1)),
        ("2021/4/1", dt.date(2021, 4, 1)),
        ("2021年4月1日", dt.date(2021, 4, 1)),
        ("2021.4.1", dt.date(2021, 4, 1)),
        ("２０２１年４月１日", dt.date(2021, 4, 1)),
        ("20210401", dt.date(2021, 4, 1)),
        ("令和3年4月1日", dt.date(2021, 4, 1)),
        ("令和元年5月1日", dt.date(2019, 5, 1)),
        ("令和 3 年 4 月 1 日", dt.date(2021, 4, 1)),
        ("R3.4.1", dt.date(2021, 4, 1)),
        ("r03/04/01", dt.date(2021, 4, 1)),
        ("H31/4/30", dt.date(2019, 4, 30)),
        ("h31.4.30", dt.date(2019, 4, 30)),
        ("Ｒ３．４．１", dt.date(2021, 4, 1)),
        ("㋿3年4月1日", dt.date(2021, 4, 1)),  # the one-character era sign
        ("㍻31年4月30日", dt.date(2019, 4, 30)),
        ("平成31年4月30日", dt.date(2019, 4, 30)),
        ("昭和64年1月7日", dt.date(1989, 1, 7)),
        ("S64.1.7", dt.date(1989, 1, 7)),
        ("平成元年1月8日", dt.date(1989, 1, 8)),
        ("昭和元年12月25日", dt.date(1926, 12, 25)),
        ("大正15年12月25日", dt.date(1926, 12, 25)),
        ("T1.7.30", dt.date(1912, 7, 30)),
        ("令和2年2月29日", dt.date(2020, 2, 29)),
    ],
)
def test_parse_date(text: str, expected: dt.date) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("昭和64年1月8日", "era_ended"),
        ("昭和65年1月1日", "era_ended"),
        ("平成31年5月1日", "era_ended"),
        ("平成32年1月1日", "era_ended"),
        ("平成32年12月31日", "era_ended"),
        ("平成元年1月7日", "era_not_started"),
        ("令和元年4月30日", "era_not_started"),
        ("大正元年7月29日", "era_not_started"),
        ("令和0年5月1日", "era_year"),
        ("2021年2月30日", "date_day"),
        ("令和3年2月29日", "date_day"),
        ("2021/13/1", "date_month"),
        ("2021-00-10", "date_month"),
        ("0000-01-01", "date_year"),
        ("2021年4月", "date_no_day"),
        ("令和3年4月", "date_no_day"),
        ("R3.4", "date_no_day"),
        ("2021-04", "date_no_day"),
        ("21/4/1", "date_format"),  # a two-digit year is ambiguous (2021? 令和21年?)
        ("明治45年1月1日", "date_format"),
        ("X3.4.1", "date_format"),
        ("きのう", "date_format"),
        ("", "empty"),
    ],
)
def test_parse_date_rejects(text: str, code: str) -> None:
    assert error_code(parse_date, text) == code


def test_era_messages_say_where_the_era_ends() -> None:
    with pytest.raises(NormalizeError) as info:
        parse_date("平成32年4月1日")
    assert info.value.message_ja.startswith("平成は31年4月30日までです。令和元年5月1日以降は令和で入力してください")
    assert "令和2年4月1日" in info.value.message_ja  # the date the person meant
    with pytest.raises(NormalizeError) as info:
        parse_date("令和元年4月30日")
    assert "平成31年4月30日" in info.value.message_ja
    with pytest.raises(NormalizeError) as info:
        parse_date("2021年2月30日")
    assert info.value.message_ja == "2021年2月は28日までです（30日という日はありません）"


@pytest.mark.parametrize(
    ("d", "expected"),
    [
        (dt.date(2019, 5, 1), "令和元年5月1日"),
        (dt.date(2021, 4, 1), "令和3年4月1日"),
        (dt.date(2019, 4, 30), "平成31年4月30日"),
        (dt.date(1989, 1, 8), "平成元年1月8日"),
        (dt.date(1989, 1, 7), "昭和64年1月7日"),
        (dt.date(1926, 12, 25), "昭和元年12月25日"),
        (dt.date(1926, 12, 24), "大正15年12月24日"),
        (dt.date(1912, 7, 29), "1912年7月29日"),
    ],
)
def test_format_wareki(d: dt.date, expected: str) -> None:
    assert format_wareki(d) == expected


@given(st.dates(min_value=dt.date(1000, 1, 1)))
def test_format_wareki_round_trips(d: dt.date) -> None:
    assert parse_date(format_wareki(d)) == d


@given(st.dates(min_value=dt.date(1000, 1, 1)), st.sampled_from(["{:%Y-%m-%d}", "{0.year}/{0.month}/{0.day}", "{:%Y%m%d}"]))
def test_parse_date_reads_gregorian(d: dt.date, pattern: str) -> None:
    assert parse_date(pattern.format(d)) == d


# ---------------------------------------------------------------- parse_corporate_number


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7000012050002", "7000012050002"),  # 国税庁
        ("７０００－０１２０－５０００２", "7000012050002"),
        ("7 0000 1205 0002", "7000012050002"),
        (" 1180301018771 ", "1180301018771"),  # トヨタ自動車
        ("1-1803-0101-8771", "1180301018771"),
    ],
)
def test_parse_corporate_number(text: str, expected: str) -> None:
    assert parse_corporate_number(text) == expected


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("8000012050002", "corporate_number_check"),
        ("7000012050003", "corporate_number_check"),
        ("700001205000", "corporate_number_length"),
        ("70000120500021", "corporate_number_length"),
        ("T7000012050002", "corporate_number_format"),
        ("7000--012050002", "corporate_number_format"),
        ("-7000012050002", "corporate_number_format"),
        ("", "corporate_number_format"),
    ],
)
def test_parse_corporate_number_rejects(text: str, code: str) -> None:
    assert error_code(parse_corporate_number, text) == code


def test_check_digit_formula_by_hand() -> None:
    # 000012050002 from the right: P1..P12 = 2,0,0,0,5,0,2,1,0,0,0,0; Q alternates 1,2.
    total = 2 * 1 + 5 * 1 + 2 * 1 + 1 * 2
    assert corporate_check_digit("000012050002") == 9 - total % 9 == 7


base_numbers = st.text(alphabet="0123456789", min_size=12, max_size=12)


@given(base_numbers)
def test_every_base_with_its_check_digit_is_accepted(base: str) -> None:
    number = f"{corporate_check_digit(base)}{base}"
    assert parse_corporate_number(number) == number


@given(base_numbers, st.integers(min_value=0, max_value=12), st.integers(min_value=1, max_value=9))
def test_single_digit_typos_are_caught(base: str, position: int, shift: int) -> None:
    number = f"{corporate_check_digit(base)}{base}"
    original = int(number[position])
    typo_digit = (original + shift) % 10
    # The formula works mod 9, so 0 <-> 9 is its one blind spot; every other single-digit typo is caught.
    assume(abs(typo_digit - original) != 9)
    typo = number[:position] + str(typo_digit) + number[position + 1:]
    assert error_code(parse_corporate_number, typo) == "corporate_number_check"


# ---------------------------------------------------------------- parse_bool


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("はい", True), ("いいえ", False), ("yes", True), ("No", False), ("ＹＥＳ", True), ("true", True),
        ("FALSE", False), ("1", True), ("０", False), ("あり", True), ("なし", False), ("有", True), ("無", False),
        ("わからない", None), ("不明", None), ("unknown", None), ("", None), ("  ", None),
    ],
)
def test_parse_bool(text: str, expected: bool | None) -> None:
    assert parse_bool(text) is expected


@pytest.mark.parametrize("text", ["たぶん", "2", "maybe", "はいいえ"])
def test_parse_bool_rejects(text: str) -> None:
    assert error_code(parse_bool, text) == "bool"


# ---------------------------------------------------------------- normalize_prefecture


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("東京", "東京都"), ("東京都", "東京都"), ("大阪", "大阪府"), ("北海道", "北海道"), ("京都", "京都府"),
        ("京都府", "京都府"), ("神奈川", "神奈川県"), ("　沖縄県　", "沖縄県"), ("鹿児島", "鹿児島県"),
    ],
)
def test_normalize_prefecture(text: str, expected: str) -> None:
    assert normalize_prefecture(text) == expected


@pytest.mark.parametrize("text", ["", "北海", "東京府", "大阪都", "京", "横浜", "Tokyo"])
def test_normalize_prefecture_rejects(text: str) -> None:
    assert error_code(normalize_prefecture, text) == "prefecture"


def test_prefectures_match_the_profile() -> None:
    # The normaliser's output must pass the profile's own check.
    assert PREFECTURES == PROFILE_PREFECTURES
    assert len(set(PREFECTURES)) == 47
    for full in PREFECTURES:
        assert normalize_prefecture(full) == full
        assert normalize_prefecture(full.removesuffix("都").removesuffix("府").removesuffix("県")) == full


# ---------------------------------------------------------------- no crash on arbitrary text

HELPERS = [parse_int, parse_yen, parse_date, parse_corporate_number, parse_bool, normalize_prefecture, to_halfwidth]
# Text near the formats, so hypothesis reaches deep into the parsers rather than failing at the first character.
nearby_text = st.text(alphabet="0123456789０１２３,.-/ー−▲¥\\ 　億万千円人年月日元令和平成昭和大正RHShs以下約")


@pytest.mark.parametrize("helper", HELPERS, ids=lambda f: f.__name__)
@given(text=st.one_of(st.text(), nearby_text))
@example(text="1" * 5000)
@example(text="令和9999年1月1日")
@example(text="9" * 100 + "億")
def test_helpers_return_or_raise_normalize_error(helper: Callable[[str], object], text: str) -> None:
    try:
        helper(text)
    except NormalizeError as err:
        assert err.code and err.message_ja and err.message_en
