"""A screening's language-neutral outcome (what is stored), and how a rebuilt screening is held against it.

No text: per program the status, rank, score, estimate numbers, missing facts, each criterion's outcome,
the window's status and dates, the alternatives and the ranking signals' numbers. The texts come from the
catalog version the screening was made with (app/web/stored.py).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from eligibility.compiled import CompiledResult, CompiledScreening
from eligibility.engine import ProgramResult, Screening, Trace
from eligibility.estimates import Estimate
from eligibility.windows import Window

FORMAT = 1
WINDOW_KEYS = ("status", "opens_at", "closes_at", "round", "predicted")


def _numbers(d: dict[str, Any] | None) -> dict[str, Any] | None:
    if d is None:
        return None
    return {k: v for k, v in d.items() if isinstance(v, int | float) and not isinstance(v, bool)}


# An estimate's fields but its texts (made when first read, eligibility/estimates.py): its numbers are
# `_numbers(estimate.as_dict())` without writing the texts only to drop them.
_ESTIMATE_FIELDS = tuple(f.name for f in dataclasses.fields(Estimate) if f.name != "texts")


def _estimate_numbers(e: Estimate) -> dict[str, Any] | None:
    return _numbers({k: getattr(e, k) for k in _ESTIMATE_FIELDS})


def _criteria(traces: list[Trace], prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for t in traces:
        key = prefix + t.criterion
        out[key] = t.outcome.value
        out.update(_criteria(t.children, key + "/"))
    return out


def _window(w: Window) -> dict[str, Any]:
    """`w.as_dict("ja")`'s WINDOW_KEYS, without the rest."""
    return {"status": w.status, "opens_at": w.opens_at.isoformat() if w.opens_at else None,
            "closes_at": w.closes_at.isoformat() if w.closes_at else None,
            "round": w.round.name.ja if w.round else None, "predicted": w.predicted}


def _program(r: ProgramResult) -> dict[str, Any]:
    return {
        "id": r.program_id,
        "status": r.status,
        "rank": r.rank,
        "score": round(r.score, 4),
        "estimate": _estimate_numbers(r.estimate) if r.estimate else None,
        "missing_facts": list(r.missing_facts),
        "criteria": r.criteria() if isinstance(r, CompiledResult) and r._reasons is None else _criteria(r.reasons),
        "window": _window(r.window) if r.window is not None else None,
        "alternatives": list(r.alternatives),
        "signals": [[s.get("signal"), s.get("value"), s.get("contribution")] for s in r.signals],
    }


def outcome_of(screening: Screening) -> dict[str, Any]:
    """The stored facts of a ranked screening (see the module's docstring)."""
    return {
        "format": FORMAT,
        "at": screening.at.isoformat() if screening.at else None,
        "model_version": screening.model_version,
        "phase": screening.phase.value,
        "definitions": screening.definition_outcomes() if isinstance(screening, CompiledScreening) else
        {k: c.outcome.value for k, c in screening.definitions.items()},
        "programs": [_program(r) for r in screening.results],
    }


def outcome_of_result(result: dict[str, Any]) -> dict[str, Any]:
    """The same facts read from a rendered result (a row stored before facts: `Screening.as_dict`)."""
    programs = []
    for r in result.get("results") or ():
        win = r.get("window")
        programs.append({
            "id": r.get("program_id"), "status": r.get("status"), "rank": r.get("rank"), "score": r.get("score"),
            "estimate": _numbers(r.get("estimate")), "missing_facts": list(r.get("missing_facts") or ()),
            "window": {k: win.get(k) for k in WINDOW_KEYS} if isinstance(win, dict) else None,
            "alternatives": list(r.get("alternatives") or ()),
        })
    return {"format": 0, "at": None, "model_version": result.get("model_version"),
            "definitions": dict(result.get("definitions") or {}), "programs": programs}


def differences(stored: dict[str, Any], fresh: dict[str, Any]) -> list[str]:
    """Programs whose status or estimate amount differ between the stored facts and a rebuilt screening."""
    old = {p["id"]: p for p in stored.get("programs") or ()}
    new = {p["id"]: p for p in fresh.get("programs") or ()}
    out = sorted(set(old) ^ set(new))
    for pid in sorted(set(old) & set(new)):
        a, b = old[pid], new[pid]
        amount = [(p.get("estimate") or {}).get("amount_yen") for p in (a, b)]
        if a.get("status") != b.get("status") or amount[0] != amount[1]:
            out.append(pid)
    return out


def overlay(screening: Screening, stored: dict[str, Any]) -> Screening:
    """The stored ranks, scores, model version and order on a rebuilt screening (the model may have changed)."""
    facts = {p["id"]: p for p in stored.get("programs") or ()}
    order = {pid: i for i, pid in enumerate(facts)}
    for r in screening.results:
        f = facts.get(r.program_id)
        if f is not None:
            r.rank = f.get("rank")
            r.score = float(f.get("score") or 0.0)
    screening.results.sort(key=lambda r: order.get(r.program_id, len(order)))
    if stored.get("model_version") is not None or stored.get("format"):
        screening.model_version = stored.get("model_version")
    return screening


def states_body(stored: dict[str, Any]) -> dict[str, Any]:
    """The stored facts shaped like a result's `results` (program_id, status, rank, estimate numbers): enough for
    readers that compare statuses and amounts (the console's case programs and its 「判定の変化」)."""
    return {"results": [{"program_id": p["id"], "status": p.get("status"), "rank": p.get("rank"),
                         "estimate": p.get("estimate")} for p in stored.get("programs") or ()]}
