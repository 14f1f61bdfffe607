"""The catalog's `group` (where the results page lists a program) and the glossary are data, checked like the rest."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from programs.glossary import load_glossary
from programs.loader import DEFAULT_CATALOG_DIR, CatalogError, load_catalog
from programs.schema import GROUPS
from programs.snapshot import pack, unpack

ROOT = Path(__file__).resolve().parents[1]
VALID = ROOT / "tests" / "data" / "valid_program"


def test_every_program_has_a_group_and_every_group_is_used(catalog) -> None:
    groups = {pid: p.group for pid, p in catalog.programs.items()}
    assert None not in groups.values()
    assert set(groups.values()) == set(GROUPS)
    # issue 14: portals, model contracts and help that needs no application are not mixed with the subsidies
    assert groups["ip_base"] == groups["oi_model_contracts"] == groups["pass_push_support"] == "info"
    assert groups["ipas"] == groups["ip_support_desk"] == "consult"
    assert groups["foreign_filing_subsidy"] == groups["fee_reduction"] == groups["patent_accelerated_exam_startup"] == "apply"


def _without_group(folder: Path) -> Path:
    """A copy of the valid template as a catalog written before `group` existed."""
    cdir = folder / "catalog"
    cdir.mkdir()
    text = (VALID / "valid_sample.yaml").read_text(encoding="utf-8")
    assert "\ngroup: apply\n" in text
    (cdir / "valid_sample.yaml").write_text(text.replace("\ngroup: apply\n", "\n"), encoding="utf-8")
    return cdir


def test_a_program_without_a_group_is_refused_naming_file_and_field(tmp_path: Path) -> None:
    cdir = _without_group(tmp_path)
    with pytest.raises(CatalogError) as ei:
        load_catalog(cdir)
    assert "valid_sample.yaml: group: missing" in str(ei.value)
    assert "apply" in str(ei.value) and "consult" in str(ei.value) and "info" in str(ei.value)


def test_a_stored_catalog_version_from_before_groups_still_opens(tmp_path: Path) -> None:
    """Stored screenings keep their catalog version (programs/snapshot.py): one packed before `group` existed
    loads as it was, with no group (the results page then falls back, app/web/results_summary.py)."""
    old = load_catalog(_without_group(tmp_path), stored=True)
    assert old.programs["valid_sample"].group is None
    again = unpack(pack(old))
    assert again.version == old.version and again.programs["valid_sample"].group is None


def test_the_glossary_explains_the_issue_words_in_both_languages() -> None:
    terms = {t.term.ja: t for t in load_glossary().terms}
    for word in ("審査請求", "冒認商標", "みなし大企業", "実施関連出願", "中小スタートアップ企業"):
        assert word in terms, word
        t = terms[word]
        assert t.text.ja and t.text.en and t.term.en and t.source.cite().href.startswith("https://")


def _check(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "programs", "check", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def test_programs_check_validates_the_glossary_naming_file_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "glossary.yaml"
    text = (ROOT / "programs" / "glossary.yaml").read_text(encoding="utf-8")
    bad.write_text(text.replace("term: {ja: 冒認商標, en: Squatted trademark}", "term: {ja: 冒認商標}"), encoding="utf-8")
    proc = _check("--glossary", str(bad))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "glossary.yaml: terms[1].term.en: Field required" in proc.stderr
    assert _check().returncode == 0


def test_a_copied_catalog_keeps_its_groups(tmp_path: Path) -> None:
    for name in ("foreign_filing_subsidy.yaml", "inpit_foreign_filing_subsidy.yaml", "ip_base.yaml"):
        shutil.copy(DEFAULT_CATALOG_DIR / name, tmp_path / name)
    cat = load_catalog(tmp_path)
    assert {p.group for p in cat.programs.values()} == {"apply", "info"}
