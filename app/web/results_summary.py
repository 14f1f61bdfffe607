"""The results page's summary and sections: what to do now, the programs grouped by the catalog's `group`, the glossary."""

from __future__ import annotations

from typing import Any

from app.desks import Desk
from programs.glossary import Term, load_glossary
from programs.loader import Catalog
from programs.schema import GROUPS

TODO_MAX = 3  # the things to do now at the top of the page
TODO_MIN = 2  # filled up with consultations, then programs to confirm, when fewer can be applied for


def group_of(p: dict[str, Any], catalog: Catalog) -> str:
    """The section of a result: its program's `group` in the catalog (programs/catalog/<id>.yaml).

    A stored screening may name a program the current catalog no longer has: then a program with an amount is
    listed with the subsidies, any other with the consultations (no guess that it needs no application).
    """
    prog = catalog.programs.get(str(p.get("program_id")))
    if prog is not None and prog.group is not None:
        return prog.group
    return "apply" if (p.get("estimate") or {}).get("amount_yen") is not None else "consult"


def grouped(ranked: list[dict[str, Any]], catalog: Catalog) -> list[dict[str, Any]]:
    """The ranked (eligible and needs_info) programs in the catalog's groups, apply → consult → info, each in
    rank order (the scorer's); empty groups are left out."""
    out = []
    for key in GROUPS:
        items = [p for p in ranked if group_of(p, catalog) == key]
        if items:
            out.append({"key": key, "programs": items})
    return out


def _closed(p: dict[str, Any]) -> bool:
    win = p.get("win")
    return win is not None and win.status == "closed"


def todo(ranked: list[dict[str, Any]], catalog: Catalog) -> list[dict[str, Any]]:
    """The two or three things to do now: eligible programs one applies for (a call that is not closed first,
    then rank), never two alternatives for one case (DOMAIN.md 7.3); fewer than two are filled up with eligible
    consultations, then with programs to apply for that need an answer first."""
    apply_ = [p for p in ranked if group_of(p, catalog) == "apply"]
    eligible = sorted((p for p in apply_ if p["status"] == "eligible"), key=_closed)  # stable: rank order kept
    consult = [p for p in ranked if group_of(p, catalog) == "consult" and p["status"] == "eligible"]
    unsure = [p for p in apply_ if p["status"] == "needs_info"]
    chosen: list[dict[str, Any]] = []
    for pool, limit in ((eligible, TODO_MAX), (consult, TODO_MIN), (unsure, TODO_MIN)):
        for p in pool:
            if len(chosen) >= limit:
                break
            if any(p["program_id"] in (c.get("alternatives") or ()) or c["program_id"] in (p.get("alternatives") or ())
                   for c in chosen):
                continue
            chosen.append(p)
    return chosen


def desk_of(p: dict[str, Any], local: list[Desk], lang: str) -> dict[str, Any]:
    """Who to call about a program: the applicant's prefecture desk of the program's kind (INPIT desk, よろず,
    chamber; with its phone) or the program's own desk; and the prefecture's INPIT desk for free help when the
    first has no phone number."""
    own = p.get("desk") or {}
    match = next((d for d in local if d.kind == own.get("kind")), None)
    inpit = next((d for d in local if d.kind == "inpit_desk"), None)
    if match is not None:
        first = {"name": match.label(lang), "url": match.url, "phone": match.phone}
    else:
        first = {"name": own.get("name") or p.get("apply_at") or "", "url": own.get("url"), "phone": None}
    help_ = None
    if not first["phone"] and (inpit is None or inpit is not match):
        help_ = {"name": inpit.label(lang), "phone": inpit.phone} if inpit is not None else {"name": None, "phone": None}
    return {**first, "help": help_}


def provisional_labels(p: dict[str, Any]) -> list[str]:
    """The labels of the top-level criteria that are, or contain, a provisional rule (【暫定ルール】)."""

    def any_provisional(t: dict[str, Any]) -> bool:
        return bool(t.get("provisional")) or any(any_provisional(c) for c in t.get("children") or ())

    return [str(t["label"]) for t in p.get("reasons") or () if t.get("label") and any_provisional(t)]


def todo_view(p: dict[str, Any], local: list[Desk], lang: str) -> dict[str, Any]:
    steps = list(p.get("next_steps") or ())
    return {"p": p, "desk": desk_of(p, local, lang), "step": steps[0] if steps else None}


def glossary(lang: str) -> list[tuple[str, str]]:
    """(term, explanation) of programs/glossary.yaml in `lang`."""
    terms: list[Term] = load_glossary().terms
    return [(t.term.ja if lang == "ja" else t.term.en, t.text.ja if lang == "ja" else t.text.en) for t in terms]
