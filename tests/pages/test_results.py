"""The results pages: /results/{id} (HTML), the one-page A4 summary and its PDF, and referrals to a desk."""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlmodel import Session, col

from app.api.screen import PROFILE_EXAMPLE
from app.config import Settings
from app.desks import all_desks, desks_for, get_desk, load_desks
from app.factory import create_app
from app.store.drafts import create_draft, load_draft, save_draft
from app.store.referrals import Referral
from app.store.screenings import ScreeningRecord
from app.web.i18n import translations
from eligibility.facts import PREFECTURES

ROOT = Path(__file__).resolve().parents[2]

# The README's example: an Osaka manufacturer planning a patent and a design abroad (¥1.9M estimated).
PROFILE: dict[str, Any] = {**PROFILE_EXAMPLE, "company_name": "株式会社テスト精工"}


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    tmp = tmp_path_factory.mktemp("results")
    app = create_app(Settings(database_url=f"sqlite:///{tmp}/x.db", search_db=tmp / "search.db"))
    with TestClient(app) as c:
        yield c


@pytest.fixture(autouse=True)
def fresh_browser(client: TestClient) -> Iterator[None]:
    """Each test starts as a new browser: no language cookie from a test before it (`?lang=` sets one)."""
    client.cookies.clear()
    yield
    client.cookies.clear()


def screen(client: TestClient, profile: dict[str, Any] | None = None, **headers: str) -> str:
    r = client.post("/api/v1/screen", json=profile or PROFILE, headers=headers)
    assert r.status_code == 200, r.text
    sid: str = r.json()["screening_id"]
    return sid


@pytest.fixture(scope="module")
def sid(client: TestClient) -> str:
    return screen(client)


def text_of(page: str) -> str:
    """The visible text of a page, whitespace collapsed."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def referrals(client: TestClient, screening_id: str) -> list[Referral]:
    with Session(client.app.state.store.engine) as s:  # type: ignore[attr-defined]
        return list(s.scalars(select(Referral).where(col(Referral.screening_id) == screening_id)))


# ------------------------------------------------------------------ the results page


def test_results_page_ranks_programs_with_badges_amounts_and_next_steps(client: TestClient, sid: str) -> None:
    r = client.get(f"/results/{sid}")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    page = r.text
    text = text_of(page)
    stored = client.get(f"/api/v1/screenings/{sid}").json()
    results = stored["result"]["results"]
    assert "株式会社テスト精工 の診断結果" in text
    assert "基準日 2025年9月1日" in text
    # no catalog hash or id on the applicant's page (issue 14; advisors see it in the console)
    assert stored["catalog_version"] not in text and stored["catalog_version"].split("+")[1] not in page
    assert "制度カタログ" not in text
    # key facts: last, folded
    answers = page[page.index('<section aria-labelledby="h-facts"'):]
    assert '<details class="facts-box">' in answers
    for fact in ("会社・法人", "大阪府", "製造業", "25人", "1,000万円", "事業拡大フェーズ", "特許 340万円、意匠 80万円"):
        assert fact in text_of(answers), fact
    # ranked programs grouped (the catalog's `group`: apply → consult → info), each group in rank order; the
    # ineligible ones after all of them, the answers after those
    groups = {pid: prog.group for pid, prog in client.app.state.services.catalog.programs.items()}  # type: ignore[attr-defined]
    ranked = [x for x in results if x["rank"] is not None]
    ineligible = [x for x in results if x["rank"] is None]
    assert ranked and ineligible
    start = page.index('<section aria-labelledby="h-g-apply"')
    order = sorted(ranked, key=lambda x: (("apply", "consult", "info").index(groups[x["program_id"]]), x["rank"]))
    positions = [page.index(f'id="p-{x["program_id"]}"', start) for x in order]
    assert positions == sorted(positions)
    assert all(page.index(f'id="p-{x["program_id"]}"', start) > positions[-1] for x in ineligible)
    assert page.index('id="h-facts"') > max(page.index(f'id="p-{x["program_id"]}"', start) for x in ineligible)
    # status in words (not colour alone)
    assert "✓ </span>対象" in page and "? </span>要確認" in page and "✗ </span>対象外" in page
    assert "対象 8件・要確認 4件・対象外 12件" in text  # FY2026 catalog: 小牧市 (in force since 2022) is 対象外 here
    # amounts with the calculation in words and numbers in a <details> (no min() on an applicant's page)
    assert "補助見込み 190万円" in text
    assert re.search(r"<details class=\"formula\"><summary>計算のしかたを見る</summary><p>特許1件：費用340万円の1/2は170万円"
                     r"ですが、1件の上限150万円まで", page)
    assert "min(" not in page
    top = ranked[0]
    for sentence in top["recommendation"][:3]:
        assert html.escape(sentence) in page
    for step in top["next_steps"]:
        assert html.escape(step) in page
    assert "予算がなくなり次第、受付終了" in text
    assert "この制度の窓口" in text
    # buttons
    assert f'href="/results/{sid}/print?lang=ja"' in page
    assert f'href="/results/{sid}/summary.pdf?lang=ja"' in page
    assert f'action="/results/{sid}/refer?lang=ja"' in page


def test_results_page_shows_the_full_trace(client: TestClient, sid: str) -> None:
    page = client.get(f"/results/{sid}").text
    assert page.count("<summary>判定の根拠をすべて見る</summary>") == 24  # every program in force (小牧市 since 2022)
    text = text_of(page)
    # nested criteria with outcome words, details and sources
    assert "中小企業者 : ✓ 該当" in text
    assert "資本金1,000万円は製造業の上限3億円以内です。従業員25人は製造業の上限300人以内です。" in text
    assert "≤" not in text
    assert "出典: 中小企業基本法" in text
    assert re.search(r'<ul class="trace">\s*<li class="t-met">.*?<ul class="trace">', page, re.S), "nested list"
    # advice on unmet criteria, and the deciding criterion of ineligible programs (collapsed at the end)
    assert "対象になるには:" in text
    ineligible_part = page[page.index('<details class="ineligible-all">'):]
    assert "対象外の制度（12件）と、その理由を見る" in text_of(ineligible_part)
    assert "対象外となった条件" in ineligible_part


def test_needs_info_lists_missing_facts_with_a_link_back(client: TestClient, sid: str) -> None:
    token = create_draft(client.app.state.store.engine, "ja", {}, "basics")  # type: ignore[attr-defined]
    draft = load_draft(client.app.state.store.engine, token)  # type: ignore[attr-defined]
    assert draft is not None
    draft.screening_id = sid
    save_draft(client.app.state.store.engine, draft)  # type: ignore[attr-defined]
    # the old address with the token: the token goes to this page's cookie, the address loses it
    r = client.get(f"/results/{sid}?q={token}", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/results/{sid}"
    page = client.get(r.headers["location"]).text
    block = page[page.index('id="p-counterfeit_countermeasure"'):]
    block = block[: block.index("</article>")]
    assert "? </span>要確認" in block
    assert "判定には次の回答が必要です" in block
    assert "海外での知財トラブルを教えてください" in block
    # 「回答する」 opens the step of the missing answer, at its question (not the last step seen)
    assert f'href="/q/{token}/overseas?lang=ja#f-overseas_disputes"' in block
    # the language switch does not put the token in the address; the English page still links to the answers
    assert '<a href="?lang=en" hreflang="en" lang="en">English</a>' in page
    en = client.get(f"/results/{sid}?lang=en").text
    assert f'href="/q/{token}/overseas?lang=en#f-overseas_disputes"' in en
    client.cookies.clear()
    # without the cookie (a shared link) the link goes to the questionnaire's start
    page = client.get(f"/results/{sid}?lang=ja").text
    assert "/q/" not in page and 'href="/?lang=ja">質問票に戻って回答する' in page
    client.cookies.clear()


def test_desks_of_the_prefecture(client: TestClient, sid: str) -> None:
    page = client.get(f"/results/{sid}").text
    desks = page[page.index('id="desks"'):page.index('id="refer"')]
    text = text_of(desks)
    assert "相談窓口（大阪府）" in text
    assert "大阪府 知財総合支援窓口" in text and "大阪府よろず支援拠点" in text and "大阪商工会議所" in text
    assert "0570-082100" in text and "https://chizai-portal.inpit.go.jp/" in text
    assert "東京都 知財総合支援窓口" not in text
    # the form: this prefecture's desks first, the others in their own group
    form = page[page.index('<form class="refer"'):]
    local = form[form.index('<optgroup label="大阪府の窓口">'):form.index('<optgroup label="他の都道府県">')]
    assert 'value="inpit-osaka" selected' in local and 'value="yorozu-osaka"' in local
    assert 'value="inpit-tokyo"' not in local and 'value="inpit-tokyo"' in form
    assert "選んだ相談窓口にだけ送られます" in form


def test_a_row_from_before_facts_is_shown_exactly_and_rebuilt_in_the_other_language(client: TestClient) -> None:
    sid = screen(client)
    services = client.app.state.services  # type: ignore[attr-defined]
    engine = client.app.state.store.engine  # type: ignore[attr-defined]
    with Session(engine) as s:  # the old shape: the rendered result, no facts
        rec = s.get(ScreeningRecord, sid)
        assert rec is not None
        profile = {**rec.profile, "as_of": rec.as_of.isoformat()}
        result = services.screen(profile).as_dict("ja")
        result["results"][0]["name"] = "保存されたままの名前"
        rec.result, rec.facts = result, None
        s.add(rec)
        s.commit()
    assert "保存されたままの名前" in client.get(f"/results/{sid}").text
    r = client.get(f"/results/{sid}", headers={"Accept-Language": "en"})
    assert r.status_code == 200
    assert "保存されたままの名前" not in r.text and "INPIT foreign filing subsidy" in r.text
    assert "screened again" not in r.text  # rebuilt with its own catalog version, stored at start


def test_english_locale(client: TestClient, sid: str) -> None:
    r = client.get(f"/results/{sid}?lang=en")
    assert r.status_code == 200
    text = text_of(r.text)
    assert '<html lang="en">' in r.text
    assert "Results for 株式会社テスト精工" in text
    assert "Reference date 1 September 2025" in text
    assert "INPIT foreign filing subsidy" in text
    assert "Estimated subsidy ¥1,900,000" in text
    assert "✓ Eligible" in text and "? Check needed" in text and "✗ Not eligible" in text
    assert "Show every rule behind this result" in text
    assert "Manufacturing" in text and "Expansion phase" in text and "大阪府" not in text  # prefecture in English
    assert "Desks in Osaka" in r.text and "Support desks (Osaka)" in text and "Osaka IP Comprehensive Support Desk (INPIT)" in text
    assert "Send to a support desk" in text
    # nothing of the page's own wording is left untranslated
    for ja in ("補助見込み", "判定の根拠", "相談窓口に送る", "対象外となった条件", "次の一歩", "基準日"):
        assert ja not in text, ja


def test_page_msgids_have_english_translations() -> None:
    files = [*ROOT.glob("templates/results*.html"), *ROOT.glob("templates/print*.html"),
             *ROOT.glob("templates/_r_*.html"), ROOT / "app" / "pages" / "results.py", *ROOT.glob("app/web/results*.py")]
    ids: set[str] = set()
    for f in files:
        for m in re.finditer(r"""_\(\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')""", f.read_text(encoding="utf-8")):
            ids.add(m.group(1) if m.group(1) is not None else m.group(2))
    assert len(ids) > 50
    en = translations("en")
    missing = sorted(i for i in ids if en.gettext(i) == i and i not in ("English",))
    assert not missing, missing


@pytest.mark.parametrize("path", ["", "/print", "/summary.pdf"])
@pytest.mark.parametrize("sid", [str(uuid.uuid4()), "not-a-uuid"])
def test_unknown_screening_is_a_japanese_404_page(client: TestClient, path: str, sid: str) -> None:
    r = client.get(f"/results/{sid}{path}")
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("text/html")
    assert "診断結果が見つかりません" in r.text
    r = client.post(f"/results/{sid}/refer", data={"desk_id": "inpit-tokyo"})
    assert r.status_code == 404 and "診断結果が見つかりません" in r.text


# ------------------------------------------------------------------ referrals


def test_referral_happy_path(client: TestClient) -> None:
    sid = screen(client)
    r = client.post(f"/results/{sid}/refer", data={
        "desk_id": "yorozu-osaka", "contact_name": " 山田 太郎 ", "contact_email": "taro@example.co.jp",
        "contact_phone": "０６－１２３４－５６７８", "message": "海外出願の補助金について相談したいです。\r\nよろしくお願いします。",
    })
    assert r.status_code == 200, r.text
    text = text_of(r.text)
    assert "相談窓口に送りました" in text
    assert "診断結果を「大阪府よろず支援拠点」に送りました。" in text
    [row] = referrals(client, sid)
    assert row.desk_id == "yorozu-osaka" and row.status == "new"
    assert row.contact_name == "山田 太郎"
    assert row.contact_email == "taro@example.co.jp"
    assert row.contact_phone == "06-1234-5678"
    assert row.message == "海外出願の補助金について相談したいです。\nよろしくお願いします。"
    assert uuid.UUID(row.id).version == 4
    assert row.created_at is not None
    assert row.id[:8].upper() in text
    # Post/Redirect/Get: the confirmation has its own address; reloading it sends nothing again
    assert str(r.url).endswith(f"/results/{sid}/referrals/{row.id}?lang=ja")
    assert client.get(str(r.url)).status_code == 200 and len(referrals(client, sid)) == 1
    other = screen(client)
    assert client.get(f"/results/{other}/referrals/{row.id}").status_code == 404
    assert client.get(f"/results/{sid}/referrals/{uuid.uuid4()}").status_code == 404
    # contact details are optional; the page then says the desk cannot call back
    r = client.post(f"/results/{sid}/refer?lang=en&q=tok_12345678", data={"desk_id": "inpit-tokyo"},
                    follow_redirects=False)
    assert r.status_code == 303 and "lang=en" in r.headers["location"] and "q=" not in r.headers["location"]
    r = client.get(r.headers["location"])
    assert r.status_code == 200
    assert "Tokyo IP Comprehensive Support Desk (INPIT)" in r.text and "the desk cannot contact you" in r.text
    assert len(referrals(client, sid)) == 2


def _field_block(page: str, name: str) -> str:
    start = page.index(f'<label for="f-{name}"')
    return page[start:page.index("</div>", start)]


def test_referral_validation_errors_are_shown_next_to_fields(client: TestClient) -> None:
    sid = screen(client)
    long_message = "あ" * 2001
    r = client.post(f"/results/{sid}/refer", data={
        "desk_id": "inpit-atlantis", "contact_name": "山田", "contact_email": "taro@", "contact_phone": "03-12",
        "message": long_message,
    })
    assert r.status_code == 422
    page = r.text
    assert "入力内容を確認してください" in page
    desk = _field_block(page, "desk_id")
    assert "送り先の相談窓口を一覧から選んでください" in desk and 'aria-invalid="true"' in desk
    email = _field_block(page, "contact_email")
    assert "メールアドレスの形式が正しくありません" in email
    assert 'value="taro@"' in email and 'aria-invalid="true"' in email
    phone = _field_block(page, "contact_phone")
    assert "電話番号は数字とハイフンで入力してください" in phone and 'value="03-12"' in phone
    assert "メッセージは 2000 文字以内で入力してください" in _field_block(page, "message")
    assert long_message in page  # typed values are kept
    name = _field_block(page, "contact_name")
    assert 'value="山田"' in name and "error" not in name
    assert referrals(client, sid) == []
    # a name that is too long; English messages
    r = client.post(f"/results/{sid}/refer?lang=en", data={"desk_id": "inpit-osaka", "contact_name": "x" * 101})
    assert r.status_code == 422
    assert "Use at most 100 characters for the name" in _field_block(r.text, "contact_name")
    assert 'value="inpit-osaka" selected' in r.text
    assert referrals(client, sid) == []


# ------------------------------------------------------------------ the printable summary and its PDF


def test_print_page_has_the_key_content(client: TestClient, sid: str) -> None:
    r = client.get(f"/results/{sid}/print")
    assert r.status_code == 200
    page = r.text
    text = text_of(page)
    stored = client.get(f"/api/v1/screenings/{sid}").json()
    # The style sheet is a file (no inline style: Content-Security-Policy style-src 'self').
    assert '<link rel="stylesheet" href="/static/print.css">' in page and "<style" not in page
    css = client.get("/static/print.css").text
    assert "@page { size: A4" in css and 'font-family: "Noto Sans CJK JP"' in css
    assert "知財支援ナビ" in text and "株式会社テスト精工 の診断結果" in text
    assert "基準日 2025年9月1日" in text and stored["catalog_version"] not in text  # no hash on paper either
    assert "受け取れる補助の合計（目安）190万円" in text  # the total, alternatives counted once
    assert "大阪府" in text and "製造業" in text
    items = re.findall(r'<li class="(eligible|needs_info)">', page)
    assert 3 <= len(items) <= 5
    assert "INPIT外国出願補助金" in text and "補助見込み 190万円" in text
    # The prefectural call first: INPIT's is its alternative for the same case (DOMAIN.md §7.3), ranked 4th.
    assert "次の一歩" in text and "都道府県の支援センターの公募期間を確認する" in text
    assert "大阪府 知財総合支援窓口" in text and "0570-082100" in text
    assert "実際の採否は各制度の公募要領と審査で決まります" in text
    assert f"/results/{sid}" in text


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        msg = f"{name} (poppler-utils) is not installed"
        if os.environ.get("CI"):
            pytest.fail(msg)
        pytest.skip(msg)
    return path


def _pdf_facts(tmp_path: Path, pdf: bytes) -> tuple[str, str, int]:
    f = tmp_path / "summary.pdf"
    f.write_bytes(pdf)
    text = subprocess.run([_tool("pdftotext"), "-layout", str(f), "-"], capture_output=True, text=True, check=True).stdout
    fonts = subprocess.run([_tool("pdffonts"), str(f)], capture_output=True, text=True, check=True).stdout
    info = subprocess.run([_tool("pdfinfo"), str(f)], capture_output=True, text=True, check=True).stdout
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))  # type: ignore[union-attr]
    return text, fonts, pages


def test_pdf_is_one_a4_page_with_japanese_text_and_embedded_fonts(client: TestClient, sid: str, tmp_path: Path) -> None:
    r = client.get(f"/results/{sid}/summary.pdf")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/pdf"
    cd = r.headers["content-disposition"]
    assert cd.startswith('attachment; filename="chizai-navi-summary-2025-09-01-') and ".pdf" in cd
    assert "filename*=UTF-8''" in cd
    assert r.content.startswith(b"%PDF")
    text, fonts, pages = _pdf_facts(tmp_path, r.content)
    assert pages == 1
    flat = re.sub(r"\s+", "", text)
    assert "知財支援ナビ" in flat and "INPIT外国出願補助金" in flat and "補助見込み190万円" in flat
    assert "大阪府知財総合支援窓口" in flat
    cjk = [line for line in fonts.splitlines() if "CJK" in line]
    assert cjk and all(" yes " in line for line in cjk), fonts  # emb yes
    assert b"FontFile" in r.content or "yes" in fonts


def test_pdf_in_english_and_for_a_long_profile_stays_one_page(client: TestClient, tmp_path: Path) -> None:
    long_profile = {
        **PROFILE,
        "company_name": "株式会社とても長い名前のテスト精密機械製作所ホールディングス",
        "description": "金属加工と表面処理の独自技術を持つ町工場です。" * 120,
        "interests": ["overseas", "enforcement", "ip_strategy", "fee_reduction", "financing", "consultation"],
        "overseas_disputes": [{"kind": "counterfeit", "cost_yen": 6000000, "holds_local_right": True}],
        "litigation_insurance": {"premium_yen": 400000, "renewal": False},
        "vc_backed": False,
        "design_application": "filed",
    }
    sid = screen(client, long_profile)
    for lang in ("ja", "en"):
        r = client.get(f"/results/{sid}/summary.pdf?lang={lang}")
        assert r.status_code == 200
        text, _, pages = _pdf_facts(tmp_path, r.content)
        assert pages == 1, (lang, text)
    assert "IP Support Navigator" in text


# ------------------------------------------------------------------ desks as data


def test_desks_file_covers_every_prefecture() -> None:
    data = load_desks()
    ids = [d.id for d in data.desks]
    assert len(ids) == len(set(ids))
    for pref in PREFECTURES:
        kinds = [d.kind for d in desks_for(pref)]
        assert kinds[:2] == ["inpit_desk", "yorozu"], pref
    tokyo = get_desk("inpit-tokyo")
    assert tokyo is not None and tokyo.name.ja == "東京都 知財総合支援窓口" and tokyo.phone == "0570-082100"
    assert get_desk("yorozu-tokyo").name.ja == "東京都よろず支援拠点"  # type: ignore[union-attr]
    chambers = {d.name.ja for d in all_desks() if d.kind == "chamber"}
    assert {"東京商工会議所", "大阪商工会議所", "名古屋商工会議所", "福岡商工会議所", "金沢商工会議所"} <= chambers
    assert desks_for(None) == [] and desks_for("アトランティス") == []


def test_referral_table_is_in_the_migrations(client: TestClient) -> None:
    with Session(client.app.state.store.engine) as s:  # type: ignore[attr-defined]
        assert s.scalar(select(func.count()).select_from(Referral)) is not None
