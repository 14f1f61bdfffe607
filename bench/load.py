"""Load test: simulated applicants go through the questionnaire on loopback, then the database is checked.

    .venv/bin/python bench/load.py                 # 200 applicants over 60 s, SQLite
    .venv/bin/python bench/load.py --pg            # the same on a new PostgreSQL database (dropped afterwards)

Each applicant: 「はじめる」 with consent (POST /q) → the first page → answers page after page (「次へ」, now and
then 「戻る」 or 「ここまでで結果を見る」) → the results page (sometimes in English, which screens again) →
「相談窓口に送る」 (POST /results/{id}/refer) → the confirmation page. Applicants arrive evenly over
--seconds; at most --concurrency are active at once, with a short random think time between requests.

Afterwards the database is read directly (not through the app): every referral the server acknowledged
(303 to its confirmation) must be a `referral` row with the same screening and desk, and every finished
questionnaire (303 to /results/{id}) must have its `screening` row (source "web") and its draft pointing at it.
Requests and errors are counted by endpoint and status. Exit status 1 on any error or missing row.
Only 127.0.0.1 is contacted; the run is bounded by --seconds plus --grace.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import sqlite3
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.desks import all_desks, desks_for  # noqa: E402
from bench.common import ROOT, cpu_line, exit_on_sigterm, pct, pg_database, pg_is_up, start_server  # noqa: E402
from eligibility.facts import PREFECTURES  # noqa: E402

APPLICANT_TYPES = ["corporation", "corporation", "corporation", "sole_proprietor", "individual", "university"]
INDUSTRIES = ["manufacturing", "retail", "services", "software", "wholesale", "unknown"]
MAX_PAGES = 12  # a questionnaire has 6 groups; 「戻る」 adds a few


@dataclass
class Stats:
    counts: Counter[tuple[str, str]] = field(default_factory=Counter)  # (endpoint, status) -> n
    ms: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)
    referrals: dict[str, tuple[str, str]] = field(default_factory=dict)  # referral id -> (screening, desk)
    finished: dict[str, str] = field(default_factory=dict)  # token -> screening id
    started: int = 0
    completed: int = 0


class Applicant:
    def __init__(self, n: int, client: httpx.AsyncClient, stats: Stats, rng: random.Random, think: float):
        self.n = n
        self.client = client
        self.stats = stats
        self.rng = rng
        self.think = think

    async def pause(self) -> None:
        await asyncio.sleep(self.rng.uniform(0, 2 * self.think))

    async def call(self, endpoint: str, expect: int, method: str, url: str, **kw: Any) -> httpx.Response | None:
        t0 = time.perf_counter()
        try:
            r = await self.client.request(method, url, **kw)
        except httpx.HTTPError as e:
            self.stats.counts[(endpoint, type(e).__name__)] += 1
            self.stats.errors.append(f"applicant {self.n}: {method} {url}: {type(e).__name__}: {e}")
            return None
        self.stats.ms[endpoint].append((time.perf_counter() - t0) * 1000)
        self.stats.counts[(endpoint, str(r.status_code))] += 1
        if r.status_code != expect:
            self.stats.errors.append(f"applicant {self.n}: {method} {url} → {r.status_code} (expected {expect}): "
                                     f"{r.text[:200]!r}")
            return None
        return r

    def basics(self) -> dict[str, str]:
        rng = self.rng
        return {
            "applicant_type": rng.choice(APPLICANT_TYPES),
            "established_on": rng.choice(["令和3年4月1日", "R1.10.1", "2015-06-01", "平成30年1月15日", ""]),
            "prefecture": rng.choice(PREFECTURES),
            "employees": str(rng.choice([3, 20, 120, 300, 900])),
            "capital_yen": rng.choice(["1,000万円", "3億円", "500万", "10000000", ""]),
            "industry": rng.choice(INDUSTRIES),
            "action": "next",
        }

    async def run(self) -> None:
        rng = self.rng
        self.stats.started += 1
        r = await self.call("POST /q", 303, "POST", "/q", data={"consent": "yes", "lang": "ja"})
        if r is None:
            return
        token = r.headers["location"].rsplit("/", 1)[-1]
        page = f"/q/{token}"
        form = self.basics()
        prefecture = form["prefecture"]
        results_url = None
        for step in range(MAX_PAGES):
            await self.pause()
            if await self.call("GET /q/{token}", 200, "GET", page) is None:
                return
            await self.pause()
            roll = rng.random()
            action = "back" if step in (2, 3) and roll < 0.15 else "finish" if step >= 1 and roll < 0.1 else "next"
            data = form if step == 0 else {"action": action}
            r = await self.call("POST /q/{token}", 303, "POST", page, data=data)
            if r is None:
                return
            location = r.headers["location"]
            if "/results/" in location:
                results_url = location
                break
        if results_url is None:
            self.stats.errors.append(f"applicant {self.n}: no results after {MAX_PAGES} pages")
            return
        sid = results_url.split("/results/", 1)[1].split("?", 1)[0]
        self.stats.finished[token] = sid
        await self.pause()
        lang = "en" if rng.random() < 0.1 else "ja"
        if await self.call("GET /results/{id}", 200, "GET", f"/results/{sid}?q={quote(token)}&lang={lang}") is None:
            return
        await self.pause()
        local = desks_for(prefecture)
        desk = (local[0] if local else rng.choice(all_desks())).id
        data = {"desk_id": desk, "q": token}
        if rng.random() < 0.7:
            data |= {"contact_name": f"負荷試験{self.n}", "contact_email": f"load{self.n}@example.jp",
                     "contact_phone": "03-1234-5678", "message": "負荷試験のための送信です。"}
        r = await self.call("POST /results/{id}/refer", 303, "POST", f"/results/{sid}/refer?lang={lang}", data=data)
        if r is None:
            return
        confirmation = r.headers["location"]
        rid = confirmation.split("/referrals/", 1)[1].split("?", 1)[0]
        self.stats.referrals[rid] = (sid, desk)
        await self.call("GET /results/{id}/referrals/{rid}", 200, "GET", confirmation)
        self.stats.completed += 1


async def simulate(base: str, applicants: int, seconds: float, concurrency: int, think: float, grace: float,
                   seed: int) -> Stats:
    stats = Stats()
    sem = asyncio.Semaphore(concurrency)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    start = time.monotonic()
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as client:

        async def one(i: int) -> None:
            await asyncio.sleep(max(0.0, start + i * seconds / applicants - time.monotonic()))
            async with sem:
                await Applicant(i, client, stats, random.Random(seed * 100_003 + i), think).run()

        tasks = [asyncio.create_task(one(i)) for i in range(applicants)]
        done, pending = await asyncio.wait(tasks, timeout=seconds + grace)
        for t in pending:
            t.cancel()
        if pending:
            stats.errors.append(f"{len(pending)} applicants still running after {seconds + grace:.0f} s (cancelled)")
        for t in done:
            if t.exception() is not None:
                stats.errors.append(f"applicant task failed: {t.exception()!r}")
    return stats


# ------------------------------------------------------------------ checking the database


def read_rows(url: str) -> tuple[dict[str, tuple[str, str]], dict[str, str], dict[str, str | None]]:
    """(referral id → (screening id, desk), screening id → source, draft token → screening id), read directly."""
    queries = ("SELECT id, screening_id, desk_id FROM referral", "SELECT id, source FROM screening",
               "SELECT token, screening_id FROM questionnaire_draft")
    if url.startswith("sqlite"):
        conn: Any = sqlite3.connect(f"file:{url.split(':///', 1)[1]}?mode=ro", uri=True)
        try:
            rows = [conn.execute(q).fetchall() for q in queries]
        finally:
            conn.close()
    else:
        import psycopg

        with psycopg.connect(url.replace("+psycopg", ""), connect_timeout=5) as conn:
            rows = [conn.execute(q).fetchall() for q in queries]  # type: ignore[arg-type]
    return ({r[0]: (r[1], r[2]) for r in rows[0]}, {r[0]: r[1] for r in rows[1]}, {r[0]: r[1] for r in rows[2]})


def verify(url: str, stats: Stats) -> list[str]:
    referrals, screenings, drafts = read_rows(url)
    problems = []
    for rid, (sid, desk) in stats.referrals.items():
        if rid not in referrals:
            problems.append(f"acknowledged referral {rid} is not in the referral table")
        elif referrals[rid] != (sid, desk):
            problems.append(f"referral {rid}: stored {referrals[rid]}, acknowledged {(sid, desk)}")
    for token, sid in stats.finished.items():
        if sid not in screenings:
            problems.append(f"finished questionnaire {token[:8]}…: screening {sid} is not in the screening table")
        elif screenings[sid] != "web":
            problems.append(f"screening {sid}: source {screenings[sid]!r}, expected 'web'")
        if drafts.get(token) != sid:
            problems.append(f"draft {token[:8]}… points at {drafts.get(token)!r}, expected {sid}")
    print(f"database: {len(referrals):,} referral rows ({len(stats.referrals):,} acknowledged), "
          f"{len(screenings):,} screening rows ({len(stats.finished):,} finished questionnaires), "
          f"{len(drafts):,} drafts")
    extra = set(referrals) - set(stats.referrals)
    if extra:
        print(f"note: {len(extra)} referral rows were not acknowledged to the client (answer lost)")
    return problems


def report(stats: Stats, took: float) -> None:
    total = sum(stats.counts.values())
    print(f"\n{stats.started} applicants started, {stats.completed} sent their results to a desk; "
          f"{total:,} requests in {took:.1f} s ({total / took:.0f} req/s)")
    print(f"{'endpoint':<36} {'status counts':<28} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
    for endpoint in sorted({e for e, _ in stats.counts}):
        by = ", ".join(f"{s}: {n}" for (e, s), n in sorted(stats.counts.items()) if e == endpoint)
        ms = stats.ms.get(endpoint, [])
        print(f"{endpoint:<36} {by:<28} {pct(ms, 50):8.1f} {pct(ms, 95):8.1f} {pct(ms, 99):8.1f}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pg", action="store_true", help="PostgreSQL (a new database, dropped afterwards)")
    ap.add_argument("--applicants", type=int, default=200)
    ap.add_argument("--seconds", type=float, default=60, help="applicants arrive evenly over this time (default 60)")
    ap.add_argument("--concurrency", type=int, default=50, help="applicants active at once at most (default 50)")
    ap.add_argument("--think", type=float, default=0.3, help="mean think time between requests, s (default 0.3)")
    ap.add_argument("--grace", type=float, default=120, help="time allowed after the last arrival (default 120 s)")
    ap.add_argument("--workers", type=int, default=1, help="uvicorn --workers (default 1)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--root", type=Path, default=ROOT, help="the checkout to serve (default: this one)")
    args = ap.parse_args(argv)
    args.root = args.root.resolve()
    exit_on_sigterm()
    print("知財支援ナビ load test — " + cpu_line())
    with tempfile.TemporaryDirectory(prefix="navi-load-") as d:
        tmp = Path(d)
        if args.pg:
            if not pg_is_up():
                print("PostgreSQL is not reachable on 127.0.0.1:5432")
                return 2
            ctx: Any = pg_database("navi_load")
        else:
            ctx = contextlib.nullcontext(f"sqlite:///{tmp / 'navi.db'}")
        with ctx as url:
            server = start_server(url, tmp, workers=args.workers, root=args.root)
            try:
                print(f"server: uvicorn --workers {args.workers} on {server.url}, "
                      f"{'PostgreSQL' if args.pg else 'SQLite'}; {args.applicants} applicants over {args.seconds:.0f} s, "
                      f"at most {args.concurrency} at once", flush=True)
                t0 = time.perf_counter()
                stats = asyncio.run(simulate(server.url, args.applicants, args.seconds, args.concurrency, args.think,
                                             args.grace, args.seed))
                took = time.perf_counter() - t0
                peaks = server.peak_rss_kb()
            finally:
                server.stop()
            report(stats, took)
            print("server peak RSS (VmHWM): " + ", ".join(f"{kb / 1024:.0f} MiB" for kb in peaks.values()))
            problems = verify(url, stats)
    errors = stats.errors + problems
    if errors:
        print(f"\nFAILED: {len(stats.errors)} request errors, {len(problems)} database problems:")
        for e in errors[:200]:
            print("  " + e)
        if len(errors) > 200:
            print(f"  … and {len(errors) - 200} more")
        return 1
    print("\nzero errors: every acknowledged referral and every finished questionnaire is in the database")
    return 0


if __name__ == "__main__":
    sys.exit(main())
