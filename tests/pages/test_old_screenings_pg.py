"""Issue 11 leftovers on PostgreSQL: a screening stored before migration 0010 (its rendered `result`, no
`facts`) still opens on /results/{id}, the API, the print page and the PDF after `alembic upgrade head`
(app/web/stored.py's compatibility path), `alembic check` finds no drift, and the results' notice (a
screening made again with the current catalog) is on the print page and in the PDF too."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import uuid
from collections.abc import Iterator

import alembic.command
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from app.config import Settings
from app.factory import create_app
from app.services import Services
from app.store.db import alembic_config, check, make_engine, migrate
from tests.support.pg import postgres_url

COMPANY = "株式会社旧記録テスト"
PROFILE = {"company_name": COMPANY, "applicant_type": "corporation", "established_on": "2015-04-01", "employees": 12,
           "capital_yen": 10_000_000, "industry": "manufacturing", "prefecture": "大阪府",
           "large_company_shareholding": {"largest": 0, "combined": 0}, "large_company_officer_ratio": 0,
           "wholly_owned_by_large_parent": False, "avg_taxable_income_yen": 5_000_000,
           "domestic_applications": ["patent"], "foreign_filings": [{"right": "patent", "cost_yen": 3_000_000}],
           "interests": ["overseas"]}
AS_OF = "2025-10-01"


@pytest.fixture(scope="module")
def old_rows(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, str, str]]:
    """A PostgreSQL schema at revision 0008 with two old-shape rows, then upgraded to head; the app on it."""
    tmp = tmp_path_factory.mktemp("old-pg")
    for url in postgres_url():
        engine = make_engine(url)
        svc = Services.build(Settings())
        rendered = svc.screen({**PROFILE, "as_of": AS_OF}).as_dict("ja")
        same, gone = str(uuid.uuid4()), str(uuid.uuid4())
        with engine.begin() as conn:
            cfg = alembic_config(url)
            cfg.attributes["connection"] = conn
            alembic.command.upgrade(cfg, "0008")
            for sid, version in ((same, svc.catalog.version), (gone, "0" * 16)):
                conn.execute(text(
                    "INSERT INTO screening (id, created_at, as_of, catalog_version, model_version, lang, profile, "
                    "result, source) VALUES (:id, :at, :as_of, :version, 'prior-1', 'ja', CAST(:profile AS JSONB), "
                    "CAST(:result AS JSONB), 'web')"),
                    {"id": sid, "at": dt.datetime(2025, 10, 1, 9, tzinfo=dt.UTC), "as_of": dt.date(2025, 10, 1),
                     "version": version, "profile": json.dumps({**PROFILE, "as_of": AS_OF}, ensure_ascii=False),
                     "result": json.dumps(rendered, ensure_ascii=False)})
        migrate(url)  # alembic upgrade head, as a server start does
        check(url)  # alembic check: the models and the migrated database agree
        with engine.connect() as conn:
            facts, result = conn.execute(text("SELECT facts, result FROM screening WHERE id = :id"), {"id": same}).one()
        assert facts is None and result["results"], "the old row is kept as it was (no rewrite)"
        engine.dispose()
        app = create_app(Settings(database_url=url, search_db=tmp / "search.db"))
        with TestClient(app) as c:
            yield c, same, gone
        app.state.store.dispose()  # type: ignore[attr-defined]


def pdf_text(data: bytes) -> str:
    tool = shutil.which("pdftotext")
    if tool is None:
        pytest.skip("pdftotext is missing (apt-get install poppler-utils)")
    return subprocess.run([tool, "-", "-"], input=data, capture_output=True, check=True).stdout.decode()


def test_an_old_row_opens_on_every_route_as_it_was_stored(old_rows: tuple[TestClient, str, str]) -> None:
    c, same, _ = old_rows
    page = c.get(f"/results/{same}")
    assert page.status_code == 200 and COMPANY in page.text
    api = c.get(f"/api/v1/screenings/{same}")
    assert api.status_code == 200, api.text
    body = api.json()
    assert body["notice"] is None and body["result"]["results"] and body["profile"]["company_name"] == COMPANY
    printed = c.get(f"/results/{same}/print")
    assert printed.status_code == 200 and COMPANY in printed.text and 'class="notice"' not in printed.text
    pdf = c.get(f"/results/{same}/summary.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert COMPANY in pdf_text(pdf.content).replace("\n", "")


def test_the_notice_is_on_the_page_the_print_and_the_pdf(old_rows: tuple[TestClient, str, str]) -> None:
    """An old row asked for in the other language, whose catalog version is not stored: screened again with the
    current catalog, and every rendering says so (app/web/stored.py "rescreened")."""
    c, _, gone = old_rows
    notice = "the answers were screened again on the same date with the current program information"
    page = c.get(f"/results/{gone}?lang=en")
    assert page.status_code == 200 and notice in page.text
    assert c.get(f"/api/v1/screenings/{gone}", headers={"accept-language": "en"}).json()["notice"] == "rescreened"
    printed = c.get(f"/results/{gone}/print?lang=en")
    assert printed.status_code == 200 and 'class="notice"' in printed.text and notice in printed.text
    pdf = c.get(f"/results/{gone}/summary.pdf?lang=en")
    assert pdf.status_code == 200
    assert "screened again on the same date" in " ".join(pdf_text(pdf.content).split())
    ja = c.get(f"/results/{gone}/print?lang=ja")
    assert 'class="notice"' not in ja.text  # in its own language the old row is shown as stored, no notice
