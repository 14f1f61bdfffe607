"""Reasons are true sentences about the applicant (issue 14, item 2): properties over generated profiles.

The definitions' reasons are built from structured facts (eligibility/wording.py `Limit`); the tests hold the
structure against the profile (the value and the limit, worked out here again), the words against the structure
(「以内です」 exactly when value ≤ limit, 「を超えています」 exactly when value > limit), and the numbers the
sentence cites against the relation it states. Estimates' explanations are read back the same way.
"""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from eligibility.definitions import DEFINITIONS
from eligibility.engine import Trace
from eligibility.logic import Check, Outcome
from eligibility.predicates import Ctx
from eligibility.profile import parse_profile
from eligibility.wording import OVER, WITHIN, Limit
from tests.test_properties import SETTINGS, paid_profiles, profiles

NOTATION = ("≤", "≥", "✗", "✓", "min(", "×")
UPWARD = {"deemed_large", "controlled_by_large"}


def parse_yen_ja(text: str) -> int:
    """「1億5,000万円」 → 150000000 (the inverse of eligibility.money.yen_ja)."""
    m = re.fullmatch(r"(?:([\d,]+)億)?(?:([\d,]+)万)?(?:([\d,]+))?円", text)
    assert m, text
    oku, man, one = (int(x.replace(",", "")) if x else 0 for x in m.groups())
    return oku * 100_000_000 + man * 10_000 + one


def _checks(engine: Any, data: dict[str, Any]) -> tuple[Any, dict[str, Check]]:
    profile = parse_profile(data)
    as_of = profile.reference_date()
    prm = engine.params_at(as_of)
    ctx = Ctx(profile, as_of, prm, {})
    return profile, {name: ctx.definition(name) for name in DEFINITIONS}


def _limit_is_true(lim: Limit, profile: Any) -> None:
    """The structure against the profile, and the words against the structure."""
    assert lim.value == getattr(profile, lim.fact)
    if lim.value is None:
        expected = None
    elif all(lim.value <= x for x in lim.limits):
        expected = True
    elif all(lim.value > x for x in lim.limits):
        expected = False
    else:
        expected = None
    assert lim.holds() is expected
    for lang, i in (("ja", 0), ("en", 1)):
        s = lim.sentence(lang)
        words = set(re.findall(r"\w+", s)) if lang == "en" else None
        assert ((WITHIN[i] in words) if words is not None else (WITHIN[i] in s)) == (expected is True), s
        assert ((OVER[i] in words) if words is not None else (OVER[i] in s)) == (expected is False), s
    ja = lim.sentence("ja")
    # The numbers the Japanese sentence cites, against the relation it states.
    m = re.fullmatch(r"(従業員|資本金)(.+?)は(.*?)上限[（]?(.+?)[）]?(以内です|を超えています)", ja)
    if expected is not None:
        assert m, ja
        unit = "人" if lim.fact == "employees" else "円"
        value = int(m[2].removesuffix("人").replace(",", "")) if unit == "人" else parse_yen_ja(m[2])
        bounds = [int(b.removesuffix("人").replace(",", "")) if unit == "人" else parse_yen_ja(b)
                  for b in m[4].split("〜")]
        assert value == lim.value
        if m[5] == "以内です":
            assert all(value <= b for b in bounds), ja
        else:
            assert all(value > b for b in bounds), ja


def _assert_true_reasons(engine: Any, data: dict[str, Any]) -> None:
    profile, checks = _checks(engine, data)
    for name, c in checks.items():
        for text in (c.detail_ja, c.detail_en):
            assert not any(n in text for n in NOTATION), (name, text)
        for lim in c.cited:
            _limit_is_true(lim, profile)
            assert lim.sentence("ja") in c.detail_ja and lim.sentence("en")[1:] in c.detail_en, (name, c.detail_ja)
        # A met item names only what it meets; an unmet one only what it misses. (みなし大企業 and 支配 are met by
        # being over a threshold: their limits are not "at most", so the words are the other way round.)
        if name in UPWARD:
            continue
        if c.outcome is Outcome.MET:
            assert all(lim.holds() is True for lim in c.cited), (name, c.detail_ja)
            assert OVER[0] not in c.detail_ja and "未回答" not in c.detail_ja, (name, c.detail_ja)
        if c.outcome is Outcome.UNMET:
            assert all(lim.holds() is False for lim in c.cited), (name, c.detail_ja)
            assert WITHIN[0] not in c.detail_ja and "未回答" not in c.detail_ja, (name, c.detail_ja)
        if profile.applicant_type == "sole_proprietor":
            assert "設立" not in c.detail_ja, (name, c.detail_ja)
            if name == "deemed_large":
                assert not any(k in c.detail_ja for k in ("(ア)", "(イ)", "(ウ)", "(エ)")), c.detail_ja
        if profile.established_on is None and name == "within_startup_years":
            assert "未回答" in c.detail_ja


def _walk(traces: list[Trace]) -> list[Trace]:
    out: list[Trace] = []
    for t in traces:
        out.append(t)
        out += _walk(t.children)
    return out


def _assert_trace_words(engine: Any, data: dict[str, Any]) -> None:
    s = engine.screen(data)
    if s.profile.established_on is None:
        assert "以上" not in s.phase.basis_ja and "以内" not in s.phase.basis_ja, s.phase.basis_ja
    for r in s.results:
        for t in _walk(r.reasons):
            for text in (t.detail_ja, t.detail_en):
                assert not any(n in text for n in NOTATION), (r.program_id, t.criterion, text)
            if t.outcome is Outcome.MET and "(オ)" not in t.detail_ja:  # (オ): met by being over (see UPWARD)
                assert OVER[0] not in t.detail_ja, (r.program_id, t.criterion, t.detail_ja)
        if r.estimate is not None:
            _assert_explanation(r.estimate)


CASE = re.compile(r"(?:費用|掛金)(.+?)の(\d+)/(\d+)(?:は(.+?)ですが、1件の上限(.+?)まで|で(.+?))(?:。|$)")


def _assert_explanation(est: Any) -> None:
    """Each case's words against its numbers: the 'but at most' clause exactly when the cap bites."""
    text = est.explanation_ja
    assert not any(n in text for n in NOTATION), text
    assert text.endswith(f"補助見込みは{_yen(est.amount_yen)}です。"), text
    for m in CASE.finditer(text):
        cost, rate = parse_yen_ja(m[1]), Fraction(int(m[2]), int(m[3]))
        if m[4] is not None:
            assert parse_yen_ja(m[4]) == int(cost * rate) and cost * rate > parse_yen_ja(m[5]), m[0]
        else:
            assert parse_yen_ja(m[6]) == int(cost * rate), m[0]
    assert len(list(CASE.finditer(text))) == len(est.breakdown), text
    assert est.explanation_en and "min(" not in est.explanation_en


def _yen(v: int) -> str:
    from eligibility.money import yen
    return yen(v)


@SETTINGS
@given(profiles())
def test_definition_reasons_are_true(engine, profile):
    _assert_true_reasons(engine, profile)


@SETTINGS
@given(st.one_of(profiles(), paid_profiles()))
def test_trace_words_and_estimates_are_true(engine, profile):
    _assert_trace_words(engine, profile)
