"""Issue 14 item 1 in Chromium: the results of three personas on a 360×740 phone. The first thing to do (an
actionable program) is on the first screen; the test prints the height before it and the page's height, takes
full-page screenshots into var/screenshots/ and runs axe-core (0 serious/critical); the print page and the PDF
stay one A4 page."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable
from typing import Any

import pytest

from tests.support.personas import PERSONAS

from .navi_browser import (
    AXE_JS,
    PHONE,
    Http,
    axe_violations,
    describe,
    horizontal_overflow,
    missing,
    screenshot,
)

BLOCKING = ("serious", "critical")

MEASURE = """() => {
    const y = (el) => el ? Math.round(el.getBoundingClientRect().top + window.scrollY) : null;
    const bottom = (el) => el ? Math.round(el.getBoundingClientRect().bottom + window.scrollY) : null;
    const todo = document.querySelector('ol.todo > li');
    return {
        todo_top: y(todo), todo_heading_bottom: bottom(todo && todo.querySelector('h3')),
        todo_bottom: bottom(todo),
        first_card: y(document.querySelector('section.group article.program')),
        answers: y(document.querySelector('#h-facts')),
        height: document.documentElement.scrollHeight,
    };
}"""


def pdf_pages(data: bytes) -> int:
    tool = shutil.which("pdfinfo")
    if tool is None:
        missing("pdfinfo is missing (poppler-utils)")
    out = subprocess.run([str(tool), "-"], input=data, capture_output=True, check=True).stdout.decode()
    m = re.search(r"^Pages:\s+(\d+)", out, re.M)
    assert m, out
    return int(m[1])


@pytest.fixture(scope="module")
def screenings(http: Http) -> dict[str, str]:
    out = {}
    for name, profile in PERSONAS.items():
        r = http.client.post("/api/v1/screen", json=profile)
        assert r.status_code == 200, r.text[:2000]
        out[name] = str(r.json()["screening_id"])
    return out


@pytest.mark.parametrize("name", list(PERSONAS))
def test_first_thing_to_do_is_on_the_first_phone_screen(name: str, new_page: Callable[..., Any],
                                                        screenings: dict[str, str]) -> None:
    if not AXE_JS.exists():
        missing(f"{AXE_JS} is missing (npm ci)")
    sid = screenings[name]
    page = new_page(viewport=PHONE)
    response = page.goto(f"/results/{sid}")
    assert response is not None and response.status == 200
    m = page.evaluate(MEASURE)
    print(f"\n[results 360x{PHONE['height']}] {name}: {m['todo_top']} px before the first thing to do "
          f"(its heading ends at {m['todo_heading_bottom']} px, the item at {m['todo_bottom']} px); first program "
          f"card of the sections at {m['first_card']} px; answers at {m['answers']} px; page {m['height']} px")
    assert m["todo_top"] is not None, "no thing to do at the top of the page"
    assert m["todo_heading_bottom"] <= PHONE["height"], m  # the name of the first program is on the first screen
    assert m["todo_top"] < m["first_card"] < m["answers"], m  # summary → sections → answers
    # The first item is a program one can act on: a link to its card, a status, a desk with a phone number.
    first = page.locator("ol.todo > li").first
    assert first.locator("h3 a").get_attribute("href", timeout=5000).startswith("#p-")
    assert re.search(r"0570-082100|\d{2,4}-\d{2,4}-\d{3,4}", first.inner_text())
    # the answers and the ineligible programs are folded
    assert not page.locator("#answers dl.facts").is_visible()
    if page.locator("details.ineligible-all").count():
        assert not page.locator("details.ineligible-all article.program").first.is_visible()
    o = horizontal_overflow(page)
    assert o["scrollWidth"] <= PHONE["width"], f"{name} overflows a {PHONE['width']} px phone: {o}"
    screenshot(page, f"results-summary-{name}", "phone")
    violations = axe_violations(page)
    blocking = [v for v in violations if v["impact"] in BLOCKING]
    assert not blocking, f"axe-core on the results of {name}:\n{describe(violations)}"



# Chromium prints the print page as it is (level 0); the PDF route also shrinks a long summary until WeasyPrint
# fits it on one page (app/web/pdf.py). With one reason a program on paper every persona's print page fits too.
PRINT_CASES = ["startup", "manufacturer", "sole-proprietor"]


@pytest.mark.parametrize("name", PRINT_CASES)
def test_print_page_and_pdf_stay_one_a4_page(name: str, new_page: Callable[..., Any], screenings: dict[str, str],
                                             http: Http) -> None:
    sid = screenings[name]
    pdf = http.client.get(f"/results/{sid}/summary.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf_pages(pdf.content) == 1, f"PDF of {name}"
    page = new_page()
    response = page.goto(f"/results/{sid}/print")
    assert response is not None and response.status == 200
    assert "受け取れる補助の合計" in page.locator(".sheet").inner_text() or name == "sole-proprietor"
    page.emulate_media(media="print")
    pages = pdf_pages(page.pdf(format="A4", prefer_css_page_size=True))
    print(f"\n[print] {name}: Chromium prints {pages} A4 page(s); the PDF 1")
    assert pages == 1, f"the print page of {name} takes {pages} A4 pages in Chromium"
