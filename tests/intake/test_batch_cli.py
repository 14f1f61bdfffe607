"""Batch screening from the command line: encodings, Japanese headings, bad rows, outputs, the CLI itself."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from app.__main__ import main
from app.batch import EXIT_FILE
from app.batch_run import run
from app.config import Settings
from app.intake.columns import Row, column_for, to_profile
from app.services import Services

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"

from tests.support.member_list import BAD_EMPLOYEES, GOOD, HEAD  # noqa: E402


@pytest.fixture(scope="module")
def services() -> Services:
    return Services.build(Settings())


def write_csv(path: Path, rows: list[list[str]], encoding: str, head: list[str] = HEAD) -> Path:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(head)
    w.writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def read_out_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def screen(services: Services, src: Path, dst: Path, **kw: Any) -> tuple[int, Any, str]:
    err = io.StringIO()
    kw.setdefault("as_of", dt.date(2025, 10, 1))
    code, summary = run(services, src, dst, stderr=err, **kw)
    return code, summary, err.getvalue()


# ---------------------------------------------------------------- encodings


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp932"])
def test_csv_encodings(services: Services, tmp_path: Path, encoding: str) -> None:
    src = write_csv(tmp_path / "in.csv", GOOD, encoding)
    code, summary, err = screen(services, src, tmp_path / "out.csv")
    assert code == 0 and (summary.processed, summary.ok, summary.errors) == (3, 3, 0), err
    rows = read_out_csv(tmp_path / "out.csv")
    assert [r["会社名"] for r in rows] == ["株式会社山田製作所", "合同会社ミライ技研", "有限会社さくら食品"]
    assert [r["行番号"] for r in rows] == ["2", "3", "4"]
    assert all(r["処理結果"] == "ok" and r["基準日"] == "2025-10-01" for r in rows)


def test_all_encodings_give_the_same_output(services: Services, tmp_path: Path) -> None:
    outs = []
    for enc in ("utf-8", "utf-8-sig", "cp932"):
        src = write_csv(tmp_path / f"in-{enc}.csv", GOOD, enc)
        screen(services, src, tmp_path / f"out-{enc}.csv")
        outs.append((tmp_path / f"out-{enc}.csv").read_bytes())
    assert outs[0] == outs[1] == outs[2]


def test_undecodable_file_exits_2(services: Services, tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    src.write_bytes(b"\xff\xfe\x80\x81\xff\xff")
    code, _, err = screen(services, src, tmp_path / "out.csv")
    assert code == EXIT_FILE and "文字コード" in err


def test_missing_file_exits_2(services: Services, tmp_path: Path) -> None:
    code, _, err = screen(services, tmp_path / "nope.csv", tmp_path / "out.csv")
    assert code == EXIT_FILE and "読めません" in err


def test_no_known_heading_exits_2(services: Services, tmp_path: Path) -> None:
    src = write_csv(tmp_path / "in.csv", [["a", "b"]], "utf-8", head=["氏名", "電話番号"])
    code, _, err = screen(services, src, tmp_path / "out.csv")
    assert code == EXIT_FILE and "見出し" in err


# ---------------------------------------------------------------- output


def test_output_csv_is_for_excel(services: Services, tmp_path: Path) -> None:
    src = write_csv(tmp_path / "in.csv", GOOD, "utf-8")
    screen(services, src, tmp_path / "out.csv", top=2)
    data = (tmp_path / "out.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.count(b"\r\n") == 4 and b"\n" not in data.replace(b"\r\n", b"")
    rows = read_out_csv(tmp_path / "out.csv")
    head = list(rows[0])
    assert head[:5] == ["行番号", "会社名", "処理結果", "エラー内容", "基準日"]
    assert head[5:11] == ["候補1 制度名", "候補1 判定", "候補1 見込み額（円）", "候補2 制度名", "候補2 判定", "候補2 見込み額（円）"]
    assert head[-1] == "対象の制度ID"
    first = rows[0]
    assert first["候補1 判定"] in ("対象", "要確認")
    assert "foreign_filing_subsidy" in first["対象の制度ID"].split(";")
    amounts = [first[f"候補{i} 見込み額（円）"] for i in (1, 2)]
    assert any(a.isdigit() and int(a) > 0 for a in amounts)


def test_output_csv_in_english(services: Services, tmp_path: Path) -> None:
    src = write_csv(tmp_path / "in.csv", [*GOOD, BAD_EMPLOYEES], "utf-8")
    code, _, err = screen(services, src, tmp_path / "out.csv", lang="en", top=1)
    assert code == 0
    rows = read_out_csv(tmp_path / "out.csv")
    assert list(rows[0])[:8] == ["row", "company_name", "result", "errors", "as_of", "top1_program", "top1_status",
                                 "top1_estimate_yen"]
    assert rows[0]["top1_status"] in ("eligible", "needs info")
    assert "row 5: 従業員数: Enter a whole number" in err


def test_excel_formulas_are_neutralised(services: Services, tmp_path: Path) -> None:
    src = write_csv(tmp_path / "in.csv", [["=HYPERLINK(\"x\")", "会社・法人"] + [""] * 14], "utf-8")
    screen(services, src, tmp_path / "out.csv")
    assert read_out_csv(tmp_path / "out.csv")[0]["会社名"].startswith("'=")


def test_jsonl_in_and_out(services: Services, tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    lines = [
        json.dumps({"company_name": "A社", "applicant_type": "corporation", "employees": 10, "capital_yen": 10_000_000,
                    "industry": "manufacturing", "established_on": "2020-04-01"}, ensure_ascii=False),
        "",
        json.dumps({"company_name": "B社", "employees": "２０人", "capital_yen": "3億円", "established_on": "令和3年4月1日",
                    "applicant_type": "会社・法人", "interests": "海外;模倣品対策"}, ensure_ascii=False),
        "{not json",
        json.dumps({"company_name": "C社", "employees": -1}, ensure_ascii=False),
        json.dumps([1, 2]),
    ]
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, summary, err = screen(services, src, tmp_path / "out.jsonl")
    assert code == 0 and (summary.processed, summary.ok, summary.errors) == (5, 2, 3)
    out = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [o["row"] for o in out] == [1, 3, 4, 5, 6]
    assert [o["status"] for o in out] == ["ok", "ok", "error", "error", "error"]
    a, b = out[0], out[1]
    assert a["company_name"] == "A社" and a["as_of"] == "2025-10-01"
    assert {"results", "definitions", "phase", "catalog_version"} <= set(a)
    assert all({"program_id", "status", "rank", "estimate", "reasons"} <= set(r) for r in a["results"])
    assert b["definitions"]["sme"] in ("met", "unmet", "unknown")
    assert out[3]["errors"][0]["field"] == "employees"  # JSON Lines: the key as written
    assert "4行目" in err and "5行目" in err and "6行目" in err


def test_csv_to_jsonl_and_jsonl_to_csv(services: Services, tmp_path: Path) -> None:
    src = write_csv(tmp_path / "in.csv", GOOD, "cp932")
    screen(services, src, tmp_path / "out.ndjson")
    out = [json.loads(line) for line in (tmp_path / "out.ndjson").read_text(encoding="utf-8").splitlines()]
    assert len(out) == 3 and all(o["status"] == "ok" and o["results"] for o in out)
    code, summary, _ = screen(services, EXAMPLES / "members.jsonl", tmp_path / "out.csv")
    assert code == 0 and summary.ok == 3
    assert len(read_out_csv(tmp_path / "out.csv")) == 3


def test_format_flags(services: Services, tmp_path: Path) -> None:
    src = tmp_path / "members.txt"
    src.write_text(json.dumps({"company_name": "A社", "employees": 3}) + "\n", encoding="utf-8")
    code, summary, _ = screen(services, src, tmp_path / "out.txt", in_format="jsonl", out_format="jsonl")
    assert code == 0 and summary.ok == 1
    assert json.loads((tmp_path / "out.txt").read_text(encoding="utf-8"))["company_name"] == "A社"


# ---------------------------------------------------------------- bad rows


def test_bad_rows_reported_good_rows_processed(services: Services, tmp_path: Path) -> None:
    bad_date = list(GOOD[1])
    bad_date[0], bad_date[2] = "株式会社みらい", "令和9年13月1日"
    src = write_csv(tmp_path / "in.csv", [GOOD[0], BAD_EMPLOYEES, GOOD[2], bad_date], "cp932")
    code, summary, err = screen(services, src, tmp_path / "out.csv")
    assert code == 0
    assert (summary.processed, summary.ok, summary.errors) == (4, 2, 2)
    assert "3行目: 従業員数: 整数で入力してください" in err
    assert "5行目: 設立日: 13月という月はありません" in err
    assert "完了: 4件を処理（成功 2件、エラー 2件）" in err and "件/秒" in err
    rows = read_out_csv(tmp_path / "out.csv")
    assert [r["処理結果"] for r in rows] == ["ok", "error", "ok", "error"]
    assert rows[1]["エラー内容"].startswith("従業員数: 整数で入力してください")
    assert rows[1]["候補1 制度名"] == "" and rows[0]["候補1 制度名"]


def test_every_bad_cell_of_a_row_is_reported(services: Services, tmp_path: Path) -> None:
    row = list(BAD_EMPLOYEES)
    row[4] = "たくさん"
    row[6] = "ニューヨーク"
    src = write_csv(tmp_path / "in.csv", [row], "utf-8")
    _, _, err = screen(services, src, tmp_path / "out.csv")
    assert "2行目: 従業員数:" in err and "2行目: 資本金:" in err and "2行目: 都道府県:" in err


def test_profile_validation_errors_are_named_by_heading(services: Services, tmp_path: Path) -> None:
    shares = list(GOOD[0])
    shares[7], shares[8] = "60%", "30%"  # the largest holding cannot exceed the combined one
    late = list(GOOD[1])
    late[2] = "2030-01-01"  # after the reference date
    src = write_csv(tmp_path / "in.csv", [shares, late], "utf-8")
    code, summary, err = screen(services, src, tmp_path / "out.csv")
    assert code == 0 and summary.errors == 2
    assert "2行目: 大企業の出資比率（最大）・大企業の出資比率（合計）: 最大の1社の出資比率が" in err
    assert "3行目: 設立日: 設立日（2030-01-01）が基準日（2025-10-01）より後" in err


def test_unknown_columns_are_ignored_with_a_note(services: Services, tmp_path: Path) -> None:
    src = write_csv(tmp_path / "in.csv", [["A社", "090-0000-0000", "3"]], "utf-8", head=["会社名", "電話番号", "従業員数"])
    code, summary, err = screen(services, src, tmp_path / "out.csv")
    assert code == 0 and summary.ok == 1 and "電話番号" in err


# ---------------------------------------------------------------- headings and cells


def test_english_field_names_are_accepted(services: Services, tmp_path: Path) -> None:
    head = ["company_name", "applicant_type", "established_on", "employees", "capital_yen", "industry", "prefecture",
            "large_company_shareholding.largest", "large_company_shareholding.combined", "domestic_applications",
            "patent_exam_status", "vc_backed", "interests", "foreign_filings", "overseas_disputes", "description",
            "large_company_officer_ratio", "wholly_owned_by_large_parent", "avg_taxable_income_yen"]
    src = write_csv(tmp_path / "in.csv", GOOD, "utf-8", head=head)
    code, summary, err = screen(services, src, tmp_path / "out.csv")
    assert code == 0 and summary.ok == 3, err
    jp = write_csv(tmp_path / "jp.csv", GOOD, "utf-8")
    screen(services, jp, tmp_path / "jp-out.csv")
    assert [r["対象の制度ID"] for r in read_out_csv(tmp_path / "out.csv")] == \
        [r["対象の制度ID"] for r in read_out_csv(tmp_path / "jp-out.csv")]


def test_cells_are_normalised() -> None:
    cells = dict(zip(HEAD, GOOD[0], strict=True))
    cells.update({"基準日": "令和7年10月1日", "課税所得（3年平均）": "▲120万", "大企業の役員比率": "０．２５",
                  "大企業の完全子会社": "いいえ"})
    profile, _, errors = to_profile(Row(2, cells))
    assert errors == []
    assert profile == {
        "company_name": "株式会社山田製作所",
        "applicant_type": "corporation",
        "established_on": "1978-05-01",
        "employees": 25,
        "capital_yen": 10_000_000,
        "industry": "manufacturing",
        "prefecture": "大阪府",
        "large_company_shareholding": {"largest": 0.0, "combined": 0.0},
        "domestic_applications": ["patent", "design"],
        "patent_exam_status": "started",
        "vc_backed": False,
        "interests": ["overseas"],
        "foreign_filings": [{"right": "patent", "already_filed": False, "cost_yen": 3_400_000},
                            {"right": "design", "already_filed": False, "cost_yen": 800_000}],
        "description": "金属加工。特許を中国へ出願したい。",
        "as_of": "2025-10-01",
        "avg_taxable_income_yen": -1_200_000,
        "large_company_officer_ratio": 0.25,
        "wholly_owned_by_large_parent": False,
    }


def test_unknown_cells_are_left_out() -> None:
    cells = {"会社名": "A社", "従業員数": "わからない", "資本金": "", "VC出資": "わからない", "設立日": "不明",
             "都道府県": " ", "国内出願": "なし"}
    profile, _, errors = to_profile(Row(2, cells))
    assert errors == [] and profile == {"company_name": "A社", "domestic_applications": []}


@pytest.mark.parametrize(("heading", "cell", "field", "value"), [
    ("申請者の種類", "個人事業主", "applicant_type", "sole_proprietor"),
    ("申請者の種類", "sme_group", "applicant_type", "sme_group"),
    ("申請者の種類", "事業協同組合", "applicant_type", "sme_group"),
    ("資本金", "3億", "capital_yen", 300_000_000),
    ("資本金", "１億５，０００万円", "capital_yen", 150_000_000),
    ("業種", "software", "industry", "software"),
    ("業種", "サービス業", "industry", "services"),
    ("大企業の出資比率（合計）", "60%", "large_company_shareholding", {"combined": 0.6}),
    ("大企業の出資比率(最大)", "0.6", "large_company_shareholding", {"largest": 0.6}),
    ("意匠出願", "出願済み", "design_application", "filed"),
    ("VC出資", "はい", "vc_backed", True),
    ("関心", "海外、模倣品対策・早期審査", "interests", ["overseas", "enforcement", "fast_examination"]),
    ("海外トラブル", "冒認:150万:日本商標あり;模倣品", "overseas_disputes",
     [{"kind": "squatting", "cost_yen": 1_500_000, "holds_jp_trademark": True}, {"kind": "counterfeit"}]),
    ("海外出願予定", "商標：６０万：出願済み", "foreign_filings",
     [{"right": "trademark", "already_filed": True, "cost_yen": 600_000}]),
    ("設立日", "R3.4.1", "established_on", "2021-04-01"),
    ("従業員数", "２０人", "employees", 20),
])
def test_cell_forms(heading: str, cell: str, field: str, value: Any) -> None:
    profile, _, errors = to_profile(Row(2, {heading: cell}))
    assert errors == [] and profile[field] == value


@pytest.mark.parametrize(("heading", "cell", "fragment"), [
    ("従業員数", "2.5", "整数で入力してください"),
    ("資本金", "たくさん", "金額を読み取れませんでした"),
    ("設立日", "令和9年13月1日", "13月という月はありません"),
    ("大企業の出資比率（最大）", "150", "100以下"),  # a bare 60 is 60 % (app/intake/parsers.py)
    ("国内出願", "特許;著作権", "著作権"),
    ("海外出願予定", "特許:たくさん", "金額"),
    ("海外トラブル", "模倣品:100万:よくわからない", "現地権利あり"),
    ("VC出資", "たぶん", "はい"),
])
def test_bad_cells(heading: str, cell: str, fragment: str) -> None:
    """(業種 in free text is never an error: tests/intake/test_roster_columns.py.)"""
    _, _, errors = to_profile(Row(2, {heading: cell}))
    assert len(errors) == 1 and errors[0].label == heading and fragment in errors[0].message_ja


def test_heading_variants() -> None:
    assert column_for("\ufeff会社名").field == "company_name"  # type: ignore[union-attr]
    assert column_for(" 従業員数 ").field == "employees"  # type: ignore[union-attr]
    assert column_for("大企業の出資比率（最大）").field == "large_company_shareholding.largest"  # type: ignore[union-attr]
    assert column_for("常時使用する従業員の数").field == "employees"  # type: ignore[union-attr]
    assert column_for("備考") is None


def test_as_of_in_the_row_wins_over_the_flag(services: Services, tmp_path: Path) -> None:
    src = write_csv(tmp_path / "in.csv", [["A社", "令和6年4月1日"], ["B社", ""]], "utf-8", head=["会社名", "基準日"])
    screen(services, src, tmp_path / "out.csv")
    assert [r["基準日"] for r in read_out_csv(tmp_path / "out.csv")] == ["2024-04-01", "2025-10-01"]


# ---------------------------------------------------------------- progress, parallel, store


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_only_on_a_terminal(services: Services, tmp_path: Path) -> None:
    src = write_csv(tmp_path / "in.csv", [*GOOD, BAD_EMPLOYEES], "utf-8")
    tty = Tty()
    run(services, src, tmp_path / "out.csv", stderr=tty)
    assert "\r[" in tty.getvalue() and "4/4" in tty.getvalue() and "3行目" not in tty.getvalue()
    plain = io.StringIO()
    run(services, src, tmp_path / "out.csv", stderr=plain)
    assert "\r" not in plain.getvalue() and "5行目: 従業員数" in plain.getvalue()


def test_parallel_jobs_give_the_same_output(services: Services, tmp_path: Path) -> None:
    rows = [[f"{r[0]}{i}", *r[1:]] for i in range(50) for r in [*GOOD, BAD_EMPLOYEES]]
    src = write_csv(tmp_path / "in.csv", rows, "utf-8")
    code1, s1, err1 = screen(services, src, tmp_path / "one.csv")
    code2, s2, err2 = screen(services, src, tmp_path / "two.csv", jobs=2)
    assert code1 == code2 == 0 and (s1.ok, s1.errors) == (s2.ok, s2.errors) == (150, 50)
    assert (tmp_path / "one.csv").read_bytes() == (tmp_path / "two.csv").read_bytes()
    assert err1.splitlines()[:-1] == err2.splitlines()[:-1]


class FakeStore:
    def __init__(self) -> None:
        self.saved: list[tuple[Any, ...]] = []

    def save_screening(self, profile_dict: Any, screening: Any, body: dict[str, Any], source: str = "api",
                       lang: str = "ja") -> str:
        self.saved.append((profile_dict, body, source, lang))
        return str(len(self.saved))


def test_store_saves_each_good_row(services: Services, tmp_path: Path) -> None:
    src = write_csv(tmp_path / "in.csv", [*GOOD, BAD_EMPLOYEES], "utf-8")
    store = FakeStore()
    screen(services, src, tmp_path / "out.csv", store=store)
    assert len(store.saved) == 3
    assert {s[2] for s in store.saved} == {"batch"}
    assert store.saved[0][0]["company_name"] == "株式会社山田製作所" and "results" in store.saved[0][1]


def test_store_flag_with_a_real_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("app.store.db")
    from app.store.db import Store

    url = f"sqlite:///{tmp_path / 'navi.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    src = write_csv(tmp_path / "in.csv", GOOD, "utf-8")
    assert main(["screen", "-i", str(src), "-o", str(tmp_path / "out.csv"), "--as-of", "2025-10-01", "--store"]) == 0
    store = Store.from_url(url)
    try:
        assert store.count() == 3
    finally:
        store.dispose()


# ---------------------------------------------------------------- the command line


def test_cli_arguments(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as e:
        main(["screen", "-i", "x.csv", "-o", "y.csv", "--as-of", "令和7年2月30日"])
    assert e.value.code == 2 and "2月は28日まで" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["screen", "-i", "x.csv", "-o", "y.csv", "--top", "-1"])
    with pytest.raises(SystemExit):
        main([])
    assert main(["screen", "-i", str(tmp_path / "missing.csv"), "-o", str(tmp_path / "o.csv")]) == 2


def test_jobs_default_to_the_cores(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    import app.batch_run

    seen: list[int] = []

    def fake_run(*args: Any, **kw: Any) -> tuple[int, None]:
        seen.append(kw["jobs"])
        return 0, None

    monkeypatch.setattr(app.batch_run, "run", fake_run)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    src = write_csv(tmp_path / "in.csv", GOOD, "utf-8")
    assert main(["screen", "-i", str(src), "-o", str(tmp_path / "o.csv")]) == 0
    assert main(["screen", "-i", str(src), "-o", str(tmp_path / "o.csv"), "--jobs", "1"]) == 0
    monkeypatch.setattr(os, "cpu_count", lambda: 32)
    assert main(["screen", "-i", str(src), "-o", str(tmp_path / "o.csv")]) == 0
    assert seen == [2, 1, 8]


def test_cli_subprocess_on_the_example(tmp_path: Path) -> None:
    out = tmp_path / "results.csv"
    proc = subprocess.run(
        [sys.executable, "-m", "app", "screen", "--input", str(EXAMPLES / "members.csv"), "--output", str(out),
         "--as-of", "2025-10-01", "--top", "3"],
        cwd=ROOT, capture_output=True, text=True, encoding="utf-8", timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert "11行目: 設立日: 13月という月はありません" in proc.stderr
    assert "完了: 15件を処理（成功 14件、エラー 1件）" in proc.stderr
    assert "\r" not in proc.stderr  # not a terminal: no progress bar
    rows = read_out_csv(out)
    assert len(rows) == 15
    assert sum(r["処理結果"] == "error" for r in rows) == 1
    by_name = {r["会社名"]: r for r in rows}
    assert "counterfeit_countermeasure" in by_name["燕三条金属加工協同組合"]["対象の制度ID"]
    assert by_name["株式会社山田精密製作所"]["候補1 見込み額（円）"].isdigit()


def test_example_files_are_as_documented() -> None:
    raw = (EXAMPLES / "members.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    text = raw.decode("cp932")
    assert "令和9年13月1日" in text and "億" in text and "万" in text and any("０" <= c <= "９" for c in text)
    assert len((EXAMPLES / "members.jsonl").read_text(encoding="utf-8").splitlines()) == 3
    assert (EXAMPLES / "README.md").is_file()


def test_a_future_founding_date_is_reported_with_an_unreadable_cell(services: Services, tmp_path: Path) -> None:
    """Issue 14, item 7: a cell that cannot be read does not hide the profile's own checks."""
    row = list(BAD_EMPLOYEES)
    row[2] = "2030-01-01"  # after the reference date
    src = write_csv(tmp_path / "in.csv", [row], "utf-8")
    code, summary, err = screen(services, src, tmp_path / "out.csv")
    assert code == 0 and summary.errors == 1
    assert "2行目: 従業員数: 整数で入力してください" in err
    assert "2行目: 設立日: 設立日（2030-01-01）が基準日（2025-10-01）より後" in err
