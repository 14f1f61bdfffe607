"""Every page type in Chromium: axe-core finds no serious or critical problem, nothing overflows a 360 px
phone, and full-page screenshots at 360×740 and 1280×900 go to var/screenshots/ (gitignored) for a look."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from .navi_browser import (
    AXE_JS,
    VIEWPORTS,
    Http,
    axe_violations,
    describe,
    horizontal_overflow,
    missing,
    screenshot,
)

BLOCKING = ("serious", "critical")
# With the font installed, the fallback after it does not matter (both widths are Noto's).
HAS_NOTO_CJK = """() => {
    const c = document.createElement('canvas').getContext('2d');
    const width = (font) => { c.font = font; return c.measureText('知財支援ナビ abc 123').width; };
    return width('16px "Noto Sans CJK JP", monospace') === width('16px "Noto Sans CJK JP", serif');
}"""
MIN_TARGET_PX = 44  # buttons and form controls on a phone: a thumb's width (WCAG 2.5.5), not just 2.2's 24 px


def consent_missing(page: Any) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name="はじめる").click()
    expect(page.get_by_role("alert")).to_be_visible()


def wrong_answers(page: Any) -> None:
    page.get_by_label("設立日（個人事業主は事業開始日）", exact=True).fill("令和3年13月1日")
    page.get_by_label("常時使用する従業員の数", exact=True).fill("二十人くらい")
    page.get_by_label("資本金（出資の総額）", exact=True).fill("1,000万円")
    with page.expect_navigation():
        page.get_by_role("button", name="次へ").click()
    expect(page.locator("p.error")).to_have_count(2)


def open_first_trace(page: Any) -> None:
    page.locator("article.program details.trace-box > summary").first.click()


def wrong_contact(page: Any) -> None:
    page.get_by_label("メールアドレス").fill("info@example")
    page.get_by_label("電話番号").fill("abc")
    with page.expect_navigation():
        page.get_by_role("button", name="相談窓口に送る").click()
    # The form ends a long page: the problems are announced and shown at the top, linked to the fields.
    alert = page.get_by_role("alert")
    expect(alert).to_be_in_viewport()
    expect(alert).to_contain_text("メールアドレスの形式が正しくありません")
    expect(page).to_have_title(re.compile(r"^エラー: "))
    expect(page.locator("#e-contact_email")).to_be_visible()


# name → (how to get the path, what to do on the page before looking at it)
PAGES: dict[str, tuple[Callable[[Http, dict[str, str]], str], Callable[[Any], None] | None]] = {
    "landing": (lambda h, s: "/", None),
    "landing-consent-error": (lambda h, s: "/", consent_missing),
    "q1-basics": (lambda h, s: h.draft_at("basics"), None),
    "q2-business-errors": (lambda h, s: h.draft_at("business"), wrong_answers),
    "q2-ownership": (lambda h, s: h.draft_at("ownership"), None),
    "q2-income": (lambda h, s: h.draft_at("income"), None),
    "q3-ip": (lambda h, s: h.draft_at("ip"), None),
    "q4-overseas": (lambda h, s: h.draft_at("overseas"), None),
    "q5-vc": (lambda h, s: h.draft_at("vc"), None),
    "q6-final": (lambda h, s: h.draft_at("final"), None),
    "results": (lambda h, s: s["results"], open_first_trace),
    "results-refer-errors": (lambda h, s: s["results"] + "#refer", wrong_contact),
    "print": (lambda h, s: s["results"].partition("?")[0] + "/print", None),
    "referral-confirmation": (lambda h, s: h.referral(s["results"]), None),
    "404-questionnaire": (lambda h, s: "/q/this-link-does-not-exist-0000", None),
    "404-results": (lambda h, s: "/results/00000000-0000-4000-8000-000000000000", None),
}


@pytest.fixture(scope="session")
def paths(http: Http) -> dict[str, str]:
    shared = {"results": http.results()}
    return {name: get(http, shared) for name, (get, _action) in PAGES.items()}


def show(page: Any, paths: dict[str, str], name: str) -> None:
    response = page.goto(paths[name])
    assert response is not None
    assert response.status == (404 if name.startswith("404") else 200), (name, response.status)
    action = PAGES[name][1]
    if action:
        action(page)


@pytest.mark.parametrize("name", list(PAGES))
def test_no_serious_accessibility_problems(name: str, new_page: Callable[..., Any], paths: dict[str, str]) -> None:
    if not AXE_JS.exists():
        missing(f"{AXE_JS} is missing (npm ci)")
    page = new_page()
    show(page, paths, name)
    violations = axe_violations(page)
    blocking = [v for v in violations if v["impact"] in BLOCKING]
    assert not blocking, f"axe-core on {name} ({page.url}):\n{describe(violations)}"


@pytest.mark.parametrize("name", list(PAGES))
def test_layout_on_phone_and_desktop(name: str, new_page: Callable[..., Any], paths: dict[str, str]) -> None:
    for viewport, size in VIEWPORTS.items():
        page = new_page(viewport=size)
        show(page, paths, name)
        if viewport == "phone":
            o = horizontal_overflow(page)
            assert o["scrollWidth"] <= size["width"], f"{name} overflows a {size['width']} px phone: {o}"
            small = page.evaluate("""(min) => [...document.querySelectorAll(
                    'main button, main .button, main input[type=text], main select, main textarea, .toolbar a, .toolbar button')]
                .filter(el => el.offsetParent !== null)
                .map(el => ({el: el.outerHTML.slice(0, 80), h: el.getBoundingClientRect().height}))
                .filter(x => x.h < min)""", MIN_TARGET_PX)
            assert not small, f"controls lower than {MIN_TARGET_PX} px on {name}: {small}"
            narrow = page.evaluate("() => Math.min(...[...document.querySelectorAll('td, dd')]"
                                   ".map(el => el.getBoundingClientRect().width).filter(w => w > 0), 9999)")
            assert narrow >= 120, f"a table or list value on {name} is only {narrow:.0f} px wide on a phone"
        assert page.evaluate(HAS_NOTO_CJK), "Chromium has no Noto Sans CJK JP (apt-get install fonts-noto-cjk)"
        screenshot(page, name, viewport)
