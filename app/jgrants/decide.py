"""What a sync does with one call (pure, no I/O): publish its rounds, or propose drafts for review.

Dates, status and source of a round of a known program and area are facts: published at once. Anything
that would change a rule or money becomes a draft (issue 12 item 4): a call the classifier cannot place,
a program the catalog does not have, a `subsidy_max_limit` or `subsidy_rate` that differs from the
catalog's value for that program, or a round whose window cannot be read. "Not set" (limit 0 / null,
no rate) is no difference. A money draft does not hold back the round's dates: they are still facts.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from app.jgrants.classify import Placed, Placement, Unplaced, Unrelated, round_marker, round_names
from app.jgrants.parse import JST, Call, CallRound, parse_rates
from app.jgrants.places import PREFECTURE_EN, Operator, operator_in
from app.jgrants.rounds import SyncedRound
from programs.schema import Program, parse_fraction

# Steps that come first (DOMAIN.md 7.1, 7.4). Tokyo's 助成 all require a 公社知財相談 before applying.
TOKYO_CONSULTATION = ("東京都知的財産総合センターの知財相談（公社知財相談）を申請の前に受ける",
                      "A consultation at the Tokyo Intellectual Property Center (公社知財相談) before applying")
# A call whose text asks for a 事前申込 (愛知県: 7/1–7/31 before the 申請書) says so on the round.
PRE_REGISTRATION = ("事前申込（申請書の提出より前。期間は公募要領で確認）",
                    "Pre-registration (事前申込) before the application form; see the call for its period")


@dataclass(frozen=True)
class DraftProposal:
    kind: str  # unplaced / new_program / money / dates
    round_key: str
    program_id: str | None
    area: str | None
    reason: str
    proposed: dict[str, Any]

    def content_hash(self, jgrants_id: str) -> str:
        """Same call, same proposal → same hash: a second sync does not add the draft again."""
        doc = {"id": jgrants_id, "kind": self.kind, "key": self.round_key, "program": self.program_id,
               "area": self.area, "proposed": self.proposed}
        return hashlib.sha256(json.dumps(doc, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


@dataclass
class Decision:
    rounds: list[SyncedRound] = field(default_factory=list)
    drafts: list[DraftProposal] = field(default_factory=list)
    ignored: bool = False


def call_summary(call: Call) -> dict[str, Any]:
    """What jGrants said, in JSON, for a draft's reviewer."""
    return {
        "jgrants_id": call.id, "number": call.number, "title": call.title, "areas": call.areas,
        "opens_at": call.opens_at.isoformat() if call.opens_at else None,
        "closes_at": call.closes_at.isoformat() if call.closes_at else None,
        "subsidy_max_limit": call.max_limit, "subsidy_rate": call.rate_text,
        "rounds": [{"key": r.key, "name": r.name, "areas": list(r.areas),
                    "opens_at": r.opens_at.isoformat() if r.opens_at else None,
                    "closes_at": r.closes_at.isoformat() if r.closes_at else None} for r in call.workflow],
        "page": call.portal_url,
    }


def _values(program: Program, when: dt.date, names: Any) -> list[Any]:
    out = []
    for name, param in program.benefit.parameters.items():
        if not names(name):
            continue
        dv = param.at(when) or param.values[max(param.values)]
        out.append(dv.value)
    return out


def catalog_caps(program: Program, when: dt.date) -> set[int]:
    """Every yen cap the catalog gives the program on `when` (company_cap, case_caps, any *_cap)."""
    caps: set[int] = set()
    for value in _values(program, when, lambda n: n.endswith(("cap", "caps"))):
        for v in (value.values() if isinstance(value, dict) else [value]):
            if isinstance(v, int) and not isinstance(v, bool):
                caps.add(v)
    return caps


def catalog_rates(program: Program, when: dt.date) -> set[Fraction]:
    """Every rate the catalog gives the program on `when` (rate, rate_new, rate_renewal …)."""
    rates: set[Fraction] = set()
    for value in _values(program, when, lambda n: n == "rate" or n.startswith("rate_")):
        try:
            rates.add(parse_fraction(value))
        except ValueError:
            continue
    return rates


def money_changes(call: Call, program: Program, when: dt.date) -> list[dict[str, Any]]:
    """The money fields of the call that differ from the catalog (empty: nothing to review)."""
    changes: list[dict[str, Any]] = []
    caps = catalog_caps(program, when)
    if call.max_limit is not None and call.max_limit not in caps:
        changes.append({"field": "subsidy_max_limit", "jgrants": call.max_limit, "catalog": sorted(caps)})
    found, readable = parse_rates(call.rate_text)
    rates = catalog_rates(program, when)
    if not readable:
        changes.append({"field": "subsidy_rate", "jgrants": call.rate_text, "catalog": sorted(map(str, rates)),
                        "note": "the rate text could not be read as a fraction or percentage"})
    elif found and not found <= rates:
        changes.append({"field": "subsidy_rate", "jgrants": call.rate_text, "catalog": sorted(map(str, rates))})
    return changes


def _operator(call: Call, placed: Placed) -> tuple[str, str, str]:
    """(ja, en, url) of who runs the round: named in the title, the catch phrase, or the area itself."""
    op: Operator | None = placed.operator or operator_in(call.catch_phrase or "") or operator_in(call.institution or "")
    if op is not None and op.prefecture == placed.area:  # INPIT named in a prefecture's call does not run it
        return op.ja, op.en, op.url or call.portal_url
    if placed.area in PREFECTURE_EN:
        return placed.area, PREFECTURE_EN[placed.area], call.portal_url
    return placed.area, placed.area, call.portal_url


def _prerequisites(call: Call, placed: Placed) -> tuple[tuple[str, str], ...]:
    out = []
    if placed.program_id.startswith("tokyo_"):
        out.append(TOKYO_CONSULTATION)
    if "事前申込" in call.text or "事前申し込み" in call.text:
        out.append(PRE_REGISTRATION)
    return tuple(out)


def _windows(call: Call) -> list[CallRound]:
    if call.workflow:
        return call.workflow
    return [CallRound("", None, tuple(call.areas), call.opens_at, call.closes_at)]


def candidate_rounds(call: Call, placed: Placed, today: dt.date,
                     now: dt.datetime | None = None) -> tuple[list[SyncedRound], list[tuple[str, str]]]:
    """The call's rounds, and (key, reason) of each round whose window cannot be read."""
    ja_op, en_op, url = _operator(call, placed)
    prereq = _prerequisites(call, placed)
    rounds, bad = [], []
    for w in _windows(call):
        # One round per call keeps the call's id as key, whether v2 (one workflow entry) or v1 told it;
        # only a call with several workflow rounds has keys id#workflow-id.
        key = f"{call.id}#{w.key}" if w.key and len(call.workflow) > 1 else call.id
        if w.name:
            marker = round_marker(w.name)
            name_ja, name_en = round_names(placed.fiscal_year, marker or (w.name, w.name))
        else:
            name_ja, name_en = placed.round_ja, placed.round_en
        if w.opens_at is None or w.closes_at is None:
            bad.append((key, "受付期間（開始・終了日時）を読めません / the window's start or end cannot be read"))
            continue
        if w.closes_at <= w.opens_at:
            bad.append((key, "受付終了が開始より前です / the window closes before it opens"))
            continue
        rounds.append(SyncedRound(
            key=key, jgrants_id=call.id, program_id=placed.program_id, fiscal_year=placed.fiscal_year,
            area=placed.area, name_ja=name_ja, name_en=name_en, operator_ja=ja_op, operator_en=en_op,
            operator_url=url, opens_at=w.opens_at, closes_at=w.closes_at,
            source_title=f"出典: Jグランツ「{call.title}」", source_href=call.portal_url, checked_at=today,
            api_url=call.api_url, prerequisites=prereq, reception=call.reception,
            fetched_at=now or dt.datetime.now(dt.UTC),
        ))
    return rounds, bad


def _json_round(r: SyncedRound) -> dict[str, Any]:
    d = r.to_round_dict()
    return {**d, "opens_at": d["opens_at"].isoformat(), "closes_at": d["closes_at"].isoformat(),
            "checked_at": None}  # the day is left out: the same proposal on another day is the same draft


# Drafts are for calls a desk may still act on: a call that closed more than this long ago (the list with
# acceptance=0 returns every past year) proposes nothing; its rounds of known programs are still kept as
# history (they give the "例年5月頃" prediction).
DRAFT_HORIZON = dt.timedelta(days=400)


def _stale(call: Call, now: dt.datetime) -> bool:
    ends = [w.closes_at for w in _windows(call) if w.closes_at is not None]
    return bool(ends) and max(ends) < now - DRAFT_HORIZON


def decide(call: Call, placement: Placement, programs: Mapping[str, Program], today: dt.date,
           now: dt.datetime | None = None) -> Decision:
    """Publish the call's rounds, propose drafts, or ignore it (not about IP)."""
    out = _decide(call, placement, programs, today, now)
    if out.drafts and _stale(call, now or dt.datetime.now(dt.UTC)):
        out.drafts = []
    return out


def _decide(call: Call, placement: Placement, programs: Mapping[str, Program], today: dt.date,
            now: dt.datetime | None) -> Decision:
    out = Decision()
    if isinstance(placement, Unrelated):
        out.ignored = True
        return out
    summary = call_summary(call)
    if isinstance(placement, Unplaced):
        out.drafts.append(DraftProposal("unplaced", call.id, None, None, placement.reason_ja,
                                        {"call": summary, "classifier": placement.reason_en}))
        return out
    rounds, bad = candidate_rounds(call, placement, today, now)
    program = programs.get(placement.program_id)
    if program is None:
        out.drafts.append(DraftProposal(
            "new_program", call.id, placement.program_id, placement.area,
            f"カタログにない制度です（{placement.program_id}） / a program the catalog does not have",
            {"call": summary, "rounds": [_json_round(r) for r in rounds]}))
        return out
    when = min((r.opens_at for r in rounds), default=None)
    changes = money_changes(call, program, when.astimezone(JST).date() if when else today)
    if changes:
        fields = "・".join(c["field"] for c in changes)
        # Without the dates: a call whose window moves but whose money stays is the same proposal.
        money_call = {k: summary[k] for k in ("jgrants_id", "number", "title", "subsidy_max_limit",
                                              "subsidy_rate", "page")}
        out.drafts.append(DraftProposal(
            "money", call.id, placement.program_id, placement.area,
            f"金額・補助率がカタログと違います（{fields}） / money differs from the catalog",
            {"call": money_call, "changes": changes}))
    for key, reason in bad:
        out.drafts.append(DraftProposal("dates", key, placement.program_id, placement.area, reason,
                                        {"call": summary}))
    out.rounds = rounds
    return out
