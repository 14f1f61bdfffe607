"""Our engines vs OpenFisca country-template with its tracer vs a plain-Python floor, interleaved in one run.

    .venv/bin/python bench/compare.py                  # 2,000 profiles × 5 rounds, OpenFisca in its own venv
    .venv/bin/python bench/compare.py --check 100000   # also: compiled == reference on 100,000 profiles

OpenFisca is installed by this script into its own venv (`--openfisca-venv`, default /tmp/navi-openfisca-venv),
never into the project's; without PyPI the script says so and measures the rest. It runs in a worker process
that the rounds alternate with, so every contender sees the same machine load. Figures: medians per call
(wall clock, perf_counter_ns) and CPU per call (thread_time_ns), and the ratios to the compiled engine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
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

from app.api.lean import slim_answer  # noqa: E402
from app.api.slim import slim  # noqa: E402
from app.store.db import encode_json  # noqa: E402
from app.store.screenings import encode_facts  # noqa: E402
from eligibility.compare import mismatches  # noqa: E402
from eligibility.compiled import CompiledEngine  # noqa: E402
from eligibility.engine import Engine  # noqa: E402
from eligibility.outcome import outcome_of  # noqa: E402
from eligibility.profile import Profile, ProfileError, parse_profile  # noqa: E402
from matching.scorer import Scorer  # noqa: E402
from programs.loader import load_catalog  # noqa: E402

NOW = dt.datetime(2025, 9, 1, 3, 0, tzinfo=dt.UTC)

# The worker: builds and calculates one country-template situation per call, with the tracer on, and answers
# with per-call times. A situation varies with the index (salary, age, rent), so nothing is reused.
WORKER = r'''
import json, sys, time
from openfisca_core.simulation_builder import SimulationBuilder
from openfisca_country_template import CountryTaxBenefitSystem
tbs = CountryTaxBenefitSystem()
VARS = ["income_tax", "social_security_contribution", "basic_income", "housing_allowance", "pension",
        "parenting_allowance", "disposable_income"]
def situation(i):
    return {
        "persons": {"a": {"salary": {"2025-09": 1000 + (i * 37) % 6000}, "birth": {"ETERNITY": f"{1950 + i % 60}-01-15"}},
                    "b": {"salary": {"2025-09": (i * 53) % 3000}, "birth": {"ETERNITY": f"{1960 + i % 40}-06-01"}},
                    "c": {"birth": {"ETERNITY": f"{2010 + i % 15}-03-03"}}},
        "households": {"h": {"adults": ["a", "b"], "children": ["c"], "rent": {"2025-09": 300 + i % 900},
                             "housing_occupancy_status": {"2025-09": "tenant"}}},
    }
def one(i):
    sim = SimulationBuilder().build_from_entities(tbs, situation(i))
    sim.trace = True
    for v in VARS:
        sim.calculate(v, "2025-09")
    return sim.tracer
one(0)
print(json.dumps({"ready": True}), flush=True)
for line in sys.stdin:
    msg = json.loads(line)
    ns, cpu = [], []
    for i in range(msg["start"], msg["start"] + msg["n"]):
        c0 = time.thread_time_ns(); t0 = time.perf_counter_ns()
        one(i)
        t1 = time.perf_counter_ns(); c1 = time.thread_time_ns()
        ns.append(t1 - t0); cpu.append(c1 - c0)
    print(json.dumps({"ns": ns, "cpu": cpu}), flush=True)
'''


def openfisca_worker(venv: Path) -> subprocess.Popen[str] | str:
    """The worker process, or why there is none."""
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    probe = subprocess.run([str(python), "-c", "import openfisca_country_template"], capture_output=True)
    if probe.returncode != 0:
        print(f"installing openfisca-country-template into {venv} (its own venv, not the project's) …", flush=True)
        got = subprocess.run([str(python), "-m", "pip", "install", "-q", "openfisca-country-template"],
                             capture_output=True, text=True, timeout=900)
        if got.returncode != 0:
            return "PyPI not reachable or the install failed: " + (got.stderr.strip().splitlines() or ["?"])[-1]
    proc = subprocess.Popen([str(python), "-c", WORKER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    if not json.loads(proc.stdout.readline()).get("ready"):
        return "the OpenFisca worker did not start"
    return proc


def timed(fn: Callable[[Any], Any], items: list[Any]) -> tuple[list[int], list[int]]:
    ns, cpu = [], []
    tt, pc = time.thread_time_ns, time.perf_counter_ns
    for x in items:
        c0 = tt()
        t0 = pc()
        fn(x)
        t1 = pc()
        c1 = tt()
        ns.append(t1 - t0)
        cpu.append(c1 - c0)
    return ns, cpu


def floor_fn(engine: CompiledEngine) -> Callable[[Profile], Any]:
    """The logic alone: the definitions and every program's generated plan, outcomes recorded, nothing else
    (no windows, estimates, result objects)."""
    as_of = dt.date(2025, 9, 1)
    progs = [(engine.plans[p.id].run, rp) for p, rp, _ in engine.programs_at(as_of)]

    def floor(p: Profile) -> Any:
        terms = engine.terms(p, as_of)
        return [run(p, terms, rp, as_of, None) for run, rp in progs]
    return floor


def profiles(n: int, seed: int, catalog: Any, thresholds: Any) -> tuple[list[Profile], list[dict[str, Any]]]:
    gen = ProfileGenerator(seed, list(catalog.programs), thresholds)
    parsed, raw = [], []
    i = 0
    while len(parsed) < n:
        d = gen.profile(i)
        i += 1
        d["as_of"] = "2025-09-01"
        try:
            parsed.append(parse_profile(d))
            raw.append(d)
        except ProfileError:
            continue
    return parsed, raw


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=2000, help="profiles per round and contender")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--check", type=int, default=0, help="hold compiled == reference on this many profiles")
    ap.add_argument("--openfisca-venv", type=Path, default=Path("/tmp/navi-openfisca-venv"))
    ap.add_argument("--no-openfisca", action="store_true")
    args = ap.parse_args()

    print(f"cpus {os.cpu_count()}, load average at start {os.getloadavg()}, python {sys.version.split()[0]}")
    catalog = load_catalog()
    ref, fast = Engine(catalog), CompiledEngine(catalog)
    thresholds = ref.params_at(dt.date(2025, 9, 1)).thresholds
    parsed, raw = profiles(args.n, args.seed, catalog, thresholds)

    if args.check:
        t0 = time.perf_counter()
        bad = checked = 0
        gen = ProfileGenerator(args.seed + 1, list(catalog.programs), thresholds)
        for i in range(args.check):
            try:
                p = parse_profile(gen.profile(i))
            except ProfileError:
                continue
            checked += 1
            diff = mismatches(ref.screen(p, NOW), fast.screen(p, NOW), render=i % 20 == 0)
            if diff:
                bad += 1
                if bad <= 3:
                    print("MISMATCH", i, diff[:3])
        print(f"check: compiled == reference on {checked:,} profiles (every 20th also rendered in ja and en): "
              f"{bad} mismatching, {time.perf_counter() - t0:.0f} s")

    worker = None if args.no_openfisca else openfisca_worker(args.openfisca_venv)
    if isinstance(worker, str):
        print("OpenFisca skipped:", worker)
        worker = None

    contenders: dict[str, Callable[[], tuple[list[int], list[int]]]] = {
        "compiled Engine.screen (every outcome recorded)": lambda: timed(lambda p: fast.screen(p, NOW), parsed),
        # The results are built when first read: what a reader of every program's status pays.
        "compiled + results read (every status)": lambda: timed(
            lambda p: [r.status for r in fast.screen(p, NOW).results], parsed),
        "compiled + render all traces (as_dict ja)": lambda: timed(lambda p: fast.screen(p, NOW).as_dict(), parsed),
        "compiled from a dict (validation + screen)": lambda: timed(lambda d: fast.screen(d, NOW), raw),
        "interpreted Engine.screen (reference, full trace)": lambda: timed(lambda p: ref.screen(p, NOW), parsed),
        "floor: definitions + plans only": lambda: timed(floor_fn(fast), parsed),
    }
    scorer = Scorer(catalog.programs.values())

    def path(engine: Engine, answer: Callable[[Any], Any]) -> Callable[[dict[str, Any]], Any]:
        """POST /api/v1/screen in process: validate, screen, rank, the default answer as JSON, the stored facts."""
        def run(d: dict[str, Any]) -> Any:
            s = scorer.rank(engine.screen(d, NOW))
            return encode_json(answer(s)), encode_facts(outcome_of(s))
        return run

    contenders["API path in process, now (compiled, lean answer)"] = lambda: timed(path(fast, slim_answer), raw)
    contenders["API path in process, before (interpreted, slim(as_dict))"] = lambda: timed(
        path(ref, lambda s: slim(s.as_dict())), raw)
    contenders["screen + rank (a CSV batch row), now"] = lambda: timed(lambda d: scorer.rank(fast.screen(d, NOW)), raw)
    contenders["screen + rank (a CSV batch row), before"] = lambda: timed(lambda d: scorer.rank(ref.screen(d, NOW)), raw)
    if worker is not None:
        def openfisca(start: list[int] = [0]) -> tuple[list[int], list[int]]:  # noqa: B006 - a counter
            assert worker is not None and worker.stdin is not None and worker.stdout is not None
            worker.stdin.write(json.dumps({"start": start[0], "n": args.n}) + "\n")
            worker.stdin.flush()
            start[0] += args.n
            got = json.loads(worker.stdout.readline())
            return got["ns"], got["cpu"]
        contenders["OpenFisca country-template, tracer on (7 variables)"] = openfisca

    for fn in contenders.values():  # warm-up
        fn()
    medians: dict[str, list[float]] = {k: [] for k in contenders}
    cpus: dict[str, list[float]] = {k: [] for k in contenders}
    loads = []
    for r in range(args.rounds):
        for name, fn in contenders.items():
            ns, cpu = fn()
            medians[name].append(statistics.median(ns) / 1000)
            cpus[name].append(statistics.median(cpu) / 1000)
        loads.append(os.getloadavg()[0])
        print(f"round {r + 1}/{args.rounds} done, load {loads[-1]:.2f}", flush=True)
    if worker is not None:
        worker.terminate()

    base = statistics.median(medians["compiled Engine.screen (every outcome recorded)"])
    print(f"\n{args.n:,} profiles × {args.rounds} rounds, interleaved; load average during the run "
          f"{min(loads):.2f}–{max(loads):.2f}")
    print(f"{'contender':<54} {'median µs':>10} {'(rounds)':>17} {'CPU µs':>8} {'÷ compiled':>10}")
    for name in contenders:
        m = statistics.median(medians[name])
        print(f"{name:<54} {m:>10.1f} {min(medians[name]):>8.1f}–{max(medians[name]):<8.1f}"
              f"{statistics.median(cpus[name]):>8.1f} {m / base:>10.2f}")


if __name__ == "__main__":
    main()
