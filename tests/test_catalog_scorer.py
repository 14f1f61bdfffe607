"""matching.Scorer.similarities (the fitted TF-IDF model taken apart once) gives the same similarities and
rankings as scikit-learn's own transform + linear_kernel (`similarities_reference`), without their per-call
overhead."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matching.scorer import Scorer
from tests.support.helpers import corp

TEXTS = [
    "東大阪市の金属加工の町工場。特許と意匠を中国・米国へ出願したい。",
    "自社ブランドの化粧品を台湾で販売していますが、現地で商標を先に出願されてしまいました。",
    "ＡＩを使った画像検査ソフトウェア（ＳａａＳ）を開発しています",
    "We sell counterfeit-proof packaging in Europe and the US.",
    "模倣品 模倣品 模倣品 模倣品",
    "zzzz qqqq",  # no n-gram in common with the catalog
    "", "   ", None, "あ",
]


class ReferenceScorer(Scorer):
    def similarities(self, text: str | None) -> dict[str, float]:
        return self.similarities_reference(text)


@pytest.fixture(scope="module")
def scorers(catalog):
    return ReferenceScorer(catalog.programs.values()), Scorer(catalog.programs.values())


def _same(a: dict[str, float], b: dict[str, float]) -> None:
    assert a.keys() == b.keys()
    for k in a:
        assert a[k] == pytest.approx(b[k], abs=1e-12)


@pytest.mark.parametrize("text", TEXTS)
def test_similarities_are_the_same(scorers, text) -> None:
    plain, fast = scorers
    _same(plain.similarities(text), fast.similarities(text))


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("特許意匠商標海外出願模倣品中国米国台湾の町工場をにでがAIソフト 、。ー0１")),
               max_size=80))
def test_similarities_are_the_same_on_any_text(scorers, text) -> None:
    plain, fast = scorers
    _same(plain.similarities(text), fast.similarities(text))


def test_rankings_are_the_same(scorers, engine) -> None:
    plain, fast = scorers
    rng = random.Random(3)
    for i in range(60):
        profile = corp(description=" ".join(rng.sample(TEXTS[:5], 2)) if i % 3 else None,
                       interests=rng.sample(["overseas", "enforcement", "ip_strategy", "fee_reduction"], 2),
                       employees=rng.choice([5, 50, 500]))
        a, b = plain.rank(engine.screen(profile)), fast.rank(engine.screen(profile))
        # Sums in another order: scores may differ in the last bits (1e-16), never the order or what is shown.
        assert [(r.program_id, r.rank, r.signals, r.recommendation_ja) for r in a.results] == \
            [(r.program_id, r.rank, r.signals, r.recommendation_ja) for r in b.results]
        assert [r.score for r in a.results] == pytest.approx([r.score for r in b.results], abs=1e-12)
        assert a.as_dict("ja") == b.as_dict("ja")
