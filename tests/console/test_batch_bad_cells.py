"""The console's member-list upload on SQLite and PostgreSQL: one bad cell (NUL, a control character, an absurd
number, undecodable bytes) or one row the database refuses fails only its row, never the job (issue 16)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from sqlmodel import col, select

from app.console import batch_worker as W
from app.store.batch_jobs import BatchJob, BatchJobRow
from app.store.console import Case
from tests.support.console import CHAMBER, csrf, db, logged_in, served_app, text_of
from tests.support.member_list import GOOD, bad_cells_list


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def app(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    yield from served_app(request.param, tmp_path_factory.mktemp(f"badcells-{request.param}"))


def run_job(app: FastAPI, data: bytes) -> tuple[BatchJob, list[BatchJobRow], str]:
    c = logged_in(app, CHAMBER)
    r = c.post("/console/batch", data={"csrf_token": csrf(c), "as_of": "2025-10-01", "create_cases": "yes"},
               files={"file": ("会員名簿.csv", data, "text/csv")})
    assert r.status_code == 303, text_of(r.text)[:1500]
    m = re.fullmatch(r"/console/batch/([0-9a-f-]{36})", r.headers["location"])
    assert m
    job_id = m[1]
    deadline = time.monotonic() + 120
    while 'http-equiv="refresh"' in (page := c.get(f"/console/batch/{job_id}").text):
        assert time.monotonic() < deadline
        time.sleep(0.2)
    with db(app) as s:
        job = s.get(BatchJob, job_id)
        assert job is not None
        rows = list(s.scalars(select(BatchJobRow).where(col(BatchJobRow.job_id) == job_id)
                              .order_by(col(BatchJobRow.number))).all())
    return job, rows, text_of(page)


@pytest.mark.parametrize("encoding", ["utf-8", "cp932"])
def test_a_bad_cell_fails_only_its_row(app: FastAPI, encoding: str) -> None:
    data, bad = bad_cells_list(encoding)
    job, rows, page = run_job(app, data)
    assert (job.status, job.total_rows, job.ok_rows, job.error_rows) == ("done", 8, 2, 6), job.failure
    assert [r.number for r in rows if r.status == "ok"] == [2, 9]
    for r in rows:
        if r.number in bad:
            assert r.status == "error" and r.errors[0]["label"] == bad[r.number], (r.number, r.errors)
            assert r.case_id is None and r.screening_id is None
        assert "\x00" not in r.company_name + str(r.errors) + str(r.cells)
    assert "読み取れない文字があります" in page and "使えない文字" in page
    assert "株式会社\ufffdヌル" in page  # the row is recognisable, without the NUL
    with db(app) as s:
        assert all(s.get(Case, r.case_id) is not None for r in rows if r.status == "ok")


def test_a_row_the_store_refuses_fails_only_that_row(app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    """A row whose screening cannot be stored, and a row whose case the database refuses (the chunk is then
    stored row by row): both become error rows with the general reason; the others get their cases."""
    real_save, real_case = app.state.store.save_screening, W._add_case  # type: ignore[attr-defined]

    def save(profile: dict[str, Any], *a: Any, **kw: Any) -> str:
        if profile.get("company_name") == GOOD[1][0]:
            raise RuntimeError("simulated: the screening cannot be stored")
        return real_save(profile, *a, **kw)  # type: ignore[no-any-return]

    def add_case(db: Any, store: Any, actor: Any, job: Any, item: Any) -> None:
        if item.name == GOOD[2][0]:
            from sqlalchemy.exc import DataError
            raise DataError("simulated", {}, Exception("the database refused the row"))
        real_case(db, store, actor, job, item)

    monkeypatch.setattr(app.state.store, "save_screening", save)  # type: ignore[attr-defined]
    monkeypatch.setattr(W, "_add_case", add_case)
    data, _ = bad_cells_list("utf-8")
    extra = "\r\n".join(",".join(g) for g in GOOD).encode() + b"\r\n"
    job, rows, page = run_job(app, data + extra)
    assert job.status == "done" and job.total_rows == 11, job.failure
    status = {r.number: r.status for r in rows}
    assert len(rows) == 11 and status[2] == status[10] == "ok"
    assert status[11] == "error" and status[12] == "error"  # ミライ技研 (not stored), さくら食品 (case refused)
    assert status[9] == "error"  # さくら食品 also in row 9: refused the same way
    assert "処理中に問題が起きました" in page
    with db(app) as s:
        cases = [s.get(Case, r.case_id) for r in rows if r.case_id]
    assert len(cases) == 2 and all(c is not None for c in cases)
