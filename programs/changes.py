"""Reviewed changes to the catalog (a catalog editor approved them): a money parameter from a date, or a round.

Pure: `apply_changes(catalog, changes)` returns a new Catalog with the changes applied and a new version
(`<version>+c<digest>`); the changes are kept on the catalog (`Catalog.changes`, JSON, one batch per call) so that
programs/snapshot.py rebuilds the same version from the database. Values keep being keyed by date: a change
adds the value from `effective_from` on and leaves earlier values (and so earlier screenings) as they were.

    >>> from programs.loader import load_catalog
    >>> c = load_catalog()
    >>> ch = ParameterChange(program_id="foreign_filing_subsidy", parameter="company_cap",
    ...                      effective_from="2026-04-01", value=3500000,
    ...                      source={"title": "Jグランツ", "href": "https://www.jgrants-portal.go.jp/subsidy/x"})
    >>> new = apply_changes(c, [ch])
    >>> new.programs["foreign_filing_subsidy"].benefit.parameters["company_cap"].at(dt.date(2026, 5, 1)).value
    3500000
    >>> new.version.startswith(c.version + "+c"), c.programs is not new.programs
    (True, True)
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import replace
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from programs.loader import Catalog, CatalogError
from programs.rounds import Link, Round
from programs.schema import DatedValue, Parameter, Reference


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ParameterChange(_Strict):
    """A parameter's value from a date on (e.g. a company cap of 3,500,000 yen from 2026-04-01)."""

    kind: Literal["parameter"] = "parameter"
    program_id: str
    parameter: str = Field(description="benefit parameter name, e.g. company_cap, rate, case_caps")
    key: str | None = Field(default=None, description="for a mapping value (case_caps): the one key changed")
    effective_from: dt.date
    value: Any
    source: Link = Field(description="where the new value is published (the jGrants call)")


class RoundChange(_Strict):
    """A round a reviewer placed or dated (a call the sync could not place or whose window it could not read)."""

    kind: Literal["round"] = "round"
    program_id: str
    round: Round


Change = Annotated[ParameterChange | RoundChange, Field(discriminator="kind")]
CHANGE: TypeAdapter[ParameterChange | RoundChange] = TypeAdapter(Change)


def parse_change(raw: str | bytes | dict[str, Any]) -> ParameterChange | RoundChange:
    """A change from its JSON (as stored) or a dict; raises pydantic.ValidationError."""
    if isinstance(raw, dict):
        return CHANGE.validate_python(raw)
    return CHANGE.validate_json(raw)


def _param_value(change: ParameterChange, old: Parameter | None) -> Any:
    if change.key is None:
        return change.value
    if old is None:
        raise CatalogError([f"{change.program_id}: parameters.{change.parameter}: no such parameter to change a key of"])
    current = old.at(change.effective_from) or old.values[max(old.values)]
    if not isinstance(current.value, dict) or change.key not in current.value:
        raise CatalogError([f"{change.program_id}: parameters.{change.parameter}: no key {change.key!r}"])
    return {**current.value, change.key: change.value}


def _apply_parameter(programs: dict[str, Any], change: ParameterChange) -> None:
    program = programs.get(change.program_id)
    if program is None:
        raise CatalogError([f"changes: program_id: no program {change.program_id!r} in the catalog"])
    params = dict(program.benefit.parameters)
    old = params.get(change.parameter)
    if old is None and change.parameter not in program.benefit.parameters:
        # A new parameter may only be one the estimate reads; any other name is a typing mistake.
        raise CatalogError([f"{change.program_id}: parameters: no parameter {change.parameter!r}"])
    ref = Reference(doc=change.source.href, title=change.source.title, loc=None)
    dated = DatedValue(value=_param_value(change, old), reference=ref)
    values = {**(old.values if old else {}), change.effective_from: dated}
    params[change.parameter] = Parameter(description=old.description if old else None, values=values)
    benefit = program.benefit.model_copy(update={"parameters": params})
    try:
        benefit._params()  # the schema's own checks: a rate reads as a fraction, a cap is whole yen ≥ 0
    except ValueError as e:
        raise CatalogError([f"{change.program_id}: {e}"]) from None
    programs[change.program_id] = program.model_copy(update={"benefit": benefit})


def apply_changes(catalog: Catalog, changes: Iterable[ParameterChange | RoundChange]) -> Catalog:
    """A new catalog with `changes` applied in order (the catalog passed in is not modified).

    Raises CatalogError when a change names an unknown program or parameter or gives an invalid value.
    """
    changes = list(changes)
    if not changes:
        return catalog
    programs = dict(catalog.programs)
    rounds: list[tuple[str, Round]] = []
    digest = hashlib.sha256(catalog.version.encode())
    texts = []
    for ch in changes:
        if isinstance(ch, ParameterChange):
            _apply_parameter(programs, ch)
        else:
            if ch.program_id not in programs:
                raise CatalogError([f"changes: program_id: no program {ch.program_id!r} in the catalog"])
            rounds.append((ch.program_id, ch.round))
        raw = ch.model_dump_json()
        texts.append(raw)
        digest.update(raw.encode() + b"\0")
    out = replace(catalog, programs=programs)
    if rounds:  # the rounds merge as synced rounds do; recorded as changes, not as extra rounds
        out = replace(out.with_rounds(rounds), extra_rounds=catalog.extra_rounds)
    return replace(out, changes=(*catalog.changes, tuple(texts)),
                   version=f"{catalog.version}+c{digest.hexdigest()[:8]}")


def rebuild(catalog: Catalog, batches: Iterable[Iterable[str]]) -> Catalog:
    """`catalog` with the stored batches of changes applied again, one `apply_changes` call per batch."""
    for batch in batches:
        catalog = apply_changes(catalog, [parse_change(raw) for raw in batch])
    return catalog
