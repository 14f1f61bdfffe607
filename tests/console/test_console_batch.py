"""Batch screening in the advisor console (/console/batch, app/console/batch.py), on SQLite and PostgreSQL.

A chamber's staff uploads a member list (CP932 or UTF-8 with BOM); a background thread screens it, the job
page refreshes itself until it is done, bad rows are listed with their row numbers and Japanese reasons, and
the results come as a CSV for Excel (the command line's columns), one multi-page PDF (one A4 page per
company) and a ZIP of one PDF per company. Only the desk that uploaded a job sees it (404 otherwise);
uploads and downloads are in the audit log; the form needs the CSRF token; too large a list is refused.

PostgreSQL: as tests/test_console_isolation.py (TEST_DATABASE_URL; skipped when unreachable outside CI).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import shutil
import subprocess
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.batch_run import run
from app.console import batch as B
from app.console import batch_worker as W
from app.console.batch_rows import ChamberCsv
from app.console.seed import DEMO_PASSWORD, create_user
from app.store.base import utcnow
from app.store.batch_jobs import BatchJob, BatchJobRow
from app.store.console import AuditEvent, Case, CaseEvent, User
from app.store.screenings import ScreeningRecord
from tests.support.console import (
    ADMIN,
    CHAMBER,
    TOKYO,
    client,
    csrf,
    db,
    logged_in,
    login,
    served_app,
    text_of,
)
from tests.support.member_list import BAD_EMPLOYEES, GOOD, HEAD

ROOT = Path(__file__).resolve().parents[2]
WAIT_SECONDS = 120
AS_OF = "2025-10-01"
OSAKA_CHAMBER = "chamber.osaka@example.jp"  # chamber_staff of cci-osaka, made by the fixture

# Row 2, 3 (bad 設立日), 4, (5 empty), 6 (bad 従業員数), 7: spreadsheet row numbers.
BAD_DATE = [GOOD[0][0].replace("山田製作所", "月なし工業"), *GOOD[0][1:2], "令和7年13月1日", *GOOD[0][3:]]
ROWS = [GOOD[0], BAD_DATE, GOOD[1], [""] * len(HEAD), BAD_EMPLOYEES, GOOD[2]]
GOOD_NAMES = [GOOD[0][0], GOOD[1][0], GOOD[2][0]]


def member_list(encoding: str, rows: list[list[str]] = ROWS, head: list[str] = HEAD) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(["会員番号", *head])
    for i, row in enumerate(rows):
        w.writerow([f"M-{i:03d}" if any(row) else "", *row])
    return buf.getvalue().encode(encoding)


# ------------------------------------------------------------------ fixtures and helpers


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def app(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    def chamber_staff(application: FastAPI) -> None:
        with Session(application.state.store.engine) as s:  # type: ignore[attr-defined]
            create_user(s, OSAKA_CHAMBER, "大阪 商子", "chamber_staff", "cci-osaka", DEMO_PASSWORD)

    yield from served_app(request.param, tmp_path_factory.mktemp(f"batch-{request.param}"), prepare=chamber_staff)


@pytest.fixture(scope="module")
def chamber(app: FastAPI) -> TestClient:
    return logged_in(app, CHAMBER)


def upload(c: TestClient, data: bytes, filename: str = "会員名簿.csv", token: str | None = None,
           **fields: str) -> Any:
    form = {"csrf_token": csrf(c) if token is None else token, **fields}
    return c.post("/console/batch", data=form, files={"file": (filename, data, "text/csv")})


def start(c: TestClient, data: bytes, **fields: str) -> str:
    r = upload(c, data, **{"as_of": AS_OF, "create_cases": "yes", **fields})
    assert r.status_code == 303, text_of(r.text)[:2000]
    m = re.fullmatch(r"/console/batch/([0-9a-f-]{36})", r.headers["location"])
    assert m, r.headers["location"]
    return m.group(1)


def wait(c: TestClient, job_id: str) -> str:
    """Polls the job's page, as the browser does, until it stops refreshing itself; the last page."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        r = c.get(f"/console/batch/{job_id}")
        assert r.status_code == 200, r.text
        if 'http-equiv="refresh"' not in r.text:
            return r.text
        assert time.monotonic() < deadline, f"the job did not finish in {WAIT_SECONDS} s:\n{text_of(r.text)[:1500]}"
        time.sleep(0.2)


def job_of(app: FastAPI, job_id: str) -> BatchJob:
    with db(app) as s:
        job = s.get(BatchJob, job_id)
        assert job is not None
        return job


def rows_of(app: FastAPI, job_id: str) -> list[BatchJobRow]:
    with db(app) as s:
        return list(s.scalars(select(BatchJobRow).where(col(BatchJobRow.job_id) == job_id)
                              .order_by(col(BatchJobRow.number))).all())


def batch_audit(app: FastAPI, job_id: str, action: str) -> list[AuditEvent]:
    with db(app) as s:
        rows = s.scalars(select(AuditEvent).where(col(AuditEvent.action) == action)
                         .order_by(col(AuditEvent.id))).all()
        return [r for r in rows if (r.detail or {}).get("batch_job_id") == job_id]


def read_csv_download(r: Any) -> list[list[str]]:
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    assert r.content.startswith(b"\xef\xbb\xbf"), r.content[:10]  # BOM: Excel reads UTF-8
    assert "attachment" in r.headers["content-disposition"]
    return list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"), newline="")))


def poppler(tool: str, data: bytes, *args: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.skip(f"{tool} is missing (apt-get install poppler-utils)")
    return subprocess.run([path, *args, "-", "-"] if tool == "pdftotext" else [path, "-"], input=data,
                          capture_output=True, check=True).stdout.decode()


def pdf_pages(data: bytes) -> int:
    m = re.search(r"^Pages:\s+(\d+)", poppler("pdfinfo", data), re.M)
    assert m
    return int(m[1])


# ------------------------------------------------------------------ uploads, progress, results


def test_cp932_list_bad_rows_reported_with_row_numbers_good_rows_screened(
        app: FastAPI, chamber: TestClient, tmp_path: Path) -> None:
    data = member_list("cp932")
    job_id = start(chamber, data)
    page = text_of(wait(chamber, job_id))
    assert "状態: 完了" in page
    assert "処理した行 5件" in page and "判定できた会社 3件" in page and "エラーの行 2件" in page
    assert "使わなかった列: 会員番号" in page
    # The bad rows: the spreadsheet's row numbers (the empty row 5 counts) and the reasons in Japanese.
    errors = page.split("読み取れなかった行（2件）")[1].split("判定できた会社（3件）")[0]
    assert re.search(r"3行目 株式会社月なし工業 設立日: 13月という月はありません", errors), errors
    assert re.search(r"6行目 株式会社ソラテック 従業員数: .*整数", errors), errors
    good = page.split("判定できた会社（3件）")[1]
    for number, name in zip((2, 4, 7), GOOD_NAMES, strict=True):
        assert f"{number}行目 {name}" in good

    job = job_of(app, job_id)
    assert (job.status, job.total_rows, job.done_rows, job.ok_rows, job.error_rows) == ("done", 5, 5, 3, 2)
    assert job.desk_id == "cci-tokyo" and job.filename == "会員名簿.csv" and job.pdf_status == "none"
    rows = rows_of(app, job_id)
    assert [(r.number, r.status) for r in rows] == [(2, "ok"), (3, "error"), (4, "ok"), (6, "error"), (7, "ok")]
    with db(app) as s:
        for r in rows:
            if r.status == "error":
                assert r.screening_id is None and r.case_id is None and r.errors
                continue
            # Each company's screening is stored (source batch) with a case of the chamber's desk.
            rec = s.get(ScreeningRecord, r.screening_id)
            case = s.get(Case, r.case_id)
            assert rec is not None and rec.source == "batch" and rec.case_id == r.case_id
            assert rec.as_of == dt.date(2025, 10, 1) and rec.profile["company_name"] == r.company_name
            assert case is not None and case.desk_id == "cci-tokyo" and case.status == "screened"
            assert case.company_name == r.company_name and case.latest_screening_id == r.screening_id
            assert case.as_of == dt.date(2025, 10, 1) and "as_of" not in case.profile
            created = s.scalar(select(CaseEvent).where(col(CaseEvent.case_id) == case.id,
                                                       col(CaseEvent.kind) == "created"))
            assert created is not None and created.detail == {"batch_job_id": job_id, "row": r.number}
    # The cases are in the chamber's list, to follow up.
    listing = chamber.get("/console/cases", params={"q": GOOD_NAMES[1]})
    assert rows[2].case_id in listing.text
    assert chamber.get(f"/console/cases/{rows[2].case_id}").status_code == 200

    # The CSV: BOM, one line per company of the list, Japanese results and program names (issue 14); the same
    # candidates as `python -m app screen`.
    table = read_csv_download(chamber.get(f"/console/batch/{job_id}/results.csv"))
    assert table[0] == ChamberCsv("ja", 3).header()
    assert [(row[0], row[1], row[2]) for row in table[1:]] == [
        ("2", GOOD_NAMES[0], "対象"), ("3", "株式会社月なし工業", "エラー（読み取れない値）"), ("4", GOOD_NAMES[1], "対象"),
        ("6", "株式会社ソラテック", "エラー（読み取れない値）"), ("7", GOOD_NAMES[2], "対象")]
    assert "13月という月はありません" in table[2][3]
    src, dst = tmp_path / "members.csv", tmp_path / "out.csv"
    src.write_bytes(data)
    code, _ = run(app.state.services, src, dst, as_of=dt.date(2025, 10, 1), stderr=io.StringIO())  # type: ignore[attr-defined]
    assert code == 0
    with dst.open(encoding="utf-8-sig", newline="") as f:
        cli = list(csv.reader(f))
    assert [row[:2] + row[4:14] for row in cli[1:]] == [row[:2] + row[4:14] for row in table[1:]]

    # Audit: the upload, each case made from it, the page once finished and the download (one row per case).
    [created] = [a for a in batch_audit(app, job_id, "create") if a.case_id is None]
    assert created.user_id == user_id(app, CHAMBER) and created.desk_id == "cci-tokyo"
    assert created.detail["rows"] == 5 and created.detail["filename"] == "会員名簿.csv"
    case_rows = [a for a in batch_audit(app, job_id, "create") if a.case_id]
    assert sorted(a.case_id or "" for a in case_rows) == sorted(r.case_id or "" for r in rows if r.case_id)
    assert all(a.detail["source"] == "batch" for a in case_rows)
    exports = batch_audit(app, job_id, "export")
    assert {a.detail["format"] for a in exports} == {"csv"} and len(exports) == 3
    assert {a.case_id for a in exports} == {r.case_id for r in rows if r.case_id}
    assert batch_audit(app, job_id, "view")


def test_utf8_bom_list_and_the_printable_summaries(app: FastAPI, chamber: TestClient) -> None:
    data = "\ufeff".encode() + member_list("utf-8")
    job_id = start(chamber, data, make_pdfs="yes", create_cases="")
    page = wait(chamber, job_id)
    text = text_of(page)
    assert "判定できた会社 3件" in text and "エラーの行 2件" in text and "印刷用の要約（PDF）: 作成済み" in text
    assert f'href="/console/batch/{job_id}/summaries.pdf"' in page
    assert f'href="/console/batch/{job_id}/summaries.zip"' in page
    job = job_of(app, job_id)
    assert (job.pdf_status, job.pdf_total, job.pdf_done, job.pdf_parts) == ("done", 3, 3, 1)
    assert all(r.case_id is None for r in rows_of(app, job_id))  # no cases when the box is not ticked

    table = read_csv_download(chamber.get(f"/console/batch/{job_id}/results.csv"))
    assert [row[1] for row in table[1:] if row[2] == "対象"] == GOOD_NAMES

    # One PDF, one A4 page per company, Japanese text (the print template's, fonts embedded).
    r = chamber.get(f"/console/batch/{job_id}/summaries.pdf")
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    assert r.content.startswith(b"%PDF") and ".pdf" in r.headers["content-disposition"]
    assert pdf_pages(r.content) == 3
    info = poppler("pdfinfo", r.content)
    assert re.search(r"Page size:\s+595(\.\d+)? x 841(\.\d+)? pts \(A4\)", info), info
    pdf_text = poppler("pdftotext", r.content)
    for word in ("知財支援ナビ", "申請者の概要", "おすすめの制度", *GOOD_NAMES):
        assert word in pdf_text, word
    pages = pdf_text.split("\f")
    for i, name in enumerate(GOOD_NAMES):  # in the list's order, one company per page
        assert name in pages[i]
    assert chamber.get(f"/console/batch/{job_id}/summaries.pdf?part=2").status_code == 404

    # The ZIP: one PDF (one page) per good row, named by the company.
    r = chamber.get(f"/console/batch/{job_id}/summaries.zip")
    assert r.status_code == 200 and r.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(r.content)) as zf:
        assert zf.testzip() is None
        names = zf.namelist()
        assert names == [f"{name}.pdf" for name in GOOD_NAMES]
        for name, company in zip(names, GOOD_NAMES, strict=True):
            one = zf.read(name)
            assert one.startswith(b"%PDF") and pdf_pages(one) == 1
            assert company in poppler("pdftotext", one)

    exports = batch_audit(app, job_id, "export")
    assert [a.detail["format"] for a in exports] == ["csv", "pdf", "zip"]
    assert all(a.case_id is None and a.user_id == user_id(app, CHAMBER) for a in exports)


def test_english_upload_gives_an_english_csv(app: FastAPI, chamber: TestClient) -> None:
    chamber.get("/console/batch?lang=en")
    try:
        job_id = start(chamber, member_list("cp932", [GOOD[1]]), create_cases="")
        page = text_of(wait(chamber, job_id))
        assert "Status: Done" in page and "Row 2" in page
        table = read_csv_download(chamber.get(f"/console/batch/{job_id}/results.csv"))
        assert table[0] == ChamberCsv("en", 3).header() and table[1][2] == "eligible"
        assert table[1][5] == "INPIT IP Comprehensive Support Desk" or table[1][5].isascii(), table[1]
    finally:
        chamber.get("/console/batch?lang=ja")


def test_the_page_refreshes_itself_while_running_and_a_stalled_job_fails(app: FastAPI, chamber: TestClient) -> None:
    with db(app) as s:
        job = BatchJob(desk_id="cci-tokyo", user_id=user_id(app, CHAMBER), status="running", filename="big.csv",
                       total_rows=400, done_rows=100)
        stalled = BatchJob(desk_id="cci-tokyo", user_id=user_id(app, CHAMBER), status="running", filename="old.csv",
                           total_rows=10, done_rows=3, updated_at=utcnow() - B.STALE - dt.timedelta(minutes=1))
        s.add_all([job, stalled])
        s.commit()
    r = chamber.get(f"/console/batch/{job.id}")
    assert r.status_code == 200 and '<meta http-equiv="refresh" content="2">' in r.text
    assert '<progress max="400" value="100"' in r.text
    assert "判定の進み具合: 100 / 400件（25%）" in text_of(r.text)
    assert "results.csv" not in r.text  # nothing to download yet
    assert chamber.get(f"/console/batch/{job.id}/results.csv").status_code == 409
    assert chamber.get(f"/console/batch/{job.id}/summaries.pdf").status_code == 409
    r = chamber.get(f"/console/batch/{stalled.id}")
    assert 'http-equiv="refresh"' not in r.text and "処理が途中で止まりました" in text_of(r.text)
    assert job_of(app, stalled.id).status == "failed"
    listing = chamber.get("/console/batch")
    assert listing.status_code == 200 and f"/console/batch/{job.id}" in listing.text and "big.csv" in listing.text


def test_finished_jobs_are_deleted_after_the_retention_period_and_their_cases_stay(
        app: FastAPI, chamber: TestClient) -> None:
    job_id = start(chamber, member_list("utf-8-sig", [GOOD[0]]), make_pdfs="yes")
    wait(chamber, job_id)
    case_ids = [r.case_id for r in rows_of(app, job_id) if r.case_id]
    assert case_ids and rows_of(app, job_id)
    days = app.state.services.settings.batch_retention_days  # type: ignore[attr-defined]
    assert f"{days}日後に削除されます" in text_of(chamber.get("/console/batch").text)
    with db(app) as s:
        old = s.get(BatchJob, job_id)
        assert old is not None
        old.created_at = utcnow() - dt.timedelta(days=days, minutes=1)
        busy = BatchJob(desk_id="cci-tokyo", user_id=user_id(app, CHAMBER), status="running", filename="busy.csv",
                        created_at=utcnow() - dt.timedelta(days=days + 5))
        s.add_all([old, busy])
        s.commit()
        busy_id = busy.id
    assert chamber.get("/console/batch").status_code == 200  # opening the list purges
    with db(app) as s:
        assert s.get(BatchJob, job_id) is None
        assert not rows_of(app, job_id)
        assert not s.scalars(select(B.BatchJobFile).where(col(B.BatchJobFile.job_id) == job_id)).all()
        assert s.get(BatchJob, busy_id) is not None  # a job still running is never deleted under its feet
        assert all(s.get(Case, cid) is not None for cid in case_ids)
    assert chamber.get(f"/console/batch/{job_id}").status_code == 404


# ------------------------------------------------------------------ refusals


def test_too_large_uploads_are_refused_in_japanese(app: FastAPI, chamber: TestClient) -> None:
    before = count_jobs(app)
    big = member_list("utf-8", [GOOD[0]])
    big += b"#" * (B.MAX_BYTES + 1 - len(big))
    r = upload(chamber, big)
    assert r.status_code == 413
    assert "ファイルが大きすぎます。5 MB までのファイルにしてください" in text_of(r.text)
    assert 'aria-invalid="true"' in r.text
    # Far too large: refused from the Content-Length, before the body is read.
    r = chamber.post("/console/batch", content=b"x" * (B.MAX_BYTES + B.FORM_OVERHEAD + 1),
                     headers={"content-type": "multipart/form-data; boundary=x"})
    assert r.status_code == 413 and "ファイルが大きすぎます" in text_of(r.text)
    many = member_list("utf-8", [GOOD[1]] * (B.MAX_ROWS + 1))
    assert len(many) < B.MAX_BYTES
    r = upload(chamber, many)
    assert r.status_code == 413 and "1回にアップロードできるのは5,000行（5,000社）まで" in text_of(r.text)
    assert "この名簿は5,001行" in text_of(r.text)
    assert count_jobs(app) == before


def test_unreadable_or_missing_files_are_refused(app: FastAPI, chamber: TestClient) -> None:
    before = count_jobs(app)
    r = upload(chamber, "氏名,電話番号\r\n山田,03-1234-5678\r\n".encode("cp932"))
    assert r.status_code == 422 and "1行目に見出し（会社名、従業員数、資本金 など）が見つかりません" in text_of(r.text)
    r = upload(chamber, b"")
    assert r.status_code == 422 and "名簿のファイルを選んでください" in text_of(r.text)
    r = upload(chamber, "会社名,従業員数\r\n".encode())
    assert r.status_code == 422 and "名簿に会社の行がありません" in text_of(r.text)
    r = upload(chamber, member_list("utf-8", [GOOD[0]]), as_of="令和7年13月1日")
    assert r.status_code == 422 and "13月という月はありません" in text_of(r.text)
    assert 'value="令和7年13月1日"' in r.text
    assert count_jobs(app) == before


def test_the_upload_needs_the_csrf_token(app: FastAPI, chamber: TestClient) -> None:
    before = count_jobs(app)
    for token in ("", "forged-token"):
        r = upload(chamber, member_list("utf-8", [GOOD[0]]), token=token)
        assert r.status_code == 403 and "CSRF" in text_of(r.text)
    r = chamber.post("/console/batch", files={"file": ("a.csv", member_list("utf-8", [GOOD[0]]), "text/csv")})
    assert r.status_code == 403
    assert count_jobs(app) == before
    anonymous = client(app)
    r = anonymous.post("/console/batch", files={"file": ("a.csv", b"x", "text/csv")})
    assert r.status_code == 303 and r.headers["location"].startswith("/console/login")


def test_only_chamber_staff_and_desk_admins_may_use_it(app: FastAPI) -> None:
    advisor = logged_in(app, TOKYO)
    r = advisor.get("/console/batch")
    assert r.status_code == 403 and "商工会議所の職員と窓口管理者だけ" in text_of(r.text)
    assert upload(advisor, member_list("utf-8", [GOOD[0]])).status_code == 403
    assert 'href="/console/batch"' not in advisor.get("/console/cases").text
    admin = logged_in(app, ADMIN)
    assert admin.get("/console/batch").status_code == 200
    chamber = logged_in(app, CHAMBER)
    assert 'href="/console/batch"' in chamber.get("/console/cases").text


def test_another_desk_gets_404_for_the_job_and_its_downloads(app: FastAPI, chamber: TestClient) -> None:
    job_id = start(chamber, member_list("cp932", [GOOD[2]]), make_pdfs="yes")
    wait(chamber, job_id)
    urls = [f"/console/batch/{job_id}", f"/console/batch/{job_id}/results.csv",
            f"/console/batch/{job_id}/summaries.pdf", f"/console/batch/{job_id}/summaries.zip"]
    for url in urls:
        assert chamber.get(url).status_code == 200, url
    others = [logged_in(app, ADMIN)]  # a desk admin of inpit-tokyo
    osaka = client(app)
    assert login(osaka, OSAKA_CHAMBER).status_code == 303  # chamber staff of another chamber
    others.append(osaka)
    exports_before = len(batch_audit(app, job_id, "export"))
    for c in others:
        for url in urls:
            r = c.get(url)
            assert r.status_code == 404, (url, r.status_code)
            assert "一括判定が見つかりません" in text_of(r.text) and GOOD[2][0] not in r.text
        assert job_id not in c.get("/console/batch").text
    assert len(batch_audit(app, job_id, "export")) == exports_before  # nothing was exported to them
    # Unknown and malformed ids answer the same.
    for url in ("/console/batch/00000000-0000-4000-8000-000000000000", "/console/batch/not-a-job/results.csv"):
        assert chamber.get(url).status_code == 404


# ------------------------------------------------------------------ small parts


def test_the_combined_document_puts_one_company_on_each_page() -> None:
    page = ('<html lang="ja" class="level-{n}"><head><title>t</title><style>html.level-2 {{ font-size: 8pt; }}'
            '</style></head><body><main class="sheet">{name}</main></body></html>')
    html = W.combined_html([(2, page.format(n=0, name="A社")), (5, page.format(n=2, name="B社"))], "一括")
    assert '<html lang="ja">' in html and "<title>一括</title>" in html
    assert ".company.level-2 { font-size: 8pt; }" in html and "html.level-2" not in html
    assert '<div class="company level-0" id="company-2"><main class="sheet">A社</main></div>' in html
    assert '<div class="company level-2" id="company-5"><main class="sheet">B社</main></div>' in html
    assert html.count("<body>") == 1 and ".company { break-after: page; }" in html
    with pytest.raises(ValueError):
        W.combined_html([(2, "<p>no body</p>")], "x")


# ------------------------------------------------------------------ helpers


def count_jobs(app: FastAPI) -> int:
    with db(app) as s:
        return len(s.scalars(select(BatchJob)).all())


def user_id(app: FastAPI, email: str) -> str:
    with db(app) as s:
        u = s.scalar(select(User).where(col(User.email) == email))
        assert u is not None
        return u.id


