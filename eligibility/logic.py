"""Three-valued (Kleene) logic: met / unmet / unknown, with the facts and missing facts behind each."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Outcome(StrEnum):
    MET = "met"
    UNMET = "unmet"
    UNKNOWN = "unknown"

    def negate(self) -> Outcome:
        return {Outcome.MET: Outcome.UNMET, Outcome.UNMET: Outcome.MET}.get(self, Outcome.UNKNOWN)


@dataclass
class Check:
    """The outcome of one test, why (ja/en), the facts it read and the facts it lacked."""

    outcome: Outcome
    detail_ja: str = ""
    detail_en: str = ""
    facts: dict[str, Any] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    cited: tuple[Any, ...] = ()  # the structured facts the words were built from (eligibility/wording.py Limit)


def any_of(outcomes: Iterable[Outcome]) -> Outcome:
    """Met when one is met, unmet when all are unmet.

    >>> any_of([Outcome.UNMET, Outcome.UNKNOWN]).value
    'unknown'
    >>> any_of([Outcome.UNKNOWN, Outcome.MET]).value
    'met'
    """
    seen_unknown = False
    for o in outcomes:
        if o is Outcome.MET:
            return Outcome.MET
        if o is Outcome.UNKNOWN:
            seen_unknown = True
    return Outcome.UNKNOWN if seen_unknown else Outcome.UNMET


def all_of(outcomes: Iterable[Outcome]) -> Outcome:
    """Unmet when one is unmet, met when all are met.

    >>> all_of([Outcome.MET, Outcome.UNKNOWN]).value
    'unknown'
    >>> all_of([Outcome.UNKNOWN, Outcome.UNMET]).value
    'unmet'
    """
    seen_unknown = False
    for o in outcomes:
        if o is Outcome.UNMET:
            return Outcome.UNMET
        if o is Outcome.UNKNOWN:
            seen_unknown = True
    return Outcome.UNKNOWN if seen_unknown else Outcome.MET


def tri(value: bool | None) -> Outcome:
    if value is None:
        return Outcome.UNKNOWN
    return Outcome.MET if value else Outcome.UNMET
