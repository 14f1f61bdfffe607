"""Reasons as true sentences built from structured facts: a value held against its limit, the years since founding."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from eligibility.dates import elapsed
from eligibility.logic import Outcome
from eligibility.money import yen

# The words of the sentences (Japanese, English), kept together so that a test can read them.
WITHIN = ("以内です", "within")
OVER = ("を超えています", "over")


@dataclass(frozen=True)
class Limit:
    """A value held against an upper limit ("at most"), as a reason cites it.

    `limits` has one value, or several when the limit depends on an unanswered fact (the industry); `scope`
    names whose limit it is (「製造業の」, 「商業・サービス業の」), empty when there is one limit for all.
    """

    fact: str  # "employees" or "capital_yen"
    value: int | None
    limits: tuple[int, ...]
    scope: tuple[str, str] = ("", "")

    def holds(self) -> bool | None:
        """value ≤ limit: True, False, or None (value unknown, or the limits disagree)."""
        if self.value is None:
            return None
        if all(self.value <= lim for lim in self.limits):
            return True
        if all(self.value > lim for lim in self.limits):
            return False
        return None

    def outcome(self) -> Outcome:
        h = self.holds()
        return Outcome.UNKNOWN if h is None else Outcome.MET if h else Outcome.UNMET

    def _amount(self, v: int, lang: str) -> str:
        if self.fact == "employees":
            return f"{v:,}人" if lang == "ja" else f"{v:,}"
        return yen(v, lang)

    def _limit(self, lang: str) -> str:
        lo, hi = min(self.limits), max(self.limits)
        if lo == hi:
            return self._amount(lo, lang)
        return f"{self._amount(lo, lang)}〜{self._amount(hi, lang)}" if lang == "ja" else \
            f"{self._amount(lo, lang)}–{self._amount(hi, lang)}"

    def sentence(self, lang: str = "ja") -> str:
        """e.g. 「従業員8人は商業・サービス業の上限5人を超えています」 — true by construction (see holds)."""
        ja = lang == "ja"
        scope = self.scope[0] if ja else self.scope[1]
        what_ja, what_en = ("従業員", "employees") if self.fact == "employees" else ("資本金", "capital")
        h = self.holds()
        spread = len(set(self.limits)) > 1
        if self.value is None:
            if ja:
                return f"{'従業員数' if self.fact == 'employees' else '資本金'}が未回答です（{scope}上限{self._limit(lang)}）"
            return f"{what_en} not given (the {scope + ' ' if scope else ''}limit is {self._limit(lang)})"
        amount = self._amount(self.value, lang)
        if h is None:  # several limits, and the value is between them: the industry decides
            if ja:
                return f"{what_ja}{amount}：上限は業種により{self._limit(lang)}のため、業種がわかると判定できます"
            return f"{what_en} {amount}: the limit depends on the industry ({self._limit(lang)})"
        if ja:
            where = f"業種を問わず上限（{self._limit(lang)}）" if spread else f"{scope}上限{self._limit(lang)}"
            return f"{what_ja}{amount}は{where}{WITHIN[0] if h else OVER[0]}"
        if self.fact == "employees":
            subject = f"{amount} employee{'' if self.value == 1 else 's'}"
            verb = ("is" if self.value == 1 else "are") + (" within" if h else " over")
        else:
            subject, verb = f"capital of {amount}", f"is {WITHIN[1] if h else OVER[1]}"
        where = f"the limit of every industry ({self._limit(lang)})" if spread else \
            f"the {scope + ' ' if scope else ''}limit of {self._limit(lang)}"
        return f"{subject} {verb} {where}"


def founded_word(applicant_type: str | None, lang: str = "ja") -> str:
    """設立 for a company, 開業 for a sole proprietor (and 設立・開業 when the type is not known)."""
    if applicant_type == "sole_proprietor":
        return "開業" if lang == "ja" else "started business"
    if applicant_type is None:
        return "設立・開業" if lang == "ja" else "founded or started business"
    return "設立" if lang == "ja" else "founded"


def years_sentence(established_on: dt.date | None, as_of: dt.date, years: int, passed: bool | None,
                   applicant_type: str | None, lang: str = "ja") -> str:
    """「2020-04-01の設立から6年2か月で、10年を経過していません」; unknown reads as unknown."""
    word = founded_word(applicant_type, lang)
    if established_on is None or passed is None:
        return f"{word}日が未回答です" if lang == "ja" else f"the date the company was {word} is not given"
    y, m = elapsed(established_on, as_of)
    if lang == "ja":
        return (f"{established_on.isoformat()}の{word}から{y}年{m}か月で、"
                f"{years}年を{'経過しています' if passed else '経過していません'}")
    return (f"{word} on {established_on.isoformat()}: {y} years {m} months ago, "
            f"{'more' if passed else 'less'} than {years} years")


def join(sentences: list[str], lang: str = "ja") -> str:
    """Sentences as one text: 「…。…。」 or "…. …."."""
    parts = [s.rstrip("。.") for s in sentences if s]
    if not parts:
        return ""
    return "。".join(parts) + "。" if lang == "ja" else ". ".join(p[0].upper() + p[1:] for p in parts) + "."
