"""A chamber's real 30-row CP932 roster through the console batch (issue 14 item 6, issue 13 item 5), on SQLite
and PostgreSQL, with gBizINFO answered by the fake server of app/companies/tests.

事業所名 / 所在地 / 代表者名 / free-text 業種 / 法人番号 are read (no row rejected for its industry or headings);
the result CSV says 対象・要確認・対象外 with program names; the ZIP holds one PDF per company, named by it; a
member's PDF names the company and lists the chamber's own desk with INPIT and よろず; a re-upload of the same
file is noticed and its rows skipped on request; the template downloads and reads back; a 法人番号 fills blank
cells from gBizINFO (the roster's value wins), and the batch goes on when gBizINFO is down.
"""

from __future__ import annotations

import csv
import io
import re
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.companies.tests import fake_gbizinfo as f
from app.companies.tests.fake_gbizinfo import FakeGbiz
from app.config import Settings
from app.console.batch_rows import ChamberCsv
from app.factory import create_app, parts_of
from app.store.batch_jobs import BatchJob, BatchJobRow
from app.store.console import Case, CaseEvent
from tests.support.console import CHAMBER, csrf, db, logged_in, served_app, text_of

ROSTER = Path(__file__).resolve().parents[1] / "data" / "roster_cp932_30.csv"
WAIT_SECONDS = 300
AS_OF = "2026-12-01"
SOURCE = "gBizINFO（2026年7月1日更新）より"


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeGbiz]:
    server = FakeGbiz(slow_seconds=1.0).start()
    try:
        yield server
    finally:
        server.stop()


def _app(url: str, tmp: Path, base_url: str) -> FastAPI:
    application = create_app(Settings(database_url=url, search_db=tmp / "search.db", seed_demo=True,
                                      gbizinfo_base_url=base_url, gbizinfo_token=f.TOKEN,
                                      gbizinfo_timeout_seconds=0.5))
    parts_of(application).companies.lookup().client.backoff = 0.01
    return application


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def app(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, fake: FakeGbiz) -> Iterator[FastAPI]:
    yield from served_app(request.param, tmp_path_factory.mktemp(f"roster-{request.param}"),
                          build=lambda url, tmp: _app(url, tmp, fake.url))


@pytest.fixture(scope="module")
def chamber(app: FastAPI) -> TestClient:
    return logged_in(app, CHAMBER)


def upload(c: TestClient, data: bytes, filename: str = "会員名簿.csv", **fields: str) -> str:
    form = {"csrf_token": csrf(c), "as_of": AS_OF, "create_cases": "yes", **fields}
    r = c.post("/console/batch", data=form, files={"file": (filename, data, "text/csv")})
    assert r.status_code == 303, text_of(r.text)[:2000]
    m = re.fullmatch(r"/console/batch/([0-9a-f-]{36})", r.headers["location"])
    assert m, r.headers["location"]
    return m.group(1)


def wait(c: TestClient, job_id: str) -> str:
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        r = c.get(f"/console/batch/{job_id}")
        assert r.status_code == 200, r.text
        if 'http-equiv="refresh"' not in r.text:
            return r.text
        assert time.monotonic() < deadline, text_of(r.text)[:1500]
        time.sleep(0.3)


def rows_of(app: FastAPI, job_id: str) -> list[BatchJobRow]:
    with db(app) as s:
        return list(s.scalars(select(BatchJobRow).where(col(BatchJobRow.job_id) == job_id)
                              .order_by(col(BatchJobRow.number))).all())


def job_of(app: FastAPI, job_id: str) -> BatchJob:
    with db(app) as s:
        job = s.get(BatchJob, job_id)
        assert job is not None
        return job


def read_csv(r: Any) -> list[list[str]]:
    assert r.status_code == 200 and r.content.startswith(b"\xef\xbb\xbf"), r.content[:20]
    return list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"), newline="")))


def pdftotext(data: bytes) -> str:
    import shutil
    import subprocess
    path = shutil.which("pdftotext")
    if path is None:
        pytest.skip("pdftotext is missing (apt-get install poppler-utils)")
    return subprocess.run([path, "-", "-"], input=data, capture_output=True, check=True).stdout.decode()


def small_roster(*names: str) -> bytes:
    lines = ["事業所名,所在地,業種,従業員数"] + [f"{n},大阪府大阪市北区梅田1-1-1,印刷業,10" for n in names]
    return ("\r\n".join(lines) + "\r\n").encode("cp932")


# ------------------------------------------------------------------ the page and the template


def test_the_page_lists_the_headings_with_their_aliases_and_the_template_reads_back(app: FastAPI,
                                                                                   chamber: TestClient) -> None:
    page = chamber.get("/console/batch")
    text = text_of(page.text)
    for word in ("読める列と見出し", "事業所名", "商号", "所在地", "住所", "代表者名", "法人番号", "日本標準産業分類"):
        assert word in text, word
    assert 'href="/console/batch/template.csv"' in page.text
    r = chamber.get("/console/batch/template.csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"] and r.content.startswith(b"\xef\xbb\xbf")
    head = read_csv(r)[0]
    assert head[:4] == ["会社名", "法人番号", "代表者名", "所在地"] and "業種" in head
    job_id = upload(chamber, r.content, "名簿テンプレート.csv", make_pdfs="")
    page_text = text_of(wait(chamber, job_id))
    [row] = rows_of(app, job_id)
    assert row.status == "ok" and row.company_name == "株式会社サンプル製作所", page_text[:1500]
    assert job_of(app, job_id).ignored_columns == []


def test_advisors_cannot_download_the_template(app: FastAPI) -> None:
    assert logged_in(app, "advisor.tokyo@example.jp").get("/console/batch/template.csv").status_code == 403


# ------------------------------------------------------------------ the 30-row roster


def test_a_30_row_cp932_roster_is_screened_with_no_row_rejected(app: FastAPI, chamber: TestClient,
                                                                fake: FakeGbiz) -> None:
    job_id = upload(chamber, ROSTER.read_bytes(), make_pdfs="yes")
    page = wait(chamber, job_id)
    text = text_of(page)
    job = job_of(app, job_id)
    assert (job.status, job.total_rows, job.ok_rows, job.error_rows, job.skipped_rows) == ("done", 30, 30, 0, 0), text[:3000]
    assert sorted(job.ignored_columns) == ["会員番号", "電話番号"] and "no_name_column" not in job.notices
    assert job.file_sha256 and len(job.file_sha256) == 64 and job.pdf_status == "done"
    assert 'id="prefill-done"' in page and job.notices["prefill"]["total"] == 4  # rows 2–5 have a 法人番号
    rows = {r.number: r for r in rows_of(app, job_id)}
    assert rows[16].company_name == "16行目の会社"  # the row without a name is screened, named by its number
    assert rows[2].company_name == "株式会社丸の内印刷"

    # The CSV: Japanese results and program names, notes, the cells gBizINFO filled.
    table = read_csv(chamber.get(f"/console/batch/{job_id}/results.csv"))
    head = table[0]
    assert head == ChamberCsv("ja", 3).header()
    by_row = {int(line[0]): dict(zip(head, line, strict=True)) for line in table[1:]}
    assert len(by_row) == 30 and {line["判定結果"] for line in by_row.values()} <= {"対象", "要確認", "対象外"}
    assert all(line["エラー内容"] == "" for line in by_row.values())
    programs = {line[f"候補{i} 制度名"] for line in by_row.values() for i in (1, 2, 3)} - {""}
    assert "INPIT 知財総合支援窓口" in programs and not any(re.fullmatch(r"[a-z_]+", p) for p in programs)
    assert {line[f"候補{i} 判定"] for line in by_row.values() for i in (1, 2, 3)} <= {"対象", "要確認", "対象外", ""}
    # 株式会社 in the name makes the applicant a corporation, so the INPIT desk is 対象 (not 要確認).
    assert by_row[2]["候補1 制度名"] == "INPIT 知財総合支援窓口" and by_row[2]["候補1 判定"] == "対象"
    assert "INPIT 知財総合支援窓口" in by_row[3]["対象の制度"]
    assert "株式会社" in by_row[2]["確認事項"] and "法人と判断" in by_row[2]["確認事項"]
    assert "不動産業" in by_row[15]["確認事項"]  # outside the JSIC table: a note, the row screened
    assert "16行目の会社" == by_row[16]["会社名"] and "行番号で呼んでいます" in by_row[16]["確認事項"]
    # 法人番号 of row 2 is gBizINFO's sample: the blank 資本金 and 設立年月日 are filled, 所在地 stays the roster's.
    filled = by_row[2]["gBizINFOで補完した項目"]
    assert "資本金=30000000" in filled and "設立年月日=2019-04-01" in filled and SOURCE in filled, filled
    assert "gBizINFOにありません" in by_row[3]["確認事項"]  # a number gBizINFO does not know: a note, screened
    assert by_row[7]["gBizINFOで補完した項目"] == ""  # no 法人番号

    # The cases: the contact from 代表者名, the address read, the industry through JSIC, the prefill's source.
    with Session(app.state.store.engine) as s:  # type: ignore[attr-defined]
        case = s.get(Case, rows[2].case_id)
        assert case is not None and case.contact_name == "代表取締役 山田太郎" and case.prefecture == "東京都"
        assert case.profile["municipality"] == "千代田区" and case.profile["industry"] == "manufacturing"
        assert case.profile["applicant_type"] == "corporation" and case.profile["capital_yen"] == 30_000_000
        event = s.scalar(select(CaseEvent).where(col(CaseEvent.case_id) == case.id, col(CaseEvent.kind) == "prefill"))
        assert event is not None and event.detail["corporate_number"] == f.SAMPLE
        assert event.detail["fields"]["capital_yen"]["provenance"] == SOURCE
        textile = s.get(Case, rows[3].case_id)
        assert textile is not None and textile.profile["industry"] == "manufacturing"  # 繊維工業
        soft = s.get(Case, rows[4].case_id)
        assert soft is not None and soft.profile["industry"] == "software"  # ソフトウェア開発
    assert SOURCE in text_of(chamber.get(f"/console/cases/{rows[2].case_id}").text)
    assert fake.count(f.SAMPLE) >= 1

    # The ZIP: one PDF per company, named by it; a member's PDF names the company and the chamber's desk.
    r = chamber.get(f"/console/batch/{job_id}/summaries.zip")
    assert r.status_code == 200
    with zipfile.ZipFile(io.BytesIO(r.content)) as zf:
        names = zf.namelist()
        assert len(names) == 30 and len(set(names)) == 30
        assert "株式会社丸の内印刷.pdf" in names and "16行目の会社.pdf" in names
        assert not any(re.fullmatch(r"\d+\.pdf", n) for n in names)
        member = pdftotext(zf.read("株式会社丸の内印刷.pdf"))
    assert "株式会社丸の内印刷" in member
    assert "東京商工会議所" in member and "INPIT" in member and "よろず" in member, member
    assert member.index("東京商工会議所") < member.index("よろず")  # the chamber's own desk first


def test_the_same_file_twice_is_noticed_and_its_rows_skipped_on_request(app: FastAPI, chamber: TestClient) -> None:
    data = small_roster("株式会社重複テストA", "株式会社重複テストB")
    first = upload(chamber, data, make_pdfs="")
    wait(chamber, first)
    first_rows = rows_of(app, first)
    assert [r.status for r in first_rows] == ["ok", "ok"]

    def cases() -> int:
        with db(app) as s:
            return len(s.scalars(select(Case).where(col(Case.company_name).like("株式会社重複テスト%"))).all())

    assert cases() == 2
    second = upload(chamber, data, make_pdfs="")  # skip (the default)
    page = wait(chamber, second)
    text = text_of(page)
    assert "同じ内容のファイルを" in text and f'href="/console/batch/{first}"' in page
    assert "すでに案件になっている会社の行はとばしました" in text
    job = job_of(app, second)
    assert (job.ok_rows, job.skipped_rows, job.notices["same_file_as"]["job_id"]) == (0, 2, first)
    skipped = rows_of(app, second)
    assert [r.status for r in skipped] == ["skipped", "skipped"]
    assert [r.case_id for r in skipped] == [r.case_id for r in first_rows]
    assert cases() == 2
    table = read_csv(chamber.get(f"/console/batch/{second}/results.csv"))
    assert {line[2] for line in table[1:]} == {"とばした（この窓口で案件済み）"}

    third = upload(chamber, data, make_pdfs="", duplicates="again")
    text = text_of(wait(chamber, third))
    assert "重複もすべて判定する" in text and job_of(app, third).ok_rows == 2 and cases() == 4


def test_a_roster_without_a_name_column_warns_loudly_and_names_rows_by_number(app: FastAPI,
                                                                               chamber: TestClient) -> None:
    data = "所在地,業種,従業員数\r\n東京都港区芝1-1-1,繊維工業,5\r\n".encode("cp932")
    job_id = upload(chamber, data, make_pdfs="")
    page = wait(chamber, job_id)
    assert 'role="alert" id="no-name-column"' in page and "会社名の列が見つかりません" in text_of(page)
    [row] = rows_of(app, job_id)
    assert row.status == "ok" and row.company_name == "2行目の会社"


def test_in_english_the_page_the_csv_and_the_names_are_english(app: FastAPI, chamber: TestClient) -> None:
    page = text_of(chamber.get("/console/batch?lang=en").text)
    try:
        assert "Columns and headings read" in page and "Address (read as prefecture and municipality)" in page
        assert "事業所名" in page  # the headings stay as rosters write them
        job_id = upload(chamber, small_roster("株式会社英語テスト"), make_pdfs="")
        text = text_of(wait(chamber, job_id))
        assert "Company in row" not in text and "Notes" in text
        table = read_csv(chamber.get(f"/console/batch/{job_id}/results.csv"))
        assert table[0] == ChamberCsv("en", 3).header() and table[1][2] in ("eligible", "needs info")
        assert table[1][5] and table[1][5].isascii() and "taken as Corporation" in table[1][-2]
    finally:
        chamber.get("/console/batch?lang=ja")


# ------------------------------------------------------------------ gBizINFO down


def test_the_batch_goes_on_when_gbizinfo_is_down(tmp_path: Path) -> None:
    application = _app(f"sqlite:///{tmp_path}/down.db", tmp_path, "http://127.0.0.1:9/hojin")  # nothing listens
    with TestClient(application):
        c = logged_in(application, CHAMBER)
        data = f"事業所名,法人番号,資本金\r\n株式会社ダウン,{f.SAMPLE},1000万円\r\n".encode("cp932")
        job_id = upload(c, data, make_pdfs="")
        wait(c, job_id)
        [row] = rows_of(application, job_id)
        assert row.status == "ok" and any("gBizINFO" in n["text"] and "補完せずに判定しました" in n["text"]
                                          for n in row.notes), row.notes
        table = read_csv(c.get(f"/console/batch/{job_id}/results.csv"))
        assert table[1][2] in ("対象", "要確認") and "gBizINFOに接続できない" in table[1][-2]
    application.state.store.dispose()  # type: ignore[attr-defined]
