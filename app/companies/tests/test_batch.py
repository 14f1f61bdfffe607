"""Roster prefill: blank cells only, what was filled is reported, many numbers within the rate limit; the CLI hook."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from pydantic import SecretStr

from app.batch_run import run
from app.companies.batch import fetch_many, fill_row
from app.companies.client import GbizClient, GbizError, RateLimit
from app.companies.tests import fake_gbizinfo as f
from app.companies.wiring import cli_prefill
from app.config import Settings
from app.intake.columns import column_for
from app.services import Services

ROOT = Path(__file__).resolve().parents[3]


def field_of(heading: str) -> str | None:
    col = column_for(heading)
    return col.field if col else None


PREFILL = {"source": {"provenance": "gBizINFO（2026年7月1日更新）より"}, "facts": {
    "capital_yen": {"value": 30000000, "provenance": "P"},
    "employees": {"value": 18, "provenance": "P", "suggestion": True},
    "prefecture": {"value": "東京都", "provenance": "P"},
    "established_on": {"value": "2019-04-01", "provenance": "P"},
    "municipality": {"value": "千代田区", "provenance": "P"},
}}


def test_fill_blank_cells_only_and_report_them():
    cells = {"法人番号": f.SAMPLE, "資本金": "1億円", "従業員数": "", "設立年月日": None, "都道府県": "わからない"}
    out, filled = fill_row(cells, PREFILL, field_of)
    assert out["資本金"] == "1億円"  # never overwritten
    assert out["都道府県"] == "わからない"  # an answer, kept
    assert out["従業員数"] == "18" and out["設立年月日"] == "2019-04-01"
    # The roster has a 市区町村 column (municipal programs): the missing column is added, filled and reported.
    assert out["市区町村"] == "千代田区"
    assert [(x.heading, x.field, x.confirm) for x in filled] == [
        ("従業員数", "employees", True), ("設立年月日", "established_on", False), ("市区町村", "municipality", False)]
    assert cells["従業員数"] == ""  # the input is not changed in place


def test_fill_adds_missing_columns_under_known_headings():
    out, filled = fill_row({"会社名": "A"}, PREFILL, field_of, fields={"capital_yen", "prefecture"})
    assert out == {"会社名": "A", "資本金": "30000000", "都道府県": "東京都"}
    assert {x.field for x in filled} == {"capital_yen", "prefecture"}


def test_fetch_many_asks_each_number_once_and_reports_progress():
    asked: list[str] = []
    progress: list[tuple[int, int]] = []

    def fetch(number: str):
        asked.append(number)
        if number == f.BROKEN:
            raise GbizError("unavailable")
        return None if number == f.MISSING else {"facts": {}}

    out = fetch_many([f.SAMPLE, f.MISSING, f.SAMPLE, f.BROKEN], fetch, progress=lambda d, t: progress.append((d, t)))
    assert sorted(asked) == sorted([f.SAMPLE, f.MISSING, f.BROKEN])
    assert progress[-1] == (3, 3) and len(progress) == 3
    assert out[f.SAMPLE].prefill == {"facts": {}}
    assert out[f.MISSING].prefill is None and "ありません" in out[f.MISSING].message_ja
    assert "接続できない" in out[f.BROKEN].message_ja


def test_rate_limit_spaces_requests():
    now = [0.0]
    slept: list[float] = []

    def sleep(s: float) -> None:
        slept.append(s)
        now[0] += s

    rate = RateLimit(4, clock=lambda: now[0], sleep=sleep)
    for _ in range(5):
        rate.wait()
    assert now[0] == 1.0 and slept == [0.25, 0.25, 0.25, 0.25]
    # A burst of 3 (one company's three requests) goes at once; the average stays 4 a second.
    now[0], slept[:] = 0.0, []
    burst = RateLimit(4, burst=3, clock=lambda: now[0], sleep=sleep)
    for _ in range(7):
        burst.wait()
    assert slept[:1] == [0.25] and len(slept) == 4 and now[0] == 1.0


def test_concurrent_calls_are_limited(fake):
    client = GbizClient(fake.url, SecretStr(f.TOKEN), max_concurrency=2, per_second=1000)
    numbers = [f.valid(f"{900000000000 + i}") for i in range(6)]  # unknown at the fake: one request each
    fake.delay, fake.max_in_flight = 0.15, 0
    try:
        with ThreadPoolExecutor(6) as pool:
            assert list(pool.map(client.fetch, numbers)) == [None] * 6
    finally:
        fake.delay = 0.0
    assert fake.max_in_flight == 2


ROSTER = (
    "会社名,法人番号,業種,資本金,従業員数\r\n"
    f"空欄の会社,{f.SAMPLE},製造業,,\r\n"
    f"書いてある会社,９０１０－４０１１－２３４５６,製造業,10億円,500\r\n"
    f"ない会社,{f.MISSING},製造業,,\r\n"
    "番号違い,9010401123457,製造業,,\r\n"
)


def test_batch_run_fills_blank_cells_by_corporate_number(tmp_path, fake):
    src, dst = tmp_path / "in.csv", tmp_path / "out.jsonl"
    src.write_text(ROSTER, encoding="utf-8")
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'c.db'}", gbizinfo_base_url=fake.url,
                        gbizinfo_token=SecretStr(f.TOKEN), gbizinfo_timeout_seconds=0.5)
    services = Services.build(settings)
    prefill = cli_prefill(settings, services.catalog.programs, field_of)
    assert prefill is not None
    err = io.StringIO()
    code, summary = run(services, src, dst, as_of=None, stderr=err, prefill=prefill)
    assert code == 0 and summary.processed == 4
    lines = [json.loads(x) for x in dst.read_text(encoding="utf-8").splitlines()]
    text = err.getvalue()
    row2 = next(line for line in text.splitlines() if line.startswith("2行目"))
    assert row2.startswith("2行目: 空欄を補完（gBizINFO（2026年7月1日更新）より）: 設立日=2019-04-01、資本金=30000000、")
    assert "従業員数=18（要確認）" in row2 and "都道府県=東京都" in row2
    row3 = next(line for line in text.splitlines() if line.startswith("3行目"))
    assert "資本金" not in row3 and "従業員数" not in row3 and "設立日=2019-04-01" in row3
    assert "4行目: 法人番号 5050005005266 の会社はgBizINFOにありません" in text
    # Filled: capital ¥30M ⇒ an SME; written: ¥1bn and 500 employees ⇒ not one (the roster wins).
    assert lines[0]["definitions"]["sme"] == "met" and lines[1]["definitions"]["sme"] == "unmet"
    assert lines[2]["status"] == "ok" and lines[3]["status"] == "error"
    assert "法人番号" in lines[3]["errors"][0]["field"]
    assert f.TOKEN not in text


def test_no_token_no_prefill(tmp_path):
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'c.db'}", gbizinfo_token=None)
    assert cli_prefill(settings, [], field_of) is None
    assert not (tmp_path / "c.db").exists()  # nothing touched


def test_cli_screen_uses_the_settings(tmp_path, fake):
    src, dst = tmp_path / "in.csv", tmp_path / "out.csv"
    src.write_text(ROSTER, encoding="utf-8")
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}", "NAVI_GBIZINFO_BASE_URL": fake.url,
           "NAVI_GBIZINFO_TOKEN": f.TOKEN, "NAVI_SEED_DEMO": "false"}
    r = subprocess.run([sys.executable, "-m", "app", "screen", "-i", str(src), "-o", str(dst), "--jobs", "1"],
                       cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "2行目: 空欄を補完" in r.stderr and f.TOKEN not in r.stderr + r.stdout


def test_batch_output_says_which_cells_were_filled(tmp_path, fake):
    src = tmp_path / "in.csv"
    src.write_text(ROSTER, encoding="utf-8")
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'c.db'}", gbizinfo_base_url=fake.url,
                        gbizinfo_token=SecretStr(f.TOKEN), gbizinfo_timeout_seconds=0.5)
    services = Services.build(settings)
    prefill = cli_prefill(settings, services.catalog.programs, field_of)
    for name in ("out.csv", "out.jsonl"):
        assert run(services, src, tmp_path / name, stderr=io.StringIO(), prefill=prefill)[0] == 0
    table = list(csv.reader(io.StringIO((tmp_path / "out.csv").read_text(encoding="utf-8-sig"))))
    column = table[0].index("gBizINFOで補完した項目")
    assert column == len(table[0]) - 1
    cells = [row[column] for row in table[1:]]
    assert "資本金=30000000" in cells[0] and "従業員数=18（要確認）" in cells[0]
    assert cells[0].endswith("（gBizINFO（2026年7月1日更新）より）")
    assert "資本金" not in cells[1] and "設立日=2019-04-01" in cells[1]  # the roster's 10億円 stays
    assert cells[2] == "" and cells[3] == ""  # unknown company, wrong number: nothing filled
    lines = [json.loads(x) for x in (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()]
    filled = {c["column"]: c for c in lines[0]["filled_from_gbizinfo"]}
    assert filled["従業員数"]["to_confirm"] is True and filled["資本金"]["value"] == "30000000"
    assert lines[2]["filled_from_gbizinfo"] == []
    # Without a token the output has no such column (nothing was asked).
    assert run(services, src, tmp_path / "plain.csv", stderr=io.StringIO(), prefill=None)[0] == 0
    assert "gBizINFOで補完した項目" not in (tmp_path / "plain.csv").read_text(encoding="utf-8-sig")
