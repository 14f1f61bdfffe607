"""The glossary (programs/glossary.yaml) as data: terms explained in both languages, each with its source."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import Field, field_validator, model_validator

from programs.schema import ID_RE, Reference, Strict, Text

GLOSSARY_FILE = Path(__file__).resolve().parent / "glossary.yaml"


class Term(Strict):
    id: str
    term: Text
    text: Text
    source: Reference

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        if not ID_RE.match(v):
            raise ValueError(f"term id must be snake_case ascii, not {v!r}")
        return v


class Glossary(Strict):
    version: int
    terms: list[Term] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> Glossary:
        seen: set[str] = set()
        for t in self.terms:
            if t.id in seen:
                raise ValueError(f"duplicate term id {t.id!r}")
            seen.add(t.id)
        return self


def read_glossary(path: Path = GLOSSARY_FILE) -> Glossary:
    """Read and validate a glossary file (raises pydantic.ValidationError or yaml.YAMLError)."""
    with path.open(encoding="utf-8") as f:
        return Glossary.model_validate(yaml.safe_load(f))


@lru_cache(maxsize=1)
def load_glossary() -> Glossary:
    """programs/glossary.yaml, read once."""
    return read_glossary()
