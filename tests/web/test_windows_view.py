"""The window wording of app/web/windows_view.py from stored window dicts (the engine's Window.as_dict)."""

from __future__ import annotations

import datetime as dt

import pytest

from app.web.windows_view import freshness, window_text
from eligibility.engine import Engine

DEC2 = dt.date(2026, 12, 2)


def test_open_and_closing_soon() -> None:
    w = {"status": "open", "closes_at": "2026-12-14T17:00:00+09:00", "days_left": 12, "checked_at": "2026-11-30",
         "round": "令和8年度 第3回", "operator": "(公財)あいち産業振興機構", "operator_url": "https://www.aibsc.jp/",
         "prerequisites": ["事前申込", "公社知財相談"], "source_url": "https://www.jgrants-portal.go.jp/subsidy/x",
         "source_title": "Jグランツ"}
    t = window_text(w, "ja", DEC2)
    assert t is not None
    assert t.headline == "受付中：12月14日（月）17時まで（あと12日）"
    assert t.checked == "最終確認：11月30日" and t.prerequisites == ["事前申込", "公社知財相談"]
    soon = window_text({**w, "status": "closing_soon", "closes_at": "2026-12-07T23:59:59+09:00", "days_left": 5},
                       "ja", DEC2)
    assert soon is not None and soon.headline == "締切間近：12月7日（月）まで（あと5日）"
    en = window_text(w, "en", DEC2)
    assert en is not None and en.headline == "Open: until Mon 14 December, 17:00 (12 days left)"
    assert en.checked == "Last checked: 30 November"


def test_upcoming_next_year_names_the_year() -> None:
    t = window_text({"status": "upcoming", "opens_at": "2027-07-01T00:00:00+09:00"}, "ja", DEC2)
    assert t is not None and t.headline == "次回の受付：2027年7月1日（木）から"


def test_predicted_and_unconfirmed() -> None:
    last = {"name": "令和8年度 第1回", "fiscal_year": 2026, "opens_at": "2026-05-11T00:00:00+09:00",
            "closes_at": "2026-06-05T23:59:59+09:00"}
    t = window_text({"status": "closed", "predicted": True, "opens_at": "2027-05-11T00:00:00+09:00",
                     "last_round": last}, "ja", DEC2)
    assert t is not None and t.headline == "受付終了（令和8年度）"
    assert t.prediction == "次回は例年5月頃（令和8年度の実績から・予測）"
    u = window_text({"status": "unknown", "last_round": {**last, "name": "令和7年度 第1回", "fiscal_year": 2025,
                                                         "opens_at": "2025-05-12T00:00:00+09:00",
                                                         "closes_at": "2025-06-06T23:59:59+09:00"}}, "ja", DEC2)
    assert u is not None and u.headline.startswith("令和8年度の実施は未確認（前回：令和7年度 第1回 2025年5月12日")
    assert "受付中" not in u.headline
    assert window_text(None, "ja", DEC2) is None


def test_every_engine_window_has_a_headline(engine: Engine) -> None:
    """Every window the real catalog gives an Aichi SME, in both languages, reads as one of the forms."""
    profile = {"as_of": "2026-12-01", "applicant_type": "corporation", "prefecture": "愛知県", "employees": 10,
               "capital_yen": 10_000_000, "industry": "manufacturing"}
    heads = {"ja": ("受付中：", "締切間近：", "次回の受付：", "受付終了（", "令和8年度の実施は未確認", "公募"),
             "en": ("Open:", "Closing soon:", "Next call:", "Closed (", "FY2026 call not confirmed", "The call")}
    for lang in ("ja", "en"):
        for r in engine.screen(profile).as_dict(lang)["results"]:
            t = window_text(r["window"], lang, dt.date(2026, 12, 1))
            if t is not None:
                assert t.headline.startswith(heads[lang]), (r["program_id"], t.headline)


@pytest.mark.parametrize(("checked", "catalog", "stale"), [
    (dt.date(2026, 11, 30), dt.date(2026, 1, 1), False),  # the round's check wins over the catalog's date
    (None, dt.date(2026, 9, 1), True),
    (dt.date(2026, 10, 2), None, True),
])
def test_freshness(checked: dt.date | None, catalog: dt.date | None, stale: bool) -> None:
    text, flag = freshness(checked, catalog, DEC2, 60, "ja")
    assert flag is stale and text is not None and text.startswith("最終確認：")
