"""Load the catalog YAML files, validate them, and report any fault by file and field."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from programs.rounds import Operator, Round, RoundsFile
from programs.schema import Definitions, Program, Sources

HERE = Path(__file__).resolve().parent
DEFAULT_CATALOG_DIR = HERE / "catalog"
DEFAULT_DEFINITIONS = HERE / "definitions.yaml"
DEFAULT_SOURCES = HERE / "sources.yaml"
ROUNDS_DIRNAME = "rounds"  # next to the catalog folder: programs/rounds/<program_id>.yaml


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
    rounds: dict[str, tuple[Round, ...]] = field(default_factory=dict)  # program id -> rounds by opens_at
    operators: dict[str, dict[str, Operator]] = field(default_factory=dict)  # program id -> prefecture -> operator
    base_version: str = ""  # the version of the YAML files alone (with_rounds adds to it)
    # The bytes the version was computed from (name -> bytes: "sources.yaml", "definitions.yaml",
    # "catalog/<file>", "rounds/<file>") and the rounds added by with_rounds (program id, round JSON):
    # enough to build this catalog again, same version, from the database (programs/snapshot.py).
    texts: tuple[tuple[str, bytes], ...] = ()
    extra_rounds: tuple[tuple[tuple[str, str], ...], ...] = ()  # one tuple per with_rounds call
    # Reviewed changes (programs/changes.py apply_changes), JSON, one tuple per call; applied after the rounds.
    changes: tuple[tuple[str, ...], ...] = ()

    def in_force(self, when: dt.date) -> list[Program]:
        return [p for p in self.programs.values() if p.in_force.covers(when)]

    def rounds_for(self, program_id: str) -> tuple[Round, ...]:
        """Every known round of a program (all areas and years), ordered by opening."""
        return self.rounds.get(program_id, ())

    def operator_for(self, program_id: str, prefecture: str | None) -> Operator | None:
        """The local operator of a per-prefecture program (e.g. あいち産業振興機構 for 愛知県)."""
        return self.operators.get(program_id, {}).get(prefecture or "")

    def alternatives_of(self, program_id: str) -> tuple[str, ...]:
        """Programs that cannot fund the same case: declared on either side (the relation is symmetric)."""
        out = [a.program for a in self.programs[program_id].alternatives] if program_id in self.programs else []
        out += [p.id for p in self.programs.values() if any(a.program == program_id for a in p.alternatives)]
        return tuple(sorted(set(out) - {program_id}))

    def with_rounds(self, extra: Iterable[tuple[str, Round]]) -> Catalog:
        """A new catalog with more rounds (e.g. synced from jGrants), with a new version.

        An extra round replaces a known one with the same jgrants_id, or else the same
        (program_id, fiscal_year, area, name); otherwise it is added.
        """
        extra = list(extra)
        merged = {pid: list(rs) for pid, rs in self.rounds.items()}
        digest = hashlib.sha256(self.version.encode())
        for pid, rnd in extra:
            if pid not in self.programs:
                raise CatalogError([f"rounds: program_id: no program {pid!r} in the catalog"])
            rows = merged.setdefault(pid, [])
            same = [i for i, r in enumerate(rows)
                    if (rnd.jgrants_id and r.jgrants_id == rnd.jgrants_id) or r.key == rnd.key]
            if same:
                rows[same[0]] = rnd
            else:
                rows.append(rnd)
            digest.update(pid.encode() + b"\0" + rnd.model_dump_json().encode())
        rounds = {pid: tuple(sorted(rs, key=lambda r: (r.opens_at, r.area))) for pid, rs in merged.items()}
        added = tuple((pid, rnd.model_dump_json()) for pid, rnd in extra)
        return replace(self, rounds=rounds, extra_rounds=(*self.extra_rounds, added), version=f"{self.base_version or self.version}+r{digest.hexdigest()[:8]}")


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


def load_rounds_file(path: Path) -> tuple[RoundsFile | None, list[str]]:
    data, problems = _read_yaml(path)
    if problems:
        return None, problems
    if isinstance(data, list):  # a bare list of rounds
        data = {"program_id": path.stem, "rounds": data}
    if not isinstance(data, dict):
        return None, [f"{path}: (top level): a rounds file is a list of rounds or a mapping with `rounds`"]
    data = {"program_id": path.stem, **data}
    try:
        rf = RoundsFile.model_validate(data)
    except ValidationError as e:
        return None, validation_problems(path, e)
    if rf.program_id != path.stem:
        return None, [f"{path}: program_id: {rf.program_id!r} must equal the file name {path.stem!r}"]
    return rf, []


def _load_rounds(rdir: Path, programs: dict[str, Program], digest: Any, texts: list[tuple[str, bytes]]) -> tuple[
        dict[str, tuple[Round, ...]], dict[str, dict[str, Operator]], list[str]]:
    rounds: dict[str, tuple[Round, ...]] = {}
    operators: dict[str, dict[str, Operator]] = {}
    problems: list[str] = []
    for path in sorted(rdir.glob("*.yaml")) if rdir.is_dir() else []:
        data = path.read_bytes()
        texts.append((f"{ROUNDS_DIRNAME}/{path.name}", data))
        digest.update(b"rounds/" + path.name.encode() + b"\0" + data)
        rf, probs = load_rounds_file(path)
        problems += probs
        if rf is None:
            continue
        if rf.program_id not in programs:
            problems.append(f"{path}: program_id: no program {rf.program_id!r} in the catalog")
            continue
        until = programs[rf.program_id].in_force.until
        for i, r in enumerate(rf.rounds):
            if until is not None and r.opens_at.date() > until:
                problems.append(f"{path}: rounds[{i}].opens_at: after the program's in_force.until ({until})")
        rounds[rf.program_id] = tuple(sorted(rf.rounds, key=lambda r: (r.opens_at, r.area)))
        operators[rf.program_id] = dict(rf.operators)
    return rounds, operators, problems


def load_catalog(catalog_dir: Path | str | None = None, definitions: Path | str | None = None,
                 sources: Path | str | None = None, rounds_dir: Path | str | None = None,
                 stored: bool = False) -> Catalog:
    """Read and validate every program and rounds file; raise CatalogError listing every fault.

    `stored`: a catalog version unpacked from the database (programs/snapshot.py), which may predate a field
    that is now required (`group`); it loads as it was stored.
    """
    cdir = Path(catalog_dir) if catalog_dir else DEFAULT_CATALOG_DIR
    rdir = Path(rounds_dir) if rounds_dir else cdir.parent / ROUNDS_DIRNAME
    dpath = Path(definitions) if definitions else DEFAULT_DEFINITIONS
    spath = Path(sources) if sources else DEFAULT_SOURCES
    digest = hashlib.sha256()
    texts: list[tuple[str, bytes]] = []
    srcs, problems = load_sources(spath)
    if srcs is None:  # every reference would fail too: report the sources file alone
        raise CatalogError(problems)
    texts.append(("sources.yaml", spath.read_bytes()))
    digest.update(texts[-1][1])

    data, probs = _read_yaml(dpath)
    problems += probs
    defs: Definitions | None = None
    if data is not None:
        try:
            defs = Definitions.model_validate(data, context={"sources": srcs})
        except ValidationError as e:
            problems += validation_problems(dpath, e)
        texts.append(("definitions.yaml", dpath.read_bytes()))
        digest.update(texts[-1][1])

    programs: dict[str, Program] = {}
    files: dict[str, str] = {}
    paths = sorted(cdir.glob("*.yaml"))
    if not paths:
        problems.append(f"{cdir}: (folder): no program files (*.yaml) found")
    for path in paths:
        texts.append((f"catalog/{path.name}", path.read_bytes()))
        digest.update(path.name.encode() + b"\0" + texts[-1][1])
        prog, probs = load_program_file(path, srcs)
        problems += probs
        if prog is None:
            continue
        if prog.group is None and not stored:
            problems.append(f"{path}: group: missing: where the results page lists the program, one of "
                            "apply (申請して受ける支援), consult (相談・専門家の支援), info (情報・ひな形)")
        if prog.id in programs:
            problems.append(f"{path}: id: duplicate program id {prog.id!r} (also in {files[prog.id]})")
            continue
        programs[prog.id] = prog
        files[prog.id] = str(path)
    for pid, prog in programs.items():
        for i, alt in enumerate(prog.alternatives):
            if alt.program not in programs or alt.program == pid:
                problems.append(f"{files[pid]}: alternatives[{i}].program: no other program {alt.program!r} in the catalog")
    rounds, operators, probs = _load_rounds(rdir, programs, digest, texts)
    problems += probs
    if problems or defs is None:
        raise CatalogError(problems)
    version = f"{defs.version}+{digest.hexdigest()[:12]}"
    return Catalog(programs=programs, definitions=defs, version=version, files=files, sources=srcs, rounds=rounds,
                   operators=operators, base_version=version, texts=tuple(texts))
