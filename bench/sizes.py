"""Bytes per screening: the API's default answer and what one screening adds to the database (issue 11).

For each shared case (default: pub-01) the script starts the served app of this checkout and, with
`--baseline DIR`, of another checkout (e.g. `git worktree add /tmp/before <commit>`), each on its own SQLite
file, POSTs the case's profile to /api/v1/screen and prints:

* the answer's size in bytes (default answer, and with `?include=texts` where the server knows it);
* the bytes the screening added to the database: every column of every row, summed over all tables, before
  and after the request (so a row's size is measured whatever the schema calls it; what the server stores
  once at start, such as a catalog version, is not counted against a screening).

    .venv/bin/python bench/sizes.py [--baseline /tmp/before] [--case pub-01 --case pub-07]
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
from pathlib import Path
from typing import Any

import httpx
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, cpu_line, start_server  # noqa: E402

CASES = next((p / "shared" / "cases" for p in ROOT.parents if (p / "shared" / "cases").is_dir()),
             ROOT.parent / "shared" / "cases")  # ../shared beside the checkout (or a worktree's parents)


def db_bytes(path: Path) -> int:
    """Sum of the stored size of every value of every row of every table (SQLite's length() of each)."""
    with sqlite3.connect(path) as db:
        total = 0
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                           "AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '%_fts%'")]
        for table in tables:
            cols = [r[1] for r in db.execute(f'PRAGMA table_info("{table}")')]
            if not cols:
                continue
            expr = " + ".join(f'coalesce(length(CAST("{c}" AS BLOB)), 0)' for c in cols)
            total += int(db.execute(f'SELECT coalesce(sum({expr}), 0) FROM "{table}"').fetchone()[0])
        return total


def to_json_ready(value: Any) -> Any:
    """YAML gives dates as date objects; the API takes ISO strings."""
    if isinstance(value, dict):
        return {k: to_json_ready(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_json_ready(v) for v in value]
    return value.isoformat() if hasattr(value, "isoformat") else value


def measure(root: Path, cases: list[str], label: str) -> list[str]:
    rows = []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        db = tmp / "navi.db"
        server = start_server(f"sqlite:///{db}", tmp, root=root, name=label)
        try:
            for case_id in cases:
                case = yaml.safe_load((CASES / f"{case_id}.yaml").read_text(encoding="utf-8"))
                profile = to_json_ready(case["profile"])
                before = db_bytes(db)
                r = httpx.post(server.url + "/api/v1/screen", json=profile, timeout=30)
                r.raise_for_status()
                added = db_bytes(db) - before
                full = httpx.post(server.url + "/api/v1/screen?include=texts", json=profile, timeout=30)
                rows.append(f"{label:>9}  {case_id}  answer {len(r.content):>8,} B   "
                            f"?include=texts {len(full.content):>8,} B   stored {added:>8,} B")
        finally:
            server.stop()
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--baseline", type=Path, help="another checkout to measure in the same run")
    ap.add_argument("--case", action="append", help="shared case id (default pub-01); repeatable")
    args = ap.parse_args()
    cases = args.case or ["pub-01"]
    print(cpu_line())
    out = []
    if args.baseline:
        out += measure(args.baseline.resolve(), cases, "baseline")
    out += measure(ROOT, cases, "this tree")
    print("\n".join(out))


if __name__ == "__main__":
    main()
