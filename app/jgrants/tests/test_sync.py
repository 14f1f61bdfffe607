"""The sync against the fake server, on SQLite and PostgreSQL: rounds applied, drafts, idempotence, failures."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Engine, func, select
from sqlmodel import Session

from app.jgrants.models import JGrantsDraft, JGrantsRound, JGrantsSyncRun
from app.jgrants.parse import JST
from app.jgrants.rounds import published_rounds, rounds_digest
from app.jgrants.sync import sync_jgrants
from app.jgrants.tests.conftest import make_client
from app.jgrants.tests.fake_jgrants import detail_record

NOW = dt.datetime(2026, 8, 17, 3, 0, tzinfo=dt.UTC)
KEYWORDS = ("出願", "知財", "知的財産", "特許", "商標", "侵害", "INPIT", "海外展開")
WAKAYAMA, GIFU, INPIT_INTERIM, TOKYO_TM = ("a0WJ200000CDe5zMAD", "a0WJ200000CDdfVMAT", "a0WJ200000CDXmVMAX",
                                          "a0WJ200000CDYR2MAP")


def run(engine: Engine, programs: dict, base: str, now: dt.datetime = NOW, **kw: Any):
    with make_client(base, **kw) as client:
        return sync_jgrants(engine, programs, client, keywords=KEYWORDS, now=now)


def rounds(engine: Engine) -> dict[str, JGrantsRound]:
    with Session(engine) as db:
        return {r.key: r for r in db.exec(select(JGrantsRound)).scalars()}  # type: ignore[call-overload]


def drafts(engine: Engine, status: str | None = None) -> list[JGrantsDraft]:
    with Session(engine) as db:
        stmt = select(JGrantsDraft)
        if status:
            stmt = stmt.where(JGrantsDraft.status == status)  # type: ignore[arg-type]
        return list(db.exec(stmt).scalars())  # type: ignore[call-overload]


def content(engine: Engine) -> dict[str, tuple]:
    """What a user would see of each round (not when it was last checked)."""
    return {k: (r.program_id, r.area, r.name_ja, r.opens_at, r.closes_at, r.source_href, r.changed_at)
            for k, r in rounds(engine).items()}


def test_sync_applies_rounds_of_known_programs_and_drafts_the_rest(db, fake, known_programs):
    server, base = fake
    server.serve_fixtures()
    s = run(db, known_programs, base)
    assert s.status == "ok" and s.calls_seen == 4 and s.calls_ignored == 0
    # the two prefectural 2次募集 are published at once, with JST datetimes from the UTC answer
    got = rounds(db)
    assert set(got) == {WAKAYAMA, GIFU} and s.rounds_added == 2
    gifu = got[GIFU]
    assert (gifu.program_id, gifu.area, gifu.fiscal_year, gifu.name_ja) == (
        "foreign_filing_subsidy", "岐阜県", 2026, "令和8年度 2次募集")
    assert gifu.closes_at.astimezone(JST) == dt.datetime(2026, 8, 24, 17, 0, tzinfo=JST)
    assert gifu.source_href == f"https://www.jgrants-portal.go.jp/subsidy/{GIFU}"
    assert gifu.source_title.startswith("出典: Jグランツ") and gifu.api_url.startswith(base)
    assert got[WAKAYAMA].operator_ja == "わかやま産業振興財団"
    # INPIT 中間手続補助 and Tokyo's 海外商標対策 are programs this catalog lacks: drafts, never published
    ds = drafts(db)
    assert {(d.jgrants_id, d.kind) for d in ds} == {(INPIT_INTERIM, "new_program"), (TOKYO_TM, "new_program")}
    assert s.drafts_created == 2 and all(d.status == "pending" for d in ds)
    inpit = next(d for d in ds if d.jgrants_id == INPIT_INTERIM)
    assert "中間手続" in inpit.call_text and "外国における" in inpit.call_text  # the call's text from v1
    assert inpit.proposed["rounds"][0]["closes_at"] == "2026-12-14T17:00:00+09:00"
    with Session(db) as session:
        run_row = session.exec(select(JGrantsSyncRun)).scalars().one()  # type: ignore[call-overload]
    assert (run_row.status, run_row.rounds_added, run_row.drafts_created) == ("ok", 2, 2)
    assert run_row.finished_at is not None


def test_second_sync_changes_nothing(db, fake, known_programs):
    server, base = fake
    server.serve_fixtures()
    run(db, known_programs, base)
    before, n_drafts = content(db), len(drafts(db))
    s = run(db, known_programs, base, now=NOW + dt.timedelta(days=1))
    assert (s.rounds_added, s.rounds_changed, s.rounds_unchanged, s.drafts_created) == (0, 0, 2, 0)
    assert content(db) == before and len(drafts(db)) == n_drafts
    assert {r.checked_at for r in rounds(db).values()} == {dt.date(2026, 8, 18)}  # checked again, same facts


def test_new_dates_are_applied_and_counted_as_changed(db, fake, known_programs):
    server, base = fake
    server.serve_fixtures()
    run(db, known_programs, base)
    digest = rounds_digest(db)
    run(db, known_programs, base, now=NOW + dt.timedelta(days=1))
    assert rounds_digest(db) == digest  # checked again, nothing new: the same catalog
    server.set(GIFU, "acceptance_end_datetime", "2026-08-31T08:00:00.000Z")  # extended by a week
    s = run(db, known_programs, base)
    assert (s.rounds_changed, s.rounds_unchanged, s.drafts_created) == (1, 1, 0)
    assert rounds(db)[GIFU].closes_at.astimezone(JST) == dt.datetime(2026, 8, 31, 17, 0, tzinfo=JST)
    assert rounds_digest(db) != digest


def test_money_that_differs_is_a_draft_and_not_set_is_no_difference(db, fake, known_programs):
    server, base = fake
    server.serve_fixtures()
    server.set(GIFU, "subsidy_max_limit", 2500000)  # the catalog says ¥3M per company
    server.set(WAKAYAMA, "subsidy_max_limit", 0)  # "not set"
    s = run(db, known_programs, base)
    money = [d for d in drafts(db) if d.kind == "money"]
    assert [d.jgrants_id for d in money] == [GIFU] and s.drafts_created == 3
    (change,) = money[0].proposed["changes"]
    assert change["field"] == "subsidy_max_limit" and change["jgrants"] == 2500000 and 3000000 in change["catalog"]
    assert set(rounds(db)) == {GIFU, WAKAYAMA}  # the dates are facts all the same
    server.set(WAKAYAMA, "subsidy_max_limit", "Null")
    assert run(db, known_programs, base).drafts_created == 0  # the same money draft is not added twice


def test_rate_and_limit_of_a_known_new_program(db, fake, known_programs):
    """Once the catalog has Tokyo's program (cap ¥5M, 1/2), its round is published; a new rate is a draft."""
    server, base = fake
    server.serve_fixtures()
    tokyo = known_programs["foreign_filing_subsidy"].model_copy(update={"id": "tokyo_overseas_trademark"})
    programs = {**known_programs, "tokyo_overseas_trademark": tokyo}
    server.v1[TOKYO_TM] = {**server.records[TOKYO_TM], "subsidy_rate": "2/3以内", "subsidy_max_limit": 3000000}
    run(db, programs, base)
    r = rounds(db)[TOKYO_TM]
    assert (r.area, r.operator_ja) == ("東京都", "東京都知的財産総合センター")
    assert r.prerequisites[0]["ja"].startswith("東京都知的財産総合センターの知財相談")
    money = [d for d in drafts(db) if d.jgrants_id == TOKYO_TM]
    assert [d.kind for d in money] == ["money"]
    assert [c["field"] for c in money[0].proposed["changes"]] == ["subsidy_rate"]


def test_unplaced_ip_call_is_a_draft_and_other_calls_are_ignored(db, fake, known_programs):
    server, base = fake
    server.add({"id": "a0WJ20000UNKNOWN1", "title": "令和８年度 知的財産活用促進補助金", "target_area_search": "福岡県",
                "acceptance_start_datetime": "2026-05-01T00:00:00.000Z",
                "acceptance_end_datetime": "2026-09-30T08:00:00.000Z"})
    server.add({"id": "a0WJ20000FAIRS001", "title": "令和８年度 海外展開 展示会出展補助金"})
    s = run(db, known_programs, base)
    assert (s.calls_seen, s.calls_ignored, s.drafts_created) == (2, 1, 1)
    (d,) = drafts(db)
    assert d.kind == "unplaced" and d.proposed["call"]["areas"] == ["福岡県"] and rounds(db) == {}


def test_workflow_rounds_and_unreadable_windows(db, fake, known_programs):
    server, base = fake
    listed = {"id": "a0WJ20000INPITR8X", "title": "【令和８年度】INPIT外国出願補助金", "target_area_search": "全国"}
    server.add(listed, v2={**listed, "subsidy_rate": "1/2", "subsidy_max_limit": 3000000, "workflow": [
        {"id": "wf2", "fiscal_year_round": "第2回", "acceptance_start_datetime": "2026-03-02T01:00Z",
         "acceptance_end_datetime": "2026-03-23T08:00Z"},
        {"id": "wf3", "fiscal_year_round": "第3回", "acceptance_start_datetime": "2026-06-08T01:00Z",
         "acceptance_end_datetime": "2026-06-29T08:00Z"},
        {"id": "wf4", "fiscal_year_round": "第4回", "acceptance_start_datetime": "未定"},
    ]})
    s = run(db, known_programs, base)
    got = rounds(db)
    assert set(got) == {"a0WJ20000INPITR8X#wf2", "a0WJ20000INPITR8X#wf3"} and s.rounds_added == 2
    r2 = got["a0WJ20000INPITR8X#wf2"]
    assert (r2.program_id, r2.fiscal_year, r2.name_ja, r2.area) == (
        "inpit_foreign_filing_subsidy", 2026, "令和8年度 第2回", "全国")  # 公募年度 2026, though in March
    assert [(d.kind, d.round_key) for d in drafts(db)] == [("dates", "a0WJ20000INPITR8X#wf4")]
    # v2 fails next time: v1's window (03-02 – 06-29) spans the rounds and must not become a round of its own
    server.faults["/v2/"] = "500"
    server.v1[listed["id"]] = {**listed, "acceptance_start_datetime": "2026-03-02T01:00:00.000Z",
                               "acceptance_end_datetime": "2026-06-29T08:00:00.000Z"}
    s = run(db, known_programs, base)
    assert set(rounds(db)) == set(got) and s.rounds_added == 0


def test_old_calls_keep_their_rounds_but_propose_no_drafts(db, fake, known_programs):
    server, base = fake
    server.add({"id": "a0WJ20000OLDGIFU1", "title": "【岐阜県】令和５年度_中小企業等海外展開支援事業費補助金（海外出願支援事業）",
                "target_area_search": "岐阜県", "subsidy_max_limit": 2000000,
                "acceptance_start_datetime": "2023-05-10T00:00:00.000Z",
                "acceptance_end_datetime": "2023-06-30T08:00:00.000Z"})
    server.add({"id": "a0WJ20000OLDIP001", "title": "令和５年度 知的財産活用促進補助金",
                "acceptance_start_datetime": "2023-05-10T00:00:00.000Z",
                "acceptance_end_datetime": "2023-06-30T08:00:00.000Z"})
    for rid in list(server.records):
        server.v1[rid] = dict(server.records[rid])
    s = run(db, known_programs, base)
    assert s.drafts_created == 0 and list(rounds(db)) == ["a0WJ20000OLDGIFU1"]
    assert rounds(db)["a0WJ20000OLDGIFU1"].fiscal_year == 2023


def test_a_failing_api_loses_nothing(db, fake, known_programs):
    server, base = fake
    server.serve_fixtures()
    run(db, known_programs, base)
    before, n_drafts = content(db), len(drafts(db))
    server.faults["/v1/"] = "500"
    s = run(db, known_programs, base)
    assert s.status == "failed" and s.error and content(db) == before and len(drafts(db)) == n_drafts
    server.faults = {"/v1/": "timeout"}
    server.delay = 0.5
    s = run(db, known_programs, base, timeout=0.1, retries=0)
    assert s.status == "failed" and "time-out" in s.failures[0] and content(db) == before
    with Session(db) as session:
        statuses = [r.status for r in session.exec(select(JGrantsSyncRun).order_by(  # type: ignore[call-overload]
            JGrantsSyncRun.started_at)).scalars()]  # type: ignore[arg-type]
    assert statuses.count("failed") == 2


def test_a_partial_or_empty_answer_erases_no_round(db, fake, known_programs):
    server, base = fake
    server.serve_fixtures()
    run(db, known_programs, base)
    before = content(db)
    server.records.clear()  # the API answers, but lists nothing
    s = run(db, known_programs, base)
    assert s.status == "ok" and s.calls_seen == 0 and content(db) == before
    server.serve_fixtures()
    server.faults["/v2/"] = "invalid"  # details unreadable: the list records still carry the dates
    server.faults["/v1/public/subsidies/id/"] = "shape"
    s = run(db, known_programs, base)
    assert s.status == "partial" and s.failures and content(db) == before
    server.faults = {"/v2/": "timeout", "/v1/public/subsidies/id/": "timeout"}  # details time out
    server.delay = 0.3
    s = run(db, known_programs, base, timeout=0.1, retries=0)
    assert s.status == "partial" and all("time-out" in f for f in s.failures) and content(db) == before


def test_published_rounds_have_the_agreed_round_shape(db, fake, known_programs):
    server, base = fake
    server.serve_fixtures()
    run(db, known_programs, base)
    out = published_rounds(db)
    assert [r["area"] for r in out] == ["和歌山県", "岐阜県"] or [r["area"] for r in out] == ["岐阜県", "和歌山県"]
    r = next(x for x in out if x["area"] == "岐阜県")
    assert set(r) == {"program_id", "fiscal_year", "area", "name", "operator", "operator_url", "opens_at",
                      "closes_at", "prerequisites", "source", "checked_at", "jgrants_id"}
    assert r["opens_at"] == dt.datetime(2026, 7, 24, 10, 0, tzinfo=JST) and r["opens_at"].utcoffset()
    assert r["name"] == {"ja": "令和8年度 2次募集", "en": "FY2026 2nd call"}
    assert r["operator"] == {"ja": "岐阜県", "en": "Gifu Prefecture"}
    assert r["source"]["title"].startswith("出典: Jグランツ") and r["checked_at"] == dt.date(2026, 8, 17)


def test_aichi_round_needs_its_pre_registration(db, fake, known_programs):
    server, base = fake
    aichi = detail_record("detail-response.aichi-foreign-filing-r8-2nd.json")
    listed = {"id": aichi["id"], "title": aichi["title"], "target_area_search": "愛知県",
              "acceptance_start_datetime": "2026-07-16T15:00:00.000Z",
              "acceptance_end_datetime": "2026-08-07T08:00:00.000Z", "subsidy_max_limit": 3000000}
    server.add(listed, v1=aichi)
    s = run(db, known_programs, base)
    assert s.drafts_created == 0  # ¥3M and 1/2以内 are the catalog's values
    r = rounds(db)[aichi["id"]]
    assert r.operator_ja == "あいち産業振興機構" and r.prerequisites[0]["ja"].startswith("事前申込")
    with Session(db) as session:
        assert session.scalar(select(func.count()).select_from(JGrantsDraft)) == 0
