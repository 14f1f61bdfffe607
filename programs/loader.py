"""Load the catalog YAML files, validate them, and report any fault by file and field."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from programs.schema import Definitions, Program, Sources

HERE = Path(__file__).resolve().parent
DEFAULT_CATALOG_DIR = HERE / "catalog"
DEFAULT_DEFINITIONS = HERE / "definitions.yaml"
DEFAULT_SOURCES = HERE / "sources.yaml"


class CatalogError(Exception):
    """A catalog file that cannot be used; `problems` holds one line per fault: file: field: message."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass(frozen=True)
class Catalog:
    programs: dict[str, Program]
    definitions: Definitions
    version: str
    sources: Sources | None = None
    files: dict[str, str] = field(default_factory=dict)  # program id -> file path

    def in_force(self, when: dt.date) -> list[Program]:
        return [p for p in self.programs.values() if p.in_force.covers(when)]


def _loc(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


def _read_yaml(path: Path) -> tuple[Any, list[str]]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        return None, [f"{path}: (file): cannot be read as UTF-8 text: {e}"]
    try:
        return yaml.safe_load(text), []
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "(file)"
        return None, [f"{path}: {where}: not valid YAML: {getattr(e, 'problem', e)}"]


def validation_problems(path: Path, err: ValidationError) -> list[str]:
    problems = []
    for item in err.errors():
        msg = item["msg"].removeprefix("Value error, ")
        problems.append(f"{path}: {_loc(item['loc'])}: {msg}")
    return problems


def load_sources(path: Path | str | None = None) -> tuple[Sources | None, list[str]]:
    """programs/sources.yaml: the documents references may name."""
    spath = Path(path) if path else DEFAULT_SOURCES
    data, problems = _read_yaml(spath)
    if problems:
        return None, problems
    try:
        return Sources.model_validate(data), []
    except ValidationError as e:
        return None, validation_problems(spath, e)


def load_program_file(path: Path, sources: Sources | None = None) -> tuple[Program | None, list[str]]:
    data, problems = _read_yaml(path)
    if problems:
        return None, problems
    if not isinstance(data, dict):
        return None, [f"{path}: (top level): a program file must be a mapping of fields"]
    try:
        prog = Program.model_validate(data, context={"sources": sources} if sources else None)
    except ValidationError as e:
        return None, validation_problems(path, e)
    if prog.id != path.stem:
        return None, [f"{path}: id: the id {prog.id!r} must equal the file name {path.stem!r}"]
    return prog, []


def load_catalog(catalog_dir: Path | str | None = None, definitions: Path | str | None = None,
                 sources: Path | str | None = None) -> Catalog:
    """Read and validate every program file; raise CatalogError listing every fault."""
    cdir = Path(catalog_dir) if catalog_dir else DEFAULT_CATALOG_DIR
    dpath = Path(definitions) if definitions else DEFAULT_DEFINITIONS
    spath = Path(sources) if sources else DEFAULT_SOURCES
    digest = hashlib.sha256()
    srcs, problems = load_sources(spath)
    if srcs is None:  # every reference would fail too: report the sources file alone
        raise CatalogError(problems)
    digest.update(spath.read_bytes())

    data, probs = _read_yaml(dpath)
    problems += probs
    defs: Definitions | None = None
    if data is not None:
        try:
            defs = Definitions.model_validate(data, context={"sources": srcs})
        except ValidationError as e:
            problems += validation_problems(dpath, e)
        digest.update(dpath.read_bytes())

    programs: dict[str, Program] = {}
    files: dict[str, str] = {}
    paths = sorted(cdir.glob("*.yaml"))
    if not paths:
        problems.append(f"{cdir}: (folder): no program files (*.yaml) found")
    for path in paths:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
        prog, probs = load_program_file(path, srcs)
        problems += probs
        if prog is None:
            continue
        if prog.id in programs:
            problems.append(f"{path}: id: duplicate program id {prog.id!r} (also in {files[prog.id]})")
            continue
        programs[prog.id] = prog
        files[prog.id] = str(path)
    if problems or defs is None:
        raise CatalogError(problems)
    version = f"{defs.version}+{digest.hexdigest()[:12]}"
    return Catalog(programs=programs, definitions=defs, version=version, files=files, sources=srcs)
