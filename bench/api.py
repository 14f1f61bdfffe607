"""Latency of one POST /api/v1/screen (in-process and over loopback HTTP) and batch CLI throughput."""

from __future__ import annotations

import argparse
import csv
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import PROFILE, free_port, pct  # noqa: E402  (the README's example profile and percentiles, shared)


def report(name: str, ms: list[float]) -> None:
    print(f"{name:<38} n={len(ms):>5}  median {statistics.median(ms):7.2f} ms  p95 {pct(ms, 95):7.2f} ms  "
          f"p99 {pct(ms, 99):7.2f} ms")


def in_process(n: int, db: Path) -> None:
    from fastapi.testclient import TestClient

    from app.config import Settings
    from app.factory import create_app

    client = TestClient(create_app(Settings(database_url=f"sqlite:///{db}", search_db=db.with_name("s.db"))))
    for _ in range(50):
        client.post("/api/v1/screen", json=PROFILE)
    ms = []
    for _ in range(n):
        t = time.perf_counter()
        r = client.post("/api/v1/screen", json=PROFILE)
        ms.append((time.perf_counter() - t) * 1000)
        assert r.status_code == 200
    report("in-process (TestClient, SQLite store)", ms)


def over_http(n: int, db: Path) -> None:
    port = free_port()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}", "NAVI_SEARCH_DB": str(db.with_name("s2.db"))}
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "app.main:app", "--port", str(port), "--log-level",
                             "warning"], cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                httpx.get(base + "/healthz", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.25)
        with httpx.Client(base_url=base, timeout=10) as c:
            for _ in range(50):
                c.post("/api/v1/screen", json=PROFILE)
            ms = []
            for _ in range(n):
                t = time.perf_counter()
                r = c.post("/api/v1/screen", json=PROFILE)
                ms.append((time.perf_counter() - t) * 1000)
                assert r.status_code == 200
        report("loopback HTTP (uvicorn, 1 client)", ms)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def batch(rows: int, tmp: Path) -> None:
    rng = random.Random(1)
    src = tmp / "members.csv"
    inds = ["製造業", "小売業", "サービス業", "卸売業", "ソフトウェア業・情報処理サービス業"]
    with src.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(["会社名", "申請者の種類", "設立日", "従業員数", "資本金", "業種", "都道府県", "国内出願", "海外出願予定",
                    "基準日"])
        for i in range(rows):
            w.writerow([f"株式会社テスト{i}", "会社・法人", f"令和{rng.randint(1, 6)}年{rng.randint(1, 12)}月1日",
                        str(rng.randint(1, 400)), f"{rng.randint(1, 500)}0万円", rng.choice(inds), "大阪府",
                        rng.choice(["特許", "商標", "特許;意匠", ""]), rng.choice(["", "特許:300万", "商標:80万"]),
                        "2025-09-01"])
    out = tmp / "out.csv"
    t = time.perf_counter()
    res = subprocess.run([sys.executable, "-m", "app", "screen", "--input", str(src), "--output", str(out)],
                         cwd=ROOT, capture_output=True, text=True)
    dt = time.perf_counter() - t
    print(f"batch CLI: {rows:,} rows in {dt:.1f} s → {rows / dt:,.0f} rows/s (exit {res.returncode}, "
          f"including start-up)")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=1000, help="requests per latency measurement")
    ap.add_argument("--rows", type=int, default=100_000, help="rows for the batch CLI")
    args = ap.parse_args()
    print(f"cores: {os.cpu_count()}  python {sys.version.split()[0]}")
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        in_process(args.n, tmp / "a.db")
        over_http(args.n, tmp / "b.db")
        if args.rows:
            batch(args.rows, tmp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
