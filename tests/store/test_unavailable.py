"""The database unreachable: 503 with Retry-After, fast (JSON for the API, a page for pages), and recovery
without a restart. No real server is stopped: the app's engine is pointed at a port where no PostgreSQL
answers (refused at once, or accepted but silent, which only the 2 s connect timeout ends)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import OperationalError

from app.config import Settings
from app.factory import create_app
from app.store.db import PG_CONNECT_TIMEOUT, make_engine
from tests.support.helpers import corp

JAPANESE = range(0x3040, 0x9FFF + 1)


def _japanese(text: str) -> bool:
    return any(ord(c) in JAPANESE for c in text)


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path}/x.db", search_db=tmp_path / "search.db"))
    with TestClient(app) as c:
        yield c


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A loopback port that accepts TCP connections and never says a word (closed after 15 s at the latest,
    so that a missing connect timeout fails the test instead of hanging it)."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(64)
    timer = threading.Timer(15, srv.close)
    timer.start()
    try:
        yield srv.getsockname()[1]
    finally:
        timer.cancel()
        srv.close()


def _break(client: TestClient, url: str) -> object:
    """Point the running app's store at `url`; returns the previous engine."""
    store = client.app.state.store  # type: ignore[attr-defined]
    old = store.engine
    store.engine = make_engine(url)
    return old


def test_api_and_pages_answer_503_fast_and_recover(client: TestClient) -> None:
    token = client.post("/q", data={"consent": "yes"}, follow_redirects=False).headers["location"].rsplit("/", 1)[-1]
    sid = client.post("/api/v1/screen", json=corp()).json()["screening_id"]
    good = _break(client, "postgresql+psycopg://postgres@127.0.0.1:1/navi")  # nothing listens on port 1

    t0 = time.perf_counter()
    r = client.post("/api/v1/screen", json=corp())
    assert time.perf_counter() - t0 < 2
    assert r.status_code == 503
    assert r.headers["content-type"].startswith("application/json")
    assert int(r.headers["retry-after"]) > 0
    assert r.json()["errors"] == [] and _japanese(r.json()["message"])
    en = client.post("/api/v1/screen", json=corp(), headers={"Accept-Language": "en"})
    assert en.status_code == 503 and "database" in en.json()["message"]
    assert client.get(f"/api/v1/screenings/{sid}").status_code == 503

    for path in (f"/q/{token}", f"/results/{sid}"):
        t0 = time.perf_counter()
        page = client.get(path)
        assert time.perf_counter() - t0 < 2
        assert page.status_code == 503, path
        assert page.headers["content-type"].startswith("text/html")
        assert page.headers["retry-after"]
        assert '<html lang="ja">' in page.text and "一時的にご利用いただけません" in page.text
        assert "Traceback" not in page.text and "OperationalError" not in page.text
    assert 'lang="en"' in client.get(f"/q/{token}?lang=en").text
    refer = client.post(f"/results/{sid}/refer", data={"desk_id": "inpit-tokyo"}, follow_redirects=False)
    assert refer.status_code == 503

    client.app.state.store.engine = good  # type: ignore[attr-defined]  # the database is back: no restart
    assert client.post("/api/v1/screen", json=corp()).status_code == 200
    assert client.get(f"/q/{token}").status_code == 200


def test_a_silent_server_is_given_up_after_the_connect_timeout(client: TestClient, silent_port: int) -> None:
    engine = make_engine(f"postgresql+psycopg://postgres@127.0.0.1:{silent_port}/navi")
    t0 = time.perf_counter()
    with pytest.raises(OperationalError):
        engine.connect()
    assert time.perf_counter() - t0 < PG_CONNECT_TIMEOUT + 2
    engine.dispose()

    _break(client, f"postgresql+psycopg://postgres@127.0.0.1:{silent_port}/navi")
    t0 = time.perf_counter()
    r = client.post("/api/v1/screen", json=corp())
    assert r.status_code == 503
    assert time.perf_counter() - t0 < PG_CONNECT_TIMEOUT + 2


def test_operational_errors_of_the_store_are_503(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    def locked(*args: object, **kwargs: object) -> None:
        raise OperationalError("INSERT INTO screening …", {}, Exception("database is locked"))

    # Both ways of saving (the API's group-commit writer, the pages' direct insert) end in _insert_rows.
    monkeypatch.setattr(client.app.state.store, "_insert_rows", locked)  # type: ignore[attr-defined]
    r = client.post("/api/v1/screen", json=corp())
    assert r.status_code == 503 and r.headers["retry-after"]
    assert "locked" not in r.text  # the driver's message stays in the log
    batch = client.post("/api/v1/screen/batch", json={"profiles": [corp(), corp(employees=3)]})
    assert batch.status_code == 503 and batch.headers["retry-after"]



def test_postgres_engines_fail_fast_and_pre_ping() -> None:
    engine = make_engine("postgresql://postgres@127.0.0.1:1/navi")
    assert engine.pool._pre_ping  # type: ignore[attr-defined]
    engine.dispose()
