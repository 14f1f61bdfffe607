"""`python -m app screen`: one bad cell (NUL, a control character, an absurd number, undecodable bytes) fails
only its row; the other rows are screened and every output is written (issue 16)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import pytest

from app.batch_run import run
from app.config import Settings
from app.services import Services
from tests.support.member_list import bad_cells_list


@pytest.fixture(scope="module")
def services() -> Services:
    return Services.build(Settings())


@pytest.mark.parametrize("encoding", ["utf-8", "cp932"])
@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_a_bad_cell_fails_only_its_row(services: Services, tmp_path: Path, encoding: str, suffix: str) -> None:
    data, bad = bad_cells_list(encoding)
    src = tmp_path / "in.csv"
    src.write_bytes(data)
    dst = tmp_path / f"out{suffix}"
    err = io.StringIO()
    code, summary = run(services, src, dst, as_of=dt.date(2025, 10, 1), stderr=err)
    assert code == 0, err.getvalue()
    assert (summary.processed, summary.ok, summary.errors) == (8, 2, 6), err.getvalue()
    text = dst.read_text(encoding="utf-8-sig")
    assert "\x00" not in text and "\x07" not in text
    if suffix == ".csv":
        rows = list(csv.DictReader(io.StringIO(text, newline="")))
        results = {int(r["行番号"]): (r["処理結果"], r["エラー内容"]) for r in rows}
    else:
        lines = [json.loads(line) for line in text.splitlines()]
        results = {b["row"]: (b["status"] if b["status"] == "error" else "ok",
                              " / ".join(f"{e['field']}: {e['message']}" for e in b.get("errors", []))) for b in lines}
    assert results[2][0] == results[9][0] == "ok"
    for number, heading in bad.items():
        status, reason = results[number]
        assert status == "error" and reason.startswith(heading + ":"), (number, results[number])
    assert "読み取れない文字があります" in results[7][1] and "読み取れない文字があります" in results[8][1]
    assert "使えない文字" in results[3][1] and "使えない文字" in results[4][1]
    assert "3行目: 会社名: 使えない文字" in err.getvalue()


def test_a_lone_surrogate_in_a_json_lines_row_fails_only_that_row(services: Services, tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text('{"company_name": "a\\u0000b", "employees": 3}\n{"company_name": "\\ud800x"}\n'
                   '{"employees": 1e400}\n{"a\\u0000": 1}\n{"company_name": "株式会社OK", "employees": 3}\n',
                   encoding="utf-8")
    for out in ("out.csv", "out.jsonl"):
        err = io.StringIO()
        code, summary = run(services, src, tmp_path / out, as_of=dt.date(2025, 10, 1), stderr=err)
        assert code == 0 and (summary.ok, summary.errors) == (1, 4), err.getvalue()
        written = (tmp_path / out).read_text(encoding="utf-8-sig")
        assert "株式会社OK" in written and "\x00" not in written


def test_a_file_that_is_mostly_unreadable_is_still_refused_as_a_whole(services: Services, tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    src.write_bytes("会社名,従業員数\r\n".encode() + b"\xff\xfe,1\r\n" * 5)
    err = io.StringIO()
    code, _ = run(services, src, tmp_path / "out.csv", stderr=err)
    assert code == 2 and "文字コードを判別できません" in err.getvalue()
