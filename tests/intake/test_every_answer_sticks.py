"""Every answer reaches the profile (issue 14 item 3): for EVERY question of the questionnaire and EVERY option
of it, the answer changes the profile so that no program that asked for the fact still lists it as missing;
only 「わからない」 keeps it missing (unknown is not false). 「いいえ」 is an answer for every fact."""

from __future__ import annotations

from typing import Any

import pytest

from app.intake.adaptive import open_facts
from app.intake.answers import UNKNOWN, _Absent, enum_values, parse_question, question_values, unknown_name
from app.intake.questions import GROUPS, QUESTION, Question
from eligibility.engine import Engine
from eligibility.facts import PREFECTURES
from tests.support.helpers import corp

# Profiles in which programs ask for the facts (the first one where a program lists the fact is used).
BASES: list[dict[str, Any]] = [
    {"as_of": "2026-12-01"},
    {"as_of": "2026-12-01", "applicant_type": "corporation", "prefecture": "愛知県"},
    {"as_of": "2026-12-01", "applicant_type": "corporation", "prefecture": "東京都", "domestic_applications": ["patent", "design"]},
    corp(as_of="2026-12-01", domestic_applications=["patent", "design"], patent_exam_status="requested",
         design_application="planned"),
    corp(as_of="2026-12-01", domestic_applications=["patent", "design"], patent_exam_status="requested",
         design_application="planned", established_on="2024-04-01", large_company_shareholding=None),
]
TEXT = {"date": "令和3年4月1日", "int": "20", "yen": "1,000万円", "signed_yen": "▲500万円", "percent": "10",
        "municipality": "岡崎市"}


def options(q: Question) -> list[tuple[str, dict[str, Any]]]:
    """(name, the raw form) of every way to answer `q` except 「わからない」."""
    f = q.fact
    if q.kind == "text":
        return [("value", {f: TEXT[q.parse or ""]})]
    if q.kind in ("radio", "select"):
        if f == "prefecture":
            return [(p, {f: p}) for p in PREFECTURES]
        values = question_values(q) if q.enum else ["yes", "no"]
        return [(v, {f: v}) for v in values]
    if q.kind == "checks":
        return [(v, {f: [v]}) for v in [*question_values(q), *(v for v, _ in q.extra)]]
    if q.kind == "share":
        return [("shares", {f"{f}.largest": "10", f"{f}.combined": "20"}), ("independent", {f"{f}.largest": "0", f"{f}.combined": "0"})]
    if q.kind == "filings":
        rows = [(r, {f"{f}.has": "yes", f"{f}.0.right": r, f"{f}.0.countries": "2", f"{f}.0.cost_yen": "400万円"})
                for r in enum_values("right")]
        return [*rows, ("no", {f"{f}.has": "no"})]
    if q.kind == "disputes":
        rows = [(k, {f"{f}.has": "yes", f"{f}.0.kind": k, f"{f}.0.cost_yen": "200万円", f"{f}.0.holds_local_right": "yes",
                     f"{f}.0.holds_jp_trademark": "yes"}) for k in enum_values("dispute_kind")]
        return [*rows, ("no", {f"{f}.has": "no"})]
    if q.kind == "insurance":
        return [(kind, {f"{f}.has": "yes", f"{f}.premium_yen": "40万円", f"{f}.renewal": kind}) for kind in ("new", "renewal")] + [
            ("no", {f"{f}.has": "no"})]
    raise AssertionError(q.kind)


def unknown_form(q: Question) -> dict[str, Any]:
    f = q.fact
    if q.kind in ("radio", "select"):
        return {f: "unknown"}
    if q.kind in ("filings", "disputes", "insurance"):
        return {f"{f}.has": "unknown"}
    return {unknown_name(f): "1"}


def asking(engine: Engine, profile: dict[str, Any], fact: str) -> set[str]:
    """The programs that list `fact` (or a detail of it) as missing."""
    return {r.program_id for r in engine.screen(profile).results
            if any(m.split("[")[0].split(".")[0] == fact for m in r.missing_facts)}


def base_for(engine: Engine, fact: str) -> dict[str, Any]:
    for base in BASES:
        profile = {k: v for k, v in base.items() if k != fact}
        if asking(engine, profile, fact):
            return profile
    raise AssertionError(f"no program asks for {fact}: the question could be dropped")


ASKED = [q for g in GROUPS for q in g.questions if q.fact not in ("interests", "description")]


@pytest.mark.parametrize("q", ASKED, ids=lambda q: q.fact)
def test_every_option_of_every_question_reaches_the_profile_and_the_result(engine: Engine, q: Question) -> None:
    base = base_for(engine, q.fact)
    before = asking(engine, base, q.fact)
    for name, raw in options(q):
        parsed = parse_question(q, raw)
        assert not parsed.errors, (q.fact, name, parsed.errors)
        assert not isinstance(parsed.value, _Absent), f"{q.fact}={name} maps to nothing in the profile"
        profile = {**base, q.fact: parsed.value}
        still = asking(engine, profile, q.fact)
        assert not (still & before), f"{q.fact}={name}: {sorted(still & before)} still ask for it"

    # 「わからない」 keeps the fact unknown: absent from the profile, still asked by the programs.
    parsed = parse_question(q, unknown_form(q))
    assert parsed.value is UNKNOWN and not parsed.errors, (q.fact, parsed)
    assert asking(engine, base, q.fact) == before


def test_the_final_questions_are_not_facts_a_program_waits_for(engine: Engine) -> None:
    for fact in ("interests", "description"):
        assert all(fact not in open_facts(engine.screen(b)) for b in BASES), fact
    assert {q.fact for q in ASKED} | {"interests", "description"} == set(QUESTION)


def test_no_to_litigation_insurance_is_an_answer(engine: Engine) -> None:
    q = QUESTION["litigation_insurance"]
    parsed = parse_question(q, {"litigation_insurance.has": "no"})
    assert parsed.value is False
    r = next(r for r in engine.screen(corp(litigation_insurance=False)).results if r.program_id == "ip_litigation_insurance")
    assert r.status == "ineligible" and "litigation_insurance" not in r.missing_facts
    unsure = next(r for r in engine.screen(corp()).results if r.program_id == "ip_litigation_insurance")
    assert unsure.status == "needs_info" and "litigation_insurance" in unsure.missing_facts


def test_the_console_form_keeps_no_to_litigation_insurance() -> None:
    from app.console.forms import raw_from_profile

    q = QUESTION["litigation_insurance"]
    raw = raw_from_profile({"litigation_insurance": False})
    assert raw["litigation_insurance.has"] == "no"
    assert parse_question(q, raw).value is False  # an advisor's save keeps the answer
