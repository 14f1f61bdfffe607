"""`python -m matching evaluate DIR` and `python -m matching train`: ranking quality and the gated learner."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from eligibility.engine import Engine
from matching.evaluate import Case, load_cases, metrics, per_case
from matching.learner import MIN_OUTCOMES, Session, gate, train_with_report
from matching.records import read_sessions
from matching.scorer import Scorer
from programs.loader import load_catalog

MIN_TRAIN = 30  # below this a holdout says nothing; the gate (MIN_OUTCOMES) decides use, this only writing
DEFAULT_MODEL = Path(__file__).resolve().parents[1] / "var" / "model.joblib"


def _fmt(m: dict[str, float]) -> str:
    return f"NDCG@3 {m['ndcg@3']:.3f}  hit@1 {m['hit@1']:.3f}  top-3 recall {m['recall@3']:.3f}"


def cmd_evaluate(args: argparse.Namespace) -> int:
    catalog = load_catalog()
    engine = Engine(catalog)
    prior = Scorer(catalog.programs.values())
    cases = load_cases(Path(args.dir))
    if not cases:
        print(f"no labelled cases (*.yaml) in {args.dir}", file=sys.stderr)
        return 2
    m = metrics(engine, prior, cases)
    print(f"cases: {len(cases)}")
    print(f"prior ({prior.version}):  {_fmt(m)}")
    if args.verbose:
        for row in per_case(engine, prior, cases):
            if row["hit@1"] < 1 or row["ndcg@3"] < 0.8:
                print(f"  {row['id']}: NDCG@3 {row['ndcg@3']:.2f} hit {row['hit@1']:.0f} top3 {row['top3']}")
    failed = []
    if m["ndcg@3"] < args.min_ndcg:
        failed.append(f"NDCG@3 {m['ndcg@3']:.3f} is below the bar {args.min_ndcg}")
    if m["hit@1"] < args.min_hit:
        failed.append(f"hit@1 {m['hit@1']:.3f} is below the bar {args.min_hit}")
    for f in failed:
        print(f"FAIL: prior {f}", file=sys.stderr)
    return 1 if failed else 0


def sessions_from_cases(engine: Engine, prior: Scorer, cases: list[Case]) -> list[Session]:
    """Labelled cases as sessions: grade 3 → adopted, 2 → applied, 1 → pick, 0 → passed over."""
    out = []
    for c in cases:
        examples = [ex for _, ex in prior.examples(engine.screen(c.profile))]
        g = c.relevance()
        sess = Session(c.id, c.id, examples)
        for ex in examples:
            grade = g.get(ex.program_id, 0)
            if grade:
                sess.gains[ex.program_id] = float(grade)
            else:
                sess.negatives.add(ex.program_id)
            sess.n_outcomes += 1
        out.append(sess)
    return out


def cmd_train(args: argparse.Namespace) -> int:
    catalog = load_catalog()
    engine = Engine(catalog)
    prior = Scorer(catalog.programs.values())
    sessions: list[Session] = []
    try:
        for path in args.records or ():
            sessions += read_sessions(Path(path), engine, prior)
    except ValueError as e:
        print(f"cannot read the records: {e}", file=sys.stderr)
        return 2
    if args.cases:
        sessions += sessions_from_cases(engine, prior, load_cases(Path(args.cases)))
    if not sessions:
        print("no sessions to learn from (--records FILE.jsonl or --cases DIR)", file=sys.stderr)
        return 2
    n = sum(x.n_outcomes for x in sessions)
    if n < MIN_TRAIN or len(sessions) < 5:
        print(f"ラベルが少なすぎるため学習しません: 結果{n}件・{len(sessions)}件の判定（{MIN_TRAIN}件以上が必要）。 / "
              f"Refusing to train on {n} outcomes in {len(sessions)} screenings (need ≥ {MIN_TRAIN}); "
              "nothing written, the prior ranks.", file=sys.stderr)
        return 1
    model = train_with_report(sessions, prior.PRIOR_VERSION)
    out = Path(args.out)
    model.save(out)
    ok, why = gate(model, args.min_outcomes, prior.PRIOR_VERSION)
    print(json.dumps(model.report, indent=2, ensure_ascii=False))
    print(f"wrote {model.version} to {out}")
    print(f"gate (min {args.min_outcomes} outcomes): {'USED' if ok else 'NOT USED — the prior ranks'}: {why}")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m matching", description="Recommendation scorer tools")
    sub = ap.add_subparsers(dest="cmd", required=True)
    ev = sub.add_parser("evaluate", help="NDCG@3, hit@1, top-3 recall of the prior on a labelled folder")
    ev.add_argument("dir")
    ev.add_argument("--min-ndcg", type=float, default=0.90, help="fail below this NDCG@3")
    ev.add_argument("--min-hit", type=float, default=0.88, help="fail below this hit@1")
    ev.add_argument("--folds", type=int, default=1, help=argparse.SUPPRESS)  # accepted for old scripts
    ev.add_argument("-v", "--verbose", action="store_true", help="list the cases below the bar")
    ev.set_defaults(fn=cmd_evaluate)
    tr = sub.add_parser("train", help="fit the correction to the prior; write it with its holdout report")
    tr.add_argument("--records", "--labels", action="append", help="JSON Lines of shown lists, decisions and stages "
                    "(matching/records.py; legacy export-labels rows are read too); repeatable")
    tr.add_argument("--cases", help="a labelled folder, as sessions (development only)")
    tr.add_argument("--out", default=str(DEFAULT_MODEL))
    tr.add_argument("--min-outcomes", type=int, default=MIN_OUTCOMES, help="the gate's minimum (report only)")
    tr.set_defaults(fn=cmd_train)
    args = ap.parse_args(argv)
    return int(args.fn(args))


if __name__ == "__main__":
    sys.exit(main())
