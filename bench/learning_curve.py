"""Learning curve of the correction model vs the prior on simulated advisor outcomes.

The simulated advisors follow a known preference that differs from the prior: kind-level shifts and profile ×
program interactions (software companies prefer the IP landscape analysis; micro companies the INPIT desk;
manufacturers with patents the INPIT foreign filing subsidy; fee reduction is rarely what they refer to). They
see the prior's list, pick by their noisy utility, and some picks are applied for and adopted. The learner is
trained on N outcomes (time-split as `python -m matching train` does) and scored on held-out simulated
profiles against the noise-free preference: NDCG@3 and hit@1 of the prior, the learner and the truth (1.0).

    .venv/bin/python bench/learning_curve.py --sizes 50,200 --test 150     # small, to prove it works
    .venv/bin/python bench/learning_curve.py                               # 50, 200, 1000, 5000 (slow)
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from eligibility.engine import Engine  # noqa: E402
from matching.evaluate import ndcg_at_3  # noqa: E402
from matching.learner import Session, gate, train_with_report  # noqa: E402
from matching.model import Example  # noqa: E402
from matching.scorer import Scorer  # noqa: E402
from programs.loader import load_catalog  # noqa: E402

INDUSTRIES = ["manufacturing", "software", "retail", "services", "wholesale"]
INTERESTS = ["mentoring", "ip_strategy", "market_analysis", "overseas", "enforcement", "fast_examination",
             "fee_reduction", "financing", "partnership", "consultation"]
SHOWN = 8  # the advisor reads the first eight programs of the list
TIE = 0.01  # utilities closer than this are a tie for hit@1


def profile(rng: random.Random) -> dict[str, Any]:
    """A corporation with a random size, industry, phase, age, rights and needs."""
    young = rng.random() < 0.4
    p: dict[str, Any] = {
        "as_of": "2026-07-01", "applicant_type": "corporation",
        "established_on": f"{2026 - (rng.randint(1, 8) if young else rng.randint(12, 50))}-04-01",
        "employees": rng.choice([2, 4, 12, 30, 80, 200]), "capital_yen": rng.choice([5_000_000, 30_000_000]),
        "industry": rng.choice(INDUSTRIES), "large_company_shareholding": {"largest": 0, "combined": 0},
        "large_company_officer_ratio": 0, "wholly_owned_by_large_parent": False, "avg_taxable_income_yen": 0,
        "prefecture": rng.choice(["東京都", "大阪府", "愛知県", "福岡県", "石川県"]),
        "phase": rng.choice(["concept", "launch", "expansion"]),
        "interests": rng.sample(INTERESTS, rng.randint(1, 3)),
        "domestic_applications": rng.choice([[], ["patent"], ["trademark"], ["patent", "design"]]),
    }
    if p["domestic_applications"] and rng.random() < 0.3:
        p["foreign_filings"] = [{"right": p["domestic_applications"][0], "cost_yen": rng.choice([600_000, 2_000_000]),
                                 "already_filed": False}]
    if rng.random() < 0.15:
        p["overseas_disputes"] = [{"kind": rng.choice(["counterfeit", "defense"]), "cost_yen": 3_000_000,
                                   "holds_local_right": True}]
    if "patent" in p["domestic_applications"]:
        p["patent_exam_status"] = rng.choice(["filed", "requested", "started"])
    return p


def preference(p: dict[str, Any], ex: Example) -> float:
    """The advisors' preference on top of the prior (what the learner should find)."""
    pid, kind = ex.program_id, ex.kind
    u = 0.0
    if p["industry"] == "software" and pid == "ip_landscape_support":
        u += 0.35
    if p["employees"] <= 5 and pid == "ip_support_desk":
        u += 0.25
    if p["industry"] == "manufacturing" and pid == "inpit_foreign_filing_subsidy":
        u += 0.2
    if kind == "expert_support" and p["phase"] != "expansion":
        u += 0.08
    if pid == "fee_reduction":
        u -= 0.15
    return u


def utilities(examples: list[Example], p: dict[str, Any]) -> dict[str, float]:
    return {ex.program_id: ex.features["prior"] + preference(p, ex) for ex in examples}


def simulate(engine: Engine, prior: Scorer, n_outcomes: int, rng: random.Random) -> list[Session]:
    """Sessions until n_outcomes decisions and stages are recorded."""
    out: list[Session] = []
    total = 0
    while total < n_outcomes:
        p = profile(rng)
        examples = [ex for _, ex in prior.examples(engine.screen(p))]
        if not examples:
            continue
        shown = sorted(examples, key=lambda e: -e.features["prior"])[:SHOWN]
        u = utilities(shown, p)
        noisy = {k: v + rng.gauss(0, 0.06) for k, v in u.items()}
        order = sorted(noisy, key=lambda k: -noisy[k])
        picks = order[:1] + ([order[1]] if rng.random() < 0.3 else [])
        sess = Session(f"sim-{len(out)}", f"{len(out):08d}", examples)
        for pid in picks:
            sess.gains[pid] = 1.0
            sess.n_outcomes += 1
            if rng.random() < 0.5:  # applied; adopted more often the better it fits
                sess.gains[pid] = 3.0 if rng.random() < min(0.9, u[pid]) else 2.0
                sess.n_outcomes += 1
        # The advisor read the shown list: what it did not take is passed over (some with an explicit skip).
        sess.negatives = {e.program_id for e in shown if e.program_id not in sess.gains}
        sess.n_outcomes += sum(1 for e in shown if e.program_id not in sess.gains and rng.random() < 0.3)
        total += sess.n_outcomes
        out.append(sess)
    return out


def evaluate(engine: Engine, prior: Scorer, model: Any, tests: list[dict[str, Any]]) -> dict[str, float]:
    """NDCG@3 and hit@1 against the noise-free preference (its top three graded 3, 2, 1; hit: the first has the
    best utility, within TIE)."""
    nd = hit = 0.0
    for p in tests:
        examples = [ex for _, ex in prior.examples(engine.screen(p))]
        truth = utilities(examples, p)
        ideal = sorted(truth, key=lambda k: -truth[k])[:3]
        rel = {pid: 3 - i for i, pid in enumerate(ideal)}
        deltas = model.adjust(examples) if model is not None else [0.0] * len(examples)
        score = {ex.program_id: ex.features["prior"] + d for ex, d in zip(examples, deltas, strict=True)}
        ranked = sorted(score, key=lambda k: -score[k])
        nd += ndcg_at_3(ranked, rel)
        # A tie in the truth (two alternatives of equal use) is no miss.
        hit += 1.0 if ranked and truth[ranked[0]] >= truth[ideal[0]] - TIE else 0.0
    return {"ndcg@3": nd / len(tests), "hit@1": hit / len(tests)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="50,200,1000,5000", help="outcomes to train on, comma-separated")
    ap.add_argument("--test", type=int, default=500, help="held-out simulated profiles")
    ap.add_argument("--seed", type=int, default=17)
    args = ap.parse_args(argv)
    catalog = load_catalog()
    engine = Engine(catalog)
    prior = Scorer(catalog.programs.values())
    rng = random.Random(args.seed)
    tests = [profile(rng) for _ in range(args.test)]
    base = evaluate(engine, prior, None, tests)
    print(f"load average {os.getloadavg()[0]:.2f}; held-out profiles {len(tests)}; truth = 1.000")
    print(f"{'outcomes':>8} {'sessions':>8} {'prior NDCG@3':>12} {'learner':>8} {'prior hit@1':>11} {'learner':>8}"
          f" {'gate':>5} {'shrinkage':>9} {'seconds':>7}")
    for n in (int(x) for x in args.sizes.split(",")):
        t0 = time.perf_counter()
        sessions = simulate(engine, prior, n, random.Random(args.seed * 1000 + n))
        model = train_with_report(sessions, prior.PRIOR_VERSION)
        m = evaluate(engine, prior, model, tests)
        ok, _ = gate(model, min_outcomes=1000, prior_version=prior.PRIOR_VERSION)
        strength = model.report["shrinkage"]["strength"]  # PENALTY × this, chosen inside the training part
        shrink = "prior" if strength is None else f"x{strength:g}"
        print(f"{n:>8} {len(sessions):>8} {base['ndcg@3']:>12.3f} {m['ndcg@3']:>8.3f} {base['hit@1']:>11.3f}"
              f" {m['hit@1']:>8.3f} {'used' if ok else 'no':>5} {shrink:>9} {time.perf_counter() - t0:>7.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
