"""Latency of the service on loopback: POST /api/v1/screen at 1, 10 and 50 concurrent clients (SQLite and
PostgreSQL, one or two uvicorn workers), the questionnaire's pages, the batch CLI on a 100,000-row CSV,
and peak memory (VmHWM of the server, ru_maxrss of the CLI).

    .venv/bin/python bench/latency.py                        # everything (about 15 minutes on 2 cores)
    .venv/bin/python bench/latency.py --db sqlite --workers 1 --rows 0      # API and pages, SQLite only
    .venv/bin/python bench/latency.py --baseline /path/to/old/checkout      # the same, against a baseline

With --baseline DIR, a second server runs the code of DIR (a copy of the repository from before a change;
same venv) on its own database, and every measurement alternates between the two in --rounds rounds,
so that both see the same machine load; the batch CLI runs alternate too.

Each request is timed by the client (perf_counter around one request). The server's CPU time per request
comes from /proc/<pid>/stat (utime + stime) over the measured requests, which, unlike the wall clock, does
not depend much on what else runs on the machine; the client's CPU time per request is printed too (it
shares the two cores with the server). `--client raw` replaces httpx by a minimal HTTP/1.1 client on
asyncio streams (keep-alive, Content-Length only) that costs the shared CPU far less.
Targets (issue "operational readiness"): p95 ≤ 20 ms for one screening at 10 concurrent clients; batch
≥ 2,000 rows/s.

PostgreSQL: new databases `navi_bench_<random>` on 127.0.0.1:5432 are created and dropped afterwards.
Only 127.0.0.1 is contacted; every loop is bounded by a count and by --max-seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import json
import os
import random
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import (  # noqa: E402
    BASICS_FORM,
    PROFILE,
    ROOT,
    Server,
    cpu_line,
    exit_on_sigterm,
    pct,
    pg_database,
    pg_is_up,
    start_server,
    summary,
)

P95_TARGET_MS = 20.0
BATCH_TARGET = 20000.0  # issue 15: ≥ 20,000 rows/s on 100,000 rows, peak memory ≤ 500 MB
CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids: list[int]) -> float:
    """utime + stime of these processes (/proc/<pid>/stat), in seconds."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (FileNotFoundError, ProcessLookupError, IndexError):
            pass
    return total / CLK_TCK


@dataclass
class Run:
    label: str
    ms: list[float] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    server_cpu: float = 0.0
    client_cpu: float = 0.0
    bytes: int = 0

    def add(self, other: Run) -> None:
        self.ms += other.ms
        self.statuses += other.statuses
        self.seconds += other.seconds
        self.server_cpu += other.server_cpu
        self.client_cpu += other.client_cpu
        self.bytes += other.bytes

    def line(self, cpu: bool = True) -> str:
        n = len(self.ms) or 1
        bad = {k: v for k, v in self.statuses.items() if not k.startswith(("200", "303"))}
        text = f"{self.label:<34} {summary(self.ms)}"
        if cpu:
            text += (f"  {len(self.ms) / self.seconds if self.seconds else 0:5.0f} req/s  server CPU "
                     f"{self.server_cpu / n * 1000:5.2f} ms/req  client CPU {self.client_cpu / n * 1000:5.2f} ms/req")
        return text + (f"  ERRORS {dict(bad)}" if bad else "")


# ------------------------------------------------------------------ clients


@dataclass
class RawResponse:
    status_code: int
    content: bytes


class RawClient:
    """One keep-alive HTTP/1.1 connection on asyncio streams: POST/GET with a body, Content-Length replies."""

    def __init__(self, port: int):
        self.port = port
        self.conn: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def request(self, method: str, path: str, body: bytes = b"", ctype: str = "application/json") -> RawResponse:
        if self.conn is None:
            self.conn = await asyncio.open_connection("127.0.0.1", self.port)
        reader, writer = self.conn
        head = (f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\nContent-Type: {ctype}\r\n"
                f"Content-Length: {len(body)}\r\n\r\n").encode()
        writer.write(head + body)
        try:
            raw = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionError) as e:
            await self.close()
            raise httpx.RemoteProtocolError(str(e)) from None
        lines = raw.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        length = next((int(x.split(":", 1)[1]) for x in lines[1:] if x.lower().startswith("content-length:")), 0)
        content = await reader.readexactly(length)
        if any(x.lower() == "connection: close" for x in lines[1:]):
            await self.close()
        return RawResponse(status, content)

    async def close(self) -> None:
        if self.conn is not None:
            self.conn[1].close()
            with contextlib.suppress(Exception):
                await self.conn[1].wait_closed()
            self.conn = None


BODY = json.dumps(PROFILE, ensure_ascii=False).encode()


async def closed_loop(label: str, server: Server, concurrency: int, n: int, max_seconds: float,
                      client_kind: str = "httpx",
                      make: Callable[[Any], Awaitable[Any]] | None = None) -> Run:
    """`concurrency` clients, each sending its next request when the previous answered, `n` in all.
    `make(client)` sends one request (default: POST /api/v1/screen with PROFILE)."""
    run = Run(label)
    issued = 0
    deadline = time.monotonic() + max_seconds
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async def worker(client: Any) -> None:
        nonlocal issued
        while issued < n and time.monotonic() < deadline:
            issued += 1
            t0 = time.perf_counter()
            try:
                if make is not None:
                    r = await make(client)
                elif isinstance(client, RawClient):
                    r = await client.request("POST", "/api/v1/screen", BODY)
                else:
                    r = await client.post("/api/v1/screen", content=BODY, headers={"content-type": "application/json"})
                run.statuses[str(r.status_code)] += 1
                run.bytes += len(r.content)
            except httpx.HTTPError as e:
                run.statuses[type(e).__name__] += 1
                continue
            run.ms.append((time.perf_counter() - t0) * 1000)

    pids = server.worker_pids()
    if client_kind == "raw" and make is None:
        clients = [RawClient(server.port) for _ in range(concurrency)]
        s0, c0, t0 = cpu_seconds(pids), time.process_time(), time.perf_counter()
        await asyncio.gather(*(worker(c) for c in clients))
        run.seconds = time.perf_counter() - t0
        run.server_cpu, run.client_cpu = cpu_seconds(pids) - s0, time.process_time() - c0
        for c in clients:
            await c.close()
        return run
    async with httpx.AsyncClient(base_url=server.url, timeout=30, limits=limits) as client:
        s0, c0, t0 = cpu_seconds(pids), time.process_time(), time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        run.seconds = time.perf_counter() - t0
        run.server_cpu, run.client_cpu = cpu_seconds(pids) - s0, time.process_time() - c0
    return run


async def api_latency(servers: dict[str, Server], levels: list[int], n: int, rounds: int, max_seconds: float,
                      client_kind: str) -> dict[str, list[Run]]:
    out: dict[str, list[Run]] = {name: [] for name in servers}
    for server in servers.values():
        await closed_loop("warm-up", server, 2, 60, 60, client_kind)
    for c in levels:
        totals = {name: Run(f"{name:<8} POST /api/v1/screen c={c:<3}") for name in servers}
        per_round = max(1, n // rounds)
        for _ in range(rounds):
            for name, server in servers.items():  # alternate: both see the same load on the machine
                totals[name].add(await closed_loop("", server, c, per_round, max_seconds / rounds, client_kind))
        for name in servers:
            out[name].append(totals[name])
            print("  " + totals[name].line(), flush=True)
    return out


# ------------------------------------------------------------------ the questionnaire's pages

PAGE_LABELS = ["POST /q (consent)", "GET /q/{token}", "POST /q/{token} (step)", "GET /q/{token} (2nd page)",
               "POST /q/{token} (finish)", "GET /results/{id}", "POST /results/{id}/refer"]


async def page_latency(server: Server, concurrency: int, flows: int, max_seconds: float,
                       runs: dict[str, Run], cpu: list[float]) -> None:
    """Applicants going consent → first page → one step → finish → results → referral, timed per request."""
    labels = PAGE_LABELS
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    issued = 0
    deadline = time.monotonic() + max_seconds

    async def timed(client: httpx.AsyncClient, key: str, method: str, url: str, **kw: Any) -> httpx.Response:
        t0 = time.perf_counter()
        r = await client.request(method, url, **kw)
        runs[key].ms.append((time.perf_counter() - t0) * 1000)
        runs[key].statuses[str(r.status_code)] += 1
        return r

    async def flow(client: httpx.AsyncClient) -> None:
        r = await timed(client, labels[0], "POST", "/q", data={"consent": "yes", "lang": "ja"})
        token = r.headers["location"].rsplit("/", 1)[-1]
        await timed(client, labels[1], "GET", f"/q/{token}")
        await timed(client, labels[2], "POST", f"/q/{token}", data=BASICS_FORM)
        await timed(client, labels[3], "GET", f"/q/{token}")
        r = await timed(client, labels[4], "POST", f"/q/{token}", data={"action": "finish"})
        results = r.headers["location"]
        sid = results.split("/results/", 1)[1].split("?", 1)[0]
        await timed(client, labels[5], "GET", results)
        await timed(client, labels[6], "POST", f"/results/{sid}/refer?q={token}",
                    data={"desk_id": "inpit-tokyo", "contact_name": "ベンチ太郎", "message": "bench"})

    async with httpx.AsyncClient(base_url=server.url, timeout=30, limits=limits) as client:

        async def worker() -> None:
            nonlocal issued
            while issued < flows and time.monotonic() < deadline:
                issued += 1
                try:
                    await flow(client)
                except (httpx.HTTPError, KeyError, IndexError) as e:
                    runs[labels[0]].statuses[f"flow failed: {type(e).__name__}"] += 1

        pids = server.worker_pids()
        s0, c0 = cpu_seconds(pids), time.process_time()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        cpu[0] += cpu_seconds(pids) - s0
        cpu[1] += time.process_time() - c0


async def pages(servers: dict[str, Server], levels: list[int], flows: int, rounds: int, max_seconds: float) -> None:
    for server in servers.values():
        await closed_loop("warm-up pages", server, 1, 3, 30, make=lambda c: c.get("/"))
    for c in levels:
        runs = {name: {k: Run(f"{name:<8} {k} c={c}") for k in PAGE_LABELS} for name in servers}
        cpu = {name: [0.0, 0.0] for name in servers}
        for _ in range(rounds):
            for name, server in servers.items():
                await page_latency(server, c, max(1, flows // rounds), max_seconds / rounds, runs[name], cpu[name])
        for name in servers:
            done = len(runs[name][PAGE_LABELS[-1]].ms) or 1
            print(f"  {name:<8} questionnaire flows c={c}: {done} applicants; per applicant (7 requests) server CPU "
                  f"{cpu[name][0] / done * 1000:.1f} ms, client CPU {cpu[name][1] / done * 1000:.1f} ms")
        for k in PAGE_LABELS:
            for name in servers:
                print("  " + runs[name][k].line(cpu=False), flush=True)


# ------------------------------------------------------------------ batch CLI


INDUSTRIES = ["製造業", "小売業", "サービス業", "卸売業", "ソフトウェア業・情報処理サービス業"]
DESCRIPTIONS = ["金属加工の新しい工法について特許を出願済みで、中国と米国への外国出願を考えています。",
                "自社ブランドの化粧品を台湾で販売していますが、現地で商標を先に出願されてしまいました。",
                "AIを使った画像検査ソフトウェアを開発しており、知財戦略を専門家に相談したいです。"]


def write_csv(path: Path, rows: int, describe_share: float) -> None:
    """A member list like bench/api.py's (和暦, 万円, Japanese labels); one row in 100 has a bad cell
    (reported on stderr, the others are screened), optionally a 事業内容."""
    rng = random.Random(1)
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(["会社名", "申請者の種類", "設立日", "従業員数", "資本金", "業種", "都道府県", "国内出願", "海外出願予定",
                    "基準日", "事業内容"])
        for i in range(rows):
            w.writerow([f"株式会社テスト{i}", "会社・法人", f"令和{rng.randint(2, 6)}年{rng.randint(1, 12)}月1日",
                        "たくさん" if i % 100 == 99 else str(rng.randint(1, 400)), f"{rng.randint(1, 500)}0万円",
                        rng.choice(INDUSTRIES), rng.choice(["大阪府", "東京都", "北海道", "福岡"]),
                        rng.choice(["特許", "商標", "特許;意匠", ""]), rng.choice(["", "特許:300万", "商標:80万"]),
                        "2025-09-01", rng.choice(DESCRIPTIONS) if rng.random() < describe_share else ""])


@dataclass
class CliRun:
    wall: float
    rate: float | None  # as the CLI reports it (after start-up)
    code: int
    rss_kb: int
    cpu: float  # user + system seconds of the CLI and its pool workers
    tail: str


def run_cli(root: Path, src: Path, out: Path, jobs: int, timeout: float) -> CliRun:
    cmd = [sys.executable, "-m", "app", "screen", "--input", str(src), "--output", str(out), "--jobs", str(jobs)]
    t0 = time.perf_counter()
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, cwd=root, stdout=subprocess.DEVNULL, stderr=err)
        deadline = time.monotonic() + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                proc.kill()
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.05)
        proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - t0
        err.seek(0)
        tail = err.read().decode("utf-8", "replace")[-300:]
    m = re.search(r"([\d,]+)件/秒", tail)
    # ru_maxrss from wait4: the CLI, or the largest of its (waited-for) pool workers with --jobs.
    return CliRun(wall, float(m[1].replace(",", "")) if m else None, proc.returncode, usage.ru_maxrss,
                  usage.ru_utime + usage.ru_stime, tail)


def batch(trees: dict[str, Path], rows: int, jobs_list: list[int], describe_share: float, timeout: float) -> None:
    with tempfile.TemporaryDirectory(prefix="navi-batch-") as d:
        src, out = Path(d) / "members.csv", Path(d) / "results.csv"
        t0 = time.perf_counter()
        write_csv(src, rows, describe_share)
        print(f"\nbatch CLI (python -m app screen): {rows:,} rows, {src.stat().st_size / 2**20:.1f} MiB CSV "
              f"({describe_share:.0%} with 事業内容, 1% with a bad cell), written in {time.perf_counter() - t0:.1f} s")
        for jobs in jobs_list:
            outputs: dict[str, bytes] = {}
            for name, root in trees.items():  # alternating, as the servers
                r = run_cli(root, src, out, jobs, timeout)
                outputs[name] = out.read_bytes() if out.exists() else b""
                ok = r.rate is not None and r.rate >= BATCH_TARGET
                print(f"  {name:<8} --jobs {jobs}: {r.wall:5.1f} s wall incl. start-up ({rows / r.wall:,.0f} rows/s); "
                      f"the CLI reports {r.rate or 0:,.0f} rows/s after loading the catalog; {rows / r.cpu:,.0f} rows "
                      f"per CPU-second (user+sys {r.cpu:.1f} s); peak RSS {r.rss_kb / 1024:.0f} MiB; exit {r.code}; "
                      f"target ≥ {BATCH_TARGET:,.0f} rows/s {'met' if ok else 'MISSED'}; load "
                      + "/".join(f"{x:.1f}" for x in os.getloadavg()), flush=True)
                if r.code != 0:
                    print("    " + r.tail.replace("\n", "\n    "))
            if len(outputs) > 1:  # the same rows must give the same file, whichever tree screened them
                same = len(set(outputs.values())) == 1
                print(f"  outputs of {' and '.join(outputs)} with --jobs {jobs}: {'identical' if same else 'DIFFER'} "
                      f"({len(next(iter(outputs.values()))):,} bytes)", flush=True)


# ------------------------------------------------------------------ main


def measure(db: str, urls: dict[str, str], trees: dict[str, Path], tmp: Path, workers: int,
            args: argparse.Namespace) -> dict[str, list[Run]]:
    servers: dict[str, Server] = {}
    try:
        for name, root in trees.items():
            sub = tmp / f"{db}-{workers}-{name}"
            sub.mkdir(exist_ok=True)
            servers[name] = start_server(urls[name], sub, workers=workers, name=f"{db}-w{workers}", root=root)
        print(f"\n== {db}, uvicorn --workers {workers}, client {args.client}; "
              + ", ".join(f"{k}: {v.root} (pid {v.pid})" for k, v in servers.items()) + " ==", flush=True)
        runs = asyncio.run(api_latency(servers, args.levels, args.n, args.rounds, args.max_seconds, args.client))
        first = next(iter(runs.values()))[0]
        print(f"  response size {first.bytes / max(1, len(first.ms)) / 1024:.0f} KiB; load average "
              + "/".join(f"{x:.1f}" for x in os.getloadavg()))
        if args.flows:
            asyncio.run(pages(servers, args.page_levels, args.flows, args.rounds, args.max_seconds))
        for name, server in servers.items():
            peaks = server.peak_rss_kb()
            print(f"  {name:<8} server peak RSS (VmHWM): " + ", ".join(f"pid {p} {kb / 1024:.0f} MiB"
                                                                    for p, kb in peaks.items()))
        return runs
    finally:
        for server in servers.values():
            server.stop()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", default="sqlite,pg", help="sqlite, pg or both (default sqlite,pg)")
    ap.add_argument("--workers", default="1,2", help="uvicorn --workers values to measure (default 1,2)")
    ap.add_argument("--levels", default="1,10,50", help="concurrent clients (default 1,10,50)")
    ap.add_argument("--n", type=int, default=1000, help="requests per concurrency level and server (default 1000)")
    ap.add_argument("--client", choices=("httpx", "raw"), default="httpx",
                    help="httpx.AsyncClient (default) or a minimal asyncio HTTP/1.1 client")
    ap.add_argument("--flows", type=int, default=100, help="questionnaire flows per page measurement (0 skips)")
    ap.add_argument("--page-levels", default="1,10", help="concurrent applicants for the pages (default 1,10)")
    ap.add_argument("--rows", type=int, default=100_000, help="rows for the batch CLI (0 skips)")
    ap.add_argument("--jobs", default="1,2", help="--jobs values for the batch CLI (default 1,2)")
    ap.add_argument("--describe-share", type=float, default=0.0,
                    help="share of CSV rows with a 事業内容 (TF-IDF in the scorer; default 0)")
    ap.add_argument("--baseline", type=Path, default=None,
                    help="another checkout to measure alternately (e.g. a copy from before a change)")
    ap.add_argument("--rounds", type=int, default=4, help="alternating rounds with --baseline (default 4)")
    ap.add_argument("--max-seconds", type=float, default=120, help="time cap per measurement (default 120)")
    args = ap.parse_args(argv)
    args.levels = [int(x) for x in args.levels.split(",") if x]
    args.page_levels = [int(x) for x in args.page_levels.split(",") if x]
    if args.baseline is None:
        args.rounds = 1
    trees = {"current": ROOT, **({"baseline": args.baseline.resolve()} if args.baseline else {})}
    dbs = [x for x in args.db.split(",") if x]
    workers = [int(x) for x in args.workers.split(",") if x]

    exit_on_sigterm()
    print("知財支援ナビ latency on loopback — " + cpu_line())
    print(f"targets: POST /api/v1/screen p95 ≤ {P95_TARGET_MS:.0f} ms at 10 concurrent clients; "
          f"batch ≥ {BATCH_TARGET:,.0f} rows/s")
    verdicts: list[str] = []
    with tempfile.TemporaryDirectory(prefix="navi-latency-") as d:
        tmp = Path(d)
        for db in dbs:
            for w in workers:
                if db == "sqlite":
                    urls = {name: f"sqlite:///{tmp / f'{name}-{w}.db'}" for name in trees}
                    res = measure(db, urls, trees, tmp, w, args)
                elif db == "pg":
                    if not pg_is_up():
                        print("\nPostgreSQL is not reachable on 127.0.0.1:5432: skipped")
                        continue
                    with contextlib.ExitStack() as stack:
                        urls = {name: stack.enter_context(pg_database()) for name in trees}
                        res = measure(db, urls, trees, tmp, w, args)
                else:
                    raise SystemExit(f"unknown --db {db}")
                for name, runs in res.items():
                    for r in runs:
                        if r.label.rstrip().endswith("c=10"):
                            p95 = pct(r.ms, 95)
                            verdicts.append(f"{name:<8} {db:<6} --workers {w}: p95 {p95:6.1f} ms at 10 clients, server "
                                            f"CPU {r.server_cpu / max(1, len(r.ms)) * 1000:.2f} ms/req → "
                                            f"{'met' if p95 <= P95_TARGET_MS else 'MISSED'}")
    if args.rows:
        batch(trees, args.rows, [int(x) for x in args.jobs.split(",") if x], args.describe_share, timeout=1200)
    print("\nsummary (target p95 ≤ 20 ms at 10 clients):")
    for v in verdicts:
        print("  " + v)
    print(f"load generator peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB; " + cpu_line())
    return 0


if __name__ == "__main__":
    sys.exit(main())
