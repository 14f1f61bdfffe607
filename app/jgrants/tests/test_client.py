"""The client against the fake server: keywords merged by id, paging or none, retries, faults, details."""

from __future__ import annotations

import datetime as dt

import pytest

from app.jgrants.client import JGrantsError
from app.jgrants.parse import JST
from app.jgrants.tests.conftest import make_client
from app.jgrants.tests.fake_jgrants import detail_record


def test_keywords_are_merged_by_id(fake):
    server, base = fake
    server.serve_fixtures()
    with make_client(base) as client:
        got = client.list_all(["出願", "商標", "INPIT"])
    # 出願 finds the two prefectural calls and INPIT's; 商標 finds Tokyo's; INPIT finds INPIT's again
    assert sorted(got.records) == sorted(server.records)
    assert got.ok == 6 and got.failures == []
    queried = {r.split("?", 1)[1] for r in server.requests}
    assert any("acceptance=1" in q for q in queried) and any("acceptance=0" in q for q in queried)


def test_open_calls_only_with_acceptance_1(fake):
    server, base = fake
    server.serve_fixtures()
    server.now = dt.datetime(2026, 9, 1, tzinfo=dt.UTC)  # the two 2次募集 closed on 08-24
    with make_client(base) as client:
        open_ids = {r["id"] for r in client.list_calls("出願", 1)}
        all_ids = {r["id"] for r in client.list_calls("出願", 0)}
    assert open_ids == {"a0WJ200000CDXmVMAX"}
    assert all_ids == {"a0WJ200000CDXmVMAX", "a0WJ200000CDe5zMAD", "a0WJ200000CDdfVMAT"}


def test_paging_when_the_answer_says_there_is_more(fake):
    server, base = fake
    for i in range(7):
        server.add({"id": f"a0WJ2000000000{i:02d}AA", "title": f"【岐阜県】令和８年度 特許{i}"})
    server.page_size = 3
    with make_client(base) as client:
        rows = client.list_calls("特許", 0)
    assert len(rows) == 7 and len({r["id"] for r in rows}) == 7
    assert sum("/v1/public/subsidies?" in r for r in server.requests) == 3  # 3 + 3 + 1


def test_no_paging_ends_after_one_request(fake):
    server, base = fake
    server.serve_fixtures()
    with make_client(base) as client:
        assert len(client.list_calls("令和", 0)) == 4
    assert len(server.requests) == 1


def test_short_keyword_is_refused_before_any_request(fake):
    _server, base = fake
    with make_client(base) as client, pytest.raises(ValueError):
        client.list_calls("特", 0)


def test_invalid_body_fails_that_query_only(fake):
    server, base = fake
    server.serve_fixtures()
    server.faults["/v1/public/subsidies"] = "invalid"
    with make_client(base) as client, pytest.raises(JGrantsError, match="not JSON"):
        client.list_calls("出願", 1)
    server.faults["/v1/public/subsidies"] = "shape"
    with make_client(base) as client:
        got = client.list_all(["出願"])
    assert got.ok == 0 and len(got.failures) == 2 and "no `result`" in got.failures[0]


def test_time_out_is_retried_then_reported(fake):
    server, base = fake
    server.serve_fixtures()
    server.faults["/v1/public/subsidies"] = "timeout"
    server.delay = 1.0
    with make_client(base, timeout=0.2, retries=1) as client, pytest.raises(JGrantsError, match="time-out after 2"):
        client.list_calls("出願", 0)
    assert len(server.requests) == 2


def test_429_and_5xx_are_retried_with_back_off(fake):
    server, base = fake
    server.serve_fixtures()
    server.faults["/v1/public/subsidies"] = "429-once"
    slept: list[float] = []
    with make_client(base, retries=2) as client:
        client._sleep = slept.append
        assert len(client.list_calls("出願", 0)) == 3
    assert len(server.requests) == 2 and slept and slept[0] > 0
    server.faults["/v1/public/subsidies"] = "500"
    with make_client(base, retries=2) as client:
        client._sleep = slept.append
        with pytest.raises(JGrantsError, match="HTTP 500 after 3"):
            client.list_calls("出願", 0)


def test_polite_rate_waits_between_requests(fake):
    server, base = fake
    server.serve_fixtures()
    slept: list[float] = []
    with make_client(base, min_interval=5.0) as client:
        client._sleep = slept.append
        client.list_calls("出願", 0)
        client.list_calls("出願", 1)
    assert len(slept) == 1 and 4.0 < slept[0] <= 5.0


def test_detail_v1_when_v2_is_absent_keeps_the_list_datetimes(fake):
    server, base = fake
    aichi = detail_record("detail-response.aichi-foreign-filing-r8-2nd.json")
    listed = {"id": aichi["id"], "title": aichi["title"], "target_area_search": "愛知県",
              "acceptance_start_datetime": "2026-07-16T15:00:00.000Z",
              "acceptance_end_datetime": "2026-08-07T08:00:00.000Z", "subsidy_max_limit": 3000000}
    server.add(listed, v1=aichi)
    with make_client(base) as client:
        call = client.call(listed)
    assert call.detail_version == "v1" and call.api_url.endswith(f"/v1/public/subsidies/id/{aichi['id']}")
    # the recorded detail's dates are JST dates with the time lost: the list's datetimes are used
    assert call.opens_at == dt.datetime(2026, 7, 17, 0, 0, tzinfo=JST)
    assert call.closes_at == dt.datetime(2026, 8, 7, 17, 0, tzinfo=JST)
    assert call.rate_text == "1/2" and call.max_limit == 3000000 and "事前申込" in call.text
    assert "農業、林業" in call.record["industry"].split(" / ")


def test_detail_v2_workflow_gives_each_round(fake):
    server, base = fake
    listed = {"id": "a0WJ20000INPITR8", "title": "【令和８年度】INPIT外国出願補助金", "target_area_search": "全国"}
    v2 = {**listed, "subsidy_rate": "1/2", "subsidy_max_limit": 0, "workflow": [
        {"id": "wf2", "fiscal_year_round": "第2回", "target_area_search": "全国",
         "acceptance_start_datetime": "2026-03-02T01:00Z", "acceptance_end_datetime": "2026-03-23T08:00Z"},
        {"id": "wf3", "fiscal_year_round": "第3回", "target_area_search": "全国",
         "acceptance_start_datetime": "2026-06-08T01:00:00.000Z", "acceptance_end_datetime": "2026-06-29T08:00:00.000Z"},
    ]}
    server.add(listed, v2=v2)
    with make_client(base) as client:
        call = client.call(listed)
    assert call.detail_version == "v2" and [w.name for w in call.workflow] == ["第2回", "第3回"]
    assert call.workflow[0].closes_at == dt.datetime(2026, 3, 23, 17, 0, tzinfo=JST)
    assert call.max_limit is None  # 0 = not set


def test_unreadable_detail_falls_back_to_the_list_record(fake):
    server, base = fake
    server.serve_fixtures()
    server.faults["/v2/"] = "invalid"
    server.faults["/v1/public/subsidies/id/"] = "500"
    record = server.records["a0WJ200000CDdfVMAT"]
    failures: list[str] = []
    with make_client(base) as client:
        call = client.call(record, failures)
    assert call.detail_version is None and call.title == record["title"]
    assert call.closes_at == dt.datetime(2026, 8, 24, 17, 0, tzinfo=JST) and len(failures) == 2
