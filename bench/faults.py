"""Fault injection on loopback: a server killed in the middle of writes, and PostgreSQL stopped under traffic.

    .venv/bin/python bench/faults.py                # (a) on SQLite and PostgreSQL, then (b)
    .venv/bin/python bench/faults.py --only kill --db sqlite
    .venv/bin/python bench/faults.py --only pg-stop

(a) kill: a burst of writes (POST /api/v1/screen and POST /results/{id}/refer from --writers concurrent
    clients); after a random 1–3 s the server gets SIGKILL; it is started again on the same database, and
    every write the server acknowledged (200 with a screening_id, 303 to a referral's confirmation) must be
    in the database (read directly, and the screenings also through GET /api/v1/screenings/{id}). Then the
    database must pass its integrity check: SQLite `PRAGMA integrity_check` (right after the kill, before
    the restart, and again after it) and `PRAGMA foreign_key_check`; PostgreSQL amcheck (`bt_index_check`
    on every index, `verify_heapam` on every table) when the extension is available, count(*) and a full
    read of every table in any case. Repeated --cycles times per database.
(b) pg-stop: clients keep calling the API and the pages; PostgreSQL is stopped (pg_ctlcluster … stop) for
    --down seconds and started again. While it is down every answer must be a 503 within --fail-fast seconds:
    JSON with a Japanese message and Retry-After for the API, a Japanese HTML page for pages. After it is
    back the same server must answer 200 again by itself (no restart). PostgreSQL is ALWAYS started again
    at the end (try/finally) and checked to be up, even when the run fails.

Stopping PostgreSQL affects every user of the local cluster for --down seconds. Only 127.0.0.1 is contacted;
every loop is bounded by a count and by time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import (  # noqa: E402
    PROFILE,
    ROOT,
    Server,
    cpu_line,
    exit_on_sigterm,
    pct,
    pg_ctl,
    pg_database,
    pg_is_up,
    restart,
    start_server,
)

JAPANESE = range(0x3040, 0x9FFF + 1)  # kana and CJK ideographs
TABLES = ("screening", "referral", "questionnaire_draft")


def has_japanese(text: str) -> bool:
    return any(ord(ch) in JAPANESE for ch in text)


# ------------------------------------------------------------------ (a) SIGKILL during writes


@dataclass
class Acked:
    screenings: set[str] = field(default_factory=set)
    referrals: dict[str, str] = field(default_factory=dict)  # referral id -> screening id
    outcomes: Counter[str] = field(default_factory=Counter)


async def write_burst(server: Server, seeds: list[str], writers: int, kill_after: float, max_requests: int,
                      rng: random.Random) -> Acked:
    acked = Acked()
    sent = 0
    stop = asyncio.Event()
    limits = httpx.Limits(max_connections=writers, max_keepalive_connections=writers)
    async with httpx.AsyncClient(base_url=server.url, timeout=10, limits=limits) as client:

        async def writer(i: int) -> None:
            nonlocal sent
            while sent < max_requests and not stop.is_set():
                sent += 1
                try:
                    if (sent + i) % 3:
                        r = await client.post("/api/v1/screen", json=PROFILE)
                        if r.status_code == 200:
                            acked.screenings.add(r.json()["screening_id"])
                    else:
                        sid = rng.choice(seeds)
                        r = await client.post(f"/results/{sid}/refer", data={"desk_id": "inpit-osaka",
                                                                               "message": f"kill test {sent}"})
                        if r.status_code == 303:
                            acked.referrals[r.headers["location"].split("/referrals/")[1].split("?")[0]] = sid
                    acked.outcomes[str(r.status_code)] += 1
                except httpx.HTTPError as e:  # the server died under this request: not acknowledged
                    acked.outcomes[type(e).__name__] += 1
                    await asyncio.sleep(0.05)

        async def killer() -> None:
            await asyncio.sleep(kill_after)
            server.kill()
            await asyncio.sleep(0.3)
            stop.set()

        await asyncio.gather(killer(), *(writer(i) for i in range(writers)))
    return acked


def sqlite_checks(path: Path) -> list[str]:
    conn = sqlite3.connect(path, timeout=10)
    try:
        integrity = [r[0] for r in conn.execute("PRAGMA integrity_check")]
        fk = conn.execute("PRAGMA foreign_key_check").fetchall()
        counts = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}
        size = sum(len(r[0] or "") + len(r[1] or "") for r in conn.execute("SELECT profile, result FROM screening"))
    finally:
        conn.close()
    print(f"    PRAGMA integrity_check: {', '.join(integrity)}; foreign_key_check: {len(fk)} rows; counts {counts}; "
          f"full read of screening: {size / 2**20:.1f} MiB")
    problems = [] if integrity == ["ok"] else [f"integrity_check: {integrity[:5]}"]
    return problems + ([f"foreign_key_check: {fk[:5]}"] if fk else [])


def pg_checks(url: str) -> list[str]:
    import psycopg

    problems: list[str] = []
    with psycopg.connect(url.replace("+psycopg", ""), autocommit=True, connect_timeout=5) as conn:
        tables = [r[0] for r in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")]
        counts = {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
        read = 0
        for t in tables:
            with conn.transaction(), conn.cursor(name=f"read_{t}") as cur:  # a full read, streamed
                cur.execute(f'SELECT * FROM "{t}"')
                for row in cur:
                    read += sum(len(str(v)) for v in row)
        try:
            conn.execute("CREATE EXTENSION IF NOT EXISTS amcheck")
            available = True
        except psycopg.Error as e:
            available = False
            amcheck = f"not available ({type(e).__name__}: {str(e).strip()[:80]}); the full read above instead"
        if available:
            indexes = conn.execute("""
                SELECT c.oid, c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
                JOIN pg_am am ON am.oid = c.relam JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE am.amname = 'btree' AND n.nspname = 'public'""").fetchall()
            bad: list[str] = []
            for oid, name in indexes:
                try:  # bt_index_check raises on corruption; heapallindexed also checks every heap tuple is indexed
                    conn.execute("SELECT bt_index_check(%s::regclass, true)", (oid,))
                except psycopg.Error as e:
                    bad.append(f"index {name}: {str(e).strip()[:200]}")
            for t in tables:
                bad += [f"table {t}: {row}" for row in
                        conn.execute("SELECT * FROM verify_heapam(%s::regclass)", (f'public."{t}"',)).fetchall()]
            amcheck = (f"bt_index_check(heapallindexed) on {len(indexes)} indexes, verify_heapam on {len(tables)} "
                       f"tables: " + ("no corruption" if not bad else f"CORRUPTION: {bad[:5]}"))
            problems += [f"amcheck: {b}" for b in bad]
    shown = {t: n for t, n in counts.items() if n or t in TABLES}
    print(f"    PostgreSQL: row counts {shown} (the {len(counts) - len(shown)} other tables empty); full read {read / 2**20:.1f} MiB; amcheck: {amcheck}")
    return problems


def stored(url: str, acked: Acked) -> tuple[set[str], dict[str, str]]:
    """(screening ids, referral id → screening id) in the database, read directly."""
    if url.startswith("sqlite"):
        conn: Any = sqlite3.connect(url.split(":///", 1)[1], timeout=10)
        try:
            s = {r[0] for r in conn.execute("SELECT id FROM screening")}
            r = {row[0]: row[1] for row in conn.execute("SELECT id, screening_id FROM referral")}
        finally:
            conn.close()
        return s, r
    import psycopg

    with psycopg.connect(url.replace("+psycopg", ""), connect_timeout=5) as conn:
        s = {row[0] for row in conn.execute("SELECT id FROM screening")}
        r = {row[0]: row[1] for row in conn.execute("SELECT id, screening_id FROM referral")}
    return s, r


def kill_test(db: str, url: str, tmp: Path, args: argparse.Namespace, rng: random.Random) -> list[str]:
    problems: list[str] = []
    server = start_server(url, tmp, name=f"kill-{db}", root=args.root)
    try:
        seeds = [httpx.post(server.url + "/api/v1/screen", json=PROFILE, timeout=30).json()["screening_id"]
                 for _ in range(5)]
        for cycle in range(1, args.cycles + 1):
            kill_after = rng.uniform(1.0, 3.0)
            t0 = time.perf_counter()
            acked = asyncio.run(write_burst(server, seeds, args.writers, kill_after, args.max_requests, rng))
            print(f"  [{db}] cycle {cycle}: SIGKILL after {kill_after:.1f} s of writes by {args.writers} clients; "
                  f"outcomes {dict(acked.outcomes)}; acknowledged {len(acked.screenings)} screenings, "
                  f"{len(acked.referrals)} referrals ({time.perf_counter() - t0:.1f} s)", flush=True)
            if db == "sqlite":
                print("    after the kill, before the restart:")
                problems += sqlite_checks(Path(url.split(":///", 1)[1]))
            t1 = time.perf_counter()
            server = restart(server, tmp)
            print(f"    restarted in {time.perf_counter() - t1:.1f} s (pid {server.pid})")
            s_ids, r_ids = stored(url, acked)
            lost_s = sorted(acked.screenings - s_ids)
            lost_r = sorted(r for r in acked.referrals if r_ids.get(r) != acked.referrals[r])
            via_api = Counter(httpx.get(f"{server.url}/api/v1/screenings/{sid}", timeout=30).status_code
                              for sid in list(acked.screenings)[:200])
            print(f"    acknowledged and present: screenings {len(acked.screenings) - len(lost_s)}/{len(acked.screenings)},"
                  f" referrals {len(acked.referrals) - len(lost_r)}/{len(acked.referrals)}; GET /api/v1/screenings/"
                  f"{{id}} for {sum(via_api.values())} of them: {dict(via_api)}")
            if lost_s or lost_r:
                problems.append(f"{db} cycle {cycle}: LOST acknowledged writes: screenings {lost_s[:5]}, "
                                f"referrals {lost_r[:5]}")
            if set(via_api) - {200}:
                problems.append(f"{db} cycle {cycle}: GET /api/v1/screenings/{{id}} after restart: {dict(via_api)}")
            problems += sqlite_checks(Path(url.split(":///", 1)[1])) if db == "sqlite" else pg_checks(url)
            r = httpx.post(server.url + "/api/v1/screen", json=PROFILE, timeout=30)
            if r.status_code != 200:
                problems.append(f"{db} cycle {cycle}: a write after the restart failed: {r.status_code}")
    finally:
        server.stop()
    return problems


# ------------------------------------------------------------------ (b) PostgreSQL stopped under traffic


@dataclass
class Answer:
    t: float  # seconds since the start of the run
    endpoint: str
    status: str
    ms: float
    content_type: str = ""
    retry_after: str | None = None
    body: str = ""


async def traffic(server: Server, clients: int, until: asyncio.Event, token: str, sid: str,
                  answers: list[Answer], t_start: float, max_requests: int) -> None:
    page = {"accept": "text/html,application/xhtml+xml", "accept-language": "ja"}  # as a browser asks
    calls = [
        ("POST /api/v1/screen", "POST", "/api/v1/screen", {"json": PROFILE}),
        ("GET /q/{token}", "GET", f"/q/{token}", {"headers": page}),
        ("GET /results/{id}", "GET", f"/results/{sid}", {"headers": page}),
        ("POST /q (consent)", "POST", "/q", {"data": {"consent": "yes"}, "headers": page}),
        ("GET /api/v1/screenings/{id}", "GET", f"/api/v1/screenings/{sid}", {}),
    ]
    sent = 0
    async with httpx.AsyncClient(base_url=server.url, timeout=15) as client:

        async def one(i: int) -> None:
            nonlocal sent
            k = i
            while not until.is_set() and sent < max_requests:
                sent += 1
                name, method, url, kw = calls[k % len(calls)]
                k += 1
                t0 = time.perf_counter()
                try:
                    r = await client.request(method, url, **kw)
                    answers.append(Answer(t0 - t_start, name, str(r.status_code), (time.perf_counter() - t0) * 1000,
                                          r.headers.get("content-type", ""), r.headers.get("retry-after"),
                                          r.text[:2000]))
                except httpx.HTTPError as e:
                    answers.append(Answer(t0 - t_start, name, type(e).__name__, (time.perf_counter() - t0) * 1000))
                await asyncio.sleep(0.05)

        await asyncio.gather(*(one(i) for i in range(clients)))


def check_unavailable(a: Answer, fail_fast_ms: float) -> str | None:
    """What is wrong with an answer given while the database is down (None: a proper, fast 503)."""
    if a.status != "503":
        return f"status {a.status}"
    if a.ms > fail_fast_ms:
        return f"slow: {a.ms:.0f} ms"
    if a.retry_after is None:
        return "no Retry-After"
    if a.endpoint.split()[1].startswith("/api/"):
        if not a.content_type.startswith("application/json"):
            return f"content-type {a.content_type}"
        try:
            message = json.loads(a.body)["message"]
        except (ValueError, KeyError, TypeError):
            return f"not the JSON error body: {a.body[:100]!r}"
        return None if has_japanese(message) else f"message not in Japanese: {message!r}"
    if not a.content_type.startswith("text/html"):
        return f"content-type {a.content_type}"
    return None if has_japanese(a.body) else "page not in Japanese"


async def pg_stop_run(server: Server, args: argparse.Namespace) -> tuple[list[Answer], dict[str, float], list[str]]:
    problems: list[str] = []
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as c:
        token = (await c.post("/q", data={"consent": "yes"})).headers["location"].rsplit("/", 1)[-1]
        sid = (await c.post("/api/v1/screen", json=PROFILE)).json()["screening_id"]
    answers: list[Answer] = []
    until = asyncio.Event()
    marks: dict[str, float] = {}
    t_start = time.perf_counter()
    load = asyncio.create_task(traffic(server, args.clients, until, token, sid, answers, t_start, 20_000))
    try:
        await asyncio.sleep(3)
        marks["stop issued"] = time.perf_counter() - t_start
        await asyncio.to_thread(pg_ctl, "stop")
        marks["stopped"] = time.perf_counter() - t_start
        print(f"  PostgreSQL stopped ({marks['stopped'] - marks['stop issued']:.1f} s)", flush=True)
        await asyncio.sleep(args.down)
        marks["start issued"] = time.perf_counter() - t_start
        await asyncio.to_thread(pg_ctl, "start")
        marks["started"] = time.perf_counter() - t_start
        print(f"  PostgreSQL started again ({marks['started'] - marks['start issued']:.1f} s)", flush=True)
        deadline = time.perf_counter() + args.recover
        endpoints = {a.endpoint for a in answers}
        while time.perf_counter() < deadline:  # until every endpoint has answered well since the start
            ok = {a.endpoint for a in answers if a.t > marks["started"] and a.status in ("200", "303")}
            if ok >= endpoints:
                break
            await asyncio.sleep(0.1)
        marks["recovered"] = time.perf_counter() - t_start
        await asyncio.sleep(3)  # and keeps answering well
    finally:
        until.set()
        if not pg_is_up():  # the run failed while PostgreSQL was down: start it before anything else
            await asyncio.to_thread(ensure_pg_up)
        try:
            await asyncio.wait_for(load, timeout=30)
        except TimeoutError:
            load.cancel()
            problems.append("the traffic did not stop within 30 s")
    return answers, marks, problems


def pg_stop_test(tmp: Path, args: argparse.Namespace) -> list[str]:
    problems: list[str] = []
    fail_fast_ms = args.fail_fast * 1000
    with pg_database("navi_faults") as url:
        server = start_server(url, tmp, name="pg-stop", root=args.root)
        try:
            answers, marks, problems = asyncio.run(pg_stop_run(server, args))
            alive = server.process.poll() is None
        finally:
            server.stop()
    down = [a for a in answers if marks["stopped"] <= a.t and a.t + a.ms / 1000 <= marks["start issued"]]
    transition = [a for a in answers if a not in down and marks["stop issued"] <= a.t < marks["started"]]
    after = [a for a in answers if a.t > marks["recovered"]]
    before = [a for a in answers if a.t + a.ms / 1000 < marks["stop issued"]]
    print("  timeline (s): " + ", ".join(f"{k} {v:.1f}" for k, v in marks.items()))
    for label, group in (("before the stop", before), ("while stopping/starting", transition),
                         ("while PostgreSQL was down", down), ("after recovery", after)):
        by = Counter((a.endpoint, a.status) for a in group)
        ms = [a.ms for a in group]
        print(f"  {label}: {len(group)} answers, p50 {pct(ms, 50):.0f} ms, max {max(ms, default=0):.0f} ms; "
              + "; ".join(f"{e} {s}: {n}" for (e, s), n in sorted(by.items())))
    bad = [(a, why) for a in down if (why := check_unavailable(a, fail_fast_ms))]
    for a, why in bad[:20]:
        problems.append(f"while down: {a.endpoint} at {a.t:.1f} s: {why}")
    if not down:
        problems.append("no request was answered while PostgreSQL was down")
    else:
        sample = next((a for a in down if a.endpoint.startswith("POST /api")), None)
        page = next((a for a in down if a.endpoint.startswith("GET /q")), None)
        if sample:
            print(f"  API while down: {sample.status} Retry-After: {sample.retry_after}; {sample.body[:160]}")
        if page:
            title = page.body.split("<title>")[1].split("</title>")[0] if "<title>" in page.body else page.body[:80]
            print(f"  page while down: {page.status} {page.content_type}; <title>{title}</title>")
    recovery = {e: min((a.t for a in answers if a.endpoint == e and a.t > marks["started"]
                        and a.status in ("200", "303")), default=None) for e in {a.endpoint for a in answers}}
    for e, t in sorted(recovery.items()):
        if t is None:
            problems.append(f"{e} did not recover within {args.recover:.0f} s of PostgreSQL's start")
        else:
            print(f"  {e}: first success {t - marks['started']:.2f} s after PostgreSQL was started")
    bad_after = [a for a in after if a.status not in ("200", "303")]
    if bad_after:
        problems.append(f"after recovery: {Counter((a.endpoint, a.status) for a in bad_after)}")
    if not alive:
        problems.append("the server process died")
    return problems


def ensure_pg_up() -> bool:
    for _ in range(3):
        if pg_is_up():
            return True
        try:
            pg_ctl("start")
        except Exception as e:  # already starting, or a real problem: retried, then reported
            print(f"  pg_ctlcluster start: {e}")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if pg_is_up():
                return True
            time.sleep(0.5)
    return pg_is_up()


# ------------------------------------------------------------------ main


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", choices=("kill", "pg-stop"), default=None)
    ap.add_argument("--db", default="sqlite,pg", help="databases for the kill test (default sqlite,pg)")
    ap.add_argument("--cycles", type=int, default=3, help="kill/restart cycles per database (default 3)")
    ap.add_argument("--writers", type=int, default=16, help="concurrent writers in the burst (default 16)")
    ap.add_argument("--max-requests", type=int, default=5000, help="requests per burst at most (default 5000)")
    ap.add_argument("--clients", type=int, default=4, help="clients during the PostgreSQL stop (default 4)")
    ap.add_argument("--down", type=float, default=6, help="seconds PostgreSQL stays down (default 6)")
    ap.add_argument("--recover", type=float, default=30, help="seconds allowed to recover (default 30)")
    ap.add_argument("--fail-fast", type=float, default=2.0, help="max seconds for an answer while down (default 2)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--root", type=Path, default=ROOT, help="the checkout to serve (default: this one)")
    args = ap.parse_args(argv)
    args.root = args.root.resolve()
    rng = random.Random(args.seed)
    exit_on_sigterm()
    print("知財支援ナビ fault injection — " + cpu_line())
    print(f"serving {args.root}")
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="navi-faults-") as d:
        tmp = Path(d)
        try:
            if args.only in (None, "kill"):
                for db in [x for x in args.db.split(",") if x]:
                    print(f"\n(a) SIGKILL during writes — {db}", flush=True)
                    if db == "sqlite":
                        problems += kill_test(db, f"sqlite:///{tmp / 'kill.db'}", tmp, args, rng)
                    elif not pg_is_up():
                        problems.append("PostgreSQL is not reachable: the kill test on PostgreSQL did not run")
                    else:
                        with pg_database("navi_faults") as url:
                            problems += kill_test(db, url, tmp, args, rng)
            if args.only in (None, "pg-stop"):
                print(f"\n(b) PostgreSQL stopped for {args.down:.0f} s under traffic ({args.clients} clients)", flush=True)
                if not pg_is_up():
                    problems.append("PostgreSQL is not reachable: the stop test did not run")
                else:
                    problems += pg_stop_test(tmp, args)
        finally:
            up = ensure_pg_up()
            print(f"\nPostgreSQL after the run: {'up (SELECT 1 answered)' if up else 'DOWN — start it by hand'}")
            if not up:
                problems.append("PostgreSQL could not be started again")
    if problems:
        print("\nFAILED:")
        for p in problems:
            print("  " + p)
        return 1
    print("\nall checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
