"""A screening's ~100 KB result is serialised once (app.store.db.encode_json) for the stored row and the response."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from starlette.responses import JSONResponse

from app.config import Settings
from app.factory import create_app
from app.store.db import JSONText, Store, encode_json
from tests.support.helpers import corp


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path}/x.db", search_db=tmp_path / "search.db"))
    with TestClient(app) as c:
        yield c


def test_the_response_is_what_json_response_would_send(client: TestClient) -> None:
    r = client.post("/api/v1/screen?include=texts", json=corp(description="海外に出願したい"))
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    body = r.json()
    assert list(body)[-1] == "screening_id"
    assert r.content == JSONResponse(body).body  # same bytes, same key order
    stored = client.get(f"/api/v1/screenings/{body['screening_id']}").json()
    assert stored["result"] == {k: v for k, v in body.items() if k != "screening_id"}
    assert stored["profile"]["description"] == "海外に出願したい"


def test_batch_results_are_stored_too(client: TestClient) -> None:
    r = client.post("/api/v1/screen/batch?include=texts", json={"profiles": [corp(), corp(employees=5)]})
    ids = [x["screening_id"] for x in r.json()["results"]]
    for x, sid in zip(r.json()["results"], ids, strict=True):
        stored = client.get(f"/api/v1/screenings/{sid}").json()["result"]
        assert stored == {k: v for k, v in x.items() if k not in ("index", "status", "screening_id")}


def test_encode_json_keeps_japanese_and_the_bytes_to_send() -> None:
    text = encode_json({"a": "日本", "d": [1.5], "s": "a\x00\n\u2028"})
    assert isinstance(text, JSONText)
    assert text == json.dumps({"a": "日本", "d": [1.5], "s": "a\x00\n\u2028"}, ensure_ascii=False,
                              separators=(",", ":"))
    assert str(text).encode("utf-8") == text.raw
    # orjson writes NaN as null (the standard library would refuse it); results hold only finite
    # numbers (tests/test_properties.py), and the API refuses NaN in the input.
    assert encode_json({"x": float("nan")}) == '{"x":null}'


def test_nul_is_replaced_for_postgresql(client: TestClient) -> None:
    store: Store = client.app.state.store  # type: ignore[attr-defined]
    services = client.app.state.services  # type: ignore[attr-defined]
    screening = services.screen(corp())
    store._pg = True  # the JSONB path, on SQLite
    sid = store.save_screening({**corp(), "description": "a\x00b"}, screening)
    profile = store.get_screening(sid).profile  # type: ignore[union-attr]
    assert profile["description"] == "a\ufffdb"
    assert json.dumps(profile).count("\\u0000") == 0


def test_postgresql_migrations_leave_no_lock_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from sqlalchemy.engine import make_url

    from app.store.db import _sqlite_lock

    monkeypatch.chdir(tmp_path)
    with _sqlite_lock(make_url("postgresql+psycopg://postgres@127.0.0.1:5432/navi")):
        pass
    with _sqlite_lock(make_url(f"sqlite:///{tmp_path}/x.db")):
        pass
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.db.migrate.lock"]
