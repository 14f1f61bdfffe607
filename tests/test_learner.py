"""The learned correction to the prior: it learns an interaction, the gate refuses a model that does not beat
the prior or learned from too few outcomes, and the record shapes round-trip through the training reader."""

from __future__ import annotations

import json
import random

import joblib
import pytest

from app.config import Settings
from app.services import Services
from matching.learner import MIN_CV_SESSIONS, Session, fit_shrunk, gate, load_gated, train_with_report
from matching.model import CorrectionModel
from matching.records import (
    READ,
    Decision,
    ShownItem,
    ShownList,
    Stage,
    from_dict,
    read_records,
    sessions_from_records,
    to_json,
)
from matching.scorer import Scorer
from tests.support.helpers import corp


def _sessions(engine, scorer, n, prefer, seed=5):
    """Advisors take `prefer(profile)` when it is live, else the prior's first; the rest shown are passed over."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        prof = corp(industry=rng.choice(["software", "manufacturing"]), phase=rng.choice(["concept", "launch"]),
                    domestic_applications=["patent"], interests=[rng.choice(["ip_strategy", "mentoring"])])
        examples = [ex for _, ex in scorer.examples(engine.screen(prof))]
        live = {ex.program_id for ex in examples}
        want = prefer(prof)
        taken = want if want in live else max(examples, key=lambda e: e.features["prior"]).program_id
        sess = Session(f"s{i}", f"2026-01-01T00:00:{i:05d}", examples, {taken: 1.0}, live - {taken}, 1)
        out.append(sess)
    return out


def _software_landscape(prof):
    return "ip_landscape_support" if prof["industry"] == "software" else None


def test_learns_a_profile_by_program_interaction_and_beats_the_prior(engine, scorer):
    model = train_with_report(_sessions(engine, scorer, 300, _software_landscape), scorer.PRIOR_VERSION)
    h = model.report["holdout"]
    assert h["model"]["ndcg@3"] > h["prior"]["ndcg@3"] and h["model"]["auc"] >= h["prior"]["auc"]
    ok, why = gate(model, min_outcomes=200, prior_version=scorer.PRIOR_VERSION)
    assert ok, why
    learned = Scorer(scorer.programs, scorer.weights, model)
    soft = learned.rank(engine.screen(corp(industry="software", phase="launch", domestic_applications=["patent"],
                                           interests=["ip_strategy"])))
    manu = learned.rank(engine.screen(corp(industry="manufacturing", phase="launch",
                                           domestic_applications=["patent"], interests=["ip_strategy"])))
    assert soft.results[0].program_id == "ip_landscape_support"
    assert manu.results[0].program_id != "ip_landscape_support"
    assert soft.model_version == f"prior-3+{model.version}" and learned.ranker == "learned"
    assert any(s["signal"] == "learned" and s["reason_ja"] for s in soft.results[0].signals)


def test_shrinkage_keeps_the_prior_on_few_sessions_and_corrects_on_a_clear_preference(engine, scorer):
    # Too few sessions to tell a correction from noise: the model is the prior (no correction anywhere).
    few = _sessions(engine, scorer, MIN_CV_SESSIONS - 1, _software_landscape)
    model, info = fit_shrunk(few, scorer.PRIOR_VERSION)
    assert info["strength"] is None and not any(model.theta)
    assert model.adjust(few[0].examples) == [0.0] * len(few[0].examples)
    # A clear interaction over many sessions: cross-validation takes a correction, each strength reported.
    model, info = fit_shrunk(_sessions(engine, scorer, 240, _software_landscape), scorer.PRIOR_VERSION)
    assert info["strength"] is not None and info["folds"] == 4 and set(info["tried"]) == {"x64", "x16", "x4", "x1"}
    assert info["tried"][f"x{info['strength']:g}"]["gain"] > info["tried"][f"x{info['strength']:g}"]["se"]


def test_gate_refuses_a_model_that_does_not_beat_the_prior(engine, scorer):
    # Advisors who take exactly the prior's first: nothing to learn, the model cannot beat the prior.
    model = train_with_report(_sessions(engine, scorer, 300, lambda p: None), scorer.PRIOR_VERSION)
    ok, why = gate(model, min_outcomes=10, prior_version=scorer.PRIOR_VERSION)
    assert not ok and "does not beat the prior" in why


def test_gate_refuses_too_few_outcomes_and_another_prior(engine, scorer, tmp_path):
    model = train_with_report(_sessions(engine, scorer, 300, _software_landscape), scorer.PRIOR_VERSION)
    ok, why = gate(model, min_outcomes=1000, prior_version=scorer.PRIOR_VERSION)
    assert not ok and "fewer than 1000" in why
    ok, why = gate(model, min_outcomes=10, prior_version="prior-9")
    assert not ok and "prior-9" in why
    path = tmp_path / "m.joblib"
    model.save(path)
    assert load_gated(path, 1000, scorer.PRIOR_VERSION)[0] is None
    loaded, why = load_gated(path, 100, scorer.PRIOR_VERSION)
    assert isinstance(loaded, CorrectionModel), why
    assert load_gated(tmp_path / "absent.joblib")[0] is None
    (tmp_path / "bad.joblib").write_bytes(b"not a model")
    m, why = load_gated(tmp_path / "bad.joblib", 1)
    assert m is None and "unreadable" in why
    joblib.dump({"a": 1}, tmp_path / "other.joblib")
    assert load_gated(tmp_path / "other.joblib", 1)[0] is None


def test_the_service_ranks_with_the_prior_when_the_gate_refuses(engine, scorer, tmp_path):
    model = train_with_report(_sessions(engine, scorer, 300, _software_landscape), scorer.PRIOR_VERSION)
    path = tmp_path / "m.joblib"
    model.save(path)
    refused = Services.build(Settings(model_path=path, model_min_outcomes=100_000))
    assert refused.scorer.model is None and refused.screen(corp()).model_version == "prior-3"
    used = Services.build(Settings(model_path=path, model_min_outcomes=100))
    assert used.scorer.model is not None and used.screen(corp()).model_version.startswith("prior-3+corr-")


def test_records_round_trip_and_become_sessions(engine, scorer):
    prof = {**corp(industry="software", phase="launch", domestic_applications=["patent"]), "company_name": "株式会社秘密"}
    shown = scorer.rank(engine.screen(prof))
    items = tuple(ShownItem(r.program_id, r.rank, round(r.score, 4), r.status) for r in shown.results if r.rank)
    recs = [
        ShownList("sc-1", "2026-11-30T10:00:00Z", shown.catalog_version, shown.model_version, scorer.ranker,
                  prof, items),
        Decision("sc-1", items[2].program_id, "pick", "2026-11-30T10:05:00Z", reason=None),
        Decision("sc-1", items[4].program_id, "skip", "2026-11-30T10:05:00Z", reason="対象外の業種"),
        Stage("sc-1", items[2].program_id, "adopted", "2027-02-01"),
    ]
    lines = [to_json(r) for r in recs]
    assert "株式会社秘密" not in "".join(lines)  # the snapshot drops the company name
    back = list(read_records(lines))
    assert back[1:] == recs[1:] and isinstance(back[0], ShownList) and "company_name" not in back[0].profile
    [sess] = sessions_from_records(back, engine, scorer)
    assert sess.gains == {items[2].program_id: 3.0}  # an adoption outweighs the pick
    # What the advisor read (the first READ positions) and did not take, the explicit skip among them.
    assert sess.negatives == {i.program_id for i in items if i.position <= READ} - {items[2].program_id}
    assert items[4].program_id in sess.negatives
    assert sess.n_outcomes == 3


def test_legacy_export_rows_are_read_and_bad_rows_named():
    rows = [json.dumps({"profile": corp(), "program_id": "ipas", "outcome": "referred"}),
            json.dumps({"profile": corp(), "program_id": "ip_finance", "outcome": "not_suitable"})]
    recs = list(read_records(rows))
    assert [type(r).__name__ for r in recs] == ["ShownList", "Decision", "ShownList", "Decision"]
    assert recs[0].screening_id == recs[2].screening_id  # one case, one session
    with pytest.raises(ValueError, match="<input>:1"):
        list(read_records(['{"type": "stage", "screening_id": "x", "program_id": "p", "stage": "won", "on": "d"}']))
    with pytest.raises(ValueError, match="unknown record type"):
        from_dict({"type": "click"})


def test_train_command_writes_the_model_with_its_report(tmp_path, capsys):
    from matching.__main__ import main
    from tests.support.paths import ROOT

    out = tmp_path / "model.joblib"
    assert main(["train", "--cases", str(ROOT / "tests" / "data" / "labelled"), "--out", str(out),
                 "--min-outcomes", "100000"]) == 0
    text = capsys.readouterr().out
    assert "NOT USED" in text and "fewer than 100000" in text
    model = joblib.load(out)
    assert set(model.report["holdout"]) == {"prior", "model"}
    assert {"ndcg@3", "hit@1", "auc"} <= set(model.report["holdout"]["prior"])
    assert model.report["holdout_sessions"] > 0 and model.prior_version == "prior-3"
