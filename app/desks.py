"""相談窓口 (desks) as data: `programs/desks.yaml`, validated, and looked up by id or prefecture.

Pure: reads one YAML file, no database. The advisor console seeds its desk table from the same file.

>>> [d.kind for d in desks_for("東京都")]
['inpit_desk', 'yorozu', 'chamber']
>>> get_desk("inpit-osaka").name.ja
'大阪府 知財総合支援窓口'
>>> desks_for(None)
[]
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from eligibility.facts import PREFECTURES

DESKS_FILE = Path(__file__).resolve().parents[1] / "programs" / "desks.yaml"

DeskKind = Literal["inpit_desk", "yorozu", "chamber"]
KIND_ORDER: dict[str, int] = {"inpit_desk": 0, "yorozu": 1, "chamber": 2}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DeskName(_Strict):
    ja: str = Field(min_length=1, max_length=100)
    en: str = Field(min_length=1, max_length=150)


class Desk(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,63}$")
    kind: DeskKind
    prefecture: str
    name: DeskName
    phone: str | None = Field(default=None, pattern=r"^[0-9+()\- ]{6,20}$")
    url: str | None = Field(default=None, pattern=r"^https://")
    address: str | None = None
    email: str | None = None

    @field_validator("prefecture")
    @classmethod
    def _prefecture(cls, v: str) -> str:
        if v not in PREFECTURES:
            raise ValueError(f"not one of the 47 prefectures: {v!r}")
        return v

    def label(self, lang: str = "ja") -> str:
        return self.name.ja if lang == "ja" else self.name.en


class DeskFile(_Strict):
    version: int
    desks: list[Desk]

    @model_validator(mode="after")
    def _complete(self) -> DeskFile:
        seen: set[str] = set()
        for d in self.desks:
            if d.id in seen:
                raise ValueError(f"duplicate desk id {d.id!r}")
            seen.add(d.id)
        for pref in PREFECTURES:
            kinds = {d.kind for d in self.desks if d.prefecture == pref}
            for need in ("inpit_desk", "yorozu"):
                if need not in kinds:
                    raise ValueError(f"{pref}: no {need} desk")
        return self


def load_desks(path: Path = DESKS_FILE) -> DeskFile:
    """Read and validate a desks file (raises pydantic.ValidationError or yaml.YAMLError)."""
    with path.open(encoding="utf-8") as f:
        return DeskFile.model_validate(yaml.safe_load(f))


@lru_cache(maxsize=1)
def _default() -> tuple[dict[str, Desk], tuple[Desk, ...]]:
    desks = load_desks().desks
    ordered = tuple(sorted(desks, key=lambda d: (PREFECTURES.index(d.prefecture), KIND_ORDER[d.kind], d.id)))
    return {d.id: d for d in desks}, ordered


def all_desks() -> tuple[Desk, ...]:
    """Every desk, by prefecture (official order), then INPIT desk, よろず支援拠点, chambers."""
    return _default()[1]


def get_desk(desk_id: str) -> Desk | None:
    return _default()[0].get(desk_id)


def desks_for(prefecture: str | None) -> list[Desk]:
    """The desks of one prefecture (INPIT desk first, then よろず支援拠点, then chambers); [] if unknown."""
    if not prefecture:
        return []
    return [d for d in all_desks() if d.prefecture == prefecture]
