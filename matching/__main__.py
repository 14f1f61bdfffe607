"""`python -m matching evaluate DIR` and `python -m matching train`: ranking quality and the learned model."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from eligibility.engine import Engine
from matching.evaluate import cross_validate, examples_from_cases, load_cases, metrics
from matching.model import Example, TooFewLabels, label_of, train
from matching.scorer import Scorer
from programs.loader import load_catalog

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
    print(f"prior ({prior.version}):          {_fmt(m)}")
    if args.folds > 1:
        try:
            cv = cross_validate(engine, prior, cases, folds=args.folds)
            print(f"prior + learned, {args.folds}-fold CV:  {_fmt(cv)}")
        except TooFewLabels as e:
            print(f"learned model: not trained ({e})")
    if m["ndcg@3"] < args.min_ndcg:
        print(f"FAIL: prior NDCG@3 {m['ndcg@3']:.3f} is below the bar {args.min_ndcg}", file=sys.stderr)
        return 1
    return 0


def _examples_from_outcomes(engine: Engine, prior: Scorer, path: Path) -> list[Example]:
    """JSON Lines of {"profile": {...}, "program_id": "...", "outcome": "referred|applied|adopted|not_suitable"}."""
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        row = json.loads(line)
        lab = label_of(row["outcome"])
        if lab is None:
            print(f"{path}:{n}: unknown outcome {row['outcome']!r}, skipped", file=sys.stderr)
            continue
        for _, ex in prior.examples(engine.screen(row["profile"])):
            if ex.program_id == row["program_id"]:
                ex.label, ex.weight = lab
                out.append(ex)
    return out


def cmd_train(args: argparse.Namespace) -> int:
    catalog = load_catalog()
    engine = Engine(catalog)
    prior = Scorer(catalog.programs.values())
    examples: list[Example] = []
    if args.labels:
        examples += _examples_from_outcomes(engine, prior, Path(args.labels))
    if args.cases:
        examples += examples_from_cases(engine, prior, load_cases(Path(args.cases)))
    try:
        model = train(examples, list(prior.index), alpha=args.alpha)
    except TooFewLabels as e:
        print(str(e), file=sys.stderr)
        return 1
    out = Path(args.out)
    model.save(out)
    print(f"trained {model.version} on {model.n_labels} labels ({model.meta}); saved to {out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m matching", description="Recommendation scorer tools")
    sub = ap.add_subparsers(dest="cmd", required=True)
    ev = sub.add_parser("evaluate", help="NDCG@3, hit@1, top-3 recall on a labelled folder")
    ev.add_argument("dir")
    ev.add_argument("--folds", type=int, default=5, help="cross-validation folds for the learned model (1: skip)")
    ev.add_argument("--min-ndcg", type=float, default=0.85, help="fail below this prior NDCG@3")
    ev.set_defaults(fn=cmd_evaluate)
    tr = sub.add_parser("train", help="train the learned adjustment on advisors' outcomes")
    tr.add_argument("--labels", help="JSON Lines of outcomes (profile, program_id, outcome)")
    tr.add_argument("--cases", help="a labelled folder (ideal_top3) to derive labels from")
    tr.add_argument("--out", default=str(DEFAULT_MODEL))
    tr.add_argument("--alpha", type=float, default=0.5, help="weight of the model against the prior")
    tr.set_defaults(fn=cmd_train)
    args = ap.parse_args(argv)
    return int(args.fn(args))


if __name__ == "__main__":
    sys.exit(main())
