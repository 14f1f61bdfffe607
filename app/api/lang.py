"""The API's language as a coroutine dependency: `api_lang` (app/deps.py, the one rule) without a worker thread.

FastAPI runs a plain `def` dependency in the thread pool: a hand-off to a worker thread and back for a few
dictionary look-ups, on every API request (issue 15: ~0.1 ms of server CPU each, more under load).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from app.deps import api_lang


async def api_lang_now(request: Request) -> str:
    """`api_lang(request)`, awaited on the event loop (it reads the query, a cookie and a header)."""
    return api_lang(request)


ApiLang = Annotated[str, Depends(api_lang_now)]
