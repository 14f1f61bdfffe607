"""What the HTTP benchmarks share: a uvicorn server on loopback, a throw-away PostgreSQL database,
percentiles, peak memory from /proc, and the questionnaire's form answers.

Traffic goes only to 127.0.0.1. Every wait is bounded in time.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/test")
PG_DATA_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/{db}"
SERVER_START_SECONDS = 120

PROFILE: dict[str, Any] = {  # the README's example: an Osaka manufacturer planning foreign filings
    "as_of": "2025-09-01", "applicant_type": "corporation", "established_on": "1978-05-01", "employees": 25,
    "capital_yen": 10_000_000, "industry": "manufacturing", "large_company_shareholding": {"largest": 0, "combined": 0},
    "large_company_officer_ratio": 0, "wholly_owned_by_large_parent": False, "avg_taxable_income_yen": 18_000_000,
    "prefecture": "大阪府", "phase": "expansion", "domestic_applications": ["patent", "design"],
    "patent_exam_status": "started",
    "foreign_filings": [{"right": "patent", "cost_yen": 3_400_000, "already_filed": False},
                        {"right": "design", "cost_yen": 800_000, "already_filed": False}],
    "interests": ["overseas"], "description": "東大阪市の金属加工の町工場。特許と意匠を中国・米国へ出願したい。",
}

# The questionnaire's first page (app/pages/questionnaire.py GROUPS[0], input names as on the form).
BASICS_FORM: dict[str, str] = {
    "applicant_type": "corporation", "established_on": "令和3年4月1日", "prefecture": "東京都",
    "employees": "２０", "capital_yen": "1,000万円", "industry": "manufacturing", "action": "next",
}


def exit_on_sigterm() -> None:
    """SIGTERM ends the script like Ctrl-C, so that `finally:` blocks stop the servers and drop the databases."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))


def cpu_line() -> str:
    load = "/".join(f"{x:.2f}" for x in os.getloadavg())
    return (f"os.cpu_count() = {os.cpu_count()}, Python {sys.version.split()[0]}, load average {load} "
            f"(the load generator runs on the same machine as the server)")


def pct(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0–100) of `values`."""
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, max(0, int(round(p / 100 * len(s))) - 1))]


def summary(ms: list[float]) -> str:
    if not ms:
        return "n=0"
    return (f"n={len(ms):>5}  p50 {pct(ms, 50):7.2f} ms  p95 {pct(ms, 95):7.2f} ms  p99 {pct(ms, 99):7.2f} ms  "
            f"max {max(ms):7.1f} ms")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ------------------------------------------------------------------ memory from /proc


def proc_kb(pid: int, key: str) -> int:
    """A `kB` field of /proc/<pid>/status (VmHWM = peak RSS, VmRSS = current), 0 if the process is gone."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        pass
    return 0


def children(pid: int) -> list[int]:
    """Direct children of `pid` (uvicorn's workers with --workers N)."""
    out: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with contextlib.suppress(FileNotFoundError):
                out += [int(x) for x in Path(f"/proc/{pid}/task/{task}/children").read_text().split()]
    except FileNotFoundError:
        pass
    return out


# ------------------------------------------------------------------ PostgreSQL


def pg_admin() -> Any:
    import psycopg

    return psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3)


def pg_is_up(timeout: float = 2.0) -> bool:
    import psycopg

    try:
        with psycopg.connect(PG_ADMIN_URL, connect_timeout=max(1, int(timeout))) as c:
            c.execute("SELECT 1")
        return True
    except psycopg.Error:
        return False


@contextlib.contextmanager
def pg_database(prefix: str = "navi_bench") -> Iterator[str]:
    """A new, empty PostgreSQL database (dropped afterwards); yields its SQLAlchemy URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with pg_admin() as c:
        c.execute(f'CREATE DATABASE "{name}"')
    try:
        yield PG_DATA_URL.format(db=name)
    finally:
        try:
            with pg_admin() as c:
                c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        except Exception as e:  # PostgreSQL down at the end of a failed run: say so, do not hide the first error
            print(f"warning: could not drop database {name}: {e}", file=sys.stderr)


def pg_ctl(action: str, timeout: float = 60) -> None:
    """Start or stop the local cluster (pg_ctlcluster, Debian)."""
    versions = sorted(os.listdir("/etc/postgresql"))
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main", action],
                   check=True, timeout=timeout, capture_output=True)


# ------------------------------------------------------------------ the server


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]
    log_path: Path
    log_file: IO[bytes]
    port: int
    env: dict[str, str] = field(default_factory=dict)
    workers: int = 1
    root: Path = ROOT

    @property
    def pid(self) -> int:
        return self.process.pid

    def worker_pids(self) -> list[int]:
        return children(self.pid) if self.workers > 1 else [self.pid]

    def peak_rss_kb(self) -> dict[int, int]:
        """VmHWM of the serving process(es): the process itself, or each worker with --workers N."""
        return {p: proc_kb(p, "VmHWM") for p in self.worker_pids()}

    def log(self, tail: int = 4000) -> str:
        self.log_file.flush()
        return self.log_path.read_text(encoding="utf-8", errors="replace")[-tail:]

    def kill(self) -> None:
        """SIGKILL, as a crash would (workers too: they would die with a killed supervisor's group)."""
        pids = self.worker_pids() if self.workers > 1 else []
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        for p in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(p, signal.SIGKILL)
        self.process.wait(timeout=15)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()
        with contextlib.suppress(Exception):
            self.log_file.close()


def start_server(database_url: str, tmp: Path, *, workers: int = 1, port: int | None = None,
                 extra_env: dict[str, str] | None = None, name: str = "uvicorn", root: Path = ROOT) -> Server:
    """`python -m uvicorn app.main:app` on 127.0.0.1 with its own database and search index; waits for /healthz.

    `root` is the source tree to serve (another checkout, e.g. a copy from before a change, for a baseline).
    """
    port = port or free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "NAVI_SEARCH_DB": str(tmp / "search.db"),
           "NAVI_SEED_DEMO": "false", "PYTHONUNBUFFERED": "1", **(extra_env or {})}
    log_path = tmp / f"{name}-{port}.log"
    log_file = log_path.open("ab")
    cmd = [sys.executable, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1", "--port", str(port),
           "--log-level", "warning", "--no-access-log"]
    if workers > 1:
        cmd += ["--workers", str(workers)]
    process = subprocess.Popen(cmd, cwd=root, env=env, stdin=subprocess.DEVNULL, stdout=log_file,
                               stderr=subprocess.STDOUT, start_new_session=True)
    server = Server(f"http://127.0.0.1:{port}", process, log_path, log_file, port, env, workers, root)
    deadline = time.monotonic() + SERVER_START_SECONDS
    ok = 0
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"uvicorn exited with {process.returncode}:\n{server.log()}")
        try:
            if httpx.get(server.url + "/healthz", timeout=2).status_code == 200:
                ok += 1
                # With several workers, wait until each has had the chance to start.
                if ok >= (1 if workers == 1 else 4) and (workers == 1 or len(children(process.pid)) >= workers):
                    return server
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"uvicorn did not answer /healthz within {SERVER_START_SECONDS} s:\n{server.log()}")


def restart(server: Server, tmp: Path) -> Server:
    """The same server (same port, database and environment) started again."""
    return start_server(server.env["DATABASE_URL"], tmp, workers=server.workers, port=server.port,
                        extra_env={k: v for k, v in server.env.items() if k.startswith("NAVI_")}, root=server.root)
