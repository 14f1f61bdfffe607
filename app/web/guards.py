"""Request guards in front of every route: body size, the JSON API's content type, control characters.

One pure-ASGI middleware (`RequestGuards`) so that no route has to remember these checks (issue 16):

* **Body size** — the declared `Content-Length` is compared with the route's limit *before* a byte of the
  body is read (a 100 MB login form is refused at once, never spooled to disk); a body sent without a length
  (chunked) is counted as it arrives and refused when it passes the limit. 413 with a message.
* **JSON API content type** — a POST/PUT/PATCH with a body under `/api/` must say `application/json`
  (or `…+json`): JSON sent as `text/plain` is how a cross-site form posts without a CORS preflight. 415.
* **Control characters** — NUL (U+0000) and the other C0 controls except tab, LF and CR in the address, the
  query or an `application/x-www-form-urlencoded` body are refused (422) before any route or database sees
  them: PostgreSQL refuses NUL in text, and no form of ours has a use for the others. Uploaded files
  (multipart) are not refused here: a bad cell in a member list fails only its row (the batch's parser).
  JSON bodies are checked field by field by the profile's validation (a message next to the field).

Answers are JSON under `/api/` and a short page elsewhere, in Japanese unless the request asks for English
(`?lang=en`, else the language switch's cookie, else `Accept-Language`), the one rule of every page.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import parse_qs

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.web.language import scope_lang
from eligibility.profile import CONTROL

# C0 controls except TAB, LF, CR (CONTROL: the profile's own rule) — raw, and percent-encoded as they appear in
# a URL or a urlencoded form.
_ENCODED_CONTROL = re.compile(rb"%(?:0[0-8bBcCeEfF]|1[0-9a-fA-F]|7[fF])")
_RAW_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_BODY_METHODS = {"POST", "PUT", "PATCH"}
_FORM = "application/x-www-form-urlencoded"

MESSAGES = {
    "body_too_large": ("送信された内容が大きすぎます（上限 {limit}）。内容を短くするか、ファイルを分けてください",
                       "The request is too large (limit {limit}). Shorten it or split the file"),
    "unsupported_media_type": ("JSON で送信してください（Content-Type: application/json）",
                               "Send JSON (Content-Type: application/json)"),
    "control_character": ("使えない文字（NUL などの制御文字）が含まれています。入力し直してください",
                          "The input contains a character that cannot be used (a control character such as "
                          "NUL); please type it again"),
    "length_invalid": ("Content-Length が正しくありません", "The Content-Length header is invalid"),
}
STATUS = {"body_too_large": 413, "unsupported_media_type": 415, "control_character": 422, "length_invalid": 400}


def has_control(text: str) -> bool:
    """True when `text` holds a character no text field of ours accepts (see the module docstring)."""
    return CONTROL.search(text) is not None


def _size(n: int) -> str:
    if n < 1024:
        return f"{n:,} B"
    return f"{n // (1024 * 1024)} MiB" if n % (1024 * 1024) == 0 else f"{n // 1024:,} KiB"


@dataclass(frozen=True)
class Limit:
    """The largest body accepted under a path prefix (the longest matching prefix wins)."""

    prefix: str
    max_bytes: int
    # The route's own (ja, en) message for a body over the limit, e.g. the member-list upload's "5 MB までの
    # ファイル" (the same words whether the guard or the route refuses the file); None: the generic message.
    too_large: tuple[str, str] | None = None


class _TooLarge(Exception):
    pass


class RequestGuards:
    """Pure ASGI middleware: see the module docstring. `limits` refine `default_max` per path prefix."""

    def __init__(self, app: ASGIApp, default_max: int = 256 * 1024, limits: Sequence[Limit] = ()) -> None:
        self.app = app
        self.default_max = default_max
        self.limits = sorted(limits, key=lambda lim: len(lim.prefix), reverse=True)

    def rule_for(self, path: str) -> Limit:
        return next((lim for lim in self.limits if path.startswith(lim.prefix)), Limit("", self.default_max))

    def limit_for(self, path: str) -> int:
        return self.rule_for(path).max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        raw_path: bytes = scope.get("raw_path") or path.encode()
        query: bytes = scope.get("query_string", b"")
        if has_control(path) or _ENCODED_CONTROL.search(raw_path) or _RAW_CONTROL.search(query) \
                or _ENCODED_CONTROL.search(query):
            await self._refuse(scope, send, "control_character")
            return
        declared, ctype, chunked = _body_headers(scope)
        limit = self.limit_for(path)
        if declared is not None:
            if not declared.strip().isdigit():
                await self._refuse(scope, send, "length_invalid")
                return
            if int(declared) > limit:
                await self._refuse(scope, send, "body_too_large", limit=_size(limit))
                return
        method = scope["method"]
        has_body = declared not in (None, "0") or chunked
        media = ctype.split(";")[0].strip().lower()
        if method in _BODY_METHODS and has_body and path.startswith("/api/") \
                and not (media == "application/json" or media.endswith("+json")):
            await self._refuse(scope, send, "unsupported_media_type")
            return
        if method in _BODY_METHODS and media == _FORM:
            await self._form(scope, receive, send, limit)
            return
        if declared is not None and not chunked:
            # The server delivers no more than the declared length (checked above): nothing to count, and no
            # wrapped receive and send on every message of the request (issue 15: the API's common case).
            await self.app(scope, receive, send)
            return
        await self._counted(scope, receive, send, limit)

    async def _form(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        """Read a urlencoded form (small by its limit), check it, then hand the same bytes to the route."""
        body = bytearray()
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > limit:
                await self._refuse(scope, send, "body_too_large", limit=_size(limit))
                return
        if _RAW_CONTROL.search(body) or (_ENCODED_CONTROL.search(body) and _form_has_control(bytes(body))):
            await self._refuse(scope, send, "control_character")
            return
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": bytes(body), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _counted(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        """Pass the body through; when more arrives than the limit (a body sent without a length), answer 413
        at once and drop whatever the route still tries to send."""
        seen = 0
        started = refused = False

        async def counting() -> Message:
            nonlocal seen, refused
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit and not refused:
                    refused = True
                    if not started:
                        await self._refuse(scope, send, "body_too_large", limit=_size(limit))
                    raise _TooLarge
            return message

        async def tracking(message: Message) -> None:
            nonlocal started
            if refused:
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting, tracking)
        except Exception:
            if not refused:  # the route's own error: not ours to hide
                raise

    async def _refuse(self, scope: Scope, send: Send, code: str, **ctx: str) -> None:
        lang = request_lang(scope)
        ja, en = MESSAGES[code]
        own = self.rule_for(scope["path"]).too_large if code == "body_too_large" else None
        message = (own[0] if lang == "ja" else own[1]) if own else (ja if lang == "ja" else en).format(**ctx)
        status = STATUS[code]
        if scope["path"].startswith("/api/"):
            body = orjson.dumps({"message": message,
                                 "errors": [{"field": "", "label": "", "code": code, "message": message}]})
            ctype = b"application/json"
        else:
            title = html.escape(message)
            back = "トップページへ" if lang == "ja" else "Back to the start page"
            body = (f'<!doctype html><html lang="{lang}"><meta charset="utf-8">'
                    f'<meta name="viewport" content="width=device-width, initial-scale=1">'
                    f"<title>{title}</title><main><h1>{title}</h1>"
                    f'<p><a href="/">{back}</a></p></main></html>').encode()
            ctype = b"text/html; charset=utf-8"
        # The body may be unread: close the connection so the next request on it is not parsed from the rest.
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", ctype), (b"content-length", str(len(body)).encode()),
                                (b"connection", b"close"), (b"cache-control", b"no-store")]})
        await send({"type": "http.response.body", "body": body})


def _body_headers(scope: Scope) -> tuple[str | None, str, bool]:
    """Content-Length (None when absent), Content-Type ("" when absent) — the first of each, as
    `Headers.get` — and whether Transfer-Encoding is present, in one pass over the raw headers."""
    declared: str | None = None
    ctype: str | None = None
    chunked = False
    for key, value in scope["headers"]:
        if key == b"content-length":
            if declared is None:
                declared = value.decode("latin-1")
        elif key == b"content-type":
            if ctype is None:
                ctype = value.decode("latin-1")
        elif key == b"transfer-encoding":
            chunked = True
    return declared, ctype or "", chunked


def _form_has_control(body: bytes) -> bool:
    """Decode the form as the route would and look for control characters (`%0A` alone is fine)."""
    try:
        fields = parse_qs(body.decode("latin-1"), keep_blank_values=True, encoding="utf-8", errors="replace")
    except ValueError:
        return False
    return any(has_control(k) or any(has_control(v) for v in vs) for k, vs in fields.items())


def request_lang(scope: Scope) -> str:
    """The language of the refusal: the one rule of every page (app/web/language.py)."""
    return scope_lang(scope)
