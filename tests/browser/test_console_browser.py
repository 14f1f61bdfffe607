"""The advisor console in Chromium, with the demo accounts of the live server (NAVI_SEED_DEMO=true there):
an advisor logs in with the keyboard and works a case through the workflow; a case handed from the
よろず支援拠点 to the INPIT desk; another prefecture's advisor gets the 404 page; an applicant's
「相談窓口に送る」 reaches the desk's list; a chamber uploads its member list and downloads the results;
axe-core finds no serious or critical problem on the console's pages.

The console's Content-Security-Policy forbids every script, so the contexts that run axe-core bypass it
(the pages themselves use no script).
"""

from __future__ import annotations

import csv
import io
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from app.console.seed import DEMO_PASSWORD

from .navi_browser import AXE_JS, ROOT, axe_violations, describe, missing
from .test_browser_flow import questionnaire

TOKYO = "advisor.tokyo@example.jp"
ADMIN = "admin.tokyo@example.jp"
YOROZU = "yorozu.tokyo@example.jp"
OSAKA = "advisor.osaka@example.jp"
CHAMBER = "chamber.tokyo@example.jp"
BLOCKING = ("serious", "critical")


@pytest.fixture
def console(new_page: Callable[..., Any]) -> Callable[[], Any]:
    """A page in a context of its own (a person at their own desk), where axe-core may run."""
    if not AXE_JS.exists():
        missing(f"{AXE_JS} is missing (npm ci)")
    return lambda: new_page(bypass_csp=True)


def no_blocking_problems(page: Any, name: str) -> None:
    violations = axe_violations(page)
    blocking = [v for v in violations if v["impact"] in BLOCKING]
    assert not blocking, f"axe-core on {name} ({page.url}):\n{describe(violations)}"


def submit(page: Any, name: str) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name=name, exact=True).click()


def log_in(page: Any, email: str, check: bool = False) -> None:
    """With the keyboard: type the e-mail address and the password, then Enter."""
    page.goto("/console/login")
    expect(page.locator("h1")).to_have_text("相談員コンソールにログイン")
    if check:
        no_blocking_problems(page, "login")
    page.get_by_label("メールアドレス").click()
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    expect(page.get_by_label("パスワード")).to_be_focused()
    page.keyboard.type(DEMO_PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/console/cases$"))
    expect(page.locator("h1")).to_have_text("案件一覧")


def log_out(page: Any) -> None:
    submit(page, "ログアウト")
    expect(page).to_have_url(re.compile(r"/console/login\?done=logout$"))
    expect(page.get_by_role("status")).to_have_text("ログアウトしました")
    response = page.goto("/console/cases")
    assert response is not None
    expect(page).to_have_url(re.compile(r"/console/login"))


def flash(page: Any, text: str) -> None:
    expect(page.locator("p.flash")).to_have_text(text)


def find_case(page: Any, keyword: str) -> Any:
    """Search the list for a keyword; the link of the only case found."""
    field = page.get_by_label("キーワード（会社名・事業内容・担当者名）")
    field.fill(keyword)
    submit(page, "絞り込む")
    links = page.locator("table.cases tbody tr td:first-child a")
    expect(links).to_have_count(1)
    return links.first


# ------------------------------------------------------------------ an advisor's day


def test_an_advisor_works_a_case_from_the_list_to_an_adopted_program(console: Callable[[], Any]) -> None:
    page = console()
    log_in(page, TOKYO, check=True)
    no_blocking_problems(page, "case list")
    expect(page.locator("table.cases")).to_contain_text("株式会社サンプル精機")

    # The applicant's referral of the demo is a new case here; open it from the list.
    case = find_case(page, "ひかりデザイン")
    with page.expect_navigation():
        case.click()
    expect(page.locator("h1")).to_have_text("株式会社ひかりデザイン")
    expect(page.locator("p.meta .status")).to_have_text("新規")
    page.locator("details.ineligible-all > summary").click()
    no_blocking_problems(page, "case page")
    case_url = page.url

    # Edit the profile: saved as a revision and screened again (新規 → 判定済み).
    with page.expect_navigation():
        page.get_by_role("link", name="プロフィールを編集する").click()
    employees = page.get_by_label("常時使用する従業員の数", exact=True)
    employees.fill("６人")
    submit(page, "保存して判定し直す")
    flash(page, "プロフィールを保存し、判定し直しました")
    expect(page.locator("p.meta .status")).to_have_text("判定済み")
    expect(page.locator("#history")).to_contain_text("常時使用する従業員の数")

    # 「再判定」 on another 基準日.
    page.get_by_label("基準日", exact=True).fill("令和8年4月1日")
    submit(page, "再判定")
    flash(page, "再判定しました")
    expect(page.locator("#changes")).to_contain_text("2026年4月1日")

    page.get_by_label("メモを追加").fill("意匠の早期審査について、次回は出願書類を持参してもらう。")
    submit(page, "メモを保存する")
    flash(page, "メモを追加しました")
    expect(page.locator("ol.notes")).to_contain_text("出願書類を持参")

    # Refer the case to a program, then record that the program adopted it.
    form = page.locator("form.step-form", has=page.locator("input[name=to][value=referred]"))
    program = form.get_by_label("紹介する制度").locator("option").first.inner_text()
    form.get_by_label("補足（任意）").fill("早期審査の申請を案内")
    with page.expect_navigation():
        form.get_by_role("button", name="制度に紹介する").click()
    flash(page, "状態を変更しました")
    expect(page.locator("p.meta .status")).to_have_text("紹介済み")
    page.locator("#outcome-program").select_option(label=program)
    page.get_by_role("radio", name="採択された").check()
    submit(page, "結果を記録する")
    flash(page, "結果を記録しました")
    outcomes = page.locator("#outcomes table")
    expect(outcomes).to_contain_text("採択された")
    expect(outcomes).to_contain_text("紹介した")
    expect(outcomes).to_contain_text(program)
    assert page.url.startswith(case_url.split("?")[0])
    log_out(page)

    # The desk admin reads all of it in the audit log.
    admin = console()
    log_in(admin, ADMIN)
    with admin.expect_navigation():
        admin.get_by_role("link", name="監査ログ").click()
    expect(admin.locator("h1")).to_have_text("監査ログ")
    expect(admin.locator("table.audit")).to_contain_text("株式会社ひかりデザイン")
    expect(admin.locator("table.audit")).to_contain_text("結果の記録")
    no_blocking_problems(admin, "audit log")
    log_out(admin)


def test_a_yorozu_case_handed_to_the_inpit_desk_and_hidden_from_osaka(console: Callable[[], Any]) -> None:
    company = f"株式会社引継テスト{int(time.time() * 1000) % 100000}"
    yorozu = console()
    log_in(yorozu, YOROZU)
    with yorozu.expect_navigation():
        yorozu.get_by_role("link", name="新しい案件を作る").click()
    yorozu.get_by_label("会社名・屋号（必須）").fill(company)
    yorozu.get_by_label("本社（主な事業所）の都道府県", exact=True).select_option(label="東京都")
    yorozu.get_by_label("常時使用する従業員の数", exact=True).fill("12")
    yorozu.get_by_label("事業の内容と知財の困りごと（任意）").fill("金型の技術。特許の出願を考えている。")
    submit(yorozu, "保存して判定する")
    flash(yorozu, "案件を作成し、判定しました")
    case_url = yorozu.url.split("?")[0]
    yorozu.get_by_label("紹介先の窓口").select_option("inpit-tokyo")
    yorozu.get_by_label("紹介先への伝言（任意・メモに残ります）").fill("特許出願の相談をお願いします。")
    submit(yorozu, "この窓口に紹介する")
    flash(yorozu, "他の窓口に紹介しました")
    expect(yorozu.locator("p.meta").first).to_contain_text("紹介先: 東京都 知財総合支援窓口")

    tokyo = console()
    log_in(tokyo, TOKYO)
    link = find_case(tokyo, company)
    expect(tokyo.locator("table.cases tbody tr").first).to_contain_text("紹介を受けた案件")
    with tokyo.expect_navigation():
        link.click()
    expect(tokyo.locator("h1")).to_have_text(company)
    expect(tokyo.locator("p.notice", has_text="から紹介を受けた案件です")).to_be_visible()
    expect(tokyo.locator("p.notice.unread")).to_contain_text("未読")  # a new referral, read now it is opened
    expect(tokyo.locator("ol.notes")).to_contain_text("特許出願の相談をお願いします。")

    osaka = console()
    log_in(osaka, OSAKA)
    response = osaka.goto(case_url)
    assert response is not None and response.status == 404, response and response.status
    expect(osaka.locator("h1")).to_have_text("案件が見つかりません")
    expect(osaka.get_by_role("alert")).to_contain_text("あなたの窓口では見られません")
    expect(osaka.locator("main")).not_to_contain_text(company)
    no_blocking_problems(osaka, "404")


def test_an_applicants_questionnaire_reaches_the_tokyo_desk(console: Callable[[], Any],
                                                             new_page: Callable[..., Any]) -> None:
    contact = f"ブラウザ 試験子{int(time.time() * 1000) % 100000}"
    applicant = new_page()
    questionnaire(applicant)
    applicant.get_by_role("link", name="相談窓口に送る").click()
    applicant.get_by_label("送り先の相談窓口").select_option("inpit-tokyo")
    applicant.get_by_label("会社名・屋号").fill("株式会社ブラウザ試験")
    applicant.get_by_label("ご担当者のお名前").fill(contact)
    applicant.get_by_label("メールアドレス").fill("shiken@example.co.jp")
    submit(applicant, "相談窓口に送る")
    expect(applicant.locator("h1")).to_have_text("相談窓口に送りました")
    expect(applicant.get_by_role("status")).to_contain_text("東京都 知財総合支援窓口")

    tokyo = console()
    log_in(tokyo, TOKYO)
    link = find_case(tokyo, contact)
    row = tokyo.locator("table.cases tbody tr").first
    expect(row).to_contain_text("相談者から")
    expect(row).to_contain_text("新規")
    expect(row.locator(".tag.unread")).to_have_text("未読")  # issue 14: unread until opened
    no_blocking_problems(tokyo, "case list with an unread case")
    with tokyo.expect_navigation():
        link.click()
    expect(tokyo.locator("#h-contact + dl")).to_contain_text(contact)
    expect(tokyo.locator("#h-contact + dl")).to_contain_text("株式会社ブラウザ試験")
    expect(tokyo.get_by_role("status").filter(has_text="新しく届いた案件です")).to_be_visible()
    no_blocking_problems(tokyo, "unread case page")
    tokyo.reload()
    expect(tokyo.locator("main")).not_to_contain_text("新しく届いた案件です")
    expect(tokyo.locator("#facts")).to_contain_text("東大阪市の金属加工の町工場")


def test_a_chamber_uploads_its_member_list_and_downloads_the_results(console: Callable[[], Any]) -> None:
    page = console()
    log_in(page, CHAMBER)
    with page.expect_navigation():
        page.get_by_role("link", name="一括判定", exact=True).click()
    expect(page.locator("h1")).to_have_text("名簿の一括判定")
    expect(page.locator("table.batch-columns")).to_contain_text("事業所名")  # the headings read, with aliases
    expect(page.get_by_role("link", name=re.compile("^名簿のテンプレート"))).to_have_attribute(
        "href", "/console/batch/template.csv")
    no_blocking_problems(page, "batch upload")
    page.get_by_label("名簿のファイル（CSV）").set_input_files(str(ROOT / "examples" / "members.csv"))
    page.get_by_label("基準日（任意）").fill("2025-10-01")
    page.get_by_role("checkbox", name=re.compile("^印刷用の要約")).uncheck()  # the PDFs are tested in-process
    submit(page, "アップロードして判定する")
    expect(page).to_have_url(re.compile(r"/console/batch/[0-9a-f-]{36}$"))
    # The page reloads itself (meta refresh) until the job is done.
    expect(page.locator("#h-progress")).to_have_text("状態: 完了", timeout=60_000)
    expect(page.locator("dl.facts")).to_contain_text("15件")
    errors = page.locator("table.batch-errors")
    expect(errors).to_contain_text("11行目")
    expect(errors).to_contain_text("設立日: 13月という月はありません")
    expect(page.locator("table.batch-results tbody tr")).to_have_count(14)
    no_blocking_problems(page, "batch job")

    with page.expect_download() as info:
        page.get_by_role("link", name=re.compile("^判定結果の CSV")).click()
    download = info.value
    assert download.suggested_filename.endswith(".csv"), download.suggested_filename
    data = Path(download.path()).read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert table[0][:3] == ["行番号", "会社名", "判定結果"] and len(table) == 16
    assert [r[0] for r in table[1:] if r[2].startswith("エラー")] == ["11"]
    assert {r[2] for r in table[1:] if not r[2].startswith("エラー")} <= {"対象", "要確認", "対象外"}

    # The companies are cases of the chamber now.
    with page.expect_navigation():
        page.get_by_role("link", name="案件一覧").click()
    expect(find_case(page, "山田精密製作所")).to_have_text("株式会社山田精密製作所")
    log_out(page)


def test_a_desk_administrator_adds_an_advisor_who_then_logs_in(console: Callable[[], Any]) -> None:
    page = console()
    log_in(page, ADMIN)
    with page.expect_navigation():
        page.get_by_role("link", name="アカウント", exact=True).click()
    expect(page.locator("h1")).to_have_text("窓口のアカウント")
    no_blocking_problems(page, "accounts")
    submit(page, "追加して仮のパスワードを発行する")  # empty form: errors next to the fields
    expect(page.get_by_role("alert")).to_contain_text("メールアドレスを正しく入力してください")
    expect(page.get_by_label("ログイン ID（メールアドレス）")).to_have_attribute("aria-invalid", "true")
    no_blocking_problems(page, "accounts with errors")
    email = f"browser.{int(time.time() * 1000)}@example.jp"
    page.get_by_label("ログイン ID（メールアドレス）").fill(email)
    page.get_by_label("表示名").fill("ブラウザ 太郎")
    page.get_by_role("radio", name="相談員").check()
    submit(page, "追加して仮のパスワードを発行する")
    expect(page.get_by_role("status")).to_contain_text("アカウントを追加しました")
    password = page.locator("dd.secret").inner_text().strip()
    assert len(password) == 16
    expect(page.locator("table.users")).to_contain_text(email)
    no_blocking_problems(page, "accounts after adding")
    log_out(page)

    other = console()
    other.goto("/console/login")
    other.get_by_label("メールアドレス").fill(email)
    other.get_by_label("パスワード").fill(password)
    with other.expect_navigation():
        other.keyboard.press("Enter")
    # A temporary password is changed before anything else (issue 16).
    expect(other.locator("h1")).to_have_text("パスワード変更")
    no_blocking_problems(other, "forced password change")
    other.get_by_label("いまのパスワード").fill(password)
    other.get_by_label("新しいパスワード", exact=True).fill("browser-new-pass-42")
    other.get_by_label("新しいパスワード（確認）").fill("browser-new-pass-42")
    submit(other, "パスワードを変更する")
    other.goto("/console/cases")
    expect(other.locator("h1")).to_have_text("案件一覧")
    expect(other.get_by_role("link", name="アカウント", exact=True)).to_have_count(0)  # an advisor: no menu item
