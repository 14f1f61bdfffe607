"""YAML scenarios (OpenFisca / PolicyEngine style): tests/scenarios/**/*.yaml, one file per program
(`<program_id>.yaml`: the scenarios whose first expected program it is); subfolders count too (fy2026/).

Each file is a list of {name, description, profile, expect, now (optional: the moment windows are read,
ISO 8601 with +09:00; default 00:00 JST of as_of)}. `expect` may hold:
  definitions: {name: met | unmet | unknown}
  programs: {program_id: {status, amount_yen (null = no estimate), advice: [substrings], missing: [fields],
             window: null | {status, opens_at, closes_at, predicted, missing, round, basis (substring)},
             alternatives: [program ids], formula: [substrings of the estimate's formula]}}
  absent: [program ids not in force on as_of]
  total: {amount_yen, counted: [program ids]} (Screening.total_estimate)
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml

HERE = Path(__file__).resolve().parent
SCENARIO_DIR = HERE / "scenarios"
FILES = sorted(SCENARIO_DIR.rglob("*.yaml"))

EXPECT_KEYS = {"definitions", "programs", "absent", "total"}
PROGRAM_KEYS = {"status", "amount_yen", "advice", "missing", "window", "alternatives", "formula"}
WINDOW_KEYS = {"status", "opens_at", "closes_at", "predicted", "missing", "round", "basis"}


def _window_problems(pid: str, want: dict[str, Any] | None, got: dict[str, Any] | None) -> list[str]:
    if want is None or got is None:
        return [] if want == got else [f"{pid}: window expected {want}, got {got}"]
    assert set(want) <= WINDOW_KEYS, f"{pid}: unknown window keys {set(want) - WINDOW_KEYS}"
    out = []
    for key, value in want.items():
        have = got.get("missing_facts") if key == "missing" else got.get(key)
        ok = value in (have or "") if key == "basis" else have == value
        if not ok:
            out.append(f"{pid}: window.{key} expected {value!r}, got {have!r} (window={got})")
    return out


def _load() -> list[tuple[str, dict[str, Any]]]:
    out = []
    for path in FILES:
        items = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert isinstance(items, list), f"{path.relative_to(SCENARIO_DIR)}: a scenario file is a list"
        for i, sc in enumerate(items):
            out.append((f"{path.relative_to(SCENARIO_DIR).with_suffix('')}[{i}]", sc))
    return out


SCENARIOS = _load()


def test_there_are_enough_scenarios():
    assert len(SCENARIOS) >= 25
    names = [sc["name"] for _, sc in SCENARIOS]
    assert len(names) == len(set(names)), "scenario names must be unique"


@pytest.mark.parametrize(("where", "scenario"), SCENARIOS, ids=[w for w, _ in SCENARIOS])
def test_scenario(engine, scorer, where, scenario):
    assert set(scenario) <= {"name", "description", "profile", "expect", "now"}, where
    expect = scenario["expect"]
    assert set(expect) <= EXPECT_KEYS, f"{where}: unknown expect keys {set(expect) - EXPECT_KEYS}"
    now = scenario.get("now")
    now = dt.datetime.fromisoformat(now) if isinstance(now, str) else now
    screening = scorer.rank(engine.screen(scenario["profile"], now=now))
    got_ids = [r.program_id for r in screening.results]

    # every program in force on as_of is listed once; none other
    in_force = {p.id for p in engine.catalog.in_force(screening.as_of)}
    assert sorted(got_ids) == sorted(in_force), where

    problems: list[str] = []
    for name, want in (expect.get("definitions") or {}).items():
        got = screening.definitions[name].outcome.value
        if got != want:
            problems.append(f"definition {name}: expected {want}, got {got}")
    for pid, want in (expect.get("programs") or {}).items():
        assert set(want) <= PROGRAM_KEYS, f"{where}: {pid}: unknown keys {set(want) - PROGRAM_KEYS}"
        assert pid in engine.catalog.programs, f"{where}: {pid} is not in the catalog"
        r = screening.result(pid)
        if r is None:
            problems.append(f"{pid}: not in the results (in force from {engine.catalog.programs[pid].in_force.from_})")
            continue
        if r.status != want["status"]:
            problems.append(f"{pid}: expected {want['status']}, got {r.status} "
                            f"(missing={r.missing_facts}, unmet={[t.criterion for t in r.reasons if t.outcome.value == 'unmet']})")
        if "amount_yen" in want:
            got_amount = None if r.estimate is None else r.estimate.amount_yen
            if got_amount != want["amount_yen"]:
                problems.append(f"{pid}: expected amount {want['amount_yen']}, got {got_amount}")
        advice = r.advice("ja")
        for text in want.get("advice", []):
            if not any(text in a for a in advice):
                problems.append(f"{pid}: advice {advice} lacks {text!r}")
        for fact in want.get("missing", []):
            if fact not in r.missing_facts:
                problems.append(f"{pid}: missing_facts {r.missing_facts} lacks {fact!r}")
        if "window" in want:
            problems += _window_problems(pid, want["window"], r.as_dict("ja")["window"])
        if "alternatives" in want and list(r.alternatives) != want["alternatives"]:
            problems.append(f"{pid}: alternatives expected {want['alternatives']}, got {list(r.alternatives)}")
        formula = r.estimate.formula_ja if r.estimate else ""
        for text in want.get("formula", []):
            if text not in formula:
                problems.append(f"{pid}: formula {formula!r} lacks {text!r}")
        if r.status == "ineligible":
            assert r.rank is None and r.estimate is None, pid
    for pid in expect.get("absent", []):
        assert pid in engine.catalog.programs, f"{where}: absent {pid} is not in the catalog"
        if pid in got_ids:
            problems.append(f"{pid}: expected absent on {screening.as_of}, but listed")
    if "total" in expect:
        total = screening.total_estimate()
        for key, value in expect["total"].items():
            if total[key] != value:
                problems.append(f"total.{key}: expected {value}, got {total[key]} ({total})")
    assert not problems, f"{where} {scenario['name']}:\n  " + "\n  ".join(problems)


def test_every_catalog_program_has_a_scenario(catalog):
    covered = {pid for _, sc in SCENARIOS for pid in (sc["expect"].get("programs") or {})}
    missing = sorted(set(catalog.programs) - covered)
    assert not missing, f"programs without a scenario in {SCENARIO_DIR}: {missing}"


def test_scenarios_cover_every_status_and_absence():
    statuses = {want["status"] for _, sc in SCENARIOS for want in (sc["expect"].get("programs") or {}).values()}
    assert statuses == {"eligible", "needs_info", "ineligible"}
    assert any(sc["expect"].get("absent") for _, sc in SCENARIOS)


def test_every_expected_amount_is_explained_in_a_comment():
    """Each non-null amount_yen is hand-computed in a YAML comment just above it (or on its line)."""
    for path in FILES:
        lines = path.read_text(encoding="utf-8").splitlines()
        for i, line in enumerate(lines):
            if "amount_yen:" in line and "amount_yen: null" not in line \
                    and "status:" in line:
                window = lines[max(0, i - 6):i + 1]
                assert any(ln.strip().startswith("#") or " # " in ln for ln in window), \
                    f"{path.name}:{i + 1}: amount without a worked comment"
