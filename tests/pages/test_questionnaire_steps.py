"""One address per step, answers that stick, questions that matter (issue 14 item 3), through the web pages:
step URLs and Post/Redirect/Get, the back button as a GET of the step before, old links, the results'
「回答する」 links to the exact question, 「いいえ」 to the litigation insurance, a sole proprietor never asked
資本金, and step titles that fit their questions."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.factory import create_app
from app.intake.questions import GROUP_BY_STEP, GROUPS
from app.store.drafts import load_draft
from tests.pages.test_questionnaire import facts_asked, heading

# What each step is about: its title and the only questions it may hold.
STEP_TOPICS = {
    "basics": ("基本情報", {"applicant_type", "prefecture"}),
    "business": ("事業の概要", {"established_on", "employees", "capital_yen", "industry"}),
    "area": ("所在地", {"municipality"}),
    "ownership": ("出資・役員", {"large_company_shareholding", "large_company_officer_ratio", "wholly_owned_by_large_parent"}),
    "income": ("課税所得", {"avg_taxable_income_yen"}),
    "ip": ("知財の状況", {"domestic_applications", "patent_exam_status", "design_application", "working_related"}),
    "overseas": ("海外の予定", {"foreign_filings", "overseas_disputes", "litigation_insurance"}),
    "vc": ("VCからの出資", {"vc_backed"}),
    "final": ("関心と事業内容", {"interests", "description"}),
}
ANSWERS: dict[str, dict[str, Any]] = {
    "basics": {"applicant_type": "corporation", "prefecture": "愛知県"},
    "business": {"established_on": "令和3年4月1日", "employees": "２０", "capital_yen": "1,000万円", "industry": "manufacturing"},
    "area": {"municipality": "岡崎市"},
    "ownership": {"large_company_shareholding.largest": "0", "large_company_shareholding.combined": "0",
                  "large_company_officer_ratio": "0", "wholly_owned_by_large_parent": "no"},
    "income": {"avg_taxable_income_yen": "1,800万円"},
    "ip": {"domestic_applications": ["patent"], "patent_exam_status": "requested", "design_application": "none",
           "working_related": "yes"},
    "overseas": {"foreign_filings.has": "no", "overseas_disputes.has": "no", "litigation_insurance.has": "no"},
    "vc": {"vc_backed": "no"},
    "final": {"interests": ["overseas"], "description": ""},
}


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path}/x.db", search_db=tmp_path / "search.db"))
    with TestClient(app) as c:
        yield c


def start(client: TestClient) -> str:
    r = client.post("/q", data={"consent": "yes", "lang": "ja"}, follow_redirects=False)
    assert r.status_code == 303
    return str(r.headers["location"]).rsplit("/", 1)[1]


def send(client: TestClient, token: str, step: str, data: dict[str, Any], action: str = "next") -> str:
    """Post a step's form; the 303's address."""
    r = client.post(f"/q/{token}/{step}", data={"action": action, **data}, follow_redirects=False)
    assert r.status_code == 303, r.text[:3000]
    return str(r.headers["location"])


def walk(client: TestClient, token: str, answers: dict[str, dict[str, Any]]) -> tuple[list[tuple[str, str]], str]:
    """Answer every step shown, from the first to the results: [(step, html)] and the results' address."""
    seen: list[tuple[str, str]] = []
    location = f"/q/{token}"
    while not location.startswith("/results/"):
        r = client.get(location, follow_redirects=True)
        assert r.status_code == 200
        m = re.search(r"/q/[^/]+/([a-z]+)$", str(r.url))
        assert m, r.url
        seen.append((m[1], r.text))
        assert len(seen) < 12, [s for s, _ in seen]
        location = send(client, token, m[1], answers.get(m[1], {}))
    return seen, location


def test_each_step_has_its_own_address_and_back_is_a_get_of_the_step_before(client: TestClient) -> None:
    token = start(client)
    r = client.get(f"/q/{token}", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/q/{token}/basics"
    assert send(client, token, "basics", ANSWERS["basics"]) == f"/q/{token}/business"
    assert send(client, token, "business", ANSWERS["business"]) == f"/q/{token}/area"
    # The private link now opens the step reached; the browser's back button is a GET of the step before.
    assert client.get(f"/q/{token}", follow_redirects=False).headers["location"] == f"/q/{token}/area"
    back = client.get(f"/q/{token}/business")
    assert back.status_code == 200 and heading(back.text) == "事業の概要"
    assert 'value="２０"' in back.text and 'value="1,000万円"' in back.text
    assert f'action="/q/{token}/business"' in back.text
    first = client.get(f"/q/{token}/basics")
    assert heading(first.text) == "基本情報" and re.search(r'value="愛知県" selected', first.text)
    # Sending step 1 again goes on to step 2 with its answers (the steps after it are not lost).
    assert send(client, token, "basics", ANSWERS["basics"]) == f"/q/{token}/business"
    # The step's 「戻る」 button: 303 to the step before, what was typed kept.
    assert send(client, token, "business", {**ANSWERS["business"], "employees": "２１"}, action="back") == f"/q/{token}/basics"
    assert 'value="２１"' in client.get(f"/q/{token}/business").text


def test_old_links_and_unknown_steps_keep_working(client: TestClient) -> None:
    token = start(client)
    # A form served before steps had addresses posts to /q/{token}: the answers of the current step.
    r = client.post(f"/q/{token}", data={"action": "next", **ANSWERS["basics"]}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/q/{token}/business"
    draft = load_draft(client.app.state.store.engine, token)  # type: ignore[attr-defined]
    assert draft is not None and draft.profile["prefecture"] == "愛知県"
    # A draft saved with pages as {step, facts} (the previous format) resumes where it was.
    draft.progress = {**draft.progress, "history": [{"step": "basics", "facts": []}, {"step": "business", "facts": []}]}
    from app.store.drafts import save_draft
    save_draft(client.app.state.store.engine, draft)  # type: ignore[attr-defined]
    assert client.get(f"/q/{token}", follow_redirects=False).headers["location"] == f"/q/{token}/business"
    # A step that does not exist goes to the current step; an unknown link is still a 404.
    r = client.get(f"/q/{token}/nosuchstep", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/q/{token}/business"
    assert client.get("/q/" + "x" * 32 + "/basics").status_code == 404
    assert client.post("/q/" + "x" * 32 + "/basics", data={"action": "next"}).status_code == 404
    # ?lang=en on a step switches the draft's language.
    assert '<html lang="en">' in client.get(f"/q/{token}/business?lang=en").text


def test_no_to_litigation_insurance_sticks_and_the_card_is_no_longer_to_be_confirmed(client: TestClient) -> None:
    token = start(client)
    seen, results = walk(client, token, ANSWERS)
    assert "overseas" in [s for s, _ in seen]
    draft = load_draft(client.app.state.store.engine, token)  # type: ignore[attr-defined]
    assert draft is not None and draft.profile["litigation_insurance"] is False
    page = client.get(results).text
    card = page[page.index('id="p-ip_litigation_insurance"'):]
    card = card[:card.index("</article>")] if "</article>" in card else card[:3000]
    assert "要確認" not in card and "加入予定を教えてください" not in card
    assert "海外知財訴訟保険への加入予定を教えてください" not in page
    # Opened again, the step shows 「いいえ」 chosen.
    again = client.get(f"/q/{token}/overseas").text
    assert re.search(r'name="litigation_insurance.has" value="no" checked', again)


def test_a_sole_proprietor_is_never_asked_capital_or_shareholders(client: TestClient) -> None:
    token = start(client)
    seen, _ = walk(client, token, {**ANSWERS, "basics": {"applicant_type": "sole_proprietor", "prefecture": "愛知県"}})
    asked = set().union(*(facts_asked(html) for _, html in seen))
    assert "capital_yen" not in asked
    assert not asked & {"large_company_shareholding", "large_company_officer_ratio", "wholly_owned_by_large_parent"}
    assert {"established_on", "employees", "avg_taxable_income_yen"} <= asked
    steps = [s for s, _ in seen]
    assert "ownership" not in steps and "income" in steps
    income = dict(seen)["income"]
    assert heading(income) == "課税所得" and "なぜ聞くのか" in income
    assert "資本金（出資の総額）" not in "".join(html for _, html in seen)


def test_step_titles_fit_their_questions(client: TestClient) -> None:
    assert {g.step: (g.title, {q.fact for q in g.questions}) for g in GROUPS} == STEP_TOPICS
    for basics in ({"applicant_type": "corporation", "prefecture": "愛知県"},
                   {"applicant_type": "sole_proprietor", "prefecture": "東京都"},
                   {"applicant_type": "university", "prefecture": "京都府"}):
        token = start(client)
        seen, _ = walk(client, token, {**ANSWERS, "basics": basics})
        for step, html in seen:
            title, facts = STEP_TOPICS[step]
            assert heading(html) == title, (basics, step)
            assert facts_asked(html) and facts_asked(html) <= facts, (basics, step, facts_asked(html))


def test_each_answer_link_of_the_results_opens_its_question(client: TestClient) -> None:
    token = start(client)
    # 「ここまでで結果を見る」 on step 1: most facts are still missing.
    r = client.post(f"/q/{token}/basics", data={"action": "finish", "applicant_type": "corporation", "prefecture": "愛知県"},
                    follow_redirects=False)
    assert r.status_code == 303
    page = client.get(r.headers["location"]).text
    links = set(re.findall(rf'href="(/q/{token}/[a-z]+\?lang=ja#f-[a-z_]+)"', unescape(page)))
    assert len(links) >= 5, links
    assert not re.search(rf'href="/q/{token}\?lang=ja">質問票に戻って回答する', page)
    for link in sorted(links):
        path, _, fact = link.partition("#f-")
        step = path.split("/")[3].split("?")[0]
        assert fact in {q.fact for q in GROUP_BY_STEP[step].questions}, link
        r = client.get(path)
        assert r.status_code == 200, link
        assert str(r.url).endswith(path), (link, r.url)  # the step itself, not the last step seen
        assert f'id="f-{fact}"' in r.text, link
