"""A screening's stored row built without the json round trip and without the pydantic model for plainly valid
fields (app/store/db.py `screening_row`) is the row the slow path built: the same small fields, the same JSON
bytes of the facts once decompressed."""

from __future__ import annotations

import datetime as dt
import zlib
from typing import Any

import orjson
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from pydantic import ValidationError

from app.store.db import Store, _small_fields, make_engine
from app.store.screenings import ScreeningCreate, decode_facts, encode_facts
from eligibility.outcome import WINDOW_KEYS, _criteria, _numbers, outcome_of
from eligibility.profile import ProfileError, parse_profile
from tests.support.paths import SHARED, case_checker
from tests.test_properties import paid_profiles, profiles

SAMPLE = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
CASES = sorted((SHARED / "cases").glob("*.yaml"))


@pytest.fixture(scope="module")
def store() -> Store:
    return Store(make_engine("sqlite://"))


def _slow_row(store: Store, profile: Any, screening: Any, source: str = "api", lang: str = "ja",
              case_id: str | None = None) -> tuple[dict[str, Any], bytes]:
    """What `screening_row` wrote before (the model's dump; the facts through json, at level 9)."""
    small = ScreeningCreate(as_of=screening.as_of, catalog_version=screening.catalog_version,
                            model_version=screening.model_version, lang=lang, profile=store._json(profile),
                            source=source, case_id=case_id).model_dump(exclude={"result"})  # type: ignore[arg-type]
    return small, encode_facts(store._json(outcome_of(screening)))


def _outcome_as_rendered(screening: Any) -> None:
    """`outcome_of`'s per-program window, estimate and criteria are what the rendered result says (the
    window's and the estimate's `as_dict`, the traces), read without rendering their texts."""
    got = outcome_of(screening)["programs"]
    for p, r in zip(got, screening.results, strict=True):
        assert p["window"] == ({k: r.window.as_dict("ja").get(k) for k in WINDOW_KEYS} if r.window else None)
        assert p["estimate"] == (_numbers(r.estimate.as_dict()) if r.estimate else None)
    for p, r in zip(got, screening.results, strict=True):
        assert p["criteria"] == _criteria(r.reasons)


def _same_row(store: Store, engine: Any, scorer: Any, profile: dict[str, Any]) -> None:
    try:
        parse_profile(profile)
    except ProfileError:
        return
    _outcome_as_rendered(scorer.rank(engine.screen(profile)))
    for pg in (False, True):
        store._pg = pg
        try:
            for source, lang, case_id in (("api", "ja", None), ("batch", "en", "case-1")):
                s = scorer.rank(engine.screen(profile))
                row = store.screening_row(profile, s, source=source, lang=lang, case_id=case_id)
                small, facts = _slow_row(store, profile, s, source, lang, case_id)
                assert {k: row[k] for k in small} == small
                assert set(row) == {*small, "facts", "id", "created_at", "ranking_log"}
                assert zlib.decompress(row["facts"]) == zlib.decompress(facts)  # the same JSON bytes
                assert decode_facts(row["facts"]) == decode_facts(facts)
        finally:
            store._pg = False


@SAMPLE
@given(profiles())
def test_row_equals_the_slow_path(store, engine, scorer, profile):
    _same_row(store, engine, scorer, profile)


@SAMPLE
@given(paid_profiles())
def test_row_equals_the_slow_path_paid(store, engine, scorer, profile):
    _same_row(store, engine, scorer, profile)


@pytest.mark.skipif(not CASES, reason="../shared/cases not present")
@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_row_shared_case(path, store, engine, scorer):
    _same_row(store, engine, scorer,
              case_checker().to_json_ready(yaml.safe_load(path.read_text(encoding="utf-8"))["profile"]))


def test_facts_with_nul_for_postgresql(store):
    outcome = {"a": "x\x00y", "b": ["\\u0000", 1.5, None], "d": dt.date(2026, 4, 1)}
    try:
        for pg in (False, True):
            store._pg = pg
            assert zlib.decompress(store._facts(outcome)) == orjson.dumps(store._json(outcome))
    finally:
        store._pg = False
    assert decode_facts(store._facts(outcome)) == {"a": "x\x00y", "b": ["\\u0000", 1.5, None], "d": "2026-04-01"}


def test_small_fields_only_when_plainly_valid(store, engine):
    s = engine.screen({"as_of": "2025-09-01", "applicant_type": "corporation"})
    args = dict(as_of=s.as_of, catalog_version=s.catalog_version, model_version=None, lang="ja",
                profile={"a": 1}, source="web", case_id="c")
    assert _small_fields(**args) == ScreeningCreate(**args).model_dump(exclude={"result"})  # type: ignore[arg-type]
    for bad in ({"catalog_version": "v" * 65}, {"lang": "x" * 9}, {"source": "mail"}, {"case_id": "c" * 65},
                {"model_version": 3}, {"as_of": "2025-09-01"}, {"profile": {1: 2}}):
        assert _small_fields(**{**args, **bad}) is None
    with pytest.raises(ValidationError):  # the model still refuses what is wrong
        store.screening_row({"a": 1}, s, source="mail")


def test_rows_compressed_at_any_level_read_back(store, engine, scorer):
    s = scorer.rank(engine.screen({"as_of": "2025-09-01", "applicant_type": "corporation"}))
    row = store.screening_row({"as_of": "2025-09-01"}, s)
    facts = decode_facts(row["facts"])
    assert facts == decode_facts(zlib.compress(orjson.dumps(facts), 9)) == decode_facts(zlib.compress(
        orjson.dumps(facts), 1))
    assert len(row["facts"]) < 4096
