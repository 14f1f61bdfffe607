"""Helpers shared by the new test modules: profile builders and small accessors over a Screening."""

from __future__ import annotations

import re
from typing import Any

import pytest

from eligibility.engine import Engine, ProgramResult, Screening
from eligibility.profile import ProfileError

CJK_RE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")
KANA_RE = re.compile(r"[\u3040-\u30ff]")

# An independent, young, small manufacturing corporation that answers every identity question.
INDEPENDENT = {
    "large_company_shareholding": {"largest": 0, "combined": 0},
    "large_company_officer_ratio": 0,
    "wholly_owned_by_large_parent": False,
    "avg_taxable_income_yen": 10_000_000,
}


def corp(**over: Any) -> dict[str, Any]:
    """A corporation that every definition can decide on; `over` replaces or (with None) removes fields."""
    p: dict[str, Any] = {
        "as_of": "2025-10-01",
        "applicant_type": "corporation",
        "established_on": "2020-04-01",
        "employees": 10,
        "capital_yen": 10_000_000,
        "industry": "manufacturing",
        "prefecture": "東京都",
        **INDEPENDENT,
    }
    return _merge(p, over)


def sole(**over: Any) -> dict[str, Any]:
    p: dict[str, Any] = {
        "as_of": "2025-10-01",
        "applicant_type": "sole_proprietor",
        "established_on": "2020-04-01",
        "employees": 2,
        "industry": "services",
        "prefecture": "大阪府",
        "avg_taxable_income_yen": 3_000_000,
    }
    return _merge(p, over)


def _merge(p: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    for k, v in over.items():
        if v is None:
            p.pop(k, None)
        else:
            p[k] = v
    return p


def defs(engine: Engine, profile: dict[str, Any]) -> dict[str, str]:
    """Every definition's outcome (met / unmet / unknown) for a profile."""
    s = engine.screen(profile)
    return {k: c.outcome.value for k, c in s.definitions.items()}


def definition(engine: Engine, profile: dict[str, Any], name: str) -> tuple[str, list[str]]:
    c = engine.screen(profile).definitions[name]
    return c.outcome.value, list(c.missing)


def result(engine: Engine, profile: dict[str, Any], program_id: str) -> ProgramResult:
    r = engine.screen(profile).result(program_id)
    assert r is not None, f"{program_id} is not in force on {profile.get('as_of')}"
    return r


def amount(engine: Engine, profile: dict[str, Any], program_id: str) -> int | None:
    r = result(engine, profile, program_id)
    return None if r.estimate is None else r.estimate.amount_yen


def profile_errors(engine: Engine, profile: Any) -> list[Any]:
    with pytest.raises(ProfileError) as ei:
        engine.screen(profile)
    assert ei.value.errors, "a ProfileError must carry at least one field error"
    return ei.value.errors


def statuses(screening: Screening) -> dict[str, str]:
    return {r.program_id: r.status for r in screening.results}
