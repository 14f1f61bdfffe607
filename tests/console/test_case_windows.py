"""The console's case page shows each program's application window as the applicant's results page does
(app/web/windows_view.py): status, closing day and the source of the round."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.support.console import TOKYO, get_case, logged_in, make_app, quick_case, text_of

TOKUSHIMA_SOURCE = "https://www.jgrants-portal.go.jp/subsidy/a0WJ200000CDdicMAD"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    tmp: Path = tmp_path_factory.mktemp("windows")
    application = make_app(f"sqlite:///{tmp}/windows.db", tmp)
    with TestClient(application):
        yield application


def test_case_page_shows_the_open_round_of_the_applicants_prefecture(app: FastAPI) -> None:
    cid = quick_case(app, TOKYO, "徳島テスト株式会社",
                     {"prefecture": "徳島県", "interests": ["overseas"], "domestic_applications": ["patent"]},
                     as_of=dt.date(2026, 12, 2))
    assert get_case(app, cid).latest_screening_id
    page = logged_in(app, TOKYO).get(f"/console/cases/{cid}")
    body = text_of(page.text)
    assert page.status_code == 200
    # 徳島県's FY2026 round 1 (programs/rounds/foreign_filing_subsidy.yaml): open until 18 December
    assert "受付中" in body and "12月18日（金）まで" in body, body[:3000]
    assert f'href="{TOKUSHIMA_SOURCE}"' in page.text and "とくしま産業振興機構" in body
    assert 'class="window w-' in page.text
    en = text_of(logged_in(app, TOKYO).get(f"/console/cases/{cid}?lang=en").text)
    assert "Fri 18 December" in en
