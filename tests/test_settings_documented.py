"""Every setting is documented: a description on its Field, and its environment variable in README.md or docs/
(like datasette's tests/test_docs.py)."""

from __future__ import annotations

import pytest

from app.config import Settings
from tests.support.paths import ROOT

DOCS = "\n".join(p.read_text(encoding="utf-8") for p in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))])


def env_name(field: str) -> str:
    alias = Settings.model_fields[field].validation_alias
    return alias if isinstance(alias, str) else f"{Settings.model_config.get('env_prefix', '')}{field}".upper()


@pytest.mark.parametrize("field", sorted(Settings.model_fields))
def test_every_setting_has_a_description(field: str) -> None:
    assert (Settings.model_fields[field].description or "").strip(), f"Settings.{field} needs Field(description=...)"


@pytest.mark.parametrize("field", sorted(Settings.model_fields))
def test_every_setting_is_in_the_documentation(field: str) -> None:
    assert f"`{env_name(field)}`" in DOCS, f"{env_name(field)} is not in README.md or docs/*.md"


def test_the_check_knows_the_names() -> None:
    assert env_name("database_url") == "DATABASE_URL" and env_name("max_batch") == "NAVI_MAX_BATCH"
