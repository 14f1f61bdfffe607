"""法人番号 prefill in a browser (issue 13): the applicant's questionnaire and the advisor's new case, each filled
from a local fake gBizINFO with the source shown next to the values; axe-core finds no serious problem."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from app.companies.tests import fake_gbizinfo as f
from app.companies.tests.fake_gbizinfo import FakeGbiz
from app.console.seed import DEMO_PASSWORD

from .navi_browser import AXE_JS, DESKTOP, Server, axe_violations, describe, missing, start_server

SOURCE = "gBizINFO（2026年7月1日更新）より"


@pytest.fixture(scope="module")
def gbiz_server(tmp_path_factory: pytest.TempPathFactory, chromium: Any) -> Iterator[Server]:
    fake = FakeGbiz().start()
    server = start_server(tmp_path_factory.mktemp("prefill-server"),
                          {"NAVI_GBIZINFO_BASE_URL": fake.url, "NAVI_GBIZINFO_TOKEN": f.TOKEN})
    try:
        yield server
    finally:
        server.stop()
        fake.stop()


@pytest.fixture
def gpage(chromium: Any, gbiz_server: Server) -> Iterator[Any]:
    if not AXE_JS.exists():
        missing(f"{AXE_JS} is missing (npm ci)")
    context = chromium.new_context(base_url=gbiz_server.url, viewport=DESKTOP, locale="ja-JP",
                                   timezone_id="Asia/Tokyo", bypass_csp=True)
    context.set_default_timeout(20_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def submit(page: Any, name: str) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name=name, exact=True).click()


def no_blocking_problem(page: Any) -> None:
    blocking = [v for v in axe_violations(page) if v["impact"] in ("serious", "critical")]
    assert not blocking, describe(blocking)


def test_the_questionnaire_fills_its_answers_from_the_number(gpage: Any) -> None:
    page = gpage
    page.goto("/")
    page.get_by_label("個人情報の取り扱いに同意します").check()
    submit(page, "はじめる")
    page.get_by_label("法人番号", exact=False).first.fill("９０１０－４０１１－２３４５６")  # 全角 and hyphens
    submit(page, "法人番号から入力する")
    expect(page.get_by_label("本社（主な事業所）の都道府県", exact=True)).to_have_value("東京都")
    expect(page.get_by_text(SOURCE).first).to_be_visible()
    no_blocking_problem(page)
    # The next step's answers (founding, capital) are filled too, each with its source, and stay editable.
    page.get_by_role("group", name="申請者の種類", exact=True).get_by_role("radio", name="会社・法人").check()
    submit(page, "次へ")
    expect(page).to_have_url(re.compile(r"/business$"))
    capital = page.get_by_label("資本金（出資の総額）", exact=True)
    expect(capital).to_have_value("30000000")
    capital.fill("2,000万円")
    expect(capital).to_have_value("2,000万円")
    no_blocking_problem(page)


def test_a_new_console_case_fills_its_form_from_the_number(gpage: Any) -> None:
    page = gpage
    page.goto("/console/login")
    page.get_by_label("メールアドレス").fill("advisor.tokyo@example.jp")
    page.get_by_label("パスワード").fill(DEMO_PASSWORD)
    with page.expect_navigation():
        page.get_by_label("パスワード").press("Enter")
    page.goto("/console/cases/new")
    page.get_by_label("法人番号から入力（任意）").fill(f.SAMPLE)
    submit(page, "gBizINFOから入力する")
    notice = page.locator("#prefill-filled")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("資本金")
    no_blocking_problem(page)
    # A wrong check digit: a message next to the field, nothing asked.
    page.get_by_label("法人番号から入力（任意）").fill("9010401123457")
    submit(page, "gBizINFOから入力する")
    expect(page.get_by_label("法人番号から入力（任意）")).to_have_attribute("aria-invalid", "true")
    no_blocking_problem(page)
