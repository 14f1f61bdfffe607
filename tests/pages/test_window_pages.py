"""Windows on every page (issue 12 items 1, 2, 6, 7): the API, the results page, the print page and the ICS
show a round open with its closing date; the day after, closed; synced rounds reach a new screening; feeds."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from icalendar import Calendar
from sqlmodel import Session

from app.api.screen import PROFILE_EXAMPLE
from app.config import Settings
from app.factory import create_app
from app.jgrants.models import JGrantsRound
from tests.support.console import text_of as text

AICHI: dict[str, Any] = {**PROFILE_EXAMPLE, "prefecture": "愛知県", "company_name": "株式会社窓口テスト",
                         "description": "岡崎市の部品メーカー。特許を米国へ出願したい。"}
ATOM = "{http://www.w3.org/2005/Atom}"


def _app(tmp: Any, **settings: Any) -> FastAPI:
    return create_app(Settings(database_url=f"sqlite:///{tmp}/x.db", search_db=tmp / "search.db", **settings))


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    app = _app(tmp_path_factory.mktemp("windows"), stale_after_days=100000)
    with TestClient(app) as c:
        yield c


@pytest.fixture(autouse=True)
def fresh_browser(client: TestClient) -> Iterator[None]:
    """Each test starts as a new browser: no language cookie from a test before it (`?lang=` sets one)."""
    client.cookies.clear()
    yield
    client.cookies.clear()


def screen(client: TestClient, profile: dict[str, Any], lang: str = "ja") -> tuple[str, dict[str, Any]]:
    r = client.post("/api/v1/screen?include=texts", json=profile, headers={"Accept-Language": lang})  # all fields
    assert r.status_code == 200, r.text
    body = r.json()
    return body["screening_id"], next(p for p in body["results"] if p["program_id"] == "foreign_filing_subsidy")


def test_open_round_on_every_page(client: TestClient) -> None:
    sid, p = screen(client, {**AICHI, "as_of": "2026-07-20"})
    assert p["status"] == "eligible"
    w = p["window"]
    assert w["status"] == "open" and w["closes_at"] == "2026-08-07T17:00:00+09:00" and w["days_left"] == 18
    head = "受付中：8月7日（金）17時まで（あと18日）"
    page = text(client.get(f"/results/{sid}").text)
    assert head in page
    assert "令和8年度 2次募集" in page and "(公財)あいち産業振興機構" in page and "事前申込" in page
    assert "最終確認：8月22日" in page
    assert "https://www.jgrants-portal.go.jp/subsidy/a0WJ200000CDbfKMAT" in client.get(f"/results/{sid}").text
    assert f"/results/{sid}/deadlines.ics" in client.get(f"/results/{sid}").text
    assert head in text(client.get(f"/results/{sid}/print").text)
    ics = client.get(f"/results/{sid}/deadlines.ics")
    assert ics.status_code == 200 and ics.headers["content-type"].startswith("text/calendar")
    cal = Calendar.from_ical(ics.content)
    events = [e for e in cal.walk("VEVENT") if "海外" in str(e["SUMMARY"]) or "外国" in str(e["SUMMARY"])]
    ev = next(e for e in cal.walk("VEVENT") if str(e["URL"]).endswith("a0WJ200000CDbfKMAT"))
    assert ev in events and str(ev["SUMMARY"]).startswith("締切：")
    assert ev.decoded("DTEND") == dt.datetime(2026, 8, 7, 8, 0, tzinfo=dt.UTC)
    assert "令和8年度 2次募集" in str(ev["DESCRIPTION"]) and "あいち産業振興機構" in str(ev["DESCRIPTION"])
    raw = ics.content
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")
    assert all(len(line) <= 75 for line in raw.split(b"\r\n"))
    again = Calendar.from_ical(client.get(f"/results/{sid}/deadlines.ics").content)
    assert [str(e["UID"]) for e in again.walk("VEVENT")] == [str(e["UID"]) for e in cal.walk("VEVENT")]


def test_english_window(client: TestClient) -> None:
    sid, p = screen(client, {**AICHI, "as_of": "2026-08-03"}, lang="en")
    assert p["window"]["status"] == "closing_soon"
    page = text(client.get(f"/results/{sid}?lang=en").text)
    assert "Closing soon: until Fri 7 August, 17:00 (4 days left)" in page
    assert "Last checked: 22 August" in page


def test_day_after_is_closed(client: TestClient) -> None:
    sid, p = screen(client, {**AICHI, "as_of": "2026-08-08"})
    assert p["window"]["status"] in ("closed", "upcoming")
    page = text(client.get(f"/results/{sid}").text)
    assert "受付中：8月7日" not in page
    assert "受付終了（令和8年度）" in page or "次回の受付：" in page
    ics = Calendar.from_ical(client.get(f"/results/{sid}/deadlines.ics").content)
    assert not any(str(e.get("URL", "")).endswith("a0WJ200000CDbfKMAT") for e in ics.walk("VEVENT"))


def test_synced_round_reaches_a_new_screening(client: TestClient) -> None:
    nagasaki = {**AICHI, "prefecture": "長崎県", "as_of": "2026-12-03"}
    _, before = screen(client, nagasaki)
    assert before["window"]["status"] not in ("open", "closing_soon")
    app: Any = client.app
    with Session(app.state.store.engine) as db:
        db.add(JGrantsRound(
            key="a0WJ200000CDzzzMAT", jgrants_id="a0WJ200000CDzzzMAT", program_id="foreign_filing_subsidy",
            fiscal_year=2026, area="長崎県", name_ja="令和8年度 3次募集", name_en="FY2026 third call",
            operator_ja="(公財)長崎県産業振興財団", operator_en="Nagasaki Industrial Promotion Foundation",
            operator_url="https://www.joho-nagasaki.or.jp/", opens_at=dt.datetime(2026, 11, 30, 15, 0, tzinfo=dt.UTC),
            closes_at=dt.datetime(2026, 12, 14, 8, 0, tzinfo=dt.UTC), source_title="Jグランツ 長崎県 3次募集",
            source_href="https://www.jgrants-portal.go.jp/subsidy/a0WJ200000CDzzzMAT", checked_at=dt.date(2026, 11, 30),
            api_url="http://127.0.0.1/exp/v1/public/subsidies/id/a0WJ200000CDzzzMAT"))
        db.commit()
    version = app.state.services.catalog.version
    app.state.services.live.interval = 0  # the next screening checks the digest (else within a minute)
    sid, after = screen(client, nagasaki)
    assert after["window"]["status"] == "open" and after["window"]["round"] == "令和8年度 3次募集"
    assert after["window"]["closes_at"] == "2026-12-14T17:00:00+09:00"
    stored = client.get(f"/api/v1/screenings/{sid}").json()
    assert stored["catalog_version"] != version and "+r" in stored["catalog_version"]
    page = text(client.get(f"/results/{sid}").text)
    assert "受付中：12月14日（月）17時まで（あと11日）" in page and "最終確認：11月30日" in page
    feed = ET.fromstring(client.get("/feeds/rounds.atom", params={"prefecture": "長崎県"}).content)
    first = feed.findall(f"{ATOM}entry")[0]
    assert first.find(f"{ATOM}link").get("href").endswith("a0WJ200000CDzzzMAT")  # type: ignore[union-attr]
    assert "出典: Jグランツ" in (first.findtext(f"{ATOM}summary") or "")


def test_atom_feed(client: TestClient) -> None:
    r = client.get("/feeds/rounds.atom", params={"prefecture": "愛知県"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/atom+xml")
    feed = ET.fromstring(r.content)
    assert feed.tag == f"{ATOM}feed"
    entries = feed.findall(f"{ATOM}entry")
    titles = [e.findtext(f"{ATOM}title") or "" for e in entries]
    assert any("愛知県" in t for t in titles) and any("全国" in t for t in titles)
    assert not any("福井県" in t for t in titles)
    published = [e.findtext(f"{ATOM}published") or "" for e in entries]
    assert published == sorted(published, reverse=True)
    assert all(e.find(f"{ATOM}link") is not None for e in entries)
    bad = client.get("/feeds/rounds.atom", params={"prefecture": "愛知"})
    assert bad.status_code == 400 and "都道府県" in bad.text
    assert client.get("/feeds/rounds.atom", params={"prefecture": "愛知", "lang": "en"}).status_code == 400


def test_total_counts_alternatives_once(client: TestClient) -> None:
    r = client.post("/api/v1/screen", json={**AICHI, "as_of": "2026-07-20"})
    sid = r.json()["screening_id"]
    page = text(client.get(f"/results/{sid}").text)
    assert "受け取れる補助の合計（目安）" in page
    results = {p["program_id"]: p for p in r.json()["results"]}
    if results.get("inpit_foreign_filing_subsidy", {}).get("status") == "eligible":
        assert "どちらか一方" in page


def test_stale_flag(tmp_path: Any) -> None:
    with TestClient(_app(tmp_path, stale_after_days=0)) as c:
        sid, _ = screen(c, {**AICHI, "as_of": "2026-07-20"})
        assert "情報が古い可能性があります" in text(c.get(f"/results/{sid}").text)
        sid_en, _ = screen(c, {**AICHI, "as_of": "2026-07-20"}, lang="en")
        page = text(c.get(f"/results/{sid_en}?lang=en").text)
        assert "This information may be out of date" in page
