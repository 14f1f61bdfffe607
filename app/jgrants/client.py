"""The jGrants public API client (httpx): time-outs, retries with back-off, a polite rate, careful reading.

API facts (DOMAIN.md 7.1; https://developers.digital.go.jp/documents/jgrants/api/): no key; list
`/v1/public/subsidies?keyword=…&sort=…&order=…&acceptance=0|1` (keyword required, 2+ characters, no
spaces; no "list all", so several keywords are queried and merged by `id`); detail `/v1/public/subsidies/id/{id}`
and `/v2/…` (v2 adds `workflow`, one entry per round, and drops the call's own acceptance datetimes).
The published spec has no paging; if an answer says it holds more records than it returned
(`metadata.resultset.count`), the client asks again with `offset` until no new id comes (an assumption:
a server that ignores `offset` only repeats ids, which ends the loop).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import httpx

from app.jgrants.parse import Call, call_from, merge_record

log = logging.getLogger(__name__)

PUBLIC_API = "https://api.jgrants-portal.go.jp/exp"
# Keywords that together find every IP call seen in FY2025–26 (the Tokyo titles need 商標 / 侵害 / 特許, the
# municipal ones 知的財産); each is queried for open calls (acceptance=1) and for all calls (acceptance=0).
DEFAULT_KEYWORDS = ("出願", "知財", "知的財産", "特許", "商標", "意匠", "侵害", "模倣品", "INPIT", "海外展開")
MAX_PAGES = 20
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
USER_AGENT = "chizai-navi-jgrants-sync/1 (IP Support Navigator; reads the public API only)"


class JGrantsError(Exception):
    """A request that failed after its retries (time-out, server error, invalid body)."""


@dataclass
class ListResult:
    """Every call found by the list queries, merged by id, and what failed on the way."""

    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    ok: int = 0  # list requests answered with a valid body
    failures: list[str] = field(default_factory=list)


class JGrantsClient:
    """Reads the jGrants public API. One instance per sync; not thread-safe (it paces its own requests)."""

    def __init__(self, base_url: str = PUBLIC_API, *, timeout: float = 10.0, retries: int = 3,
                 backoff: float = 1.0, min_interval: float = 1.0,
                 transport: httpx.BaseTransport | None = None,
                 sleep: Callable[[float], None] = time.sleep):
        self.base_url = base_url.rstrip("/")
        self.retries = max(0, retries)
        self.backoff = max(0.0, backoff)
        self.min_interval = max(0.0, min_interval)
        self.requests = 0
        self._sleep = sleep
        self._last = 0.0
        self._http = httpx.Client(
            base_url=self.base_url, timeout=httpx.Timeout(timeout), transport=transport,
            headers={"Accept": "application/json", "User-Agent": USER_AGENT}, follow_redirects=False,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> JGrantsClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def url(self, path: str, params: dict[str, Any] | None = None) -> str:
        return str(self._http.build_request("GET", path, params=params).url)

    # ------------------------------------------------------------------ one request

    def _pace(self) -> None:
        wait = self._last + self.min_interval - time.monotonic()
        if wait > 0:
            self._sleep(wait)
        self._last = time.monotonic()

    def _delay(self, attempt: int, response: httpx.Response | None) -> float:
        delay = self.backoff * (2 ** attempt)
        after = response.headers.get("Retry-After") if response is not None else None
        if after and after.strip().isdigit():
            delay = max(delay, float(after))
        return min(delay, 60.0)

    def get_json(self, path: str, params: dict[str, Any] | None = None) -> Any:
        """GET `path` and parse its JSON; retries time-outs, connection errors, 429 and 5xx with back-off."""
        where = self.url(path, params)
        for attempt in range(self.retries + 1):
            self._pace()
            self.requests += 1
            response: httpx.Response | None = None
            try:
                response = self._http.get(path, params=params)
            except httpx.TimeoutException:
                problem = "time-out"
            except httpx.TransportError as e:
                problem = f"connection error ({type(e).__name__})"
            else:
                if response.status_code == 200:
                    try:
                        return response.json()
                    except ValueError:
                        raise JGrantsError(f"{where}: the answer is not JSON") from None
                if response.status_code not in RETRY_STATUSES:
                    raise JGrantsError(f"{where}: HTTP {response.status_code}")
                problem = f"HTTP {response.status_code}"
            if attempt < self.retries:
                delay = self._delay(attempt, response)
                log.info("jGrants %s: %s; retry %d in %.1f s", where, problem, attempt + 1, delay)
                self._sleep(delay)
        raise JGrantsError(f"{where}: {problem} after {self.retries + 1} attempts")

    # ------------------------------------------------------------------ list

    @staticmethod
    def _records(body: Any, where: str) -> tuple[list[dict[str, Any]], int | None]:
        if not isinstance(body, dict) or not isinstance(body.get("result"), list):
            raise JGrantsError(f"{where}: the answer has no `result` list")
        rows = [r for r in body["result"] if isinstance(r, dict) and isinstance(r.get("id"), str) and r["id"]]
        meta = body.get("metadata")
        count = meta.get("resultset", {}).get("count") if isinstance(meta, dict) else None
        return rows, count if isinstance(count, int) and not isinstance(count, bool) else None

    def list_calls(self, keyword: str, acceptance: int) -> list[dict[str, Any]]:
        """Every record the list answers for `keyword` (open calls only when acceptance=1)."""
        keyword = keyword.strip()
        if len(keyword) < 2 or any(c.isspace() for c in keyword):
            raise ValueError(f"a jGrants keyword needs 2 or more characters and no spaces: {keyword!r}")
        params: dict[str, Any] = {"keyword": keyword, "sort": "created_date", "order": "DESC",
                                  "acceptance": acceptance}
        rows: dict[str, dict[str, Any]] = {}
        for _page in range(MAX_PAGES):
            page_params = {**params, "offset": len(rows)} if rows else params
            page, count = self._records(self.get_json("/v1/public/subsidies", page_params),
                                        self.url("/v1/public/subsidies", page_params))
            new = [r for r in page if r["id"] not in rows]
            for r in new:
                rows[r["id"]] = r
            if count is None or len(rows) >= count or not new:
                break
        return list(rows.values())

    def list_all(self, keywords: Iterable[str] = DEFAULT_KEYWORDS) -> ListResult:
        """Open and all calls for every keyword, merged by id; a failed query is recorded and skipped."""
        out = ListResult()
        for keyword in keywords:
            for acceptance in (1, 0):
                try:
                    rows = self.list_calls(keyword, acceptance)
                except JGrantsError as e:
                    out.failures.append(str(e))
                    continue
                out.ok += 1
                for r in rows:
                    out.records[r["id"]] = merge_record(out.records.get(r["id"]), r)
        return out

    # ------------------------------------------------------------------ detail

    def _detail(self, version: str, call_id: str) -> tuple[dict[str, Any], str]:
        path = f"/{version}/public/subsidies/id/{call_id}"
        rows, _ = self._records(self.get_json(path), self.url(path))
        match = [r for r in rows if r["id"] == call_id]
        if not match:
            raise JGrantsError(f"{self.url(path)}: the answer does not hold id {call_id}")
        return match[0], self.url(path)

    def call(self, list_record: dict[str, Any], failures: list[str] | None = None) -> Call:
        """The call with its detail: v2 (its `workflow` gives each round), else v1, else the list record alone.

        A detail that cannot be read is noted in `failures`; the list record still gives title and dates.
        """
        call_id = str(list_record["id"])
        problems: list[str] = []
        for version in ("v2", "v1"):
            try:
                detail, where = self._detail(version, call_id)
            except JGrantsError as e:
                problems.append(str(e))
                continue
            call = call_from(list_record, detail, version, where)
            if version == "v2" and not call.workflow and (call.opens_at is None or call.closes_at is None):
                # v2 has no acceptance datetimes of its own: without a workflow, v1 gives the window
                try:
                    v1, where1 = self._detail("v1", call_id)
                except JGrantsError as e:
                    problems.append(str(e))
                else:
                    return call_from(list_record, merge_record(detail, v1), "v1", where1)
            return call
        if failures is not None:
            failures.extend(problems)
        return call_from(list_record, None, None, self.url("/v1/public/subsidies"))
