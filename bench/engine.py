"""Benchmark of the rules engine and scorer on N generated, varied profiles (throughput, latency, memory)."""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import platform
import random
import resource
import sys
import time
import traceback
import tracemalloc
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from eligibility.engine import Engine  # noqa: E402
from eligibility.facts import PREFECTURES  # noqa: E402
from eligibility.profile import Profile, parse_profile  # noqa: E402
from matching.scorer import Scorer  # noqa: E402
from programs.loader import load_catalog  # noqa: E402

APPLICANT_TYPES = [  # (type, weight): mostly companies, every type present
    ("corporation", 40), ("sole_proprietor", 18), ("individual", 6), ("university", 5),
    ("research_institute", 4), ("vc", 4), ("accelerator", 3), ("ecosystem_builder", 3), ("npo", 4),
    ("sme_group", 7), ("chamber", 6),
]
INDUSTRIES = ["manufacturing", "construction", "transport", "wholesale", "retail", "services", "software",
              "rubber", "hotel", "other"]
RIGHTS = ["patent", "utility_model", "design", "trademark"]
FILING_RIGHTS = [*RIGHTS, "squatting_trademark"]
DISPUTE_KINDS = ["counterfeit", "squatting", "defense"]
INTERESTS = ["mentoring", "ip_strategy", "market_analysis", "overseas", "enforcement", "fast_examination",
             "fee_reduction", "financing", "partnership", "consultation"]
DESCRIPTIONS = [
    "金属加工の新しい工法について特許を出願済みで、来年は中国と米国への外国出願を考えています。",
    "自社ブランドの化粧品を台湾で販売していますが、現地で商標を先に出願されてしまいました。",
    "東南アジアのECサイトで当社製品の模倣品が出回っており、対策の費用が心配です。",
    "大学発のバイオベンチャーで、創業2年目です。特許の審査を早く進めて資金調達につなげたい。",
    "米国の競合企業から特許侵害の警告書が届き、現地での訴訟対応を検討しています。",
    "AIを使った画像検査ソフトウェアを開発しており、知財戦略を専門家に相談したいです。",
    "地方の食品メーカーで、新商品のパッケージデザインを意匠登録したいと考えています。",
    "創業前の個人ですが、発明のアイデアを特許にできるか、まず窓口で相談したいです。",
    "新規事業の参入先を決めるため、IPランドスケープで市場と技術の動向を分析したい。",
    "ベンチャーキャピタルから出資を受けたスタートアップで、知財の専門家による支援を探しています。",
    "海外の展示会に出展する予定があり、欧州での意匠出願と商標の保護が必要です。",
    "特許料と審査請求料の負担が大きいので、減免制度を利用できるか知りたいです。",
]
COMPANY_NAMES = ["株式会社山田製作所", "合同会社ミライ技研", "有限会社さくら食品", "株式会社ネクストAI", "田中商店"]

OPTIONAL_SHARE = 0.30  # each optional field is left out (unknown) with this probability


# --- profile generation -----------------------------------------------------------------------------


def _log_uniform(rng: random.Random, lo: float, hi: float) -> int:
    return int(round(10 ** rng.uniform(lo, hi)))


def _around(rng: random.Random, limits: Sequence[int]) -> int:
    """A value near one of the thresholds (exactly on it, just over, just under) or spread widely."""
    r = rng.random()
    lim = rng.choice(limits)
    if r < 0.15:
        return lim
    if r < 0.25:
        return lim + 1
    if r < 0.35:
        return max(0, lim - 1)
    if r < 0.40:
        return 0
    return int(lim * 10 ** rng.uniform(-2, 1))


def _add_years(d: dt.date, years: int) -> dt.date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


class ProfileGenerator:
    """Deterministic (random.Random(seed)) generator of varied, valid contract-v1 profiles."""

    def __init__(self, seed: int, program_ids: Sequence[str], thresholds: dict[str, dict[str, int]]):
        self.rng = random.Random(seed)
        self.program_ids = sorted(program_ids)
        self.thresholds = thresholds
        self.types, self.type_weights = zip(*APPLICANT_TYPES, strict=True)
        self.first = dt.date(2019, 1, 1).toordinal()
        self.last = dt.date(2027, 12, 31).toordinal()

    def _keep(self) -> bool:
        return self.rng.random() >= OPTIONAL_SHARE

    def profile(self, i: int) -> dict[str, Any]:
        rng = self.rng
        # as_of is always given: an absent as_of means "today", which would make the run depend on the clock.
        as_of = dt.date.fromordinal(rng.randint(self.first, self.last))
        atype = rng.choices(self.types, self.type_weights)[0]
        industry = rng.choice(INDUSTRIES)
        th = self.thresholds[industry]
        p: dict[str, Any] = {"as_of": as_of.isoformat()}

        if self._keep():
            p["applicant_type"] = atype
        if self._keep():
            p["industry"] = industry
        if self._keep():
            r = rng.random()
            if r < 0.05:
                est = as_of
            elif r < 0.15:  # around the 10-year startup boundary
                est = _add_years(as_of, -10) + dt.timedelta(days=rng.choice([-1, 0, 1]))
            elif r < 0.55:
                est = as_of - dt.timedelta(days=rng.randint(1, 3650))
            else:
                est = as_of - dt.timedelta(days=rng.randint(3651, 365 * 70))
            p["established_on"] = est.isoformat()
        if self._keep():
            p["employees"] = _around(rng, [th["employees"], th["small_employees"], 5, 20])
        if self._keep():
            p["capital_yen"] = 0 if atype == "sole_proprietor" and rng.random() < 0.7 else \
                _around(rng, [th["capital"], 300_000_000, 10_000_000])
        if self._keep():
            r = rng.random()
            if r < 0.35:
                sh: dict[str, Any] = {"largest": 0, "combined": 0}
            else:
                largest = rng.choice([0.1, 0.3, 0.49, 0.5, 0.51, 1.0, round(rng.random(), 3)])
                combined = min(1.0, largest + rng.choice([0.0, 0.1, 0.2, 2 / 3 - largest if largest < 2 / 3 else 0,
                                                          round(rng.random() * 0.5, 3)]))
                sh = {"largest": largest, "combined": max(combined, largest)}
                if rng.random() < 0.08:
                    del sh[rng.choice(["largest", "combined"])]
            p["large_company_shareholding"] = sh
        if self._keep():
            p["large_company_officer_ratio"] = rng.choice([0, 0, 0.25, 1 / 3, 0.5, 0.6, 1.0, round(rng.random(), 3)])
        if self._keep():
            p["wholly_owned_by_large_parent"] = rng.random() < 0.1
        if self._keep():
            r = rng.random()
            p["avg_taxable_income_yen"] = (1_500_000_000 + rng.choice([0, 1]) if r < 0.1 else
                                           -_log_uniform(rng, 5, 8) if r < 0.2 else _log_uniform(rng, 5, 10))
        if self._keep():
            p["prefecture"] = rng.choice(PREFECTURES)
        if self._keep():
            p["phase"] = rng.choice(["concept", "launch", "expansion"])
        if self._keep():
            p["domestic_applications"] = rng.sample(RIGHTS, rng.randint(0, 4))
        if self._keep():
            p["patent_exam_status"] = rng.choice(["none", "planned", "filed", "requested", "started"])
        if self._keep():
            p["design_application"] = rng.choice(["none", "planned", "filed"])
        if self._keep():
            p["working_related"] = rng.random() < 0.5
        if self._keep():
            p["foreign_filings"] = [self._filing() for _ in range(rng.randint(0, 4))]
        if self._keep():
            p["overseas_disputes"] = [self._dispute() for _ in range(rng.randint(0, 4))]
        if self._keep():
            ins: dict[str, Any] = {"premium_yen": _log_uniform(rng, 4, 6.5), "renewal": rng.random() < 0.3}
            if rng.random() < 0.1:
                del ins[rng.choice(["premium_yen", "renewal"])]
            p["litigation_insurance"] = ins
        if self._keep():
            fy = as_of.year if as_of.month >= 4 else as_of.year - 1
            p["prior_awards"] = [
                {"program_id": rng.choice(self.program_ids),
                 "fiscal_year": fy + rng.choice([0, 0, 0, -1, -2, 1]),
                 "amount_yen": rng.choice([0, 300_000, 1_500_000, 3_000_000, _log_uniform(rng, 5, 7)])}
                for _ in range(rng.choice([0, 0, 1, 1, 2, 3]))
            ]
        if self._keep():
            p["vc_backed"] = rng.random() < 0.25
        if self._keep():
            p["interests"] = rng.sample(INTERESTS, rng.randint(0, 4))
        if rng.random() < 0.5:
            p["description"] = "".join(rng.sample(DESCRIPTIONS, rng.choice([1, 1, 2, 3])))
        if self._keep():
            p["chamber_member"] = rng.random() < 0.5
        if self._keep():
            p["design_bulk_filing"] = rng.random() < 0.2
        if rng.random() < 0.2:
            p["company_name"] = f"{rng.choice(COMPANY_NAMES)}{i}"
        return p

    def _filing(self) -> dict[str, Any]:
        rng = self.rng
        f: dict[str, Any] = {"right": rng.choice(FILING_RIGHTS), "cost_yen": _log_uniform(rng, 5, 6.8),
                             "already_filed": rng.random() < 0.3}
        if rng.random() < 0.1:
            del f[rng.choice(list(f))]
        return f

    def _dispute(self) -> dict[str, Any]:
        rng = self.rng
        d: dict[str, Any] = {"kind": rng.choice(DISPUTE_KINDS), "cost_yen": _log_uniform(rng, 5, 7),
                             "holds_local_right": rng.random() < 0.6, "holds_jp_trademark": rng.random() < 0.6}
        if rng.random() < 0.1:
            del d[rng.choice(list(d))]
        return d


# --- measuring ------------------------------------------------------------------------------------------


class Timing:
    """Per-call wall-clock (perf_counter_ns) and CPU (thread_time_ns) times of one loop."""

    def __init__(self, label: str, ns: list[int], cpu: list[int]):
        self.label = label
        self.ns = ns
        self.cpu = cpu
        self.sorted = sorted(ns)
        self.cpu_sorted = sorted(cpu)

    def subset(self, label: str, idx: Iterable[int]) -> Timing:
        ids = list(idx)
        return Timing(label, [self.ns[i] for i in ids], [self.cpu[i] for i in ids])

    @property
    def n(self) -> int:
        return len(self.ns)

    @property
    def per_second(self) -> float:
        return self.n / (sum(self.ns) / 1e9)

    @property
    def per_cpu_second(self) -> float:
        return self.n / (sum(self.cpu) / 1e9)

    @staticmethod
    def _q(s: list[int], q: float) -> float:
        """The q-quantile in microseconds (nearest rank)."""
        return s[min(len(s) - 1, max(0, int(round(q * len(s))) - 1))] / 1000

    def pct(self, q: float) -> float:
        return self._q(self.sorted, q)

    def cpu_pct(self, q: float) -> float:
        return self._q(self.cpu_sorted, q)

    HEAD = (f"{'measure':<42} {'n':>7} {'prof/s':>7} {'p50 µs':>8} {'p95 µs':>8} {'p99 µs':>8} {'max µs':>8}"
            f" | {'CPU prof/s':>10} {'p50':>6} {'p95':>6} {'p99':>6}")

    def row(self) -> str:
        return (f"{self.label:<42} {self.n:>7,} {self.per_second:>7,.0f} {self.pct(0.5):>8.0f} "
                f"{self.pct(0.95):>8.0f} {self.pct(0.99):>8.0f} {self.sorted[-1] / 1000:>8.0f}"
                f" | {self.per_cpu_second:>10,.0f} {self.cpu_pct(0.5):>6.0f} {self.cpu_pct(0.95):>6.0f} "
                f"{self.cpu_pct(0.99):>6.0f}")


ERRORS: Counter[str] = Counter()  # "loop: exception at file:line" -> count; any makes the run fail


def _where(e: BaseException) -> str:
    tb = traceback.extract_tb(e.__traceback__)[-1]
    return f"{type(e).__name__}: {str(e)[:100]} at {Path(tb.filename).name}:{tb.lineno} ({tb.name})"


def _call(label: str, fn: Callable[[Any], Any], x: Any, ns: list[int], cpu: list[int]) -> Any:
    tt, pc = time.thread_time_ns, time.perf_counter_ns
    c0 = tt()
    t0 = pc()
    try:
        out = fn(x)
    except Exception as e:  # an engine fault: count it, keep measuring, fail the run at the end
        out = None
        ERRORS[f"{label.strip()}: {_where(e)}"] += 1
    t1 = pc()
    c1 = tt()
    ns.append(t1 - t0)
    cpu.append(c1 - c0)
    return out


def timed(label: str, items: Sequence[Any], fn: Callable[[Any], Any],
          each: Callable[[Any], None] | None = None, keep: list[Any] | None = None) -> Timing:
    ns: list[int] = []
    cpu: list[int] = []
    for x in items:
        out = _call(label, fn, x, ns, cpu)
        if out is None:
            continue
        if each is not None:
            each(out)
        if keep is not None:
            keep.append(out)
    return Timing(label, ns, cpu)


def clear_caches() -> None:
    Engine.params_at.cache_clear()
    Engine.programs_at.cache_clear()


class NoCacheEngine(Engine):
    """The same engine with the per-date caches removed: parameters and programs resolved on every call."""

    params_at = Engine.params_at.__wrapped__  # type: ignore[assignment]
    programs_at = Engine.programs_at.__wrapped__  # type: ignore[assignment]


def interleaved(items: Sequence[Any], a: Callable[[Any], Any], b: Callable[[Any], Any],
                label_a: str, label_b: str) -> tuple[Timing, Timing]:
    """Per-call times of a and b on the same items, alternating which goes first (same conditions for both)."""
    na: list[int] = []
    ca: list[int] = []
    nb: list[int] = []
    cb: list[int] = []
    for i, x in enumerate(items):
        pair = [(a, na, ca, label_a), (b, nb, cb, label_b)]
        for fn, ns, cpu, label in (pair if i % 2 == 0 else pair[::-1]):
            _call(label, fn, x, ns, cpu)
    return Timing(label_a, na, ca), Timing(label_b, nb, cb)


def _load() -> str:
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=100_000, help="profiles to screen (default 100,000)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--scorer-n", type=int, default=10_000, help="profiles for the scorer run (default 10,000; 0 skips)")
    ap.add_argument("--baseline-n", type=int, default=10_000,
                    help="profiles for the interleaved no-cache baseline (default 10,000; 0 skips)")
    ap.add_argument("--memory-n", type=int, default=10_000,
                    help="profiles for the tracemalloc run (default 10,000; 0 skips)")
    args = ap.parse_args(argv)
    n = args.n
    t_start, c_start = time.perf_counter(), time.process_time()
    load0 = _load()
    sections: list[tuple[str, float, float]] = []
    mark = [t_start, c_start]

    def section(name: str) -> None:
        now, cnow = time.perf_counter(), time.process_time()
        sections.append((name, now - mark[0], cnow - mark[1]))
        mark[:] = [now, cnow]

    print(f"知財支援ナビ engine benchmark — Python {platform.python_version()} ({platform.python_implementation()}), "
          f"{os.cpu_count()} cores (os.cpu_count; the benchmark runs on one), {platform.machine()} {platform.system()}")

    catalog = load_catalog()
    engine = Engine(catalog)
    scorer = Scorer(catalog.programs.values())
    section("load catalog, compile, fit scorer")
    print(f"catalog {catalog.version}: {len(catalog.programs)} programs")

    thresholds = Engine.params_at.__wrapped__(engine, dt.date(2025, 4, 1)).thresholds
    gen = ProfileGenerator(args.seed, list(catalog.programs), thresholds)
    raw = [gen.profile(i) for i in range(n)]
    # The N inputs held by this process are not garbage; keep the collector from re-scanning them
    # (a server holds one profile at a time).
    gc.collect()
    gc.freeze()
    section("generate profiles")
    print(f"generated {n:,} profiles (seed {args.seed}): {len({p['as_of'] for p in raw}):,} distinct as_of dates "
          f"(2019-2027), {sum('description' in p for p in raw):,} with a description, "
          f"{sum(bool(p.get('prior_awards')) for p in raw):,} with prior awards")

    # Warm up imports and code paths outside the measured loops; every measured loop starts with empty caches.
    timed("warm-up", raw[:200], engine.screen)

    profiles: list[Profile] = []
    t_parse = timed("parse_profile only (validation)", raw, parse_profile, keep=profiles)
    gc.collect()
    gc.freeze()
    section("parse_profile")

    status: Counter[str] = Counter()
    per_prog: dict[str, Counter[str]] = {pid: Counter() for pid in catalog.programs}
    in_force: Counter[int] = Counter()

    def tally(s: Any) -> None:
        in_force[len(s.results)] += 1
        for r in s.results:
            status[r.status] += 1
            per_prog[r.program.id][r.status] += 1

    clear_caches()
    t_obj = timed("engine.screen(Profile)", profiles, engine.screen, tally)
    cache_info = Engine.params_at.cache_info()
    section("engine.screen(Profile)")
    clear_caches()
    t_dict = timed("engine.screen(dict) incl. validation", raw, engine.screen)
    section("engine.screen(dict)")
    rows = [t_obj, t_dict, t_parse]

    m = min(args.scorer_n, n)
    if m:
        clear_caches()
        t_rank = timed("scorer.rank(engine.screen(Profile))", profiles[:m], lambda p: scorer.rank(engine.screen(p)))
        with_desc = [bool(p.description) for p in profiles[:m]]
        rows += [t_rank,
                 t_rank.subset("  with a description", (i for i in range(m) if with_desc[i])),
                 t_rank.subset("  without a description", (i for i in range(m) if not with_desc[i]))]
        section("scorer")

    b = min(args.baseline_n, n)
    speedup = ""
    if b:
        # Steady state: the cached engine has seen every date by now (as in a long-running server);
        # the baseline resolves parameters and programs again on every call. Alternating calls on the
        # same profiles keep CPU frequency, cache and GC conditions the same for both.
        naive = NoCacheEngine(catalog)
        t_base, t_same = interleaved(profiles[-b:], naive.screen, engine.screen,
                                     "baseline (no per-date cache)", "engine.screen(Profile), same, interleaved")
        rows += [t_base, t_same]
        speedup = (f"speed-up of the per-date caches over the baseline (last {b:,} profiles, interleaved): "
                   f"{t_same.per_second / t_base.per_second:.2f}x throughput (CPU time: "
                   f"{t_same.per_cpu_second / t_base.per_cpu_second:.2f}x), {t_base.pct(0.5) / t_same.pct(0.5):.2f}x "
                   f"median")
        section("baseline, interleaved")

    k = min(args.memory_n, n)
    peak = 0
    if k:
        clear_caches()
        gc.collect()
        tracemalloc.start()
        timed("tracemalloc run", profiles[:k], engine.screen)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        section("tracemalloc run")
    maxrss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kilobytes on Linux

    print()
    print("per call: wall clock (time.perf_counter_ns) on the left, CPU time of this thread (time.thread_time_ns) "
          "on the right")
    print(Timing.HEAD)
    print("-" * len(Timing.HEAD))
    for t in rows:
        if t.n:
            print(t.row())
    print("-" * len(Timing.HEAD))
    if speedup:
        print(speedup)
    print(f"params_at cache in the engine.screen(Profile) run: {cache_info.hits:,} hits / {cache_info.misses:,} misses")
    p50, p99, c99 = t_obj.pct(0.5), t_obj.pct(0.99), t_obj.cpu_pct(0.99)
    # "Well under 1 ms": p99 at most half of it; under 1 ms at p99 but above that is only "under".
    verdict = ("well under 1 ms at p99" if p99 <= 500 else "under 1 ms at p99, but not well under" if p99 < 1000
               else "NOT under 1 ms at p99 (wall clock); under in CPU time" if c99 < 1000 else "NOT under 1 ms at p99")
    print(f"target 'well under 1 ms per profile' (whole catalog, engine.screen(Profile)): median {p50:.0f} µs, "
          f"p99 {p99:.0f} µs wall / {c99:.0f} µs CPU -> {verdict}")
    if k:
        print(f"tracemalloc peak, screening loop of {k:,} profiles (results discarded): {peak / 2**20:.1f} MiB")
    print(f"resource.getrusage maxrss (whole process, incl. the {n:,} profiles held as dicts and Profiles): "
          f"{maxrss_kb / 1024:.0f} MiB")

    total = sum(status.values())
    print()
    print(f"program results screened: {total:,} over {n:,} profiles; programs in force per profile "
          f"(count: profiles): {', '.join(f'{c}: {v:,}' for c, v in sorted(in_force.items()))}")
    if total:
        print("statuses: " + ", ".join(f"{s} {status[s]:,} ({status[s] / total:.1%})"
                                       for s in ("eligible", "needs_info", "ineligible")))
    print(f"{'program':<36} {'eligible':>9} {'needs_info':>11} {'ineligible':>11}")
    for pid in sorted(per_prog):
        c = per_prog[pid]
        print(f"{pid:<36} {c['eligible']:>9,} {c['needs_info']:>11,} {c['ineligible']:>11,}")

    print()
    print("sections (wall s / CPU s): " + "; ".join(f"{name} {w:.1f}/{c:.1f}" for name, w, c in sections))
    print(f"total run time {time.perf_counter() - t_start:.0f} s wall, {time.process_time() - c_start:.0f} s CPU; "
          f"load average at start {load0}, at end {_load()} (other processes on the machine skew wall-clock figures)")
    if ERRORS:
        print(f"\nFAILED: the engine raised on {sum(ERRORS.values()):,} calls (timings above include them):")
        for what, count in ERRORS.most_common():
            print(f"  {count:>8,}  {what}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
