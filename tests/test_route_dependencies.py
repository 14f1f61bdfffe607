"""Routes get the store, the services and the program search as dependencies (app/deps.py), never from `app.state`.

Every module under app/pages, app/console, app/api and app/companies is parsed (`ast`, so comments and strings
do not count): none calls a provider of app/deps.py (`services_of(`, `store_of(`, …) or reads `<x>.app.state`
/ `app.state`. Only app/deps.py reads what app/factory.py put there.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.support.paths import ROOT

CHECKED = ("app/pages", "app/console", "app/api", "app/companies")
PROVIDERS = {"services_of", "store_of", "search_of", "companies_of", "jobs_of"}


def _name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def violations(source: str, filename: str = "<source>") -> list[str]:
    """`line: what` for each provider call and each read of an app's `state` in `source`."""
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.Call) and _name(node.func) in PROVIDERS:
            found.append(f"{node.lineno}: calls {_name(node.func)}()")
        elif isinstance(node, ast.Attribute) and node.attr == "state" and _name(node.value) == "app":
            found.append(f"{node.lineno}: reads {ast.unparse(node)}")
        elif isinstance(node, ast.ImportFrom) and any(a.name in PROVIDERS for a in node.names):
            found.append(f"{node.lineno}: imports {', '.join(a.name for a in node.names if a.name in PROVIDERS)}")
    return found


def _modules() -> list[Path]:
    return sorted(p for folder in CHECKED for p in (ROOT / folder).rglob("*.py"))


def test_the_checked_folders_hold_the_routes() -> None:
    names = {p.relative_to(ROOT).as_posix() for p in _modules()}
    assert {"app/pages/questionnaire.py", "app/pages/results.py", "app/console/case_pages.py", "app/console/batch.py",
            "app/api/screen.py", "app/companies/views.py"} <= names


@pytest.mark.parametrize("path", _modules(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_no_route_module_reads_the_app_state(path: Path) -> None:
    assert violations(path.read_text(encoding="utf-8"), str(path)) == []


def test_the_check_finds_each_kind_and_ignores_comments_and_strings() -> None:
    source = '''
from app.deps import ServicesDep, store_of
import app.deps as deps

def route(request, svc: ServicesDep):
    """services_of(request) and request.app.state.store in a docstring do not count."""
    # store_of(request) in a comment does not count either
    a = deps.services_of(request)
    b = request.app.state.store
    c = getattr(request.app.state, "search_programs", None)
    d = app.state.jobs
    e = request.state.screener  # the request's own state is not the app's
    return search_of(request)
'''
    found = violations(source)
    assert sorted(found, key=lambda f: int(f.split(":")[0])) == [
        "2: imports store_of",
        "8: calls services_of()",
        "9: reads request.app.state",
        "10: reads request.app.state",
        "11: reads app.state",
        "13: calls search_of()",
    ]


def test_only_app_deps_reads_the_state_for_requests() -> None:
    """The providers live in app/deps.py (and read `request.app.state`); app/factory.py writes it."""
    assert any("reads request.app.state" in v for v in violations((ROOT / "app/deps.py").read_text(encoding="utf-8")))
