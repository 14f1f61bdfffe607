"""What can still change a result: the facts to ask next, page by page (the adaptive questionnaire)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from app.intake.questions import FACT_ORDER, FINAL, FINAL_FACTS, FIRST, GROUP_BY_STEP, GROUP_OF
from app.services import Services
from eligibility.engine import Screening
from eligibility.profile import ProfileError


def open_facts(screening: Screening) -> set[str]:
    """Facts that can still change a result: missing facts of needs_info results, and of eligible
    results whose estimate is missing."""
    out: set[str] = set()
    for r in screening.results:
        if r.status == "needs_info" or (r.status == "eligible" and r.estimate is None):
            out.update(r.missing_facts)
    return out


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


def pending(screener: Screener, profile: dict[str, Any], asked: Iterable[str]) -> list[str]:
    """Open facts with a question (before the final page) that were not asked yet, in the questions' order."""
    opened = screener.open(profile)
    done = set(asked)
    return [f for f in FACT_ORDER if f in opened and f not in done and GROUP_OF[f] != FINAL]


def first_page() -> dict[str, Any]:
    return {"step": FIRST.step, "facts": [q.fact for q in FIRST.questions]}


def final_page() -> dict[str, Any]:
    return {"step": FINAL, "facts": list(FINAL_FACTS)}


def next_page(screener: Screener, profile: dict[str, Any], progress: dict[str, Any]) -> dict[str, Any]:
    """The page after the current one: a page left with 「戻る」 (kept to what still matters), else the
    first group with questions not asked yet, else the final page."""
    asked = progress["asked"]
    todo = pending(screener, profile, asked)
    forward: list[dict[str, Any]] = progress["forward"]
    while forward:
        entry = forward.pop()
        if entry["step"] == FINAL:
            return final_page()
        group = GROUP_BY_STEP[entry["step"]]
        facts = [q.fact for q in group.questions
                 if (q.fact in entry["facts"] and screener.still_matters(profile, q.fact)) or q.fact in todo]
        if facts:
            return {"step": group.step, "facts": facts}
    if todo:
        step = GROUP_OF[todo[0]]
        return {"step": step, "facts": [f for f in todo if GROUP_OF[f] == step]}
    return final_page()


def remaining(screener: Screener, profile: dict[str, Any], progress: dict[str, Any], page: dict[str, Any]) -> tuple[int, int]:
    """(questions answered, questions left including this page): an estimate, as answers change what matters."""
    here = set(page["facts"])
    ahead = {f for e in progress["forward"] for f in e["facts"]}
    left_before_final = (set(pending(screener, profile, progress["asked"])) | here | ahead) - set(FINAL_FACTS)
    left = len(left_before_final) + len(FINAL_FACTS)
    done = len(set(progress["asked"]) - here - ahead - set(FINAL_FACTS))
    return done, left


def new_progress() -> dict[str, Any]:
    """The progress of a new draft: on the first page, nothing asked yet."""
    return {"history": [first_page()], "forward": [], "asked": [], "unknown": []}
