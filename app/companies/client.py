"""The gBizINFO REST API v2 client: time-outs, retries with back-off, a concurrency limit and a request rate.

One company is three requests: `/v2/hojin/{n}` (basic facts), `/v2/hojin/{n}/subsidy` and `/v2/hojin/{n}/patent`.
gBizINFO answers 404 when a search has no hits: on the basic path that is an unknown company (None); on the
subsidy and patent paths it is an empty list. Retries only on 5xx, time-outs and connection errors; a 4xx
(401/403: the token was refused) is final. The token goes in the `X-hojinInfo-api-token` header of each
request and nowhere else: not in a log line, an exception, a repr or an answer.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
from pydantic import SecretStr

log = logging.getLogger("navi.gbizinfo")

TOKEN_HEADER = "X-hojinInfo-api-token"
DETAIL_PATHS = ("subsidy", "patent")


class GbizError(Exception):
    """gBizINFO cannot answer now. `kind`: no_token, rejected (token refused), unavailable (5xx / connection),
    timeout, invalid (not the JSON gBizINFO sends). Messages never hold the token."""

    MESSAGES: dict[str, tuple[str, str]] = {
        "no_token": ("gBizINFOの利用設定がないため、法人番号からの自動入力は使えません。各項目を直接入力してください",
                     "Prefill by corporate number is not configured (no gBizINFO token); enter the answers directly"),
        "rejected": ("gBizINFOが利用を受け付けませんでした（APIトークンの設定を確認してください）。各項目を直接入力してください",
                     "gBizINFO refused the request (check the API token setting); enter the answers directly"),
        "unavailable": ("gBizINFOに接続できないため、いまは自動入力できません。各項目を直接入力するか、しばらくしてからお試しください",
                        "gBizINFO cannot be reached right now; enter the answers directly or try again later"),
        "timeout": ("gBizINFOの応答が遅いため、いまは自動入力できません。各項目を直接入力するか、しばらくしてからお試しください",
                    "gBizINFO is too slow to answer right now; enter the answers directly or try again later"),
        "invalid": ("gBizINFOから読み取れない応答が返りました。各項目を直接入力するか、しばらくしてからお試しください",
                    "gBizINFO sent an answer that cannot be read; enter the answers directly or try again later"),
    }

    def __init__(self, kind: str, detail: str = ""):
        self.kind = kind
        self.detail = detail  # for the log: status code or exception class, never the request headers
        super().__init__(f"gBizINFO {kind}{': ' + detail if detail else ''}")

    def message(self, lang: str = "ja") -> str:
        ja, en = self.MESSAGES.get(self.kind, self.MESSAGES["unavailable"])
        return en if lang == "en" else ja


class RateLimit:
    """At most `per_second` requests a second from this process on average, shared by all threads; up to
    `burst` at once (one company's three requests are not spaced, a batch's many are). GCRA: `_tat` is the
    theoretical arrival time of the next request."""

    def __init__(self, per_second: float, burst: int = 1, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep):
        self.interval = 1.0 / per_second if per_second > 0 else 0.0
        self.burst = max(1, burst)
        self.clock, self.sleep = clock, sleep
        self._tat = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        with self._lock:
            now = self.clock()
            tat = max(self._tat, now)
            delay = tat - now - (self.burst - 1) * self.interval
            self._tat = tat + self.interval
        if delay > 0:
            self.sleep(delay)


class GbizClient:
    """Fetches one company's record ({"hojin", "subsidy", "patent"}) from gBizINFO, synchronously."""

    def __init__(self, base_url: str, token: SecretStr | None, *, timeout: float = 5.0, retries: int = 2,
                 backoff: float = 0.5, max_concurrency: int = 4, per_second: float = 5.0,
                 transport: httpx.BaseTransport | None = None):
        self.base_url = base_url.rstrip("/")  # a trailing "/" on a path is an error at gBizINFO
        self._token = token
        self.retries = retries
        self.backoff = backoff
        self._slots = threading.BoundedSemaphore(max_concurrency)
        self.rate = RateLimit(per_second, burst=1 + len(DETAIL_PATHS))
        self.budget = timeout * (retries + 1)  # seconds for one company, retries included: then 503
        self._http = httpx.Client(timeout=httpx.Timeout(timeout), transport=transport,
                                  headers={"Accept": "application/json"}, follow_redirects=False)

    def __repr__(self) -> str:
        return f"GbizClient(base_url={self.base_url!r}, token={'set' if self.configured else 'missing'})"

    @property
    def configured(self) -> bool:
        return self._token is not None and bool(self._token.get_secret_value().strip())

    def close(self) -> None:
        self._http.close()

    def fetch(self, corporate_number: str) -> dict[str, Any] | None:
        """The company's record, or None when gBizINFO does not know the number. Raises GbizError."""
        deadline = time.monotonic() + self.budget
        basic = self._get(f"/v2/hojin/{corporate_number}", deadline)
        infos = basic.get("hojin-infos") if basic is not None else None
        if basic is None or not infos:
            return None
        if not isinstance(infos, list) or not isinstance(infos[0], dict):
            raise GbizError("invalid", "hojin-infos is not a list of objects")
        record: dict[str, Any] = {"hojin": infos[0]}
        for part in DETAIL_PATHS:
            body = self._get(f"/v2/hojin/{corporate_number}/{part}", deadline)
            items: list[Any] = []
            for info in (body or {}).get("hojin-infos") or []:
                if isinstance(info, dict) and isinstance(info.get(part), list):
                    items.extend(info[part])
            record[part] = items
        return record

    def _get(self, path: str, deadline: float) -> dict[str, Any] | None:
        """One GET: the JSON object, or None on 404 (gBizINFO's "no hits"). No retry starts after `deadline`."""
        if not self.configured:
            raise GbizError("no_token")
        assert self._token is not None
        headers = {TOKEN_HEADER: self._token.get_secret_value()}
        last = GbizError("unavailable")
        for attempt in range(self.retries + 1):
            if attempt:
                delay = self.backoff * 2 ** (attempt - 1) * (1 + random.random() / 4)  # jitter
                if time.monotonic() + delay >= deadline:
                    break
                time.sleep(delay)
            self.rate.wait()
            try:
                with self._slots:
                    response = self._http.get(self.base_url + path, params={"metadata_flg": "false"}, headers=headers)
            except httpx.TimeoutException as e:
                last = GbizError("timeout", type(e).__name__)
            except httpx.TransportError as e:
                last = GbizError("unavailable", type(e).__name__)
            else:
                if response.status_code >= 500:
                    last = GbizError("unavailable", f"HTTP {response.status_code}")
                else:
                    return self._read(response)
            log.warning("gBizINFO %s failed (attempt %d of %d): %s", path, attempt + 1, self.retries + 1, last.detail)
        raise last

    @staticmethod
    def _read(response: httpx.Response) -> dict[str, Any] | None:
        if response.status_code == 404:
            return None
        if response.status_code in (401, 403):
            raise GbizError("rejected", f"HTTP {response.status_code}")
        if response.status_code != 200:
            raise GbizError("invalid", f"HTTP {response.status_code}")
        try:
            body = response.json()
        except ValueError:
            raise GbizError("invalid", "not JSON") from None
        if not isinstance(body, dict):
            raise GbizError("invalid", "not a JSON object")
        return body
