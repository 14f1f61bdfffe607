"""The columnar ranking (matching/columnar.py) vs `Scorer.rank` one screening at a time, interleaved rounds.

    .venv/bin/python bench/columnar_rank.py             # 10,000 generated profiles × 3 rounds, as_of 2025-09-01

Both rank the same screenings (made beforehand, not timed; the per-row path gets fresh ones each round, as
ranking mutates them). Figures: CPU per row (thread_time_ns) of each path, the ratio, and the load average
before every round; the first round's results are held equal (ranks exact, scores within 1e-9).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for p in (ROOT, ROOT / "bench"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

import numpy as np  # noqa: E402
from engine import ProfileGenerator  # noqa: E402

from eligibility.compiled import CompiledEngine  # noqa: E402
from eligibility.profile import ProfileError, parse_profile  # noqa: E402
from eligibility.screen_table import ScreenTable  # noqa: E402
from matching.columnar import rank_table  # noqa: E402
from matching.scorer import Scorer  # noqa: E402
from programs.loader import load_catalog  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=10_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--as-of", default="2025-09-01")
    args = ap.parse_args()

    print(f"cpus {os.cpu_count()}, load average at start {os.getloadavg()}, python {sys.version.split()[0]}")
    catalog = load_catalog()
    engine, scorer = CompiledEngine(catalog), Scorer(catalog.programs.values())
    gen = ProfileGenerator(args.seed, list(catalog.programs), engine.params_at(dt.date(2025, 9, 1)).thresholds)
    profs, i = [], 0
    while len(profs) < args.n:
        d = gen.profile(i)
        i += 1
        d["as_of"] = args.as_of
        try:
            profs.append(parse_profile(d))
        except ProfileError:
            continue
    now = dt.datetime(2026, 1, 15, 3, 0, tzinfo=dt.UTC)
    table = ScreenTable.from_screenings([engine.screen(p, now) for p in profs])
    described = sum(1 for p in profs if p.description)
    print(f"{len(profs)} profiles, {len(table.program_ids)} programs on {table.as_of}, {described} with a description"
          f" ({len({p.description for p in profs if p.description})} distinct)")
    rank_table(scorer, engine, table)  # warm: plans learn their met tests' facts, as the per-row path does
    for s in [engine.screen(p, now) for p in profs[:200]]:
        scorer.rank(s)

    col_us, row_us = [], []
    for k in range(args.rounds):
        screenings = [engine.screen(p, now) for p in profs]  # not timed
        load = os.getloadavg()
        c0 = time.thread_time_ns()
        got = rank_table(scorer, engine, table)
        c1 = time.thread_time_ns()
        for s in screenings:
            scorer.rank(s)
        c2 = time.thread_time_ns()
        col_us.append((c1 - c0) / 1e3 / len(profs))
        row_us.append((c2 - c1) / 1e3 / len(profs))
        print(f"round {k + 1}: load {load}: columnar {col_us[-1]:.1f} µs/row, per-row {row_us[-1]:.1f} µs/row")
        if k == 0:
            assert got is not None
            rank, score = got
            bad = 0
            for i, s in enumerate(screenings):
                by_id = {r.program_id: r for r in s.results}
                want = [by_id[pid].rank or 0 for pid in table.program_ids]
                sc = np.array([by_id[pid].score for pid in table.program_ids])
                bad += rank[i].tolist() != want or not np.allclose(score[i], sc, rtol=0, atol=1e-9)
            print(f"rows differing from the per-row ranking: {bad}")
    col, row = statistics.median(col_us), statistics.median(row_us)
    print(f"median CPU per row: columnar {col:.1f} µs, per-row {row:.1f} µs, ×{row / col:.0f};"
          f" load average at end {os.getloadavg()}")


if __name__ == "__main__":
    main()
