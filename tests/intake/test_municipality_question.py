"""市区町村 is asked only when it can change a result (issue 12 item 3), and read as the questionnaire reads it."""

from __future__ import annotations

import pytest

from app.intake.adaptive import open_facts
from app.intake.parsers import parse_municipality
from app.intake.questions import FACT_ORDER
from eligibility.engine import Engine
from tests.support.helpers import corp


def test_asked_after_prefecture_only_where_it_matters(engine: Engine) -> None:
    assert FACT_ORDER.index("municipality") > FACT_ORDER.index("prefecture")
    aichi = open_facts(engine.screen(corp(prefecture="愛知県", as_of="2026-12-01")))
    assert "municipality" in aichi  # 岡崎市・小牧市 programs
    assert "municipality" not in open_facts(engine.screen(corp(prefecture="鳥取県", as_of="2026-12-01")))


@pytest.mark.parametrize(("text", "value"), [("愛知県岡崎市", "岡崎市"), ("岡崎市", "岡崎市"), ("愛知県　小牧市", "小牧市")])
def test_parse(text: str, value: str) -> None:
    assert parse_municipality(text) == value
