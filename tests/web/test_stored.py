"""A screening stored as facts and rendered on read (issue 11 item 3): sizes, round trip, missing version, ETag."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import text

from app.config import Settings
from app.factory import create_app
from app.web.stored import render_stored
from tests.support.paths import ROOT, SHARED

CASES = next((p / "shared" / "cases" for p in ROOT.parents if (p / "shared" / "cases").is_dir()), SHARED / "cases")


def _ready(v: Any) -> Any:
    if isinstance(v, dict):
        return {k: _ready(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_ready(x) for x in v]
    return v.isoformat() if hasattr(v, "isoformat") else v


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(database_url=f"sqlite:///{tmp_path}/navi.db", seed_demo_on_start=False,
                        search_db=tmp_path / "search.db")
    with TestClient(create_app(settings)) as c:
        yield c


@pytest.fixture
def pub01() -> dict[str, Any]:
    return dict(_ready(yaml.safe_load((CASES / "pub-01.yaml").read_text(encoding="utf-8"))["profile"]))


def test_pub01_row_and_answer_sizes(client: TestClient, pub01: dict[str, Any], tmp_path: Path) -> None:
    r = client.post("/api/v1/screen", json=pub01)
    # Bytes, not time: deterministic. 18.5 KB of rules and figures + ~5.5 KB of source titles (each rule names its
    # source, as the contract's example does; a citation is a title and an address).
    assert r.status_code == 200 and len(r.content) <= 25_000
    full = client.post("/api/v1/screen?include=texts", json=pub01)
    assert len(full.content) > 5 * len(r.content) and "description" in full.json()["results"][0]
    with sqlite3.connect(tmp_path / "navi.db") as db:
        cols = [c[1] for c in db.execute('PRAGMA table_info("screening")')]
        expr = " + ".join(f'coalesce(length(CAST("{c}" AS BLOB)), 0)' for c in cols)
        sizes = [n for (n,) in db.execute(f"SELECT {expr} FROM screening")]
    assert len(sizes) == 2 and max(sizes) <= 4096


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_round_trip_equals_a_fresh_screening(client: TestClient, pub01: dict[str, Any], lang: str) -> None:
    sid = client.post("/api/v1/screen", json=pub01).json()["screening_id"]
    store, svc = client.app.state.store, client.app.state.services  # type: ignore[attr-defined]
    record = store.get_screening(sid)
    shown = render_stored(store, svc, record, lang)
    fresh = svc.screen(pub01).as_dict(lang)
    assert shown.notice is None and shown.result == fresh
    api = client.get(f"/api/v1/screenings/{sid}", headers={"Accept-Language": lang}).json()
    assert api["result"] == fresh and api["notice"] is None


def test_changed_outcome_and_missing_catalog_version_are_said(client: TestClient, pub01: dict[str, Any]) -> None:
    sid = client.post("/api/v1/screen", json=pub01).json()["screening_id"]
    store = client.app.state.store  # type: ignore[attr-defined]
    record = store.get_screening(sid)
    facts = dict(record.facts)
    facts["programs"] = [{**facts["programs"][0], "status": "ineligible"}, *facts["programs"][1:]]
    record.facts = facts
    shown = render_stored(store, client.app.state.services, record, "ja")  # type: ignore[attr-defined]
    assert shown.notice == "outcome_changed" and facts["programs"][0]["id"] in (shown.message or "")
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE screening SET catalog_version = 'gone+000000' WHERE id = :i"), {"i": sid})
    api = client.get(f"/api/v1/screenings/{sid}").json()
    assert api["notice"] == "catalog_missing" and api["result"] is None and "gone+000000" in api["message"]
    page = client.get(f"/results/{sid}?lang=en")
    assert page.status_code == 200 and "is no longer stored" in page.text


def test_program_texts_have_an_etag_per_catalog_version(client: TestClient) -> None:
    r = client.get("/api/v1/programs/ipas")
    assert r.status_code == 200 and r.json()["texts"]["next_steps"]
    etag = r.headers["etag"]
    assert client.app.state.services.catalog.version in etag  # type: ignore[attr-defined]
    again = client.get("/api/v1/programs/ipas", headers={"If-None-Match": etag})
    assert again.status_code == 304 and not again.content
    en = client.get("/api/v1/programs/ipas", headers={"If-None-Match": etag, "Accept-Language": "en"})
    assert en.status_code == 200  # another language, another ETag
    assert client.post("/api/v1/screen?include=nope", json={}).status_code == 422
