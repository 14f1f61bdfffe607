"""The API's default answer without the programs' texts: every contract field (shared/contract/README.md), the
texts from `GET /api/v1/programs/{id}` (cacheable per catalog version), or all of it with `?include=texts`.

Measured for pub-01: 140 KB with the texts, 24 KB without (bench/README.md; 5.5 KB of it the rules' source titles).
"""

from __future__ import annotations

from typing import Any

# Per program: texts that depend only on the program and the language (GET /api/v1/programs/{id}), and the
# long explanations that depend on the profile but are for people (the pages show them).
PROGRAM_TEXTS = frozenset({
    "name_ja", "name_en", "operator", "phases", "benefit", "description", "next_steps", "prepare", "apply_at",
    "application", "desk", "sources", "provisional_note", "alternatives_note", "advice", "recommendation",
    "signals",
})
# A rule's source is its title and public address, as in the contract's example (a person can open it without
# a second request); its missing facts are the program's `missing_facts`.
REASON_FIELDS = ("criterion", "outcome", "detail", "source", "source_url")
WINDOW_FIELDS = ("status", "opens_at", "closes_at", "area", "round", "source_title", "source_url", "checked_at",
                 "predicted")
ESTIMATE_TEXTS = frozenset({"formula", "formula_en", "explanation", "explanation_en"})
INCLUDES = frozenset({"texts"})
DECIDING = {"ineligible": "unmet", "needs_info": "unknown"}  # an eligible program lists every (met) rule


def _program(r: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in r.items() if k not in PROGRAM_TEXTS}
    reasons = list(r.get("reasons") or ())
    deciding = DECIDING.get(str(r.get("status")))
    if deciding:  # the rules that decided the status (an unmet one is enough); every rule with texts
        reasons = [t for t in reasons if t.get("outcome") == deciding]
    out["reasons"] = [{k: t.get(k) for k in REASON_FIELDS} for t in reasons]
    if isinstance(r.get("window"), dict):
        out["window"] = {k: r["window"].get(k) for k in WINDOW_FIELDS}
    if isinstance(r.get("estimate"), dict):
        out["estimate"] = {k: v for k, v in r["estimate"].items() if k not in ESTIMATE_TEXTS}
    return out


def slim(body: dict[str, Any]) -> dict[str, Any]:
    """A screening's `as_dict` without texts: per program the contract's fields, each top-level rule with its
    outcome, detail and source address — for a program not eligible the unmet or unknown ones, which decided it (the full trace,
    the program's texts and the definitions' details come with `?include=texts`)."""
    out = {k: v for k, v in body.items() if k not in ("results", "definition_details")}
    out["results"] = [_program(r) for r in body.get("results") or ()]
    return out
