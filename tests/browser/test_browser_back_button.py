"""The browser's back button in the questionnaire: one address per step, so 「戻る」 of the browser returns to the
step before with the answers kept (issue 14, item 3); axe-core finds no serious or critical problem on the way."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from .navi_browser import axe_violations, describe

BLOCKING = ("serious", "critical")
STEP = r"/q/[A-Za-z0-9_-]{16,}/"


def submit(page: Any, name: str) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name=name, exact=True).click()


def no_blocking_problem(page: Any) -> None:
    blocking = [v for v in axe_violations(page) if v["impact"] in BLOCKING]
    assert not blocking, describe(blocking)


def test_browser_back_returns_to_step_one_with_the_answers_kept(page: Any) -> None:
    page.goto("/")
    page.get_by_label("個人情報の取り扱いに同意します").check()
    submit(page, "はじめる")
    expect(page).to_have_url(re.compile(STEP + "basics$"))
    no_blocking_problem(page)

    # Step 1 and step 2, each answered and sent: every step has its own address.
    kind = page.get_by_role("group", name="申請者の種類", exact=True).get_by_role("radio", name="会社・法人")
    kind.check()
    prefecture = page.get_by_label("本社（主な事業所）の都道府県", exact=True)
    prefecture.select_option(label="大阪府")
    submit(page, "次へ")
    expect(page).to_have_url(re.compile(STEP + "business$"))
    expect(page.locator("h1")).to_have_text("事業の概要")
    expect(page.get_by_label("資本金（出資の総額）", exact=True)).to_be_visible()
    page.get_by_label("設立日（個人事業主は事業開始日）", exact=True).fill("令和3年4月1日")
    page.get_by_label("常時使用する従業員の数", exact=True).fill("２０")
    page.get_by_label("資本金（出資の総額）", exact=True).fill("1,000万円")
    page.get_by_label("主たる業種", exact=True).select_option(label="製造業")
    submit(page, "次へ")
    expect(page).to_have_url(re.compile(STEP + "ownership$"))
    expect(page.locator("h1")).to_have_text("出資・役員")
    no_blocking_problem(page)

    # The browser's back button: step 2, then step 1, each with what was answered.
    page.go_back()
    expect(page).to_have_url(re.compile(STEP + "business$"))
    expect(page.locator("h1")).to_have_text("事業の概要")
    expect(page.get_by_label("常時使用する従業員の数", exact=True)).to_have_value("２０")
    expect(page.get_by_label("資本金（出資の総額）", exact=True)).to_have_value("1,000万円")
    page.go_back()
    expect(page).to_have_url(re.compile(STEP + "basics$"))
    expect(page.locator("h1")).to_have_text("基本情報")
    expect(page.get_by_role("group", name="申請者の種類", exact=True).get_by_role("radio", name="会社・法人")).to_be_checked()
    expect(page.get_by_label("本社（主な事業所）の都道府県", exact=True)).to_have_value("大阪府")
    no_blocking_problem(page)

    # And forward again from step 1: the next step comes back with its answers.
    submit(page, "次へ")
    expect(page).to_have_url(re.compile(STEP + "business$"))
    expect(page.get_by_label("設立日（個人事業主は事業開始日）", exact=True)).to_have_value("令和3年4月1日")
