"""Sources a person can open: every citation is a title and a public https address, never a seed line.

programs/sources.yaml maps each cited document to a title and an address; catalog references name a
source id and a page or section. No API answer for a shared case, and no results, print or console page,
shows `seeds/`, a seed line marker such as `001:L3086`, or `DOMAIN.md`.
"""

from __future__ import annotations

import re
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.config import Settings
from app.factory import create_app
from programs.loader import (
    DEFAULT_CATALOG_DIR,
    DEFAULT_DEFINITIONS,
    DEFAULT_SOURCES,
    CatalogError,
    load_catalog,
)
from programs.schema import HREF_RE, Reference, Sources
from tests.support.paths import SHARED, case_checker

ROOT = Path(__file__).resolve().parents[1]
CASES = sorted((SHARED / "cases").glob("*.yaml"))
CATALOG_FILES = [*sorted(DEFAULT_CATALOG_DIR.glob("*.yaml")), DEFAULT_DEFINITIONS, ROOT / "programs" / "desks.yaml",
                 ROOT / "programs" / "glossary.yaml"]
# What no person should see: a seed file, a seed line marker (001:L3086, L3070-3130) or the spec's file name.
LEAKS = re.compile(r"seeds/|\b\d{3}:L\d|\bL\d{2,5}-\d{2,5}\b|DOMAIN\.md", re.IGNORECASE)

sys.path.insert(0, str(ROOT / "scripts"))
import convert_references  # noqa: E402  (a script, not a package)


def _sources() -> Sources:
    return Sources.model_validate(yaml.safe_load(DEFAULT_SOURCES.read_text(encoding="utf-8")))


def _references(node: Any, path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every reference mapping of a catalog file's data, with its field path."""
    if isinstance(node, dict):
        if "doc" in node or ("source" in node and isinstance(node["source"], str) and "test" not in node):
            yield path, node
            return
        for k, v in node.items():
            yield from _references(v, f"{path}.{k}" if path else str(k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _references(v, f"{path}[{i}]")


# ------------------------------------------------------------------ the registry and the catalog


def test_every_source_has_a_bilingual_title_and_a_public_https_address() -> None:
    sources = _sources().sources
    assert len(sources) >= 10
    for sid, src in sources.items():
        assert src.href.startswith("https://") and HREF_RE.match(src.href), sid
        assert not LEAKS.search(src.href + src.title.ja + src.title.en), sid
        assert src.title.ja and src.title.en and src.publisher.ja, sid


def test_every_reference_names_a_known_source_and_no_seed_or_spec_file() -> None:
    ids = set(_sources().sources)
    used: set[str] = set()
    count = 0
    for path in CATALOG_FILES:
        for field, ref in _references(yaml.safe_load(path.read_text(encoding="utf-8"))):
            count += 1
            where = f"{path.name}: {field}"
            if "source" in ref:
                assert ref["source"] in ids, f"{where}: unknown source {ref['source']!r}"
                used.add(ref["source"])
            else:  # an inline public page (allowed for programs added later)
                assert str(ref["doc"]).startswith("https://") and ref.get("title"), where
            shown = " ".join(str(ref.get(k) or "") for k in ("source", "loc", "doc", "title"))
            assert not LEAKS.search(shown), f"{where}: {shown}"
    assert count > 150  # the walk really found the references
    assert used == ids, f"sources nobody cites: {sorted(ids - used)}"


def test_seed_lines_stay_only_in_the_hidden_seed_loc(catalog) -> None:
    refs = [ref for path in CATALOG_FILES for _, ref in _references(yaml.safe_load(path.read_text(encoding="utf-8")))]
    with_seed = [r for r in refs if r.get("seed_loc")]
    assert len(with_seed) > 50
    for r in with_seed:
        assert re.fullmatch(r"00\d:L\d+(-\d+)?", r["seed_loc"]), r
        shown = Reference.model_validate(r).cite()
        assert r["seed_loc"] not in shown.text("ja") + shown.text("en") + shown.href


def test_cite_gives_the_title_the_section_and_the_address() -> None:
    c = Reference(source="jpo_foreign_filing_support", loc="海外出願支援事業").cite()
    assert c.text("ja") == "特許庁「中小企業等海外出願・侵害対策支援事業」（海外出願支援事業）"
    assert c.text("en").startswith("JPO: ") and c.text("en").endswith(" (海外出願支援事業)")
    assert c.href == "https://www.jpo.go.jp/support/chusho/shien_gaikokusyutugan.html"
    inline = Reference(doc="https://www.city.okazaki.lg.jp/x.html", title="岡崎市 補助金").cite()
    assert (inline.text("ja"), inline.href) == ("岡崎市 補助金", "https://www.city.okazaki.lg.jp/x.html")


@pytest.mark.parametrize("ref, message", [
    ({"doc": "seeds/001_16c6bf550fb2fe75.txt", "loc": "L3086"}, "seed file or DOMAIN.md"),
    ({"doc": "../shared/DOMAIN.md", "loc": "5"}, "seed file or DOMAIN.md"),
    ({"source": "jpo_fee_reduction", "loc": "see DOMAIN.md §4"}, "seed file or DOMAIN.md"),
    ({"doc": "http://www.jpo.go.jp/", "title": "JPO"}, "public https:// address"),
    ({"doc": "https://www.jpo.go.jp/"}, "needs a title"),
    ({"source": "nope"}, "unknown source id 'nope'"),
    ({"source": "jpo_fee_reduction", "doc": "https://www.jpo.go.jp/", "title": "x"}, "exactly one of"),
])
def test_a_reference_that_no_one_can_open_is_refused(ref: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        Reference.model_validate(ref)


def test_definitions_with_a_seed_reference_are_refused_naming_file_and_field(tmp_path: Path) -> None:
    text = DEFAULT_DEFINITIONS.read_text(encoding="utf-8")
    old = "{source: law_civil_code, loc: 第140条}"
    assert old in text
    bad = tmp_path / "definitions.yaml"
    bad.write_text(text.replace(old, "{doc: seeds/001_16c6bf550fb2fe75.txt, loc: L2396-2400}"), encoding="utf-8")
    with pytest.raises(CatalogError) as ei:
        load_catalog(definitions=bad)
    assert f"{bad}: definitions.within_startup_years.source: doc: 'seeds/001_16c6bf550fb2fe75.txt'" in str(ei.value)


def test_a_broken_sources_file_is_refused_naming_file_and_field(tmp_path: Path) -> None:
    text = DEFAULT_SOURCES.read_text(encoding="utf-8")
    bad = tmp_path / "sources.yaml"
    bad.write_text(text.replace("href: https://www.i-open.go.jp/", "href: http://www.i-open.go.jp/"), encoding="utf-8")
    with pytest.raises(CatalogError) as ei:
        load_catalog(sources=bad)
    assert f"{bad}: sources.i_open.href: href must be a public https:// address" in str(ei.value)


def test_a_catalog_may_use_another_sources_file(tmp_path: Path) -> None:
    """The loader checks ids against the sources file it is given, not a global one."""
    text = DEFAULT_SOURCES.read_text(encoding="utf-8").replace("  i_open:\n", "  i_open_renamed:\n")
    other = tmp_path / "sources.yaml"
    other.write_text(text, encoding="utf-8")
    with pytest.raises(CatalogError) as ei:
        load_catalog(sources=other)
    assert "i_open.yaml: eligibility[0].source: source: unknown source id 'i_open'" in str(ei.value)


# ------------------------------------------------------------------ the conversion script


def test_the_script_converts_seed_spec_and_registered_references_and_keeps_comments() -> None:
    text = (
        "# a comment that must stay\n"
        "in_force:\n  from: 2008-04-01\n"
        "  reference: {doc: seeds/001_16c6bf550fb2fe75.txt, loc: L3122-3130, title: \"開始日の根拠\"}\n"
        "eligibility:\n  - id: a\n    source: {doc: seeds/001_16c6bf550fb2fe75.txt, loc: L2256-2300}\n"
        "    rounding: {value: 1000, reference: {doc: ../shared/DOMAIN.md, loc: \"5\"}}\n"
        "    other: {doc: \"https://www.city.example.lg.jp/a.html\", title: 市の補助金}\n"
        "sources:\n  - {doc: seeds/001_16c6bf550fb2fe75.txt, loc: L3070-3130}\n"
        "  - {doc: \"https://www.inpit.go.jp/\", title: INPIT外国出願補助金}\n"
        "  - {doc: \"https://www.inpit.go.jp/shien/gaikoku/100170507.html\", title: INPIT外国出願補助金}\n"
    )
    out, problems = convert_references.convert_text(text, "inpit_foreign_filing_subsidy")
    out = convert_references._dedupe_sources_list(out)
    assert problems == []
    assert out.startswith("# a comment that must stay\n")
    data = yaml.safe_load(out)
    assert data["in_force"]["reference"] == {"source": "inpit_foreign_filing", "loc": "補助対象・補助率・上限額",
                                            "seed_loc": "001:L3122-3130", "note": "開始日の根拠"}
    assert data["eligibility"][0]["source"] == {"source": "jpo_ip_ecosystem_2025",
                                                "loc": "知財アクセラレーションプログラム（IPAS）",
                                                "seed_loc": "001:L2256-2300"}
    assert data["eligibility"][0]["rounding"]["reference"]["source"] == "inpit_foreign_filing"
    # an address not in programs/sources.yaml stays an inline public source
    assert data["eligibility"][0]["other"] == {"doc": "https://www.city.example.lg.jp/a.html", "title": "市の補助金"}
    assert data["sources"] == [
        {"source": "meti_fy2025_budget_pr_jpo", "loc": "中小企業等海外展開支援事業", "seed_loc": "001:L3070-3130"},
        {"source": "inpit_foreign_filing"},  # the two INPIT addresses became one source: listed once
    ]
    for _, ref in _references(data):
        Reference.model_validate(ref)  # every converted reference loads
    again, _ = convert_references.convert_text(out, "inpit_foreign_filing_subsidy")
    assert again == out  # re-running changes nothing


def test_the_script_refuses_what_it_cannot_map() -> None:
    _, problems = convert_references.convert_text(
        "a:\n  b: {doc: ../shared/DOMAIN.md, loc: \"4 (something new)\"}\n", "brand_new_program", "new.yaml")
    assert problems == ["new.yaml:2: no public source known for DOMAIN.md §4 (something new)"]
    # the rounding convention is mapped only where the program's page is known
    _, problems = convert_references.convert_text("a: {doc: ../shared/DOMAIN.md, loc: \"5\"}\n", "tokyo_x", "t.yaml")
    assert problems == ["t.yaml:1: no public source known for DOMAIN.md §5"]


def test_the_real_catalog_needs_no_more_conversion(tmp_path: Path) -> None:
    for path in CATALOG_FILES:
        text = path.read_text(encoding="utf-8")
        out, problems = convert_references.convert_text(text, path.stem, str(path))
        assert problems == [] and out == text, path.name


# ------------------------------------------------------------------ what people see


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    tmp = tmp_path_factory.mktemp("sources")
    application = create_app(Settings(database_url=f"sqlite:///{tmp}/x.db", search_db=tmp / "search.db",
                                      seed_demo=True))
    with TestClient(application):
        yield application


def _case_profiles() -> list[tuple[str, dict[str, Any]]]:
    chk = case_checker()
    out = []
    for path in CASES:
        case = yaml.safe_load(path.read_text(encoding="utf-8"))
        out.append((path.stem, chk.to_json_ready(case["profile"])))
    return out


def _source_pairs(node: Any) -> Iterator[tuple[Any, Any]]:
    """(source, source_url) of every trace item and definition detail; (title, url) of program sources;
    (source_title, source_url) of a window and its last round."""
    if isinstance(node, dict):
        if "source_url" in node:
            yield node.get("source", node.get("source_title")), node["source_url"]
        if "title" in node and "url" in node:
            yield node["title"], node["url"]
        for v in node.values():
            yield from _source_pairs(v)
    elif isinstance(node, list):
        for v in node:
            yield from _source_pairs(v)


@pytest.mark.skipif(not CASES, reason="../shared/cases not present")
def test_no_api_answer_for_a_shared_case_shows_a_seed_line_and_every_source_opens(app: FastAPI) -> None:
    c = TestClient(app)
    screened = 0
    for name, profile in _case_profiles():
        for lang in ("ja", "en"):
            r = c.post("/api/v1/screen", json=profile, headers={"Accept-Language": lang})
            assert r.status_code in (200, 422), (name, r.text)
            assert not LEAKS.search(r.text), (name, lang, LEAKS.search(r.text))
            if r.status_code != 200:
                continue
            screened += 1
            body = r.json()
            pairs = list(_source_pairs(body))
            assert len(pairs) > 20, name
            for title, url in pairs:
                if title is None and url is None:  # a sub-rule without a source of its own
                    continue
                assert isinstance(title, str) and title, (name, url)
                assert isinstance(url, str) and HREF_RE.match(url), (name, title, url)
            reasons = [t for res in body["results"] for t in res["reasons"]]
            assert all(t["source"] and t["source_url"] for t in reasons), name
            # The definitions' details (and the full trace) come with the texts.
            full = c.post("/api/v1/screen?include=texts", json=profile, headers={"Accept-Language": lang}).json()
            assert not LEAKS.search(str(full)), (name, lang)
            for title, url in _source_pairs(full):
                if title is not None or url is not None:
                    assert isinstance(title, str) and title and isinstance(url, str) and HREF_RE.match(url)
            assert all(d["source_url"] for d in full["definition_details"].values()), name
    assert screened >= len(CASES)  # most cases are valid profiles, in both languages


@pytest.mark.skipif(not CASES, reason="../shared/cases not present")
def test_no_results_or_print_page_of_a_shared_case_shows_a_seed_line(app: FastAPI) -> None:
    c = TestClient(app)
    pages = 0
    for name, profile in _case_profiles():
        r = c.post("/api/v1/screen", json=profile)
        if r.status_code != 200:
            continue
        sid = r.json()["screening_id"]
        for url in (f"/results/{sid}", f"/results/{sid}?lang=en", f"/results/{sid}/print",
                    f"/results/{sid}/print?lang=en"):
            page = c.get(url)
            assert page.status_code == 200, url
            assert not LEAKS.search(page.text), (name, url, LEAKS.search(page.text))
            pages += 1
        results = c.get(f"/results/{sid}?lang=ja").text  # (the English pages above set the language cookie)
        links = re.findall(r'<div class="t-source">[^<]*<a href="([^"]+)" rel="external noopener">', results)
        assert links and all(HREF_RE.match(h) for h in links), name
        printed = c.get(f"/results/{sid}/print?lang=ja").text
        if "<ol class=\"programs\">" in printed:  # a program is listed: its source's address is printed
            m = re.search(r'<p class="sources">.*?<a href="(https://[^"]+)">[^<]+</a> (https://\S+?)[、<\s]', printed,
                          re.S)
            assert m and m.group(1) == m.group(2), name
    assert pages >= 4 * len(CASES) - 8


def test_the_console_case_page_shows_sources_as_links(app: FastAPI, tmp_path: Path) -> None:
    from tests.support.console import TOKYO, logged_in, quick_case

    case_id = quick_case(app, TOKYO, "出典テスト株式会社")
    c = logged_in(app, TOKYO)
    page = c.get(f"/console/cases/{case_id}")
    assert page.status_code == 200
    assert not LEAKS.search(page.text), LEAKS.search(page.text)
    links = re.findall(r'<div class="t-source">[^<]*<a href="([^"]+)"', page.text)
    assert links and all(HREF_RE.match(h) for h in links)


def test_old_stored_seed_citations_are_not_shown(app: FastAPI) -> None:
    """A screening stored before sources.yaml holds '001:L3086' strings without an address: not shown."""
    from app.web.i18n import environment

    html = environment("ja").get_template("_r_macros.html").module.trace(  # type: ignore[attr-defined]
        [{"label": "中小企業", "outcome": "met", "source": "001:L3086-3096"}])
    assert "001:L" not in html and "中小企業" in html


def test_a_catalog_copied_elsewhere_uses_the_default_sources(tmp_path: Path) -> None:
    """The sources file is read from programs/ by default, so a catalog copied elsewhere still resolves ids."""
    for name in ("foreign_filing_subsidy.yaml", "inpit_foreign_filing_subsidy.yaml", "i_open.yaml"):
        shutil.copy(DEFAULT_CATALOG_DIR / name, tmp_path / name)
    catalog = load_catalog(tmp_path)
    assert catalog.sources is not None and "i_open" in catalog.sources.sources


def test_a_seed_line_in_a_text_shown_to_people_is_refused(tmp_path: Path) -> None:
    valid = ROOT / "tests" / "data" / "valid_program" / "valid_sample.yaml"
    text = valid.read_text(encoding="utf-8")
    assert "\ndescription:" in text
    (tmp_path / "valid_sample.yaml").write_text(
        re.sub(r"\ndescription: \{ja: [^,]+,", "\ndescription: {ja: 対象は中小企業（001:L3074-3079）,", text),
        encoding="utf-8")
    with pytest.raises(CatalogError) as ei:
        load_catalog(tmp_path)
    assert "valid_sample.yaml: description: …対象は中小企業（001:L3074-3079）… cites a seed file line" in str(ei.value)
