"""The columnar screening table vs screenings made one by one, on the same generated profiles of one date.

    .venv/bin/python bench/columnar_screen.py              # 10,000 profiles × 3 rounds, interleaved
    .venv/bin/python bench/columnar_screen.py --n 2000 --rounds 5

Both contenders build the same `ScreenTable` (checked equal once before timing): `screen_table` over columns
(eligibility/columnar.py) and `ScreenTable.from_screenings` of `CompiledEngine.screen` per profile. Figures: CPU
time of the whole call (thread_time_ns) per row, garbage collection included (a full collection before each call,
untimed), each round alternating the two, with the load average.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
for p in (ROOT, ROOT / "bench"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

from engine import ProfileGenerator  # noqa: E402

from eligibility.columnar import screen_table  # noqa: E402
from eligibility.compiled import CompiledEngine  # noqa: E402
from eligibility.profile import Profile, ProfileError, parse_profile  # noqa: E402
from eligibility.screen_table import ScreenTable  # noqa: E402
from programs.loader import load_catalog  # noqa: E402

AS_OF = dt.date(2025, 9, 1)
NOW = dt.datetime(2025, 9, 1, 3, 0, tzinfo=dt.UTC)


def profiles(n: int, seed: int, engine: CompiledEngine, as_of: dt.date = AS_OF) -> list[Profile]:
    """n valid generated profiles, as bench/compare.py makes them, all of `as_of`."""
    gen = ProfileGenerator(seed, list(engine.catalog.programs), engine.params_at(as_of).thresholds)
    out: list[Profile] = []
    i = 0
    while len(out) < n:
        d = gen.profile(i)
        i += 1
        d["as_of"] = as_of.isoformat()
        try:
            out.append(parse_profile(d))
        except ProfileError:
            continue
    return out


def cpu_per_row(fn: Callable[[], Any], n: int) -> float:
    gc.collect()  # each call starts with the same heap: no full collection owed by the other contender
    c0 = time.thread_time_ns()
    fn()
    return (time.thread_time_ns() - c0) / n / 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=10_000, help="profiles in the table")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--as-of", type=dt.date.fromisoformat, default=AS_OF, help="the profiles' date (windows read "
                    "at 03:00 UTC of it)")
    args = ap.parse_args()
    now = dt.datetime.combine(args.as_of, NOW.time(), dt.UTC)

    print(f"cpus {os.cpu_count()}, load average at start {os.getloadavg()}, python {sys.version.split()[0]}")
    engine = CompiledEngine(load_catalog())
    ps = profiles(args.n, args.seed, engine, args.as_of)
    contenders: dict[str, Callable[[], ScreenTable]] = {
        "screen_table (columnar)": lambda: screen_table(engine, ps, now),
        "from_screenings(engine.screen per row)": lambda: ScreenTable.from_screenings(
            [engine.screen(p, now) for p in ps]),
    }
    tables = [fn() for fn in contenders.values()]  # warm-up, and the check that both build the same table
    diff = tables[0].equal(tables[1])
    print(f"{len(ps):,} profiles of {args.as_of}, {len(tables[0].program_ids)} programs: tables "
          f"{'equal' if not diff else 'DIFFER: ' + '; '.join(diff[:3])}")
    del tables
    cpu: dict[str, list[float]] = {k: [] for k in contenders}
    loads = []
    for r in range(args.rounds):
        for name, fn in contenders.items():
            cpu[name].append(cpu_per_row(fn, len(ps)))
        loads.append(os.getloadavg())
        print(f"round {r + 1}/{args.rounds}: " + ", ".join(f"{k} {v[-1]:.1f} µs" for k, v in cpu.items())
              + f"; load {loads[-1][0]:.2f}", flush=True)
    base = statistics.median(cpu["from_screenings(engine.screen per row)"])
    print(f"\nCPU µs per row, {len(ps):,} rows × {args.rounds} rounds, interleaved; load average (1 min) during the run "
          f"{min(x[0] for x in loads):.2f}–{max(x[0] for x in loads):.2f}")
    print(f"{'contender':<42} {'median':>8} {'(rounds)':>17} {'÷ one by one':>13}")
    for name, vals in cpu.items():
        m = statistics.median(vals)
        print(f"{name:<42} {m:>8.1f} {min(vals):>8.1f}–{max(vals):<8.1f} {m / base:>13.3f}")


if __name__ == "__main__":
    main()
