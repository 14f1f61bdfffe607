"""The screening table built from screenings made one by one: its shape, and that `equal` finds a difference."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from eligibility.screen_table import ScreenTable
from tests.support.paths import SHARED


def _profiles() -> list[dict]:
    out = []
    for path in sorted((SHARED / "cases").glob("*.yaml")):
        profile = dict(yaml.safe_load(path.read_text(encoding="utf-8"))["profile"])
        profile["as_of"] = "2026-06-01"
        out.append(profile)
    return out


def test_table_of_screenings(engine):
    screenings = [engine.screen(p) for p in _profiles()]
    table = ScreenTable.from_screenings(screenings)
    assert len(table) == len(screenings)
    assert table.status.shape == (len(screenings), len(table.program_ids))
    for i, s in enumerate(screenings):
        for j, r in enumerate(s.results):
            assert table.program_ids[j] == r.program_id
            assert table.status[i, j] == {"eligible": 2, "needs_info": 1, "ineligible": 0}[r.status]
            assert table.outcomes[j][i].tolist() == list(r.outcomes)
            assert table.missing[j][i] == tuple(r.missing_facts)
            amount = r.estimate.amount_yen if r.estimate else None
            assert (np.isnan(table.amount[i, j]) if amount is None else table.amount[i, j] == amount)
    assert table.equal(ScreenTable.from_screenings(screenings)) == []


def test_equal_names_a_difference(engine):
    screenings = [engine.screen(p) for p in _profiles()[:3]]
    a, b = ScreenTable.from_screenings(screenings), ScreenTable.from_screenings(screenings)
    b.status[1, 2] = (b.status[1, 2] + 1) % 3
    b.missing[0][2] = ("employees",)
    b.phase[0] = "nonsense"
    found = a.equal(b)
    assert any("row 1" in f and "status" in f for f in found)
    assert any("missing" in f for f in found)
    assert any("phase" in f for f in found)


def test_one_date_per_table(engine):
    first, second = _profiles()[:2]
    second = {**second, "as_of": "2026-07-01"}
    with pytest.raises(ValueError):
        ScreenTable.from_screenings([engine.screen(first), engine.screen(second)])
