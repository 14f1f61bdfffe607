"""A fake jGrants API on 127.0.0.1 (a free port), serving the recorded responses and variants tests build.

The list answers like the real one: the records whose title or institution contain the keyword (case and
width folded, as the API's spec says), `acceptance=1` only those open at `now`. Faults per path prefix:
"invalid" (not JSON), "shape" (JSON without `result`), "500", "429-once", "timeout" (sleeps past the
client's time-out). `page_size` splits list answers into pages read with `offset`.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import threading
import time
import unicodedata
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

ROOT = Path(__file__).resolve().parents[3]


def fixtures_dir() -> Path:
    """../shared/fixtures/jgrants from the repository (or from a worktree under /work/wt/<name>)."""
    for base in (ROOT.parent, ROOT.parent.parent):
        d = base / "shared" / "fixtures" / "jgrants"
        if d.is_dir():
            return d
    raise FileNotFoundError(f"shared/fixtures/jgrants not found next to {ROOT} or its parent")


def load(name: str) -> Any:
    return json.loads((fixtures_dir() / name).read_text(encoding="utf-8"))


def list_records() -> list[dict[str, Any]]:
    return copy.deepcopy(load("list-response.ip-programs-fy2026.json")["result"])


def detail_record(name: str) -> dict[str, Any]:
    return copy.deepcopy(load(name)["result"][0])


DETAIL_FILES = ("detail-response.aichi-foreign-filing-r8-2nd.json", "detail-response.inpit-chukan-r8.json",
                "detail-response.tokyo-foreign-infringement-survey-r8.json")


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").upper()


def _utc(value: Any) -> dt.datetime | None:
    try:
        t = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return t if t.tzinfo else None


class FakeJGrants:
    def __init__(self) -> None:
        self.records: dict[str, dict[str, Any]] = {}  # list records by id
        self.v1: dict[str, dict[str, Any]] = {}
        self.v2: dict[str, dict[str, Any]] = {}
        self.faults: dict[str, str] = {}
        self.page_size: int | None = None
        self.now = dt.datetime(2026, 8, 17, tzinfo=dt.UTC)  # the list fixture was recorded on 2026-08-17
        self.delay = 2.0  # seconds a "timeout" fault sleeps
        self.requests: list[str] = []
        self._server: ThreadingHTTPServer | None = None
        self._seen_once: set[str] = set()

    # ------------------------------------------------------------------ content

    def add(self, record: dict[str, Any], v1: dict[str, Any] | None = None, v2: dict[str, Any] | None = None) -> None:
        self.records[record["id"]] = record
        if v1 is not None:
            self.v1[record["id"]] = v1
        if v2 is not None:
            self.v2[record["id"]] = v2

    def set(self, call_id: str, key: str, value: Any) -> None:
        """Change a field of a call in its list record and its details alike (as the real API would)."""
        for store in (self.records, self.v1, self.v2):
            if call_id in store:
                store[call_id][key] = value

    def serve_fixtures(self) -> FakeJGrants:
        """The recorded list (4 calls) and details (v1 as recorded; the list record where none was)."""
        for r in list_records():
            self.add(r)
        for name in DETAIL_FILES:
            d = detail_record(name)
            self.v1[d["id"]] = d
        for r in self.records.values():  # the real API has a detail for every id; not all were recorded
            self.v1.setdefault(r["id"], copy.deepcopy(r))
        return self

    # ------------------------------------------------------------------ answers

    def _fault(self, path: str) -> str | None:
        for prefix, kind in self.faults.items():
            if path.startswith(prefix):
                return kind
        return None

    def answer(self, raw_path: str) -> tuple[int, bytes]:
        self.requests.append(raw_path)
        url = urlparse(raw_path)
        path = url.path.removeprefix("/exp")
        q = {k: v[0] for k, v in parse_qs(url.query).items()}
        fault = self._fault(path)
        if fault == "timeout":
            time.sleep(self.delay)
        elif fault == "500":
            return 500, b'{"errorCode":"E-ML-9999","title":"Internal Server Error"}'
        elif fault == "429-once" and raw_path not in self._seen_once:
            self._seen_once.add(raw_path)
            return 429, b"{}"
        elif fault == "invalid":
            return 200, b"<html>maintenance</html>"
        elif fault == "shape":
            return 200, b'{"message":"ok"}'
        if path == "/v1/public/subsidies":
            return self._list(q)
        for version, store in (("v1", self.v1), ("v2", self.v2)):
            prefix = f"/{version}/public/subsidies/id/"
            if path.startswith(prefix):
                rec = store.get(path[len(prefix):])
                if rec is None:
                    return 404, b'{"title":"Not Found"}'
                return 200, self._body([rec])
        return 404, b'{"title":"Not Found"}'

    def _body(self, rows: list[dict[str, Any]], count: int | None = None) -> bytes:
        doc = {"metadata": {"type": "https://developers.digital.go.jp/documents/jgrants/api/",
                            "resultset": {"count": len(rows) if count is None else count}}, "result": rows}
        return json.dumps(doc, ensure_ascii=False).encode()

    def _list(self, q: dict[str, str]) -> tuple[int, bytes]:
        keyword = q.get("keyword", "")
        if len(keyword) < 2:
            return 400, b'{"title":"Bad Request"}'
        rows = [r for r in self.records.values()
                if _fold(keyword) in _fold(r.get("title", "")) or _fold(keyword) in _fold(r.get("institution_name") or "")]
        if q.get("acceptance") == "1":
            def is_open(r: dict[str, Any]) -> bool:
                start, end = _utc(r.get("acceptance_start_datetime")), _utc(r.get("acceptance_end_datetime"))
                return start is not None and end is not None and start <= self.now <= end
            rows = [r for r in rows if is_open(r)]
        if self.page_size:
            offset = int(q.get("offset", "0"))
            return 200, self._body(rows[offset:offset + self.page_size], count=len(rows))
        return 200, self._body(rows)

    # ------------------------------------------------------------------ server

    def start(self) -> str:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                status, body = fake.answer(self.path)
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json; charset=utf-8")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (time-out test)
                    pass

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/exp"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


def running() -> Iterator[tuple[FakeJGrants, str]]:
    """For a pytest fixture: a started fake and its base URL (…/exp, like the real API)."""
    fake = FakeJGrants()
    base = fake.start()
    try:
        yield fake, base
    finally:
        fake.stop()
