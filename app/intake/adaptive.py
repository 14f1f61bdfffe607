"""What can still change a result: the questions of each step, and the step that comes next (the adaptive questionnaire)."""

from __future__ import annotations

from typing import Any

from app.intake.questions import FACT_ORDER, FINAL, FINAL_FACTS, FIRST, GROUP_BY_STEP, GROUP_OF, GROUPS
from app.services import Services
from eligibility.engine import Screening
from eligibility.profile import ProfileError

STEPS = [g.step for g in GROUPS]
GROUP_FACTS = {g.step: [q.fact for q in g.questions] for g in GROUPS}


def open_facts(screening: Screening) -> set[str]:
    """Facts that can still change a result: missing facts of needs_info results, and of eligible
    results whose estimate is missing."""
    out: set[str] = set()
    for r in screening.results:
        if r.status == "needs_info" or (r.status == "eligible" and r.estimate is None):
            out.update(_root(m) for m in r.missing_facts)
    return out


def _root(fact: str) -> str:
    """'foreign_filings[0].cost_yen' → 'foreign_filings' (the question that asks it)."""
    return fact.split("[")[0].split(".")[0]


class Screener:
    """Screens profiles for one request, remembering the results (a profile is screened a few times)."""

    def __init__(self, svc: Services):
        self.svc = svc
        self._cache: dict[str, set[str]] = {}

    def open(self, profile: dict[str, Any]) -> set[str]:
        key = repr(sorted(profile.items()))
        if key not in self._cache:
            try:
                self._cache[key] = open_facts(self.svc.screen(profile))
            except ProfileError:  # cannot happen for a stored profile; ask everything rather than fail
                self._cache[key] = set(FACT_ORDER)
        return self._cache[key]

    def still_matters(self, profile: dict[str, Any], fact: str) -> bool:
        """Could the answer to `fact` change a result (whether or not it is answered now)?"""
        without = {k: v for k, v in profile.items() if k != fact}
        return fact in self.open(without)


def page_facts(screener: Screener, profile: dict[str, Any], asked: list[str], step: str) -> list[str]:
    """The questions of `step` for this applicant: on the first and the last step all of them; elsewhere
    those not asked yet that can change a result, and those answered before that still can (a step seen
    again, or opened from a 「回答する」 link of the results). Empty: the step has nothing to ask."""
    group = GROUP_BY_STEP[step]
    if step in (FIRST.step, FINAL):
        return [q.fact for q in group.questions]
    done = set(asked)
    opened = screener.open(profile)
    return [q.fact for q in group.questions
            if (q.fact not in done and q.fact in opened) or (q.fact in done and screener.still_matters(profile, q.fact))]


def next_step(screener: Screener, profile: dict[str, Any], asked: list[str], step: str) -> str:
    """The step after `step`: the next one in order with questions; then an earlier one with a question
    that was never asked (an answer made it matter); then the last step."""
    later = STEPS[STEPS.index(step) + 1:] if step in STEPS else STEPS
    for s in later:
        if s != FINAL and page_facts(screener, profile, asked, s):
            return s
    done = set(asked)
    opened = screener.open(profile)
    for f in FACT_ORDER:
        if f in opened and f not in done and GROUP_OF[f] != FINAL:
            return GROUP_OF[f]
    return FINAL


def previous_step(screener: Screener, profile: dict[str, Any], asked: list[str], history: list[str], step: str) -> str:
    """The step 「戻る」 goes to: the one seen before `step`, else the nearest earlier step with questions."""
    if step in history and history.index(step) > 0:
        return history[history.index(step) - 1]
    earlier = STEPS[:STEPS.index(step)] if step in STEPS else []
    for s in reversed(earlier):
        if page_facts(screener, profile, asked, s):
            return s
    return FIRST.step


def step_of(fact: str) -> str | None:
    """The step that asks `fact` (or a detail of it), None when no question asks it."""
    return GROUP_OF.get(_root(fact))


def remaining(screener: Screener, profile: dict[str, Any], asked: list[str], step: str) -> tuple[int, int]:
    """(questions answered, questions left including this step): an estimate, as answers change what matters."""
    here = set(page_facts(screener, profile, asked, step))
    later = {f for s in STEPS[STEPS.index(step) + 1:] for f in GROUP_FACTS[s]}
    # Answered facts of later steps that still matter, in one screening without all of them (an estimate).
    answered = later & set(asked)
    without = {k: v for k, v in profile.items() if k not in answered}
    ahead = answered & screener.open(without) if answered else set()
    opened = screener.open(profile)
    never = {f for f in FACT_ORDER if f in opened and f not in set(asked) and GROUP_OF[f] != FINAL}
    left_before_final = (here | ahead | never) - set(FINAL_FACTS)
    left = len(left_before_final) + len(FINAL_FACTS)
    done = len(set(asked) - left_before_final - set(FINAL_FACTS))
    return done, left


def new_progress() -> dict[str, Any]:
    """The progress of a new draft: on the first step, nothing asked yet. `history` is the steps seen, in
    order (「戻る」 goes back along it); `asked` the facts asked; `unknown` those answered 「わからない」."""
    return {"history": [FIRST.step], "asked": [], "unknown": []}
