"""The questionnaire's optional 法人番号: gBizINFO's answers filled into a draft, each with its source (issue 13).

`apply_prefill(companies, svc, draft, text)` reads the number, asks gBizINFO (through the cached lookup of
app/companies), and fills the draft's BLANK answers (what the person typed is never overwritten); facts the
questionnaire has no question for (市区町村, prior awards) go into the profile directly. The provenance of
every filled value is kept in `draft.progress["prefill"]` (both languages), so the page shows
「gBizINFO（2026年7月1日更新）より」 next to each value as long as it is the value filled. gBizINFO unavailable,
no token or an unknown company is a notice: the questionnaire goes on without prefill.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from app.companies.client import GbizError
from app.companies.mapping import to_prefill
from app.companies.prefill import Answer, profile_awards, questionnaire_answers
from app.companies.wiring import Companies
from app.intake.answers import unknown_name
from app.intake.normalize import NormalizeError, parse_corporate_number
from app.intake.parsers import Msg
from app.intake.questions import QUESTION
from app.services import Services
from app.store.drafts import QuestionnaireDraft

log = logging.getLogger("navi.gbizinfo")

FIELD = "corporate_number"
M_BLANK: Msg = ("法人番号を入力してください。個人事業主には法人番号がないので、空欄のまま下の質問に答えてください",
                "Enter the corporate number. Sole proprietors have none: leave it blank and answer the questions below")
M_NOT_FOUND: Msg = ("gBizINFOにこの法人番号の会社が見つかりませんでした。番号を確認するか、下の質問にそのまま答えてください",
                    "gBizINFO has no company with this corporate number; check it or answer the questions below")
M_NOTHING: Msg = ("gBizINFOから入力できる項目はありませんでした（入力済みの回答は変えていません）",
                  "gBizINFO had nothing to fill in (answers you typed are not changed)")


@dataclass
class Outcome:
    """`error`: shown next to the field (a wrong number); `notice`: shown above the form (the page goes on)."""

    error: Msg | None = None
    notice: Msg | None = None
    filled: list[str] = field(default_factory=list)


def _blank(value: Any) -> bool:
    return value is None or value == "" or value == []


def _raw_value(fact: str, value: Any) -> Any:
    """The form input's value for a profile value (None: the question cannot show it)."""
    q = QUESTION.get(fact)
    if q is None:
        return None
    if q.kind == "checks":
        return [str(v) for v in value] if isinstance(value, list) else None
    if q.kind in ("text", "select", "radio"):
        return str(value)
    return None


def filled_fields(draft: QuestionnaireDraft) -> dict[str, dict[str, Any]]:
    """The draft's prefilled values by input name: {raw, provenance: {ja, en}, confirm, note: {ja, en}}."""
    info = (draft.progress or {}).get("prefill") or {}
    fields: dict[str, dict[str, Any]] = info.get("fields") or {}
    return fields


def source_of(draft: QuestionnaireDraft, name: str, raw: dict[str, Any], lang: str) -> dict[str, str] | None:
    """{provenance, note} for the input `name` while it still holds the value gBizINFO filled (else None)."""
    filled = filled_fields(draft).get(name)
    if filled is None or raw.get(name) != filled.get("raw"):
        return None  # edited by the person: the value is theirs now
    note = filled.get("note") or {}
    return {"provenance": filled["provenance"].get(lang) or filled["provenance"]["ja"],
            "note": (note.get(lang) or note.get("ja") or "") if filled.get("confirm") else ""}


def apply_prefill(companies: Companies, svc: Services, draft: QuestionnaireDraft, text: str) -> Outcome:
    """Fill the draft from gBizINFO (the draft is changed, not saved); `companies` and `svc` are the route's."""
    text = (text or "").strip()
    draft.answers = {**(draft.answers or {}), FIELD: text[:40]}
    if not text:
        return Outcome(error=M_BLANK)
    try:
        number = parse_corporate_number(text)
    except NormalizeError as e:
        return Outcome(error=(e.message_ja, e.message_en))
    lookup = companies.lookup()
    if not lookup.client.configured:
        problem = GbizError("no_token")
        return Outcome(notice=(problem.message("ja"), problem.message("en")))
    try:
        record, _ = lookup.record(number)
    except GbizError as e:
        log.warning("gBizINFO prefill of %s for the questionnaire failed: %s", number, e)
        return Outcome(notice=(e.message("ja"), e.message("en")))
    if record is None:
        return Outcome(notice=M_NOT_FOUND)
    known = set(svc.catalog.programs)
    ja, en = (questionnaire_answers(to_prefill(number, record, known, lang)) for lang in ("ja", "en"))
    prefill = to_prefill(number, record, known, "ja")
    return _fill(draft, number, prefill, ja, en)


DIRECT_LABELS: dict[str, Msg] = {"municipality": ("市区町村", "Municipality"),
                                 "prior_awards": ("受けた補助金（当サービスの制度に当たるもの）",
                                                  "Subsidies received (programs of this service)")}


def _labels(name: str) -> dict[str, str]:
    ja, en = DIRECT_LABELS.get(name, (name, name))
    return {"label_ja": ja, "label_en": en}


def _fill(draft: QuestionnaireDraft, number: str, prefill: dict[str, Any], ja: dict[str, Answer],
          en: dict[str, Answer]) -> Outcome:
    answers = dict(draft.answers)
    answers[FIELD] = number
    profile = dict(draft.profile or {})
    fields: dict[str, dict[str, Any]] = {}
    direct: dict[str, dict[str, str]] = {}
    for name, answer in ja.items():
        english = en.get(name, answer)
        source: dict[str, Any] = {"provenance": {"ja": answer.provenance, "en": english.provenance},
                  "confirm": answer.confirm, "note": {"ja": answer.note or "", "en": english.note or ""}}
        if name == "prior_awards":
            have = list(profile.get("prior_awards") or [])
            profile["prior_awards"] = have + [a for a in profile_awards(prefill) if a not in have]
            titles = "、".join(str(a.get("title")) for a in prefill.get("prior_awards") or ()
                              if a.get("fiscal_year") is not None and a.get("amount_yen") is not None)
            direct[name] = {"text": titles, **_labels(name), **source["provenance"]}
            continue
        raw = _raw_value(name, answer.value)
        if raw is None:
            if name not in profile:  # e.g. 市区町村: no question asks it, the profile takes it
                profile[name] = answer.value
                titles = "、".join(str(a.get("title")) for a in prefill.get("prior_awards") or ()
                              if a.get("fiscal_year") is not None and a.get("amount_yen") is not None)
            direct[name] = {"text": titles, **_labels(name), **source["provenance"]}
            continue
        if not _blank(answers.get(name)) or answers.get(unknown_name(name)):
            continue  # never overwrite what the person answered
        answers[name] = raw
        fields[name] = {"raw": raw, **source}
    draft.answers = answers
    draft.profile = profile
    draft.progress = {**(draft.progress or {}), "prefill": {
        "corporate_number": number, "name": prefill.get("name"), "source": prefill.get("source"),
        "fields": fields, "direct": direct}}
    if not fields and not direct:
        return Outcome(notice=M_NOTHING)
    return Outcome(filled=[*fields, *direct])
