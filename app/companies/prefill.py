"""What a prefill becomes: profile fields, questionnaire answers with their provenance, a case's "what would change".

Pure functions over the answer of `mapping.to_prefill`, for the questionnaire, the console and the API.
Suggestions (employees: not 常時使用する従業員; rights: registered, not necessarily the application of a planned
filing) are used only when `accept_suggestions` says the person confirmed them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eligibility.profile import Profile

AWARD_FIELDS = ("program_id", "fiscal_year", "amount_yen")


def profile_awards(prefill: dict[str, Any]) -> list[dict[str, Any]]:
    """The prefill's awards as contract `prior_awards` items (those with a 公募年度 and an amount)."""
    return [{k: a[k] for k in AWARD_FIELDS} for a in prefill.get("prior_awards") or ()
            if a.get("fiscal_year") is not None and a.get("amount_yen") is not None]


def profile_values(prefill: dict[str, Any], accept_suggestions: bool = False) -> dict[str, Any]:
    """Profile fields (contract names, JSON values) from a prefill; fields the Profile does not know are left out.

    >>> p = {"facts": {"capital_yen": {"value": 5}, "employees": {"value": 3, "suggestion": True}},
    ...      "prior_awards": [{"program_id": "x", "fiscal_year": 2026, "amount_yen": 1, "title": "t"}]}
    >>> profile_values(p)
    {'capital_yen': 5, 'prior_awards': [{'program_id': 'x', 'fiscal_year': 2026, 'amount_yen': 1}]}
    >>> profile_values(p, accept_suggestions=True)["employees"]
    3
    """
    out: dict[str, Any] = {}
    for name, fact in (prefill.get("facts") or {}).items():
        if name in Profile.model_fields and (accept_suggestions or not fact.get("suggestion")):
            out[name] = fact["value"]
    awards = profile_awards(prefill)
    if awards:
        out["prior_awards"] = awards
    return out


@dataclass(frozen=True)
class Answer:
    """One questionnaire answer filled from gBizINFO: shown as filled, editable, with its source."""

    field: str
    value: Any  # the profile value
    text: str  # what the form's input shows
    provenance: str  # 「gBizINFO（2026年7月1日更新）より」
    confirm: bool  # a suggestion: the person must confirm it
    note: str | None = None


def _text(value: Any) -> str:
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    return str(value)


def questionnaire_answers(prefill: dict[str, Any]) -> dict[str, Answer]:
    """The questionnaire's answers from a prefill (in the prefill's language), by profile field.

    >>> p = {"facts": {"employees": {"value": 18, "provenance": "gBizINFO（2026年7月1日更新）より",
    ...      "suggestion": True, "note": "確認"}}, "source": {"provenance": "gBizINFO（2026年7月1日更新）より"}}
    >>> a = questionnaire_answers(p)["employees"]
    >>> a.text, a.provenance, a.confirm
    ('18', 'gBizINFO（2026年7月1日更新）より', True)
    """
    out: dict[str, Answer] = {}
    for name, fact in (prefill.get("facts") or {}).items():
        if name not in Profile.model_fields:
            continue
        out[name] = Answer(name, fact["value"], _text(fact["value"]), fact.get("provenance") or "",
                           bool(fact.get("suggestion")), fact.get("note"))
    awards = profile_awards(prefill)
    if awards:
        source = (prefill.get("source") or {}).get("provenance") or ""
        out["prior_awards"] = Answer("prior_awards", awards, _text([a["program_id"] for a in awards]), source,
                                     True, prefill.get("prior_awards_note"))
    return out


@dataclass(frozen=True)
class Change:
    """One field of a case profile that the prefill would set: add (blank now), change, or same."""

    field: str
    action: str  # "add" | "change" | "same"
    current: Any
    proposed: Any
    provenance: str
    confirm: bool
    note: str | None = None


def _award_key(a: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(a.get(k) for k in AWARD_FIELDS)


def changes(profile: dict[str, Any], prefill: dict[str, Any]) -> list[Change]:
    """What accepting the prefill would change in a case's profile (the console's preview), field by field.

    Awards are added to the profile's list (one already there is not repeated): the proposed value is the
    merged list.

    >>> prefill = {"facts": {"capital_yen": {"value": 30000000, "provenance": "gBizINFOより"},
    ...                      "prefecture": {"value": "東京都", "provenance": "gBizINFOより"}}}
    >>> [(c.field, c.action, c.current, c.proposed) for c in changes({"capital_yen": 10000000}, prefill)]
    [('capital_yen', 'change', 10000000, 30000000), ('prefecture', 'add', None, '東京都')]
    """
    out: list[Change] = []
    for name, answer in questionnaire_answers(prefill).items():
        current = profile.get(name)
        proposed = answer.value
        if name == "prior_awards":
            have = list(current or [])
            keys = {_award_key(a) for a in have if isinstance(a, dict)}
            proposed = have + [a for a in answer.value if _award_key(a) not in keys]
        if current is None:
            action = "add"
        elif current == proposed:
            action = "same"
        else:
            action = "change"
        out.append(Change(name, action, current, proposed, answer.provenance, answer.confirm, answer.note))
    return out
