"""The prior's signals that read data, not the rules: who acts, needs in the description, no IP yet, windows."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

from eligibility.profile import Profile
from programs.schema import Program

NEEDS_FILE = Path(__file__).with_name("needs.yaml")
# A negation right after the pattern ("模倣品の被害はない", "外国出願の予定はありません", "模倣品なし") cancels
# it; "融資が思うように進まない" does not (the need is there).
_NEGATION = re.compile(r"^(.{0,4}(は|も)(ない|なし|無い|ありません)|なし|はしない|の予定はな)")


def nfkc(text: str) -> str:
    """Text normalised for matching and character n-grams.

    >>> nfkc("ＩＰランドスケープ　支援")
    'ipランドスケープ 支援'
    """
    return unicodedata.normalize("NFKC", text).lower()


@dataclass(frozen=True)
class DescriptionNeed:
    """A need the description can state, the programs it points to and the question that confirms it."""

    id: str
    patterns: tuple[str, ...]
    programs: tuple[str, ...]
    fact: str
    label_ja: str
    label_en: str
    question_ja: str
    question_en: str
    kind: str | None = None

    def stated_by(self, profile: Profile) -> bool:
        """The structured answer names this need, even with details unknown (a counterfeit dispute listed)."""
        if self.fact == "overseas_disputes":
            return any(d.kind == self.kind for d in profile.overseas_disputes or ())
        if self.fact == "litigation_insurance":
            return bool(profile.litigation_insurance)  # false: none planned
        if self.fact == "foreign_filings":
            return any(not f.already_filed for f in profile.foreign_filings or ())
        return False

    @cached_property
    def normalized(self) -> tuple[tuple[str, str], ...]:
        """Each pattern with its NFKC form (normalised once, not on every description)."""
        return tuple((pat, nfkc(pat)) for pat in self.patterns)

    def found_in(self, text: str) -> str | None:
        """The first pattern that occurs in `text` (already NFKC) without a negation right after it."""
        for pat, p in self.normalized:
            start = 0
            while (i := text.find(p, start)) >= 0:
                if not _NEGATION.match(text[i + len(p):]):
                    return pat
                start = i + 1
        return None


def load_needs(path: Path = NEEDS_FILE) -> tuple[DescriptionNeed, ...]:
    rows = yaml.safe_load(path.read_text(encoding="utf-8"))
    out = []
    for i, d in enumerate(rows):
        try:
            out.append(DescriptionNeed(
                d["id"], tuple(d["patterns"]), tuple(d["programs"]), d["fact"],
                d["label"]["ja"], d["label"]["en"], d["question"]["ja"], d["question"]["en"], d.get("kind")))
        except (KeyError, TypeError) as e:
            raise ValueError(f"{path.name}: [{i}]: missing or malformed field {e}") from e
    return tuple(out)


def needs_in_text(needs: tuple[DescriptionNeed, ...], text: str | None) -> dict[str, tuple[DescriptionNeed, str]]:
    """program id → (the need, the words found) for every need the description states."""
    if not text:
        return {}
    norm = nfkc(text)
    out: dict[str, tuple[DescriptionNeed, str]] = {}
    for need in needs:
        words = need.found_in(norm)
        if words:
            for pid in need.programs:
                out.setdefault(pid, (need, words))
    return out


def needs_stated(needs: tuple[DescriptionNeed, ...], profile: Profile) -> set[str]:
    """Program ids whose need the structured answers state (details may still be unknown)."""
    return {pid for need in needs if need.stated_by(profile) for pid in need.programs}


@dataclass(frozen=True)
class ActionPolicy:
    """Who acts on a program: classes with their factors, by catalog kind, with per-program overrides."""

    factors: dict[str, float]
    actionable: frozenset[str]
    by_kind: dict[str, str]
    programs: dict[str, Any]
    lifted: frozenset[str] = frozenset()
    lifting_interests: dict[str, frozenset[str]] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ActionPolicy:
        factors = {k: float(v) for k, v in d["classes"].items()}
        pol = cls(factors, frozenset(d["actionable"]), dict(d["by_kind"]), dict(d.get("programs") or {}),
                  frozenset(d.get("lifted_by_stated_need") or ()),
                  {k: frozenset(v) for k, v in (d.get("lifted_by_interest") or {}).items()})
        for where, value in [*(("by_kind." + k, v) for k, v in pol.by_kind.items()),
                             *(("programs." + k, v) for k, v in pol.programs.items())]:
            for c in ([value] if isinstance(value, str) else
                      [value.get("default"), *(value.get("by_applicant_type") or {}).values()]):
                if c not in factors:
                    raise ValueError(f"weights.yaml: action.{where}: unknown class {c!r}")
        return pol

    def class_of(self, program: Program, profile: Profile) -> str:
        over = self.programs.get(program.id)
        if isinstance(over, str):
            return over
        if isinstance(over, dict):
            by_type = over.get("by_applicant_type") or {}
            return str(by_type.get(profile.applicant_type or "", over["default"]))
        return self.by_kind.get(program.kind, "apply")

    def lifts(self, cls_: str, stated: bool, interests: Iterable[str]) -> bool:
        """A stated need, or the one interest the class serves, makes reading or templates the thing to do."""
        return cls_ in self.lifted and (stated or bool(self.lifting_interests.get(cls_, frozenset()) & set(interests)))

    def factor(self, cls_: str) -> float:
        return self.factors.get(cls_, 1.0)


def has_no_ip(profile: Profile) -> bool:
    """No Japanese application, no planned or made foreign filing, no patent or design in progress."""
    if profile.domestic_applications is None or profile.domestic_applications:
        return False
    if profile.foreign_filings:
        return False
    if profile.patent_exam_status not in (None, "none") or profile.design_application not in (None, "none"):
        return False
    return True


def window_status(result: Any) -> str | None:
    """The catalog's window of the applicant's area (another branch adds it to ProgramResult), or None."""
    w = getattr(result, "window", None)
    if w is None:
        return None
    status = getattr(w, "status", None)
    if status is None and isinstance(w, dict):
        status = w.get("status")
    return str(status) if status else None


def alternatives_of(result: Any, pairs: list[list[str]]) -> set[str]:
    """Programs that are alternatives for the same case (DOMAIN.md §7.3): the result's own and the data's."""
    pid = result.program_id
    out = set(getattr(result, "alternatives", ()) or ())
    for group in pairs:
        if pid in group:
            out |= {p for p in group if p != pid}
    return out
