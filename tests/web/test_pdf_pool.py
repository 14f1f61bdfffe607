"""Issue 16, finding 5: PDF rendering is a bounded pool with a cache; a full pool is a 503, never a wait."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.factory import create_app
from app.web import pdf


def test_pool_refuses_beyond_its_queue_and_caches(monkeypatch: pytest.MonkeyPatch) -> None:
    release = threading.Event()
    running: list[int] = []
    peak: list[int] = [0]
    lock = threading.Lock()

    def slow(html_for, levels):  # type: ignore[no-untyped-def]
        with lock:
            running.append(1)
            peak[0] = max(peak[0], len(running))
        release.wait(10)
        with lock:
            running.pop()
        return html_for(0).encode()

    monkeypatch.setattr(pdf, "_render", slow)
    monkeypatch.setattr(pdf, "_cache", type(pdf._cache)())
    busy: list[int] = []
    done: list[bytes] = []

    def one(n: int) -> None:
        try:
            done.append(pdf.render_fitting_pdf(lambda level: f"page {n}"))
        except pdf.PdfBusy:
            busy.append(n)

    n_admitted = pdf.PDF_CONCURRENCY + pdf.PDF_WAITING
    threads = [threading.Thread(target=one, args=(n,)) for n in range(n_admitted + 5)]
    for t in threads:
        t.start()
    for _ in range(200):
        if len(busy) == 5:
            break
        threading.Event().wait(0.02)
    assert len(busy) == 5  # refused at once, while the others still wait or render
    release.set()
    for t in threads:
        t.join()
    assert peak[0] <= pdf.PDF_CONCURRENCY and len(done) == n_admitted
    # the same page again: from the cache, no render (the pool could be full)
    monkeypatch.setattr(pdf, "_render", lambda *a: (_ for _ in ()).throw(AssertionError("rendered again")))
    assert pdf.render_fitting_pdf(lambda level: f"page {threads and 0}") == b"page 0"


def test_full_pool_is_a_503_with_retry_after(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    client = TestClient(create_app(Settings(database_url=f"sqlite:///{tmp_path}/x.db", search_db=tmp_path / "s.db")))
    sid = client.post("/api/v1/screen", json={"employees": 3}).json()["screening_id"]

    def full(*a: object) -> bytes:
        raise pdf.PdfBusy

    monkeypatch.setattr("app.pages.results.render_fitting_pdf", full)
    r = client.get(f"/results/{sid}/summary.pdf", headers={"accept": "text/html"})
    assert r.status_code == 503 and r.headers["retry-after"] == str(pdf.RETRY_AFTER_SECONDS)
    assert "PDF の作成が混み合っています" in r.text
