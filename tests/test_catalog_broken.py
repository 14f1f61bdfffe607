"""Broken program files are rejected with a message naming the file and the field.

tests/data/broken_programs/<case>/ holds one broken program file and expect.txt (see its README.md).
"""

from __future__ import annotations

import difflib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from eligibility.engine import Engine
from programs.loader import DEFAULT_CATALOG_DIR, CatalogError, load_catalog

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BROKEN = HERE / "data" / "broken_programs"
VALID = HERE / "data" / "valid_program"
CASES = sorted(p for p in BROKEN.iterdir() if p.is_dir())

# Real programs using $params, per-case and dispute estimates, groups and negation.
# foreign_filing_subsidy names inpit_foreign_filing_subsidy as its alternative (DOMAIN.md 7.3): both or neither.
SOME_REAL_FILES = ["foreign_filing_subsidy.yaml", "inpit_foreign_filing_subsidy.yaml", "vc_ipas.yaml",
                   "counterfeit_countermeasure.yaml"]

REQUIRED_CASES = {
    "missing_names_en", "unknown_kind", "rate_half", "negative_company_cap", "unknown_predicate",
    "missing_param_ref", "unknown_fact", "test_and_any", "id_mismatch", "invalid_yaml", "no_source",
    "per_case_no_case_caps", "param_not_in_force", "duplicate_criterion_id", "seed_reference", "domain_reference",
    "unknown_source_id", "missing_group", "unknown_group",
}


def _check(catalog_dir: Path) -> None:
    Engine(load_catalog(catalog_dir))


def _the_file(case: Path) -> Path:
    files = sorted(case.glob("*.yaml"))
    assert len(files) == 1, f"{case.name}: one program file per case"
    return files[0]


def _expect(case: Path) -> str:
    text = (case / "expect.txt").read_text(encoding="utf-8").strip()
    assert text, f"{case.name}: expect.txt is empty"
    return text


def test_all_required_cases_exist():
    assert REQUIRED_CASES <= {c.name for c in CASES}


def test_valid_template_loads():
    engine = Engine(load_catalog(VALID))
    assert list(engine.catalog.programs) == ["valid_sample"]
    s = engine.screen({"as_of": "2025-10-01", "applicant_type": "corporation", "employees": 3,
                       "domestic_applications": ["patent"],
                       "foreign_filings": [{"right": "patent", "cost_yen": 1_000_000, "already_filed": False}]})
    r = s.result("valid_sample")
    assert r is not None and r.status == "eligible"
    assert r.estimate is not None and r.estimate.amount_yen == 500_000


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_broken_case_differs_from_the_template_in_one_place(case):
    broken = _the_file(case)
    template = (VALID / "valid_sample.yaml").read_text(encoding="utf-8").replace("valid_sample", broken.stem)
    diff = [ln for ln in difflib.unified_diff(template.splitlines(), broken.read_text(encoding="utf-8").splitlines(),
                                              lineterm="", n=0)
            if ln.startswith(("+", "-")) and not ln.startswith(("+++", "---"))]
    assert diff, f"{case.name}: identical to the valid template"
    if case.name != "top_level_not_mapping":
        assert len(diff) <= 8, f"{case.name}: changes more than one place:\n" + "\n".join(diff)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_broken_case_alone(case):
    broken = _the_file(case)
    with pytest.raises(CatalogError) as ei:
        _check(case)
    err = ei.value
    message = str(err)
    assert _expect(case) in message, f"{case.name}: expected {_expect(case)!r} in:\n{message}"
    assert broken.name in _expect(case), f"{case.name}: expect.txt must name the file"
    assert all(broken.name in line for line in err.problems), err.problems


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_broken_case_among_the_real_catalog(case, tmp_path):
    """Dropped among real program files (a few, to stay fast), only the broken file is blamed."""
    broken = _the_file(case)
    for name in SOME_REAL_FILES:
        shutil.copy(DEFAULT_CATALOG_DIR / name, tmp_path / name)
    shutil.copy(broken, tmp_path / broken.name)
    with pytest.raises(CatalogError) as ei:
        _check(tmp_path)
    assert _expect(case) in str(ei.value)
    assert all(broken.name in line for line in ei.value.problems), ei.value.problems


def _run_check(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "programs", "check", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)


def test_cli_check_fails_on_a_broken_folder():
    case = BROKEN / "rate_half"
    proc = _run_check(str(case))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "rate_half.yaml" in proc.stderr
    assert "parameters.rate" in proc.stderr
    assert proc.stdout == ""


def test_cli_check_passes_on_the_real_catalog():
    proc = _run_check()
    assert proc.returncode == 0, proc.stderr
    assert "catalog ok" in proc.stdout
    n = len(list(DEFAULT_CATALOG_DIR.glob("*.yaml")))
    assert f"{n} programs" in proc.stdout


def test_empty_folder_is_an_error(tmp_path):
    with pytest.raises(CatalogError) as ei:
        load_catalog(tmp_path)
    assert "no program files" in str(ei.value)


def test_duplicate_program_id_across_files(tmp_path):
    valid = VALID / "valid_sample.yaml"
    shutil.copy(valid, tmp_path / "valid_sample.yaml")
    # the same program under a second name: the id check blames that file
    (tmp_path / "copy_sample.yaml").write_text(valid.read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(CatalogError) as ei:
        load_catalog(tmp_path)
    assert "copy_sample.yaml: id:" in str(ei.value)
