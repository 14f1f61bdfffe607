"""The scorer: ranks, scores, determinism, eligible before needs_info, reasons, training guard."""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path

from matching.evaluate import ndcg_at_3
from tests.support.paths import ROOT

LABELLED = ROOT / "tests" / "data" / "labelled"

EXPORTER = {
    "as_of": "2025-09-01", "applicant_type": "corporation", "established_on": "1990-04-01",
    "employees": 30, "capital_yen": 20_000_000, "industry": "manufacturing",
    "large_company_shareholding": {"largest": 0, "combined": 0}, "large_company_officer_ratio": 0,
    "wholly_owned_by_large_parent": False, "avg_taxable_income_yen": 10_000_000, "prefecture": "新潟県",
    "domestic_applications": ["trademark"],
    "foreign_filings": [{"right": "trademark", "cost_yen": 1_100_000, "already_filed": False}],
    "interests": ["overseas"], "description": "日本酒の商標を米国とEUに出願したい",
}


def test_ranks_are_dense_and_scores_bounded(engine, scorer):
    s = scorer.rank(engine.screen(EXPORTER))
    live = [r for r in s.results if r.status != "ineligible"]
    assert [r.rank for r in live] == list(range(1, len(live) + 1))
    assert all(r.rank is None and r.score == 0 for r in s.results if r.status == "ineligible")
    assert all(0 <= r.score <= 1 for r in s.results)
    assert [r.score for r in live] == sorted((r.score for r in live), reverse=True)
    assert s.results[0].program_id == "foreign_filing_subsidy"
    assert s.model_version == "prior-3"


def test_deterministic(engine, scorer):
    a = scorer.rank(engine.screen(EXPORTER))
    b = scorer.rank(engine.screen(copy.deepcopy(EXPORTER)))
    assert [(r.program_id, r.rank, r.score) for r in a.results] == [(r.program_id, r.rank, r.score) for r in b.results]


def test_eligible_ranks_above_needs_info_of_same_fit(engine, scorer):
    # Same filing need for both subsidies; unknown shareholding makes only the deemed-large test unknown.
    prof = {**EXPORTER, "large_company_shareholding": None}
    prof.pop("large_company_shareholding")
    s = scorer.rank(engine.screen(prof))
    ff = s.result("foreign_filing_subsidy")
    assert ff is not None and ff.status == "needs_info"
    s2 = scorer.rank(engine.screen(EXPORTER))
    ff2 = s2.result("foreign_filing_subsidy")
    assert ff2 is not None and ff2.status == "eligible" and ff2.score > ff.score
    status_signal = ff.signals[0]
    assert status_signal["signal"] == "status" and status_signal["value"] == "needs_info"


def test_reasons_are_short_japanese_with_amount(engine, scorer):
    s = scorer.rank(engine.screen(EXPORTER))
    top = s.results[0]
    assert 1 <= len(top.recommendation_ja) <= 3
    assert top.recommendation_ja[0] == "海外出願を予定している商標1件が対象です（補助見込み 55万円）。"
    assert "¥550,000" in top.recommendation_en[0]
    kinds = {sig["signal"] for sig in top.signals}
    assert {"status", "need", "money", "interest", "text"} <= kinds


def test_text_similarity_prefers_matching_program(scorer):
    sims = scorer.similarities("海外の模倣品を摘発したい。ECサイトで偽物が売られている")
    assert max(sims, key=sims.__getitem__) == "counterfeit_countermeasure"
    assert scorer.similarities("") == {}


def test_ndcg_definition():
    assert ndcg_at_3(["a", "b", "c"], ["a", "b", "c"]) == 1.0
    assert ndcg_at_3(["c", "b", "a"], ["a", "b", "c"]) < 1.0


def test_evaluate_command_meets_the_bar():
    # The bars sit just under the prior's figures on the rule labels (v2, 150 cases: 0.939 / 0.953): a change
    # to the prior that loses ground on its own development set fails here.
    out = subprocess.run([sys.executable, "-m", "matching", "evaluate", str(LABELLED), "--min-ndcg", "0.93",
                          "--min-hit", "0.93"],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "NDCG@3" in out.stdout


def test_labelled_set_is_large_enough():
    assert len(list(Path(LABELLED).glob("*.yaml"))) >= 100
