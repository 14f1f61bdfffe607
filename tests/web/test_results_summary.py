"""The results page's summary and sections (app/web/results_summary.py, issue 14 item 1): the things to do now,
the total counting alternatives once, the grouping read from the program YAML files, the ineligible programs and
the answers folded at the end."""

from __future__ import annotations

import html
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.desks import desks_for
from app.factory import create_app
from app.web.results_summary import desk_of, group_of, grouped, provisional_labels, todo
from app.web.results_view import total_view
from app.web.windows_view import WindowText
from programs.loader import DEFAULT_CATALOG_DIR, load_catalog
from tests.support.personas import MANUFACTURER, PERSONAS, SOLE_PROPRIETOR, STARTUP


def catalog_of(**groups: str) -> Any:
    """A stand-in catalog: program id → group."""
    return SimpleNamespace(programs={pid: SimpleNamespace(group=g) for pid, g in groups.items()})


def prog(pid: str, status: str = "eligible", rank: int | None = 1, amount: int | None = None,
         alternatives: tuple[str, ...] = (), win: str | None = None, **rest: Any) -> dict[str, Any]:
    return {"program_id": pid, "name": pid, "status": status, "rank": rank, "alternatives": list(alternatives),
            "estimate": {"amount_yen": amount} if amount is not None else None,
            "win": WindowText(status=win, headline=win) if win else None, **rest}


# ------------------------------------------------------------------ the total


def test_the_total_counts_two_alternatives_once() -> None:
    """Both alternatives eligible (DOMAIN.md 7.3): only the larger counts; a third program adds."""
    by_id = {p["program_id"]: p for p in (
        prog("pref", amount=1_500_000, alternatives=("inpit",)),
        prog("inpit", amount=1_900_000, alternatives=("pref",)),
        prog("tokyo", amount=300_000),
        prog("unsure", status="needs_info", amount=900_000),  # not eligible: not in the total
    )}
    total = total_view({"results": list(by_id.values())}, by_id, "ja")
    assert total is not None
    assert total["amount"] == "220万円"  # 190万 + 30万, never 150万 + 190万
    assert total["alternatives"] == [("pref", "inpit")]
    assert total_view({"results": []}, {}, "ja") is None  # nothing priced: no total line


def test_the_stored_total_is_taken_as_it_is() -> None:
    by_id = {"a": prog("a", amount=100), "b": prog("b", amount=200)}
    stored = {"amount_yen": 200, "counted": ["b"], "not_counted": [{"program_id": "a", "instead_of": "b"}]}
    total = total_view({"total_estimate": stored}, by_id, "en")
    assert total == {"amount": "¥200", "alternatives": [("a", "b")]}


# ------------------------------------------------------------------ grouping from the YAML files


def test_grouping_follows_the_group_field_of_the_program_files(tmp_path: Path) -> None:
    """The group is data: the same program moves when its file says another group."""
    for name in ("ip_base.yaml", "fee_reduction.yaml"):
        shutil.copy(DEFAULT_CATALOG_DIR / name, tmp_path / name)
    ranked = [prog("ip_base", rank=1), prog("fee_reduction", rank=2)]
    real = load_catalog(tmp_path)
    assert [(g["key"], [p["program_id"] for p in g["programs"]]) for g in grouped(ranked, real)] == [
        ("apply", ["fee_reduction"]), ("info", ["ip_base"])]
    path = tmp_path / "ip_base.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("\ngroup: info\n", "\ngroup: consult\n"), encoding="utf-8")
    moved = load_catalog(tmp_path)
    assert [g["key"] for g in grouped(ranked, moved)] == ["apply", "consult"]


def test_groups_keep_rank_order_and_leave_out_empty_ones() -> None:
    cat = catalog_of(a="apply", b="info", c="apply", d="apply")
    ranked = [prog("a", rank=1), prog("b", rank=2), prog("c", rank=3, status="needs_info"), prog("d", rank=4)]
    out = grouped(ranked, cat)
    assert [g["key"] for g in out] == ["apply", "info"]
    assert [p["program_id"] for p in out[0]["programs"]] == ["a", "c", "d"]


def test_a_program_the_catalog_no_longer_has_falls_back_by_its_amount() -> None:
    cat = catalog_of()
    assert group_of(prog("gone", amount=10), cat) == "apply"
    assert group_of(prog("gone"), cat) == "consult"


# ------------------------------------------------------------------ the things to do now


def test_todo_takes_eligible_programs_to_apply_for_and_never_two_alternatives() -> None:
    cat = catalog_of(pref="apply", inpit="apply", desk="consult", exam="apply", fee="apply", portal="info")
    ranked = [prog("desk", rank=1), prog("pref", rank=2, alternatives=("inpit",)),
              prog("inpit", rank=3, alternatives=("pref",)), prog("portal", rank=4), prog("exam", rank=5),
              prog("fee", rank=6)]
    assert [p["program_id"] for p in todo(ranked, cat)] == ["pref", "exam", "fee"]


def test_todo_puts_a_closed_call_after_the_open_ones() -> None:
    cat = catalog_of(a="apply", b="apply", c="apply", d="apply")
    ranked = [prog("a", rank=1, win="closed"), prog("b", rank=2, win="open"), prog("c", rank=3),
              prog("d", rank=4, win="upcoming")]
    assert [p["program_id"] for p in todo(ranked, cat)] == ["b", "c", "d"]


def test_todo_fills_up_with_consultations_then_programs_to_confirm() -> None:
    cat = catalog_of(a="apply", b="apply", desk="consult", expert="consult", portal="info")
    only_unsure = [prog("a", status="needs_info", rank=1), prog("desk", rank=2), prog("portal", rank=3),
                   prog("expert", rank=4), prog("b", status="needs_info", rank=5)]
    assert [p["program_id"] for p in todo(only_unsure, cat)] == ["desk", "expert"]
    one = [prog("a", rank=1), prog("b", status="needs_info", rank=2)]
    assert [p["program_id"] for p in todo(one, cat)] == ["a", "b"]
    assert todo([prog("portal")], cat) == []  # information alone is nothing to do


def test_the_desk_of_a_todo_has_a_phone_number() -> None:
    osaka = desks_for("大阪府")
    own = desk_of(prog("x", desk={"kind": "inpit_desk", "name": "INPIT 知財総合支援窓口", "url": None}), osaka, "ja")
    assert own["name"] == "大阪府 知財総合支援窓口" and own["phone"] == "0570-082100" and own["help"] is None
    jpo = desk_of(prog("x", desk={"kind": "jpo", "name": "特許庁", "url": "https://www.jpo.go.jp/"}), osaka, "en")
    assert jpo["name"] == "特許庁" and jpo["phone"] is None
    assert jpo["help"] == {"name": "Osaka IP Comprehensive Support Desk (INPIT)", "phone": "0570-082100"}
    nowhere = desk_of(prog("x", desk={"kind": "jpo", "name": "特許庁"}), [], "ja")
    assert nowhere["help"] == {"name": None, "phone": None}  # the page then gives the national number


def test_provisional_labels_name_the_criteria_that_hold_a_provisional_rule() -> None:
    p = {"reasons": [
        {"label": "中小企業者", "provisional": False, "children": [{"label": None, "provisional": False}]},
        {"label": "みなし大企業でない", "provisional": False, "children": [{"label": "x", "provisional": True}]},
        {"label": "スタートアップ", "provisional": True},
    ]}
    assert provisional_labels(p) == ["みなし大企業でない", "スタートアップ"]
    assert provisional_labels({"reasons": []}) == []


# ------------------------------------------------------------------ the page of the three personas


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    tmp = tmp_path_factory.mktemp("summary")
    app = create_app(Settings(database_url=f"sqlite:///{tmp}/x.db", search_db=tmp / "search.db"))
    with TestClient(app) as c:
        yield c


def page_of(client: TestClient, profile: dict[str, Any], lang: str = "ja") -> str:
    r = client.post("/api/v1/screen", json=profile)
    assert r.status_code == 200, r.text
    page = client.get(f"/results/{r.json()['screening_id']}?lang={lang}")
    assert page.status_code == 200
    return page.text


def text_of(page: str) -> str:
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def test_the_summary_comes_first_and_the_answers_last(client: TestClient) -> None:
    page = page_of(client, MANUFACTURER)
    order = [page.index(s) for s in ('id="h-todo"', 'id="h-g-apply"', 'id="h-g-consult"', 'id="h-g-info"',
                                     'id="h-ineligible"', 'id="desks"', 'id="refer"', 'id="h-facts"')]
    assert order == sorted(order)
    summary = text_of(page[order[0]:order[1]])
    # 模倣品 first, then the prefectural filing call; INPIT's (its alternative) is not a second thing to do
    items = re.findall(r'<li class="todo-item (\w+)">\s*<h3><a href="#p-(\w+)">', page)
    assert [pid for _, pid in items] == ["counterfeit_countermeasure", "foreign_filing_subsidy", "fee_reduction"]
    assert "受け取れる補助の合計（目安）378万3,000円" in summary  # 333万3,000 + 45万 (INPIT's 45万 not added)
    assert "申請の時期: 次回の受付：7月1日（水）から8月7日（金）17時まで" in summary
    assert "電話で相談（無料）: 愛知県 知財総合支援窓口 0570-082100" in summary
    assert "次の一歩: 模倣品の証拠を保全する" in summary
    assert "申請の時期: 随時（公募の期間はありません）" in summary  # the fee reduction has no call
    # each card's call, budget and desk details are folded (the window's headline stays on the card)
    card = page[page.index('id="p-foreign_filing_subsidy"'):]
    card = card[: card.index("</article>")]
    assert card.index('<p class="w-line"><strong>次回の受付') < card.index('<details class="apply-box">')
    # the ineligible programs and the answers are folded
    tail = page[order[4]:]
    assert tail.index('<details class="ineligible-all">') < tail.index('id="p-tokyo_patent_search"')
    answers = page[order[7]:]
    assert answers.index("<details") < answers.index("株式会社中部精機") and "<dl class=\"facts\">" in answers


def test_information_is_not_mixed_with_the_subsidies(client: TestClient) -> None:
    page = page_of(client, STARTUP)
    apply_ = page[page.index('id="h-g-apply"'):page.index('id="h-g-consult"')]
    info = page[page.index('id="h-g-info"'):page.index('id="h-ineligible"')]
    assert 'id="p-ip_base"' in info and 'id="p-oi_model_contracts"' in info
    assert 'id="p-ip_base"' not in apply_ and 'id="p-tokyo_foreign_patent_filing"' in apply_
    # each section numbers its programs from 1
    for section in (apply_, info):
        ranks = re.findall(r'<span class="rank">(\d+)\.</span>', section)
        assert ranks == [str(n) for n in range(1, len(ranks) + 1)]


def test_a_sole_proprietor_who_answers_little_is_sent_to_the_desk_first(client: TestClient) -> None:
    page = page_of(client, SOLE_PROPRIETOR)
    items = re.findall(r'<li class="todo-item (\w+)">\s*<h3><a href="#p-(\w+)">', page)
    assert items[0] == ("eligible", "ip_support_desk") and 2 <= len(items) <= 3
    summary = text_of(page[page.index('id="h-todo"'):page.index('class="actions"')])
    assert "福岡県 知財総合支援窓口 電話 0570-082100" in summary
    assert "受け取れる補助の合計" not in summary  # nothing priced yet: no total of 0円


def test_no_hash_or_internal_notation_and_provisional_says_why(client: TestClient) -> None:
    page = page_of(client, STARTUP)
    text = text_of(page)
    assert not re.search(r"\b\d{4}\.\d+\+[0-9a-f]{8,}", text)  # no catalog version
    assert "制度カタログ" not in text and "暫定ルールを含む判定" not in text
    tokyo = page[page.index('id="p-tokyo_foreign_patent_filing"'):]
    tokyo = text_of(tokyo[: tokyo.index("</article>")])
    assert "暫定の判定 令和8年度の助成額が確認できないため" in tokyo
    ipas = page[page.index('id="p-ipas"'):]
    ipas = text_of(ipas[: ipas.index("</article>")])
    assert re.search(r"暫定の判定 「[^」]+」(「[^」]+」)*は公的な資料で基準を確認できないため、本サービスの解釈で判定しています。", ipas)


def test_glossary_is_folded_and_in_english(client: TestClient) -> None:
    ja = page_of(client, STARTUP)
    box = ja[ja.index('<details class="glossary">'):]
    box = box[: box.index("</details>")]
    for word in ("審査請求", "冒認商標", "みなし大企業", "実施関連出願", "中小スタートアップ企業"):
        assert f"<dt>{word}</dt>" in box
    en = text_of(page_of(client, STARTUP, "en"))
    for words in ("What to do now", "Words explained", "Request for examination", "Squatted trademark",
                  "Support you apply for", "Advice and experts", "Information and templates", "Not eligible, and why",
                  "When to apply", "Ask by phone (free)", "Show your answers"):
        assert words in en, words
    for ja_word in ("いま取り組むこと", "申請の時期", "電話で相談", "ことばの説明", "対象外とその理由", "暫定の判定"):
        assert ja_word not in en, ja_word


@pytest.mark.parametrize("name", list(PERSONAS))
def test_every_persona_page_renders_in_both_languages(client: TestClient, name: str) -> None:
    for lang in ("ja", "en"):
        page = page_of(client, PERSONAS[name], lang)
        assert 'id="h-todo"' in page and 'id="h-facts"' in page


def test_a_stored_result_notice_names_no_catalog_hash_or_program_id(client: TestClient) -> None:
    from sqlalchemy import text as sql

    sid = client.post("/api/v1/screen", json=MANUFACTURER).json()["screening_id"]
    with client.app.state.store.engine.begin() as conn:  # type: ignore[attr-defined]
        conn.execute(sql("UPDATE screening SET catalog_version = 'gone+000000' WHERE id = :i"), {"i": sid})
    api = client.get(f"/api/v1/screenings/{sid}").json()
    assert "gone+000000" in api["message"]  # the API and the console keep the full notice
    for lang, words in (("ja", "同じ回答でもう一度診断してください"), ("en", "is no longer stored")):
        page = client.get(f"/results/{sid}?lang={lang}")
        assert page.status_code == 200 and words in page.text and "gone+000000" not in page.text
