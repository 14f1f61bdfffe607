"""POST /api/v1/screen in process (the ASGI app called directly, no HTTP, no server): CPU ms per request.

    .venv/bin/python bench/inproc.py N CLIENTS [ROOT]   # ROOT: another checkout (a baseline), default this one
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(sys.argv[3]).resolve() if len(sys.argv) > 3 else Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]  # that checkout's code and its bench/common.py

from common import PROFILE  # noqa: E402

assert Path(sys.modules["common"].__file__ or "").resolve().parents[1] == ROOT, "imports from another checkout"

import app  # noqa: E402
from app.config import Settings  # noqa: E402
from app.factory import create_app  # noqa: E402

assert Path(app.__file__ or "").resolve().parents[1] == ROOT, app.__file__
TMP = tempfile.mkdtemp()
APP = create_app(Settings(database_url=f"sqlite:///{TMP}/a.db", search_db=f"{TMP}/s.db"))
BODY = json.dumps(PROFILE).encode()


async def one() -> None:
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": "/api/v1/screen", "raw_path": b"/api/v1/screen", "query_string": b"", "root_path": "",
             "headers": [(b"host", b"x"), (b"content-type", b"application/json"),
                         (b"content-length", str(len(BODY)).encode())],
             "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80)}
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": BODY, "more_body": False}
        await asyncio.sleep(3600)
        return {"type": "http.disconnect"}

    status: list[int] = []

    async def send(m: dict[str, Any]) -> None:
        if m["type"] == "http.response.start":
            status.append(m["status"])

    await APP(scope, receive, send)
    assert status == [200], status


async def main(n: int, c: int) -> None:
    q: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    await q.put({"type": "lifespan.startup"})

    async def lifespan_receive() -> dict[str, Any]:
        return await q.get()

    async def lifespan_send(m: dict[str, Any]) -> None:
        pass

    task = asyncio.create_task(APP({"type": "lifespan", "asgi": {"version": "3.0"}}, lifespan_receive, lifespan_send))
    await asyncio.sleep(0.5)
    for _ in range(50):
        await one()
    t, w = time.process_time(), time.perf_counter()

    async def client(k: int) -> None:
        for _ in range(k):
            await one()

    await asyncio.gather(*(client(n // c) for _ in range(c)))
    cpu = time.process_time() - t
    print(f"{ROOT}: {n} requests, {c} concurrent: {cpu / n * 1000:.2f} ms CPU/request, "
          f"wall {(time.perf_counter() - w) / n * 1000:.2f} ms/request, load {os.getloadavg()[0]:.2f}", flush=True)
    task.cancel()
    os._exit(0)


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), int(sys.argv[2])))
