"""The prior of issue 17: who acts, money relative to the largest amount, needs in the description, no IP yet,
windows and alternatives — each signal with its reason."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from eligibility.profile import parse_profile
from matching.scorer import Scorer, Weights
from matching.signals import ActionPolicy
from tests.support.helpers import corp


def ranked(scorer, engine, profile, tweak=None):
    s = engine.screen(profile)
    if tweak:
        tweak(s)
    s = scorer.rank(s)
    return s, [r.program_id for r in s.results if r.rank is not None]


def sig(result, name):
    return next((x for x in result.signals if x["signal"] == name), None)


STARTUP = dict(established_on="2023-04-01", employees=6, phase="concept", vc_backed=True,
               domestic_applications=["patent"], patent_exam_status="requested",
               interests=["mentoring", "fast_examination"])


def test_actionable_programs_rank_above_push_and_investor_routes(engine, scorer):
    s, order = ranked(scorer, engine, corp(**STARTUP))
    assert order[0] == "patent_accelerated_exam_startup"
    for actionable in ("patent_accelerated_exam_startup", "ipas"):
        for other in ("pass_push_support", "vc_ipas"):
            assert order.index(actionable) < order.index(other), (actionable, other, order)
    pass_ = s.result("pass_push_support")
    assert sig(pass_, "action")["value"] == "push" and sig(pass_, "action")["actionable"] is False
    assert "申請は不要" in " ".join(pass_.recommendation_ja)
    assert sig(s.result("vc_ipas"), "action")["value"] == "via_third_party"


def test_a_vc_applies_to_vc_ipas_itself(engine, scorer):
    s, order = ranked(scorer, engine, {"as_of": "2025-05-12", "applicant_type": "vc", "prefecture": "東京都",
                                       "interests": ["mentoring"]})
    assert order[0] == "vc_ipas"
    assert sig(s.result("vc_ipas"), "action")["value"] == "apply"
    assert sig(s.result("vc_ipas"), "audience") is not None


def test_money_is_relative_to_the_largest_amount_not_a_log_scale(engine, scorer):
    prof = corp(as_of="2025-08-01", established_on="1990-04-01", employees=40, phase="expansion",
                domestic_applications=["patent"], chamber_member=True,
                overseas_disputes=[{"kind": "defense", "cost_yen": 6_000_000}],
                litigation_insurance={"premium_yen": 400_000, "renewal": False})
    s, order = ranked(scorer, engine, prof)
    d, ins = s.result("defensive_countermeasure"), s.result("ip_litigation_insurance")
    assert d.estimate.amount_yen == 4_000_000 and ins.estimate.amount_yen == 200_000
    assert order.index("defensive_countermeasure") < order.index("ip_litigation_insurance")
    assert sig(d, "money")["value"] == 1.0
    assert sig(ins, "money")["value"] == pytest.approx(0.05)


def test_a_need_in_the_description_counts_and_becomes_the_question(engine, scorer):
    prof = corp(as_of="2026-12-01", established_on="1990-01-01", employees=40, domestic_applications=["trademark"],
                interests=["overseas"], description="タイで自社製品の模倣品が出回っている。対策したい。")
    s, order = ranked(scorer, engine, prof)
    assert order[0] == "counterfeit_countermeasure"
    top = s.results[0]
    assert "overseas_disputes" in top.missing_facts
    d = sig(top, "description_need")
    assert d["value"] == "模倣品" and d["fact"] == "overseas_disputes"
    assert "模倣品" in d["question_ja"] and d["question_en"]
    assert "模倣品" in top.recommendation_ja[0]
    # Without the words, the same program is only a question among others, not first and with a lower score.
    s2, plain = ranked(scorer, engine, {**prof, "description": "タイに輸出している。"})
    assert plain.index("counterfeit_countermeasure") > 0
    assert s2.result("counterfeit_countermeasure").score < top.score - 0.1


def test_a_negated_need_does_not_count(engine, scorer):
    prof = corp(description="模倣品の被害はない。国内の販路を広げたい。", domestic_applications=["trademark"])
    s, _ = ranked(scorer, engine, prof)
    assert sig(s.result("counterfeit_countermeasure"), "description_need") is None


def test_no_ip_yet_steers_to_the_desk_and_strategy_help_first(engine, scorer):
    prof = corp(domestic_applications=[], foreign_filings=[], patent_exam_status="none", phase="launch",
                interests=["partnership"], description="飲食店を開業した。")
    s, order = ranked(scorer, engine, prof)
    assert order[0] == "ip_support_desk"
    assert "ip_strategy_expert" in order[:3]
    assert sig(s.results[0], "no_ip")["reason_ja"].startswith("まだ出願がない")


def test_generic_programs_do_not_rise_on_phase_and_text_alone(engine, scorer):
    for phase in ("concept", "launch", "expansion"):
        prof = corp(phase=phase, domestic_applications=["trademark"],
                    description="オープンイノベーションで事業会社と連携し、地域金融機関とも付き合いがある。")
        _, order = ranked(scorer, engine, prof)
        assert "oi_model_contracts" not in order[:3] and "ip_finance" not in order[:3], order


def test_stated_contract_need_lifts_the_templates(engine, scorer):
    prof = corp(phase="launch", domestic_applications=["patent"],
                description="大手企業と共同開発契約を結ぶ。契約書の書き方を知りたい。")
    s, order = ranked(scorer, engine, prof)
    assert order[0] == "oi_model_contracts"
    assert sig(s.result("oi_model_contracts"), "action")["contribution"] == 1.0


FILER = corp(as_of="2025-09-01", established_on="1990-04-01", employees=30, phase="expansion",
             domestic_applications=["trademark"], interests=["overseas"],
             foreign_filings=[{"right": "trademark", "cost_yen": 1_100_000, "already_filed": False}])


@pytest.mark.parametrize(("open_", "closed"), [("foreign_filing_subsidy", "inpit_foreign_filing_subsidy"),
                                               ("inpit_foreign_filing_subsidy", "foreign_filing_subsidy")])
def test_an_open_window_ranks_above_a_closed_one(engine, scorer, open_, closed):
    def windows(s):
        s.result(open_).window = SimpleNamespace(status="open")
        s.result(closed).window = SimpleNamespace(status="closed")
    s, order = ranked(scorer, engine, FILER, windows)
    assert order[0] == open_
    assert sig(s.result(closed), "window")["value"] == "closed"
    assert "公募中" in sig(s.result(open_), "window")["reason_ja"]


def test_alternatives_are_never_both_in_the_top_three(engine, scorer):
    s, order = ranked(scorer, engine, FILER)
    assert not {"foreign_filing_subsidy", "inpit_foreign_filing_subsidy"} <= set(order[:3])
    demoted = s.results[3]
    assert sig(demoted, "alternative") is not None and "どちらか一方" in sig(demoted, "alternative")["reason_ja"]
    scores = [r.score for r in s.results if r.rank]
    assert scores == sorted(scores, reverse=True)


def test_alternatives_read_from_the_result_when_the_catalog_gives_them(engine, scorer):
    _, before = ranked(scorer, engine, FILER)
    second = before[1]

    def alts(s):
        s.result(before[0]).alternatives = (second,)
    _, after = ranked(scorer, engine, FILER, alts)
    assert second not in after[:3] and after[0] == before[0]


def test_every_signal_has_a_reason_in_both_languages(engine, scorer):
    s, _ = ranked(scorer, engine, corp(**STARTUP, description="早く特許を取りたい"))
    for r in s.results:
        for x in r.signals:
            assert x["reason_ja"] and x["reason_en"], (r.program_id, x)


def test_action_classes_are_data(catalog):
    w = Weights.load()
    pol = w.action
    prog = catalog.programs
    assert pol.class_of(prog["pass_push_support"], parse_profile({"applicant_type": "corporation"})) == "push"
    assert pol.class_of(prog["vc_ipas"], parse_profile({"applicant_type": "vc"})) == "apply"
    assert pol.class_of(prog["vc_ipas"], parse_profile({"applicant_type": "corporation"})) == "via_third_party"
    assert pol.class_of(prog["ipas"], parse_profile({})) == "apply"  # by kind
    with pytest.raises(ValueError, match="action.by_kind.subsidy: unknown class 'nope'"):
        ActionPolicy.from_dict({"classes": {"apply": 1.0}, "actionable": ["apply"], "by_kind": {"subsidy": "nope"}})


def test_prior_has_no_model(scorer):
    assert isinstance(scorer, Scorer) and scorer.ranker == "prior" and scorer.version == "prior-3"


def test_the_question_is_asked_only_when_the_structured_answer_is_missing(engine, scorer):
    text = "大手企業と共同開発契約を結ぶ。契約書の書き方を知りたい。"
    s, _ = ranked(scorer, engine, corp(phase="launch", domestic_applications=["patent"], description=text))
    asked = sig(s.result("oi_model_contracts"), "description_need")
    assert asked["fact"] == "interests" and "契約" in asked["question_ja"]
    s, _ = ranked(scorer, engine, corp(phase="launch", domestic_applications=["patent"], description=text,
                                       interests=["partnership"]))
    answered = sig(s.result("oi_model_contracts"), "description_need")
    assert answered is None or "question_ja" not in answered


def test_no_generic_program_first_for_a_chamber_member_list(engine, scorer):
    import random

    rng = random.Random(23)
    firsts = set()
    for _ in range(23):
        prof = corp(established_on=f"{rng.randint(1960, 2022)}-04-01", employees=rng.choice([3, 12, 40, 150]),
                    industry=rng.choice(["manufacturing", "retail", "services", "wholesale", "software"]),
                    phase=rng.choice(["concept", "launch", "expansion"]), chamber_member=True,
                    interests=rng.sample(["ip_strategy", "consultation", "overseas", "market_analysis"], 1),
                    domestic_applications=rng.choice([["trademark"], ["patent"], ["design", "trademark"]]),
                    description=rng.choice(["地域の商工会議所の会員企業です。", "事業を広げたい。", None]))
        _, order = ranked(scorer, engine, prof)
        firsts.add(order[0])
        assert "oi_model_contracts" not in order[:3] and "ip_finance" not in order[:3], order
    assert len(firsts) >= 2  # the first program follows the member, not one program for all


def test_a_rule_anyone_meets_is_no_reason_to_rank_a_template_first(engine, scorer):
    """Issue 14: a chamber's roster row says little (name, address, industry) and its 関心 「連携」 lifts the
    OIモデル契約書 template; its only rule is `always`, so it was the one 「対象」 program while every program
    the member could act on was still 要確認 — first for every member. Anyone meeting a rule is not a fit."""
    for row in ({"interests": ["partnership"]},
                {"interests": ["partnership"], "applicant_type": "corporation", "employees": 20},
                {"interests": ["partnership"], "industry": "manufacturing", "phase": "launch"}):
        profile = parse_profile({"as_of": "2026-12-01", "company_name": "株式会社丸の内印刷", "prefecture": "東京都",
                                 **row})
        s, order = ranked(scorer, engine, profile)
        assert order[0] != "oi_model_contracts", (row, order[:3])
        status = sig(s.result("oi_model_contracts"), "status")
        assert status["value"] == "open_to_anyone" and "誰でも使えます" in status["reason_ja"]
    # A stated need (a contract to draft, in the description) still puts the template first.
    s, order = ranked(scorer, engine, corp(interests=["partnership"], description="大学と共同研究契約を結ぶ予定"))
    assert sig(s.result("oi_model_contracts"), "status")["value"] == "eligible"
    assert order.index("oi_model_contracts") < 3, order


def test_a_municipal_program_with_the_municipality_unknown_is_asked_not_ranked_first(engine, scorer):
    # DOMAIN.md §7.4: 岡崎市 / 小牧市 programs need the 市区町村; an 愛知県 company that did not give one is in
    # one of dozens of municipalities (weights.yaml status.needs_info_area).
    want = dict(as_of="2026-07-01", prefecture="愛知県", established_on="2005-04-01", employees=30,
                domestic_applications=["patent"], patent_exam_status="planned",
                description="新しい加工方法の特許を出願したい。")
    s, order = ranked(scorer, engine, corp(**want))
    for city in ("okazaki_ip_acquisition", "komaki_ip_acquisition"):
        r = s.result(city)
        assert r.status == "needs_info" and "municipality" in r.missing_facts
        assert sig(r, "status")["value"] == "needs_info_area"
        assert "市区町村" in sig(r, "status")["reason_ja"] and "municipality" in sig(r, "status")["reason_en"]
        assert "市区町村" in r.recommendation_ja[0] and "municipality" in r.recommendation_en[0]  # said first
        assert order.index(city) > order.index("ip_support_desk"), order
        assert order.index(city) > order.index("fee_reduction"), order
    # Given, the city's program is the first step (a concrete need, in the applicant's own city).
    s, order = ranked(scorer, engine, corp(**want, municipality="岡崎市", local_site_6_months=True))
    assert order[0] == "okazaki_ip_acquisition" and s.result("okazaki_ip_acquisition").status == "eligible"
    assert sig(s.result("okazaki_ip_acquisition"), "status")["value"] == "eligible"


def test_a_known_area_keeps_the_identity_weight(engine, scorer):
    # Only the place counts as needs_info_area: an unknown size keeps needs_info.
    s, _ = ranked(scorer, engine, corp(as_of="2026-07-01", employees=None, capital_yen=None,
                                       domestic_applications=["patent"], patent_exam_status="planned"))
    keys = {sig(r, "status")["value"] for r in s.results if r.rank is not None and r.status == "needs_info"
            and not {"prefecture", "municipality"} & set(r.missing_facts)}
    assert "needs_info_area" not in keys and keys


def test_fy2026_needs_stated_in_the_description(engine, scorer):
    # DOMAIN.md §7.4: 東京都's 特許調査費用助成 — a search stated only in words is the first program and a question.
    s, order = ranked(scorer, engine, corp(as_of="2026-07-01", domestic_applications=["patent"],
                                           description="新製品を出す前に、他社の特許を侵害しないか特許調査をしたい。"))
    assert order[0] == "tokyo_patent_search", order
    d = sig(s.result("tokyo_patent_search"), "description_need")
    assert d["fact"] == "patent_search_planned" and "調査" in d["question_ja"]
    # A Japanese application's 拒絶理由 is not INPIT's 中間手続 for a foreign one.
    s, _ = ranked(scorer, engine, corp(as_of="2026-07-01", domestic_applications=["patent"],
                                       description="国内の特許出願に拒絶理由通知が来た。"))
    assert sig(s.result("inpit_foreign_filing_interim"), "description_need") is None
    s, order = ranked(scorer, engine, corp(as_of="2026-07-01", domestic_applications=["patent"],
                                           description="外国出願の拒絶理由への応答費用が心配。"))
    assert sig(s.result("inpit_foreign_filing_interim"), "description_need") is not None
