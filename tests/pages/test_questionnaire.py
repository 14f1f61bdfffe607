"""The web questionnaire: consent, adaptive steps, Japanese input, errors, わからない, resume, English, finish."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.config import Settings
from app.factory import create_app
from app.intake.adaptive import open_facts
from app.store.drafts import QuestionnaireDraft, count_drafts
from tests.support.pg import postgres_url

BASICS = {"applicant_type": "corporation", "prefecture": "東京都"}
BUSINESS = {
    "established_on": "令和3年4月1日",
    "employees": "２０",
    "capital_yen": "1,000万円",
    "industry": "manufacturing",
}
OWNERSHIP = {
    "large_company_shareholding.largest": "0",
    "large_company_shareholding.combined": "0",
    "large_company_officer_ratio": "0",
    "wholly_owned_by_large_parent": "no",
}
INCOME = {"avg_taxable_income_yen": "1,800万円"}


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path}/x.db", search_db=tmp_path / "search.db"))
    with TestClient(app) as c:
        yield c


@pytest.fixture(params=["sqlite", "postgresql"])
def any_client(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TestClient]:
    """SQLite, and PostgreSQL from TEST_DATABASE_URL (skipped when unreachable, as in test_storage)."""
    urls = iter([f"sqlite:///{tmp_path}/x.db"]) if request.param == "sqlite" else postgres_url()
    for url in urls:
        app = create_app(Settings(database_url=url, search_db=tmp_path / "search.db"))
        with TestClient(app) as c:
            yield c
        app.state.store.dispose()


# ------------------------------------------------------------------ helpers


def start(client: TestClient, lang: str = "ja") -> str:
    r = client.post("/q", data={"consent": "yes", "lang": lang}, follow_redirects=False)
    assert r.status_code == 303, r.text
    m = re.fullmatch(r"/q/([A-Za-z0-9_-]+)", r.headers["location"])
    assert m, r.headers["location"]
    return m[1]


def post(client: TestClient, token: str, data: dict[str, Any], action: str = "next", at: str | None = None) -> Any:
    """Post the form of step `at` (default: the step the draft is on), as the page's form does."""
    at = at or draft(client, token).step
    return client.post(f"/q/{token}/{at}", data={"action": action, **data}, follow_redirects=False)


def step(client: TestClient, token: str, data: dict[str, Any]) -> str:
    """Answer the current step (must succeed): 303 to the next step's own address; its HTML."""
    r = post(client, token, data)
    assert r.status_code == 303, r.text
    m = re.fullmatch(rf"/q/{token}/([a-z]+)", r.headers["location"])
    assert m, r.headers["location"]
    assert draft(client, token).step == m[1]
    page = client.get(r.headers["location"])
    assert page.status_code == 200
    return page.text


def draft(client: TestClient, token: str) -> QuestionnaireDraft:
    with Session(client.app.state.store.engine) as session:  # type: ignore[attr-defined]
        d = session.get(QuestionnaireDraft, token)
        assert d is not None
        session.expunge(d)
        return d


def drafts(client: TestClient) -> int:
    return count_drafts(client.app.state.store.engine)  # type: ignore[attr-defined]


def screenings(client: TestClient) -> int:
    n: int = client.app.state.store.count()  # type: ignore[attr-defined]
    return n


def heading(html: str) -> str:
    m = re.search(r"<h1>(.*?)</h1>", html)
    assert m
    return m[1]


class Form(HTMLParser):
    """Inputs, labels, fieldsets and legends of a page (to check names and accessibility)."""

    def __init__(self, html: str):
        super().__init__()
        self.inputs: list[dict[str, str | None]] = []
        self.label_for: set[str] = set()
        self.open_fieldsets: list[dict[str, Any]] = []
        self.fieldsets: list[dict[str, Any]] = []
        self.ids: set[str] = set()
        self._in_legend = False
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(str(a["id"]))
        if tag == "label" and a.get("for"):
            self.label_for.add(str(a["for"]))
        elif tag == "fieldset":
            fs: dict[str, Any] = {"legend": False, "radios": 0}
            self.open_fieldsets.append(fs)
            self.fieldsets.append(fs)
        elif tag == "legend" and self.open_fieldsets:
            self.open_fieldsets[-1]["legend"] = True
        elif tag in ("input", "select", "textarea") and a.get("type") not in ("hidden", "submit"):
            self.inputs.append(a)
            if a.get("type") == "radio" and self.open_fieldsets:
                self.open_fieldsets[-1]["radios"] += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "fieldset" and self.open_fieldsets:
            self.open_fieldsets.pop()

    @property
    def names(self) -> set[str]:
        return {str(i["name"]) for i in self.inputs if i.get("name") and i["name"] != "viewport"}


def facts_asked(html: str) -> set[str]:
    """The profile facts a page asks about (the input names up to the first '.' or '__'); the first page's
    optional 法人番号 fills answers from gBizINFO and is not a fact of the profile."""
    return {re.split(r"\.|__", n)[0] for n in Form(html).names} - {"corporate_number"}


def assert_accessible(html: str) -> None:
    form = Form(html)
    assert form.inputs
    for i in form.inputs:
        assert i.get("id") and i["id"] in form.label_for, f"input without a label: {i}"
        for ref in (i.get("aria-describedby") or "").split():
            assert ref in form.ids, f"aria-describedby points nowhere: {ref}"
    for fs in form.fieldsets:
        assert fs["legend"], "fieldset without a legend"


# ------------------------------------------------------------------ consent


def test_landing_page_explains_the_service_and_personal_information(client: TestClient) -> None:
    r = client.get("/")
    assert r.status_code == 200
    html = r.text
    assert '<html lang="ja">' in html
    for text in ("約3分", "個人情報の取り扱い", "保存する内容", "利用の目的", "保存期間", "見られる人",
                 "相談を申し込んで案件を送った場合だけ", "個人情報の取り扱いに同意します", "はじめる"):
        assert text in html, text
    assert 'action="/q"' in html
    assert_accessible(html)


def test_nothing_is_stored_without_consent(any_client: TestClient) -> None:
    client = any_client
    r = client.post("/q", data={"lang": "ja"}, follow_redirects=False)
    assert r.status_code == 422
    assert "同意が必要です" in r.text
    assert 'aria-describedby="consent-error"' in r.text and 'aria-invalid="true"' in r.text
    assert 'href="#consent"' in r.text  # the error summary links to the checkbox
    assert drafts(client) == 0 and screenings(client) == 0

    r = client.post("/q", data={"lang": "ja", "consent": "no"}, follow_redirects=False)
    assert r.status_code == 422 and drafts(client) == 0

    token = start(client)
    assert drafts(client) == 1 and screenings(client) == 0
    assert len(token) >= 32  # secrets.token_urlsafe(24)
    d = draft(client, token)
    assert d.consent_at is not None and d.lang == "ja" and d.step == "basics" and d.screening_id is None
    assert start(client) != token


def test_get_q_goes_back_to_the_landing_page(client: TestClient) -> None:
    r = client.get("/q", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/?lang=")


# ------------------------------------------------------------------ the full flow


def test_full_flow_with_wareki_full_width_and_man_yen(any_client: TestClient) -> None:
    client = any_client
    token = start(client)
    first = client.get(f"/q/{token}", follow_redirects=False)  # the private link: to the step left off
    assert first.status_code == 303 and first.headers["location"] == f"/q/{token}/basics"
    first = client.get(f"/q/{token}/basics")
    assert first.status_code == 200
    assert heading(first.text) == "基本情報"
    assert facts_asked(first.text) == set(BASICS)
    assert "あと約" in first.text and "<progress" in first.text
    assert "このリンクを保存すると後で続きから再開できます" in first.text and f"/q/{token}" in first.text
    assert "戻る" not in first.text  # nothing to go back to on the first page
    assert f'action="/q/{token}/basics"' in first.text
    assert_accessible(first.text)

    html = step(client, token, BASICS)
    assert heading(html) == "事業の概要"
    assert facts_asked(html) == set(BUSINESS)

    # One mistake: there is no 13th month. The page says so next to the field and keeps what was typed.
    r = post(client, token, {**BUSINESS, "established_on": "令和3年13月1日"})
    assert r.status_code == 422
    html = r.text
    assert '<p class="error" id="q-established_on-error">' in html
    block = html[html.index('<label for="q-established_on">'):html.index('<label for="q-employees">')]
    assert "13月という月はありません" in block
    assert re.search(r'<input[^>]*id="q-established_on"[^>]*value="令和3年13月1日"[^>]*'
                     r'aria-describedby="q-established_on-hint q-established_on-error" aria-invalid="true"', block)
    assert 'value="２０"' in html and 'value="1,000万円"' in html  # the other answers are kept as typed
    assert 'class="errors-summary"' in html and 'href="#q-established_on"' in html
    assert_accessible(html)
    assert draft(client, token).profile == {"applicant_type": "corporation", "prefecture": "東京都"}

    html = step(client, token, BUSINESS)
    d = draft(client, token)
    assert d.profile == {"applicant_type": "corporation", "established_on": "2021-04-01", "prefecture": "東京都",
                         "employees": 20, "capital_yen": 10_000_000, "industry": "manufacturing"}
    assert d.answers["established_on"] == "令和3年4月1日" and d.answers["employees"] == "２０"
    assert heading(html) == "出資・役員"
    assert facts_asked(html) == {"large_company_shareholding", "large_company_officer_ratio",
                                 "wholly_owned_by_large_parent"}
    assert "戻る" in html and "ここまでで結果を見る" in html
    assert_accessible(html)

    html = step(client, token, OWNERSHIP)
    assert heading(html) == "課税所得"
    assert facts_asked(html) == {"avg_taxable_income_yen"}
    assert "なぜ聞くのか" in html and 'aria-describedby="q-avg_taxable_income_yen-hint q-avg_taxable_income_yen-reason"' in html
    assert_accessible(html)

    html = step(client, token, INCOME)
    assert heading(html) == "知財の状況"
    assert draft(client, token).profile["large_company_shareholding"] == {"largest": 0.0, "combined": 0.0}
    assert draft(client, token).profile["avg_taxable_income_yen"] == 18_000_000
    assert_accessible(html)

    html = step(client, token, {"domestic_applications": ["patent"], "patent_exam_status": "filed",
                                "design_application": "none", "working_related": "yes"})
    assert heading(html) == "海外の予定"
    assert "国の数によらず" in html and "1案件 特許150万円" in html  # the per-case rule beside the estimate
    assert_accessible(html)

    # 「はい」 without a case is an error; then one planned patent filing abroad, in two countries.
    r = post(client, token, {"foreign_filings.has": "yes", "overseas_disputes.has": "no", "litigation_insurance.has": "no"})
    assert r.status_code == 422 and "1件以上入力してください" in r.text
    html = step(client, token, {"foreign_filings.has": "yes", "foreign_filings.0.right": "patent",
                                "foreign_filings.0.countries": "２", "foreign_filings.0.cost_yen": "６００万円",
                                "overseas_disputes.has": "no", "litigation_insurance.has": "no"})
    d = draft(client, token)
    assert d.profile["foreign_filings"] == [{"right": "patent", "cost_yen": 6_000_000, "already_filed": False}]
    assert d.profile["overseas_disputes"] == [] and d.profile["litigation_insurance"] is False
    assert d.answers["foreign_filings.0.countries"] == "２"
    assert heading(html) == "VCからの出資"
    assert facts_asked(html) == {"vc_backed"}

    html = step(client, token, {"vc_backed": "no"})
    assert heading(html) == "関心と事業内容"
    assert facts_asked(html) == {"interests", "description"}
    assert "結果を見る" in html

    r = post(client, token, {"interests": ["overseas", "fee_reduction"], "description": "金属加工の町工場。特許を中国へ。"})
    assert r.status_code == 303
    d = draft(client, token)
    assert d.screening_id
    assert r.headers["location"] == f"/results/{d.screening_id}"  # no edit token in the results' address
    assert f"navi_edit={token}; " in r.headers["set-cookie"] and f"Path=/results/{d.screening_id}" in r.headers["set-cookie"]
    record = client.app.state.store.get_screening(d.screening_id)  # type: ignore[attr-defined]
    assert record is not None and record.source == "web" and record.lang == "ja"
    assert record.profile["employees"] == 20 and record.profile["interests"] == ["overseas", "fee_reduction"]
    assert screenings(client) == 1

    # Resuming after the results says so and links to them.
    again = client.get(f"/q/{token}")
    assert f"/results/{d.screening_id}?q={token}" in again.text


def test_see_results_now_from_the_first_page(client: TestClient) -> None:
    token = start(client)
    r = post(client, token, {"applicant_type": "sole_proprietor", "prefecture": "大阪"}, action="finish")
    # 「大阪」 is not an option of the select: a tampered form is refused, not guessed.
    assert r.status_code == 422 and "選択肢から選んでください" in r.text
    r = post(client, token, {"applicant_type": "sole_proprietor", "prefecture": "大阪府"}, action="finish")
    assert r.status_code == 303
    screening_id = draft(client, token).screening_id
    assert r.headers["location"] == f"/results/{screening_id}"
    assert client.app.state.store.get_screening(screening_id).source == "web"  # type: ignore[attr-defined]


# ------------------------------------------------------------------ adaptivity and 「わからない」


def test_unknown_keeps_the_fact_unknown_and_it_is_not_asked_again(client: TestClient) -> None:
    token = start(client)
    for answers in (BASICS, BUSINESS, OWNERSHIP):
        step(client, token, answers)
    html = step(client, token, {"avg_taxable_income_yen": "", "avg_taxable_income_yen__unknown": "1"})
    d = draft(client, token)
    assert "avg_taxable_income_yen" not in d.profile
    assert "avg_taxable_income_yen" in d.progress["unknown"]
    # The fact still matters to the engine (みなし大企業 (オ)), so only the draft's memory keeps it away.
    svc = client.app.state.services  # type: ignore[attr-defined]
    assert "avg_taxable_income_yen" in open_facts(svc.screen(d.profile))
    seen = [html]
    while "関心と事業内容" not in heading(html):
        html = step(client, token, {})
        seen.append(html)
    assert all("avg_taxable_income_yen" not in facts_asked(page) for page in seen)

    # Text typed next to a ticked 「わからない」 is a contradiction the page points out.
    token = start(client)
    step(client, token, BASICS)
    r = post(client, token, {**BUSINESS, "employees__unknown": "1"})
    assert r.status_code == 422 and "「わからない」のチェックを外してください" in r.text


def test_a_vc_is_not_asked_about_company_thresholds_after_step_one(client: TestClient) -> None:
    svc = client.app.state.services  # type: ignore[attr-defined]
    assert open_facts(svc.screen({"applicant_type": "vc", "prefecture": "東京都"})) == set()
    token = start(client)
    html = step(client, token, {"applicant_type": "vc", "prefecture": "東京都"})
    # No question can change a VC's results: straight to the last page (interests, description).
    assert heading(html) == "関心と事業内容"
    assert facts_asked(html) == {"interests", "description"}
    assert "あと約2問" in html


def test_only_questions_for_missing_facts(client: TestClient) -> None:
    # A sole proprietor has no 資本金, and shareholding and officers are corporate tests: they are never
    # asked; the income (みなし大企業 (オ)) is, on a page of its own that says why.
    token = start(client)
    html = step(client, token, {**BASICS, "applicant_type": "sole_proprietor"})
    assert heading(html) == "事業の概要"
    assert facts_asked(html) == {"established_on", "employees", "industry"}
    html = step(client, token, {k: v for k, v in BUSINESS.items() if k != "capital_yen"})
    assert heading(html) == "課税所得"
    assert facts_asked(html) == {"avg_taxable_income_yen"} and "なぜ聞くのか" in html

    # A university: the patent status and foreign filings matter; its size, designs and disputes do not.
    token = start(client)
    html = step(client, token, {"applicant_type": "university", "prefecture": "京都府"})
    assert heading(html) == "知財の状況"
    assert facts_asked(html) == {"domestic_applications", "patent_exam_status"}
    html = step(client, token, {"domestic_applications": ["none"], "patent_exam_status": "planned"})
    assert heading(html) == "海外の予定"
    assert facts_asked(html) == {"foreign_filings"}
    assert draft(client, token).profile["domestic_applications"] == []


def test_progress_counts_down(client: TestClient) -> None:
    token = start(client)

    def left(html: str) -> int:
        m = re.search(r"あと約(\d+)問", html)
        assert m
        return int(m[1])

    first = left(client.get(f"/q/{token}").text)
    second = left(step(client, token, BASICS))
    third = left(step(client, token, BUSINESS))
    fourth = left(step(client, token, OWNERSHIP))
    assert first > second > third > fourth >= 2


# ------------------------------------------------------------------ back, resume, not found


def test_back_keeps_answers_and_resume_by_link(client: TestClient, tmp_path: Path) -> None:
    token = start(client)
    step(client, token, BASICS)
    step(client, token, BUSINESS)
    # Another browser (no cookies) with the private link resumes at the saved step.
    with TestClient(client.app) as other:
        r = other.get(f"/q/{token}", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == f"/q/{token}/ownership"
        html = other.get(r.headers["location"]).text
        assert heading(html) == "出資・役員"
        # 「戻る」 keeps what was typed and goes to the previous step's own address.
        r = other.post(f"/q/{token}/ownership", data={"action": "back", "large_company_officer_ratio": "１０％"},
                       follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == f"/q/{token}/business"
        html = other.get(r.headers["location"]).text
    assert heading(html) == "事業の概要"
    for typed in ("令和3年4月1日", "２０", "1,000万円"):
        assert f'value="{typed}"' in html
    assert draft(client, token).step == "business"
    # The browser's back button: a GET of the first step's address shows it with its answers.
    html = client.get(f"/q/{token}/basics").text
    assert heading(html) == "基本情報"
    assert re.search(r'value="corporation" checked', html) and re.search(r'value="東京都" selected', html)
    # 「次へ」 again: the steps come back in order, with what was typed on them.
    html = step(client, token, BUSINESS)
    assert heading(html) == "出資・役員" and 'value="１０％"' in html


def test_a_page_left_with_back_returns_only_if_it_still_matters(client: TestClient) -> None:
    token = start(client)
    step(client, token, BASICS)
    step(client, token, BUSINESS)
    r = post(client, token, {}, action="back")
    assert r.status_code == 303 and r.headers["location"] == f"/q/{token}/business"
    r = post(client, token, {}, action="back")
    assert r.headers["location"] == f"/q/{token}/basics"
    # Now a VC: the size and shareholding steps no longer matter, so 「次へ」 skips them, and their
    # addresses lead on to the next step that has a question.
    html = step(client, token, {"applicant_type": "vc", "prefecture": "東京都"})
    assert heading(html) == "関心と事業内容"
    r = client.get(f"/q/{token}/ownership", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/q/{token}/final"


def test_ownership_and_overseas_answers_are_read_and_checked(client: TestClient) -> None:
    token = start(client)
    step(client, token, BASICS)
    step(client, token, BUSINESS)
    r = post(client, token, {"large_company_shareholding.largest": "60", "large_company_shareholding.combined": "40",
                             "large_company_officer_ratio": "150"})
    assert r.status_code == 422
    assert "大企業すべての合計より大きく" in r.text
    assert "100以下の数で入力してください" in r.text
    assert r.text.count('aria-invalid="true"') >= 2
    step(client, token, {"large_company_shareholding.largest": "３０％", "large_company_shareholding.combined": "45",
                         "large_company_officer_ratio": "0", "wholly_owned_by_large_parent": "unknown"})
    r = post(client, token, {"avg_taxable_income_yen": "たくさん"})
    assert r.status_code == 422 and "金額を読み取れませんでした" in r.text
    html = step(client, token, {"avg_taxable_income_yen": "▲500万円"})
    d = draft(client, token)
    assert d.profile["large_company_shareholding"] == {"largest": 0.3, "combined": 0.45}
    assert d.profile["avg_taxable_income_yen"] == -5_000_000
    assert "wholly_owned_by_large_parent" not in d.profile and "wholly_owned_by_large_parent" in d.progress["unknown"]
    html = step(client, token, {"domestic_applications": ["trademark"], "patent_exam_status": "none",
                                "design_application": "none", "working_related": "no"})
    assert heading(html) == "海外の予定"
    step(client, token, {
        "foreign_filings.has": "no",
        "overseas_disputes.has": "yes", "overseas_disputes.0.kind": "counterfeit", "overseas_disputes.0.cost_yen": "200万円",
        "overseas_disputes.0.holds_local_right": "yes", "overseas_disputes.0.holds_jp_trademark": "unknown",
        "litigation_insurance.has": "yes", "litigation_insurance.premium_yen": "40万円", "litigation_insurance.renewal": "renewal",
    })
    d = draft(client, token)
    assert d.profile["foreign_filings"] == []
    assert d.profile["overseas_disputes"] == [{"kind": "counterfeit", "cost_yen": 2_000_000, "holds_local_right": True}]
    assert d.profile["litigation_insurance"] == {"premium_yen": 400_000, "renewal": True}


def test_every_questionnaire_text_has_an_english_translation() -> None:
    from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_file
    from babel.messages.pofile import read_po

    root = Path(__file__).resolve().parents[2]
    with (root / "app/locale/en/LC_MESSAGES/messages.po").open("rb") as f:
        catalog = read_po(f)
    keywords = {**DEFAULT_KEYWORDS, "tr": None, "N_": None}
    found: list[str] = []
    for name in ("index.html", "questionnaire.html", "questionnaire_not_found.html", "_q_fields.html"):
        found += [str(m[1]) for m in extract_from_file("jinja2", root / "templates" / name, keywords=keywords,
                                                        options={"extensions": "jinja2.ext.i18n"})]
    for py in (*root.glob("app/pages/*.py"), *root.glob("app/intake/*.py"), *root.glob("app/web/*.py")):
        found += [str(m[1]) for m in extract_from_file("python", py, keywords=keywords)]
    assert len(found) > 80
    missing = [m for m in found if not (catalog.get(m) and catalog.get(m).string)]
    assert missing == []


def test_unknown_link_is_a_japanese_404(client: TestClient) -> None:
    for path in ("/q/" + "x" * 32, "/q/short", "/q/" + "あ" * 32, "/q/%3Cscript%3E" + "z" * 20):
        r = client.get(path)
        assert r.status_code == 404
        assert "リンクが見つかりません" in r.text and '<html lang="ja">' in r.text
    r = client.post("/q/" + "y" * 32, data={"action": "next"})
    assert r.status_code == 404 and drafts(client) == 0


# ------------------------------------------------------------------ English


def test_english_locale(client: TestClient) -> None:
    r = client.get("/?lang=en")
    assert r.status_code == 200 and '<html lang="en">' in r.text
    assert "I agree to how my personal information is handled" in r.text
    cookie = r.headers["set-cookie"]
    assert cookie.startswith("navi_lang=en") and "samesite=lax" in cookie.lower()

    r = client.post("/q", data={"lang": "en"}, follow_redirects=False)
    assert r.status_code == 422 and "please agree" in r.text

    token = start(client, lang="en")
    assert draft(client, token).lang == "en"
    html = client.get(f"/q/{token}").text
    assert '<html lang="en">' in html and "Basics" in html and "I don&#39;t know" in html
    assert re.search(r"About \d+ questions left", html)
    r = post(client, token, {**BASICS, "prefecture": "Osaka"})
    assert r.status_code == 422 and "Choose one of the options" in r.text
    html = step(client, token, BASICS)
    assert heading(html) == "About the business"
    r = post(client, token, {**BUSINESS, "established_on": "R3.13.1"})
    assert r.status_code == 422 and "There is no month 13" in r.text
    html = step(client, token, BUSINESS)
    assert heading(html) == "Shareholders and officers"

    # ?lang=ja switches the draft (and the cookie) back to Japanese.
    r = client.get(f"/q/{token}?lang=ja")
    assert '<html lang="ja">' in r.text and heading(r.text) == "出資・役員"
    assert draft(client, token).lang == "ja"
    client.get(f"/q/{token}?lang=en")
    r = post(client, token, {}, action="finish")
    screening_id = draft(client, token).screening_id
    assert r.headers["location"] == f"/results/{screening_id}"  # English by the cookie: one rule
    assert client.app.state.store.get_screening(screening_id).lang == "en"  # type: ignore[attr-defined]
