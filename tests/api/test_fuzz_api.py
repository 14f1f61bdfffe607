"""Fuzzing of the JSON API from its own OpenAPI document (schemathesis, in process over ASGI) and with
arbitrary JSON bodies (hypothesis).

Bounded: at most `MAX_EXAMPLES` (40; NAVI_FUZZ_EXAMPLES=… for a longer run) generated requests per operation
and generation mode (schema-valid and schema-violating), no deadline, no example database; the file runs in
well under 90 s.

Checks: never a 5xx; status codes, content types and bodies as documented (the 4xx body is `ErrorBody`, a
stored screening `ScreeningPublic`); schema-violating requests are refused. Not checked: that every
schema-valid request is accepted — the profile has rules a JSON schema cannot express (`established_on`
after `as_of`, the largest holding above the combined one, `as_of` within 2000–2100, integers sent as 2.0
for strict integer fields), which are 422 by design (README, reading 11).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from app.companies.tests.fake_gbizinfo import TOKEN, FakeGbiz
from app.config import Settings
from app.factory import create_app

MAX_EXAMPLES = int(os.environ.get("NAVI_FUZZ_EXAMPLES", "40"))  # e.g. 2000 for a longer run by hand
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]

BOUNDED = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    database=None,  # no .hypothesis replay between runs: each run is bounded by max_examples alone
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large,
                           HealthCheck.function_scoped_fixture],
)


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    d: Path = tmp_path_factory.mktemp("fuzz")
    fake = FakeGbiz().start()  # GET /api/v1/companies/{n} asks a local fake gBizINFO (app/companies/tests)
    try:
        yield create_app(Settings(database_url=f"sqlite:///{d / 'fuzz.db'}", search_db=d / "search.db",
                                  seed_demo=False, gbizinfo_base_url=fake.url, gbizinfo_token=SecretStr(TOKEN)))
    finally:
        fake.stop()


@pytest.fixture(scope="module")
def api_schema(fuzz_app: FastAPI) -> Any:
    return schemathesis.openapi.from_asgi("/openapi.json", fuzz_app)


# (method, path, generation modes). A path parameter that is any string cannot be made schema-violating.
OPERATIONS = [
    ("POST", "/api/v1/screen", ("positive", "negative")),
    ("POST", "/api/v1/screen/batch", ("positive", "negative")),
    ("GET", "/api/v1/programs", ("positive", "negative")),
    ("GET", "/api/v1/programs/{program_id}", ("positive",)),
    ("GET", "/api/v1/screenings/{screening_id}", ("positive",)),
    ("GET", "/api/v1/companies/{corporate_number}", ("positive",)),
]


def test_the_fuzzed_operations_are_the_api(api_schema: Any) -> None:
    """Every /api/v1 operation of the document is fuzzed (a new or renamed one must be added above)."""
    ops = {(r.ok().method.upper(), r.ok().path) for r in api_schema.include(path_regex="^/api/").get_all_operations()}
    assert ops == {(m, p) for m, p, _ in OPERATIONS}


def test_the_profile_schema_is_self_contained(fuzz_app: FastAPI) -> None:
    """No `$ref` into components the document does not have (the profile's nested models are inlined), and
    the bounds of ratios are standard JSON Schema."""
    doc = fuzz_app.openapi()
    text = json.dumps(doc)
    components = set(doc.get("components", {}).get("schemas", {}))
    refs = {r.split('"')[0] for r in text.split('"$ref": "#/components/schemas/')[1:]}
    assert refs <= components, refs - components
    body = doc["paths"]["/api/v1/screen"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    ratio = body["properties"]["large_company_officer_ratio"]["anyOf"][0]
    assert (ratio["minimum"], ratio["maximum"]) == (0, 1) and "ge" not in ratio
    assert "東京都" in body["properties"]["prefecture"]["anyOf"][0]["enum"]


@pytest.mark.parametrize(("method", "path", "mode"), [(m, p, mode) for m, p, modes in OPERATIONS for mode in modes],
                         ids=lambda v: v if isinstance(v, str) else None)
def test_api_from_its_openapi_schema(api_schema: Any, method: str, path: str, mode: str) -> None:
    """Schema-valid or schema-violating requests: no 5xx, and answers as documented."""
    operation = api_schema[path][method]
    checks = list(CHECKS)
    # Batch rows are validated one by one: a schema-violating profile is a 422 *row* of a 200 answer.
    if path != "/api/v1/screen/batch":
        checks.append(negative_data_rejection)

    @BOUNDED
    @given(case=operation.as_strategy(GenerationMode(mode)))
    def run(case: Any) -> None:
        case.call_and_validate(checks=checks)

    run()


def test_stored_screening_and_program_conform(api_schema: Any) -> None:
    """The 200 answers that random ids never reach: a stored screening (`ScreeningPublic`) and a program."""
    screen = api_schema["/api/v1/screen"]["POST"]
    sid = screen.Case(body={"employees": 3, "as_of": "2025-09-01"}, media_type="application/json") \
        .call_and_validate(checks=CHECKS).json()["screening_id"]
    api_schema["/api/v1/screenings/{screening_id}"]["GET"].Case(path_parameters={"screening_id": sid}) \
        .call_and_validate(checks=CHECKS)
    api_schema["/api/v1/programs/{program_id}"]["GET"].Case(path_parameters={"program_id": "fee_reduction"}) \
        .call_and_validate(checks=CHECKS)


# ------------------------------------------------------------------ arbitrary JSON as the profile


def _finite_or_not() -> st.SearchStrategy[float]:
    return st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from([math.nan, math.inf, -math.inf, -0.0])


SCALARS = (st.none() | st.booleans() | st.integers() | st.integers(min_value=-(10**30), max_value=10**30)
           | _finite_or_not() | st.text(max_size=30))
FIELDS = st.sampled_from([
    "as_of", "applicant_type", "established_on", "employees", "capital_yen", "industry", "prefecture", "phase",
    "large_company_shareholding", "large_company_officer_ratio", "foreign_filings", "overseas_disputes",
    "litigation_insurance", "prior_awards", "interests", "description", "company_name", "largest", "combined",
    "right", "cost_yen", "program_id", "fiscal_year", "amount_yen",
]) | st.text(max_size=12)
JSON_LIKE = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(FIELDS, children, max_size=6),
    max_leaves=25,
)


@pytest.fixture(scope="module")
def client(fuzz_app: FastAPI) -> TestClient:
    return TestClient(fuzz_app, raise_server_exceptions=False)


def post_json(client: TestClient, path: str, body: Any) -> Any:
    """httpx refuses NaN and infinities; json.dumps writes them as NaN / Infinity, which the API must refuse."""
    return client.post(path, content=json.dumps(body).encode(), headers={"content-type": "application/json"})


@BOUNDED
@given(body=JSON_LIKE | st.dictionaries(FIELDS, JSON_LIKE, max_size=8))
def test_any_json_body_is_never_a_server_error(client: TestClient, body: Any) -> None:
    """Dicts, lists, strings, huge integers, NaN and ±inf (sent as the NaN/Infinity tokens Python writes)."""
    r = post_json(client, "/api/v1/screen", body)
    assert r.status_code < 500, (body, r.status_code, r.text[:300])
    assert r.status_code in (200, 400, 422), (body, r.status_code)
    assert "Traceback" not in r.text


@BOUNDED
@given(rows=st.lists(JSON_LIKE, max_size=4), extra=st.dictionaries(st.text(max_size=8), JSON_LIKE, max_size=2))
def test_any_json_rows_in_a_batch_are_never_a_server_error(client: TestClient, rows: list[Any],
                                                          extra: dict[str, Any]) -> None:
    body = {**extra, "profiles": rows}
    r = post_json(client, "/api/v1/screen/batch", body)
    assert r.status_code < 500, (body, r.status_code, r.text[:300])
    if set(body) != {"profiles"}:  # an unknown top-level key is refused, like an unknown profile field
        assert r.status_code == 422, (body, r.text[:300])
    elif r.status_code == 200:  # bad rows are 422 rows of the answer
        assert [x["index"] for x in r.json()["results"]] == list(range(len(rows)))
    else:  # NaN / Infinity anywhere: the body is not JSON the API accepts
        assert r.status_code == 422 and r.json()["errors"][0]["code"] == "finite_number", (body, r.text[:300])
