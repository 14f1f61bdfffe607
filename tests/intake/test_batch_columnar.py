"""The batch by columns writes the same file and messages as the same rows screened one by one (issue 15, item 4)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

import app.batch_columnar as BC
from app.batch import EXIT_FILE
from app.batch_run import run
from app.config import Settings
from app.intake.cells import Unplaced
from app.intake.columns import Column, parse_cell
from app.intake.normalize import NormalizeError
from app.services import Services
from eligibility.profile import Profile
from tests.support.member_list import BAD_EMPLOYEES, GOOD, HEAD, bad_cells_list

ROOT = Path(__file__).resolve().parents[2]

# Cell choices per heading: 和暦, 全角, 万・億, unknown, empty, bad and absurd values, names that give the type.
CHOICES: dict[str, list[str]] = {
    "会社名": ["株式会社テスト", "合同会社ミライ", "山田太郎", "=1+1", "＝ＳＵＭ（Ａ１）", "有限会社さくら", ""],
    "申請者の種類": ["会社・法人", "個人事業主", "会社", "", "わからない", "団体"],
    "設立日": ["令和4年4月1日", "H8.10.1", "2024-01-15", "昭和53年5月1日", "", "令和9年1月1日", "2025-13-01"],
    "従業員数": ["２５", "3", "300人", "1,000", "", "2.5", "たくさん", "0"],
    "資本金": ["１，０００万円", "300万円", "3億", "0.8億", "", "わからない", "1e400円", "5000万"],
    "業種": ["製造業", "ソフトウェア業", "小売業", "サービス業", "卸売業", "", "宇宙旅行業", "飲食店"],
    "都道府県": ["大阪府", "東京都", "静岡", "北海道", "", "東京", "ニューヨーク"],
    "大企業の出資比率（最大）": ["0%", "0", "50%", "5割", "0.5", "", "わからない", "2/3"],
    "大企業の出資比率（合計）": ["0%", "0", "60%", "", "0.7"],
    "国内出願": ["特許;意匠", "特許", "商標", "", "特許;商標;意匠"],
    "審査請求の状況": ["審査中", "審査請求前", "", "わからない"],
    "VC出資": ["はい", "いいえ", "", "わからない"],
    "関心": ["海外展開", "早期審査;資金調達", "模倣品対策", ""],
    "海外出願予定": ["特許:340万;意匠:80万", "", "商標:80万", "特許:300万"],
    "海外トラブル": ["", "模倣品:300万:現地権利あり", "模倣品"],
    "事業内容": ["金属加工。特許を中国へ出願したい。", "", "AI画像検査ソフト", "台湾で模倣品"],
    "大企業の役員比率": ["0%", "", "60%"],
    "大企業の完全子会社": ["いいえ", "", "はい"],
    "課税所得（3年平均）": ["1,800万円", "0", "", "▲500万", "20億"],
}
EXTRA = ["基準日", "住所"]
EXTRA_CHOICES = {"基準日": ["", "", "2025-09-01", "2026-06-01", "令和8年4月1日", "2026-02-30"],
                 "住所": ["", "東京都渋谷区渋谷1-1", "大阪府大阪市北区梅田1", "福岡市中央区天神1"]}


def roster(n: int, seed: int) -> bytes:
    rng = random.Random(seed)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(HEAD + EXTRA)
    w.writerows(GOOD + [BAD_EMPLOYEES] + [[] for _ in range(0)])
    for i in range(n):
        row = [rng.choice(CHOICES[h]) + (str(i) if h == "会社名" and rng.random() < 0.5 else "") for h in HEAD]
        w.writerow(row + [rng.choice(EXTRA_CHOICES[h]) for h in EXTRA])
        if i % 97 == 0:
            w.writerow([])  # an empty line is skipped by both
    return buf.getvalue().encode("utf-8")


@pytest.fixture(scope="module")
def services() -> Services:
    return Services.build(Settings())


def both(services: Services, tmp_path: Path, data: bytes, **kw: Any) -> tuple[bytes, str, bytes, str]:
    src = tmp_path / "in.csv"
    src.write_bytes(data)
    out = {}
    for by_columns in (True, False):
        err = io.StringIO()
        dst = tmp_path / f"out-{by_columns}.csv"
        code, summary = run(services, src, dst, stderr=err, as_of=dt.date(2025, 10, 1), by_columns=by_columns, **kw)
        assert code == 0
        lines = err.getvalue().splitlines()
        out[by_columns] = (dst.read_bytes(), "\n".join(lines[:-1]), summary)  # the last line holds the time
    (cols, cols_err, cs), (rows, rows_err, rs) = out[True], out[False]
    assert (cs.processed, cs.ok, cs.errors) == (rs.processed, rs.ok, rs.errors)
    return cols, cols_err, rows, rows_err


@pytest.mark.parametrize("seed", [1, 2])
def test_columns_write_what_rows_write(services: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       seed: int) -> None:
    monkeypatch.setattr(BC, "CHUNK_ROWS", 37)  # many chunks, with dates mixed inside each
    cols, cols_err, rows, rows_err = both(services, tmp_path, roster(300, seed))
    assert cols == rows
    assert cols_err == rows_err
    text = cols.decode("utf-8-sig")
    assert text.count("\r\n") == 305 and ",error," in text and ",ok," in text  # the sample has both kinds


def test_columns_in_parallel_and_in_english(services: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(BC, "CHUNK_ROWS", 50)
    cols, cols_err, rows, rows_err = both(services, tmp_path, roster(260, 3), jobs=2, lang="en", top=5)
    assert cols == rows and cols_err == rows_err


def test_bad_cells_and_the_example(services: Services, tmp_path: Path) -> None:
    data, _ = bad_cells_list("cp932")
    cols, cols_err, rows, rows_err = both(services, tmp_path, data)
    assert cols == rows and cols_err == rows_err
    example = (ROOT / "examples" / "members.csv").read_bytes()
    cols, cols_err, rows, rows_err = both(services, tmp_path, example)
    assert cols == rows and cols_err == rows_err


def test_a_group_the_columns_fail_on_is_screened_row_by_row(services: Services, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*a: Any, **k: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(BC, "screen_table", broken)
    cols, cols_err, rows, rows_err = both(services, tmp_path, roster(40, 4))
    assert cols == rows and cols_err == rows_err


def test_a_row_the_reader_cannot_read_stops_the_run_without_output(services: Services, tmp_path: Path) -> None:
    data = roster(30, 5) + ("株式会社X," + "あ" * 200_000 + "\r\n").encode()  # over the csv module's field limit
    src, dst = tmp_path / "in.csv", tmp_path / "out.csv"
    src.write_bytes(data)
    err = io.StringIO()
    code, _ = run(services, src, dst, stderr=err, as_of=dt.date(2025, 10, 1))
    assert code == EXIT_FILE
    assert "CSV" in err.getvalue() and not dst.exists()


def test_each_distinct_cell_is_parsed_once() -> None:
    calls: list[str] = []

    def parse(text: str) -> Any:
        calls.append(text)
        if text == "bad":
            raise NormalizeError("x", "だめ", "bad")
        if text == "odd":
            raise Unplaced("x", "不明", "unplaced")
        return int(text)

    col, cache = Column("employees", parse), {}
    got = [parse_cell(col, t, cache) for t in ["1", "2", "1", "bad", "bad", "odd", "1", "odd"]]
    assert calls == ["1", "2", "bad", "odd"]
    assert [k for k, _ in got] == ["ok", "ok", "ok", "error", "error", "note", "ok", "note"]
    assert got[2] == ("ok", 1)
    assert parse_cell(col, "1", None) == ("ok", 1) and calls[-1] == "1"  # without a cache: parsed again


# ------------------------------------------------------------------ profiles known valid without pydantic per row


def _same_profile(fast: Profile, slow: Profile) -> None:
    assert vars(fast) == vars(slow) and list(vars(fast)) == list(vars(slow))
    assert fast.model_fields_set == slow.model_fields_set and fast == slow


PROFILES: list[dict[str, Any]] = [
    {"company_name": "株式会社テスト", "applicant_type": "corporation", "established_on": "2021-04-01", "employees": 3,
     "capital_yen": 3_000_000, "industry": "software", "prefecture": "東京都", "as_of": "2025-09-01",
     "domestic_applications": ["patent", "design"], "interests": ["overseas"], "description": "金属加工",
     "foreign_filings": [{"right": "patent", "cost_yen": 3_000_000, "already_filed": False}],
     "large_company_shareholding": {"largest": 0.1, "combined": 0.2}, "vc_backed": False},
    {"company_name": "A" * 200, "employees": 0, "as_of": "2025-09-01", "municipality": "愛知県岡崎市"},
    {"company_name": "A" * 201, "as_of": "2025-09-01"},  # too long
    {"company_name": "株式会社\x00ヌル", "as_of": "2025-09-01"},  # a control character
    {"company_name": "株式会社\udcffX", "as_of": "2025-09-01"},  # a lone surrogate
    {"description": "金属\x07加工", "as_of": "2025-09-01"},
    {"established_on": "2026-04-01", "as_of": "2025-09-01"},  # founded after the reference date
    {"established_on": "2025-09-01", "as_of": "2025-09-01"},  # on the day: valid
    {"employees": True, "as_of": "2025-09-01"},  # a bool is not an int (True == 1 must not share a cache entry)
    {"employees": 1, "vc_backed": 1, "as_of": "2025-09-01"},
    {"employees": -1, "as_of": "2025-09-01"},
    {"large_company_shareholding": {"largest": 0.5, "combined": 0.2}, "as_of": "2025-09-01"},  # largest > combined
    {"prefecture": "ニューヨーク", "as_of": "2025-09-01"},
    {"as_of": "1999-12-31"},
    {"prior_awards": [{"program_id": "x", "fiscal_year": 2024, "amount_yen": 1}], "as_of": "2025-09-01"},
    {"unknown_key": 1, "as_of": "2025-09-01"},
]


def test_known_valid_is_the_validated_profile_or_none() -> None:
    cache: BC.FieldCache = {}
    known = 0
    for _ in range(2):  # the second time from the cache
        for data in PROFILES:
            fast = BC.known_valid(dict(data), cache)
            try:
                slow = Profile.model_validate(data)
            except ValidationError:
                assert fast is None, data
                continue
            if fast is not None:
                known += 1
                _same_profile(fast, slow)
    assert known == 2 * 3  # the valid ones (3), not the one with prior awards (left to the engine's check)
    assert BC.TEXT_LIMITS == {"company_name": 200, "description": 4000}
    # The profile's checks are the ones validation by fields knows (a new one: review app/batch_columnar.py).
    assert BC.BY_FIELDS


def test_an_unknown_profile_check_turns_the_fast_path_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(BC, "BY_FIELDS", False)
    assert BC.known_valid(dict(PROFILES[0]), {}) is None
    assert BC.RecordReader([(0, "会社名"), (1, "従業員数")]).profiles([["株式会社A", "3"]], "2025-10-01") == [None]


def test_the_record_reader_reads_what_to_profile_reads(services: Services) -> None:
    from app.intake.columns import csv_records, decode, row_of, to_profile

    good = io.StringIO()
    csv.writer(good, lineterminator="\r\n").writerows([f"{row[0]}{i}", *row[1:], "", ""] for i in range(30) for row in GOOD)
    text = decode(roster(400, 6) + good.getvalue().encode() + bad_cells_list()[0].split(b"\r\n", 1)[1])
    _, use, records = csv_records(text)
    reader, fast = BC.RecordReader(use), 0
    for number, record in records:
        got = reader.profile(record, "2025-10-01")
        row = row_of(number, record, use)
        profile, _, errors = to_profile(row, {})
        profile.setdefault("as_of", "2025-10-01")
        if got is None:
            continue
        fast += 1
        assert not errors and not row.notes, number
        _same_profile(got[0], services.engine.validate(profile))
        assert got[1] == BC._name(profile)
    assert fast >= 90  # the good rows at least: with a type, no address, no bad cell


def test_collections_are_restored_after_a_run() -> None:
    import gc

    import app.batch_run as BR

    before = gc.get_threshold()
    with BR._few_collections():
        assert gc.get_threshold()[0] == BR.GC_GEN0 and gc.get_freeze_count() > 0
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0


def test_a_parser_bug_fails_its_row_alone_as_row_by_row(services: Services, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    import app.intake.columns as IC

    real = IC.parse_cell

    def buggy(col: Column, raw: str, cache: Any) -> Any:
        if raw == "300人":
            raise RuntimeError("bug")
        return real(col, raw, cache)

    monkeypatch.setattr(IC, "parse_cell", buggy)
    monkeypatch.setattr(BC, "parse_cell", buggy)
    monkeypatch.setattr(BC.RecordReader, "_READERS", {})  # no verdict learned before the bug
    cols, cols_err, rows, rows_err = both(services, tmp_path, roster(120, 7))
    assert cols == rows and cols_err == rows_err
    assert "RuntimeError" in cols_err


def test_the_reader_keeps_few_free_texts(monkeypatch: pytest.MonkeyPatch) -> None:
    from app.intake.columns import csv_records, decode

    monkeypatch.setattr(BC, "TEXT_CACHE_CHARS", 500)
    _, use, records = csv_records(decode(roster(300, 8)))
    reader, rows = BC.RecordReader(use), [r for _, r in records]
    first = reader.profiles(rows, "2025-10-01")
    assert 0 < reader.text_chars <= 500 + max(len(c) for r in rows for c in r)
    again = reader.profiles(rows, "2025-10-01")  # read again, partly from the cache: the same profiles
    assert [p and (vars(p[0]), p[1]) for p in first] == [p and (vars(p[0]), p[1]) for p in again]
    assert any(p is not None for p in first)
