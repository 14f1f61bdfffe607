"""The layers of the code (docs/architecture.md), checked on the source and by importing every module alone.

- no import cycle among the modules of app/, eligibility/, matching/, programs/ (function-level imports count);
- the core (programs, eligibility, matching) imports nothing from app, fastapi, starlette, sqlmodel, sqlalchemy;
- app/store/ imports nothing from the routes (api, pages, console), presentation (web), intake or the wiring;
- app/intake/ imports nothing from the routes or the wiring;
- every module of app/ imports alone in a fresh interpreter, and importing app.factory or app.main builds nothing.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.paths import ROOT

PACKAGES = ("app", "eligibility", "matching", "programs")
CORE = ("eligibility", "matching", "programs")
WEB_OR_DB = {"app", "fastapi", "starlette", "sqlmodel", "sqlalchemy"}
ROUTES = ("app.api", "app.pages", "app.console", "app.factory", "app.main", "app.deps", "app.errors")
RULES = {  # layer → prefixes it must not import
    "app.store": (*ROUTES, "app.web", "app.intake", "app.services", "app.batch", "app.search"),
    "app.intake": ROUTES,
    "app.web": ("app.api", "app.pages", "app.console", "app.factory", "app.main"),
}


def _modules() -> dict[str, Path]:
    mods = {}
    for pkg in PACKAGES:
        for path in (ROOT / pkg).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            mods[name] = path
    return mods


MODULES = _modules()


def _imports(name: str, path: Path) -> set[str]:
    """Every module named by an import statement anywhere in the file (absolute names)."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = name.split(".")
                keep = len(parts) - node.level + (1 if path.name == "__init__.py" else 0)
                base = ".".join([*parts[:keep], *([base] if base else [])])
            out.add(base)
            out.update(f"{base}.{a.name}" for a in node.names)
    return out


IMPORTS = {m: _imports(m, p) for m, p in MODULES.items()}


def _internal(target: str) -> str | None:
    """The module of the project a dotted name refers to (a name imported from a module → the module)."""
    while target and target not in MODULES:
        target = target.rpartition(".")[0]
    return target or None


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for m, targets in IMPORTS.items():
        edges = {t for t in map(_internal, targets) if t and t != m}
        # a module importing its own package's __init__ is not a cycle worth reporting
        graph[m] = {t for t in edges if not m.startswith(t + ".")}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in graph:
        if v not in index:
            visit(v)
    return out


def test_the_checks_see_the_code() -> None:
    assert len(MODULES) > 60 and "app.store.base" in MODULES and "eligibility.engine" in MODULES
    assert _cycles({"a": {"b"}, "b": {"a"}, "c": set()}) == [["a", "b"]]  # the checker finds a cycle


def test_no_import_cycle() -> None:
    assert _cycles(_graph()) == []


def test_the_core_imports_nothing_web_or_database() -> None:
    leaks = {m: sorted({t.split(".")[0] for t in IMPORTS[m]} & WEB_OR_DB) for m in MODULES if m.startswith(CORE)}
    assert {m: v for m, v in leaks.items() if v} == {}


@pytest.mark.parametrize("layer", sorted(RULES))
def test_a_lower_layer_imports_nothing_above_it(layer: str) -> None:
    forbidden = RULES[layer]
    bad = {m: sorted(t for t in IMPORTS[m] if t.startswith(forbidden))
           for m in MODULES if m == layer or m.startswith(layer + ".")}
    assert {m: v for m, v in bad.items() if v} == {}


def test_no_module_over_600_lines() -> None:
    sizes = {m: len(p.read_text(encoding="utf-8").splitlines()) for m, p in MODULES.items()}
    assert {m: n for m, n in sizes.items() if n > 600} == {}


# One interpreter that loads the third-party libraries once, then forks a child per module of app/: each child
# starts with no module of the project imported, so a circular import fails there as it would alone.
IMPORT_EACH = """
import os, sys, traceback
import fastapi, sqlalchemy, sqlmodel, pydantic, pydantic_settings, jinja2, babel, starlette, alembic, yaml
import httpx, orjson, pwdlib, numpy, sklearn, sqlite_utils, multipart, psycopg  # noqa: E401
try:
    import weasyprint  # noqa: F401
except Exception:
    pass
failed = []
for name in sys.argv[1:]:
    pid = os.fork()
    if pid == 0:
        try:
            __import__(name)
        except BaseException:
            sys.stderr.write(name + ": " + traceback.format_exc().strip().splitlines()[-1] + "\\n")
            os._exit(1)
        os._exit(0)
    _, status = os.waitpid(pid, 0)
    if status:
        failed.append(name)
print(" ".join(failed))
"""


def test_every_app_module_imports_alone_in_a_fresh_interpreter() -> None:
    names = sorted(m for m in MODULES if m.startswith("app"))
    r = subprocess.run([sys.executable, "-c", IMPORT_EACH, *names], capture_output=True, text=True, cwd=ROOT,
                       env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}, timeout=600)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "", r.stderr


def test_importing_the_factory_or_main_builds_nothing(tmp_path: Path) -> None:
    """No migration, no database file, no frozen objects: only `app.main.app` builds the served app."""
    db = tmp_path / "navi.db"
    code = ("import gc, app.main, app.factory; import sys; "
            "assert 'app' not in vars(app.main); print(gc.get_freeze_count())")
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}", "NAVI_SEARCH_DB": str(tmp_path / "s.db")}
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "0" and not db.exists()
