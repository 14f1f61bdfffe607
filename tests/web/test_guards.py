"""RequestGuards (app/guards.py): size limits before reading, 415 on the JSON API, control characters."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest
from hypothesis import given
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from app.web.guards import Limit, RequestGuards, has_control

READ: list[int] = []  # bytes each route read: proves a refused body was never read


async def echo_form(request: Request) -> PlainTextResponse:
    form = await request.form()
    READ.append(1)
    return PlainTextResponse(",".join(f"{k}={v}" for k, v in form.items()))


async def echo_json(request: Request) -> JSONResponse:
    body = await request.body()
    READ.append(len(body))
    return JSONResponse({"n": len(body)})


async def upload(request: Request) -> PlainTextResponse:
    body = await request.body()
    READ.append(len(body))
    return PlainTextResponse(str(len(body)))


def make_client() -> TestClient:
    inner = Starlette(routes=[
        Route("/form", echo_form, methods=["POST"]),
        Route("/api/v1/screen", echo_json, methods=["POST"]),
        Route("/upload", upload, methods=["POST"]),
        Route("/page/{x}", lambda r: PlainTextResponse(r.path_params["x"])),
    ])
    guarded = RequestGuards(inner, default_max=1000, limits=[Limit("/upload", 5000), Limit("/api/", 2000)])
    return TestClient(guarded)


@pytest.fixture
def client() -> TestClient:
    READ.clear()
    return make_client()


def test_form_passes_through_unchanged(client):
    r = client.post("/form", data={"name": "山田 太郎", "note": "一行目\n二行目\tタブ"})
    assert r.status_code == 200
    assert r.text == "name=山田 太郎,note=一行目\n二行目\tタブ"


@pytest.mark.parametrize("value", ["a\x00b", "\x07", "x\x1by", "\x7f"])
def test_control_character_in_a_form_is_refused_before_the_route(client, value):
    r = client.post("/form", data={"email": value})
    assert r.status_code == 422
    assert "制御文字" in r.text and READ == []
    assert r.headers["connection"] == "close"


def test_control_character_in_query_or_path(client):
    assert client.get("/page/ok?q=a%00b").status_code == 422
    assert client.get("/page/a%00b").status_code == 422
    assert client.get("/page/ok?q=a%0Ab").status_code == 200  # a newline in a query is text, not a threat


def test_english_message_when_asked(client):
    r = client.post("/form?lang=en", data={"email": "a\x00"})
    assert "control character" in r.text
    r = client.post("/form", data={"email": "a\x00"}, headers={"Accept-Language": "en-GB,en"})
    assert "control character" in r.text


def test_declared_length_over_the_limit_is_refused_without_reading(client):
    r = client.post("/form", content=b"a=" + b"x" * 2000,
                    headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 413 and READ == []
    assert "1,000 B" in r.text


def test_per_prefix_limits(client):
    assert client.post("/upload", content=b"x" * 4000).status_code == 200
    assert client.post("/upload", content=b"x" * 6000).status_code == 413
    r = client.post("/api/v1/screen", content=b"{}" + b" " * 3000, headers={"Content-Type": "application/json"})
    assert r.status_code == 413
    assert r.headers["content-type"] == "application/json"
    assert r.json()["errors"][0]["code"] == "body_too_large"


def test_body_without_length_is_counted():
    """A chunked body has no Content-Length: it is counted as it arrives."""
    inner = Starlette(routes=[Route("/upload", upload, methods=["POST"])])
    guarded = RequestGuards(inner, default_max=100)
    sent: list[dict] = []

    async def run() -> None:
        chunks = [b"x" * 60, b"x" * 60, b""]

        async def receive():
            body = chunks.pop(0)
            return {"type": "http.request", "body": body, "more_body": bool(chunks)}

        async def send(message):
            sent.append(message)

        scope = {"type": "http", "method": "POST", "path": "/upload", "raw_path": b"/upload",
                 "query_string": b"", "headers": [(b"transfer-encoding", b"chunked")]}
        await guarded(scope, receive, send)

    READ.clear()
    # Its own thread: a session-scoped browser fixture (Playwright's sync API) may hold a running loop here.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, run()).result()
    assert sent[0]["status"] == 413 and READ == []


def test_json_api_needs_a_json_content_type(client):
    body = b'{"employees": 3}'
    for ctype in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"):
        r = client.post("/api/v1/screen", content=body, headers={"Content-Type": ctype})
        assert r.status_code == 415, ctype
        assert r.json()["errors"][0]["code"] == "unsupported_media_type"
    r = client.post("/api/v1/screen", content=body)  # no content type at all
    assert r.status_code == 415
    ok = client.post("/api/v1/screen", content=body, headers={"Content-Type": "application/json; charset=utf-8"})
    assert ok.status_code == 200
    assert client.post("/api/v1/screen", content=body,
                       headers={"Content-Type": "application/problem+json"}).status_code == 200


def test_invalid_content_length(client):
    r = client.post("/upload", content=b"x", headers={"Content-Length": "abc"})
    assert r.status_code == 400


@given(st.text(max_size=30))
def test_has_control_matches_the_definition(text):
    expected = any((ord(c) < 32 and c not in "\t\n\r") or ord(c) == 127 for c in text)
    assert has_control(text) is expected
