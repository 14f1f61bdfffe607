"""The OpenAPI document lists every status the routes answer (issue 16): 413/415/422 on the JSON API's bodies,
404 on a stored screening and on the results pages, the referral form's 409/413/429, each with its error
schema (the API's JSON error body; a page for the results routes). And the answers match the document."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.factory import create_app


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    d: Path = tmp_path_factory.mktemp("openapi")
    app = create_app(Settings(database_url=f"sqlite:///{d / 'navi.db'}", search_db=d / "search.db"))
    with TestClient(app) as c:
        yield c


@pytest.fixture(scope="module")
def doc(client: TestClient) -> dict[str, Any]:
    r = client.get("/openapi.json")
    assert r.status_code == 200
    return r.json()  # type: ignore[no-any-return]


def _error_ref(response: dict[str, Any]) -> str:
    return str(response["content"]["application/json"]["schema"]["$ref"])


@pytest.mark.parametrize("path", ["/api/v1/screen", "/api/v1/screen/batch"])
def test_json_bodies_list_413_415_and_422_with_the_error_body(doc: dict[str, Any], path: str) -> None:
    responses = doc["paths"][path]["post"]["responses"]
    for status in ("400", "413", "415", "422"):
        assert status in responses, (path, status)
        assert _error_ref(responses[status]) == "#/components/schemas/ErrorBody"
    body = doc["components"]["schemas"]["ErrorBody"]
    assert set(body["required"]) == {"message", "errors"}


def test_a_stored_screening_lists_its_404(doc: dict[str, Any]) -> None:
    responses = doc["paths"]["/api/v1/screenings/{screening_id}"]["get"]["responses"]
    assert _error_ref(responses["404"]) == "#/components/schemas/ErrorBody"
    assert "HTTPValidationError" not in str(responses)


@pytest.mark.parametrize("path", ["/results/{screening_id}", "/results/{screening_id}/print",
                                  "/results/{screening_id}/summary.pdf", "/results/{screening_id}/deadlines.ics",
                                  "/results/{screening_id}/referrals/{referral_id}"])
def test_results_pages_list_their_404_as_a_page(doc: dict[str, Any], path: str) -> None:
    responses = doc["paths"][path]["get"]["responses"]
    assert "text/html" in responses["404"]["content"], path
    assert "HTTPValidationError" not in str(responses), path


def test_the_referral_form_lists_its_errors(doc: dict[str, Any]) -> None:
    responses = doc["paths"]["/results/{screening_id}/refer"]["post"]["responses"]
    assert {"303", "404", "409", "413", "422", "429"} <= set(responses)
    assert all("text/html" in responses[s]["content"] for s in ("404", "409", "413", "422", "429"))


def test_the_answers_are_the_documented_ones(client: TestClient, doc: dict[str, Any]) -> None:
    """The statuses above are really answered, with the documented kind of body."""
    r = client.post("/api/v1/screen", content=b'{"employees": 3}', headers={"content-type": "text/plain"})
    assert r.status_code == 415 and set(r.json()) == {"message", "errors"}
    r = client.post("/api/v1/screen", content=b"x" * (2 * 1024 * 1024), headers={"content-type": "application/json"})
    assert r.status_code == 413 and set(r.json()) == {"message", "errors"}
    r = client.post("/api/v1/screen", json={"employees": "many"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "employees"
    missing = "00000000-0000-4000-8000-000000000000"
    r = client.get(f"/api/v1/screenings/{missing}")
    assert r.status_code == 404 and set(r.json()) == {"message", "errors"}
    for path in (f"/results/{missing}", f"/results/{missing}/print", f"/results/{missing}/summary.pdf",
                 f"/results/{missing}/deadlines.ics", f"/results/{missing}/referrals/{missing}"):
        r = client.get(path)
        assert r.status_code == 404 and r.headers["content-type"].startswith("text/html"), path
    r = client.post(f"/results/{missing}/refer", data={"desk_id": "inpit-tokyo"})
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
