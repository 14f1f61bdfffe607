"""gBizINFO for the console's case screens: a 法人番号's prefill, and the provenance of a new case's prefilled values."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from app.companies.client import GbizError
from app.companies.mapping import to_prefill
from app.companies.prefill import profile_values
from app.companies.wiring import Companies
from app.console import cases as C
from app.console.deps import Staff
from app.console.layout import console_lang
from app.intake.normalize import NormalizeError, parse_corporate_number
from app.services import Services
from app.store.console import Case, CaseEvent

NOT_FOUND = ("gBizINFOにこの法人番号の会社が見つかりません。番号を確認してください",
             "gBizINFO has no company with this corporate number; check it")


def fetch_prefill(svc: Services, companies: Companies, number: str, lang: str) -> dict[str, Any] | None:
    """The prefill of `number` (None: unknown company). Raises GbizError."""
    lookup = companies.lookup()
    if not lookup.client.configured:
        raise GbizError("no_token")
    record, _ = lookup.record(number)
    if record is None:
        return None
    return to_prefill(number, record, set(svc.catalog.programs), lang)


def record_new_case_prefill(request: Request, svc: Services, companies: Companies, db: Any, ctx: Staff,
                            case: Case, number_text: str) -> None:
    """After a case is made from a prefilled form: the provenance of the values that are still gBizINFO's
    (the advisor may have changed some) as a `prefill` event and an audit row; nothing when it cannot be told."""
    try:
        number = parse_corporate_number(number_text)
        prefill = fetch_prefill(svc, companies, number, console_lang(request))
    except (NormalizeError, GbizError):
        return
    if prefill is None:
        return
    values = profile_values(prefill, accept_suggestions=True)
    kept = {name: {"value": value, "provenance": (prefill["facts"].get(name) or {}).get("provenance")
                   or (prefill.get("source") or {}).get("provenance"), "confirmed": True}
            for name, value in values.items() if case.profile.get(name) == value}
    if not kept:
        return
    source = prefill.get("source") or {}
    db.add(CaseEvent(case_id=case.id, user_id=ctx.user.id, desk_id=ctx.desk.id, kind="prefill",
                     detail=C._plain({"corporate_number": number, "source": source, "fields": kept})))
    C.audit(db, ctx.actor, "update", case.id, prefill="gBizINFO", corporate_number=number,
            source=source.get("provenance"), fields=sorted(kept))
    db.commit()


