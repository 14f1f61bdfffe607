"""Program search: the FTS5 trigram index exported with sqlite-utils, its rebuild rule and the HTTP API."""

from __future__ import annotations

import dataclasses
import shutil
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.factory import create_app
from app.search import ProgramIndex, build_index, open_index, stored_version
from programs.loader import DEFAULT_CATALOG_DIR, load_catalog

HOSTILE = ['"', "*", "AND", "OR", "NOT", "(", ")", 'a"b', '"海外', "模倣品*", "NEAR(a b)", "^abc", "name_ja:特許",
           "{name_ja}:特許", "'; DROP TABLE programs; --", "\x00abc", "%", "_", "\\", "海外 AND", "( 模倣品"]


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory, catalog) -> ProgramIndex:
    return open_index(catalog, tmp_path_factory.mktemp("search") / "programs_search.db")


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    tmp = tmp_path_factory.mktemp("api")
    settings = Settings(search_db=tmp / "programs_search.db", database_url=f"sqlite:///{tmp / 'navi.db'}")
    return TestClient(create_app(settings))


# ---------------------------------------------------------------- queries


def test_overseas_counterfeit_finds_both_infringement_programs(index: ProgramIndex) -> None:
    hits = index.search("海外 模倣品")
    assert hits[0] == "counterfeit_countermeasure"
    assert "trademark_squatting_countermeasure" in hits  # keyword 模倣品対策


def test_full_width_space_and_width_variants(index: ProgramIndex) -> None:
    assert index.search("海外　模倣品") == index.search("海外 模倣品")
    assert index.search("ＳＴＡＲＴＵＰ") == index.search("startup")


def test_accelerated_examination(index: ProgramIndex) -> None:
    hits = index.search("早期審査")
    assert {"patent_accelerated_exam_startup", "design_accelerated_exam_startup"} <= set(hits)


def test_fee_reduction_two_chars(index: ProgramIndex) -> None:
    assert index.search("減免")[0] == "fee_reduction"


def test_two_character_terms_use_the_fallback(index: ProgramIndex, catalog) -> None:
    hits = index.search("商標")
    assert "trademark_squatting_countermeasure" in hits
    # a name containing 商標 comes first (FY2026 adds Tokyo's 海外商標対策 and 外国特許出願（…商標を含む）)
    assert "商標" in catalog.programs[hits[0]].names.ja
    assert index.search("IP") and index.search("ip") == index.search("ＩＰ")


def test_mixed_long_and_short_terms_are_and(index: ProgramIndex) -> None:
    both = set(index.search("商標 模倣品"))
    assert both and both <= set(index.search("商標")) & set(index.search("模倣品"))


def test_english(index: ProgramIndex, catalog) -> None:
    hits = index.search("startup")
    assert "patent_accelerated_exam_startup" in hits
    for pid in hits:
        p = catalog.programs[pid]
        text = " ".join([p.names.en, p.description.en, p.names.ja, p.description.ja, *p.keywords,
                         *p.prepare.en, *p.next_steps.en, p.benefit.summary.en, p.operator.en]).lower()
        assert "startup" in text


def test_every_term_must_match(index: ProgramIndex) -> None:
    assert index.search("模倣品 ランドスケープ存在しない語") == []


def test_no_results(index: ProgramIndex) -> None:
    assert index.search("量子コンピュータ宇宙旅行") == []
    assert index.search("zzz") == []


def test_empty_query_lists_everything_in_catalog_order(index: ProgramIndex, catalog) -> None:
    assert index.search("") == list(catalog.programs)
    assert index.search(" 　 ") == list(catalog.programs)


@pytest.mark.parametrize("q", HOSTILE)
def test_hostile_input_never_raises(index: ProgramIndex, q: str) -> None:
    assert isinstance(index.search(q), list)


def test_fts_syntax_is_inert(index: ProgramIndex) -> None:
    assert index.search('"') == []
    assert index.search("模倣品*") == []  # "*" is a literal character, not a prefix query
    assert index.search("NEAR(a b)") == []
    # AND / OR are searched as words, not operators: adding a term can only narrow the result
    assert set(index.search("海外 OR 模倣品")) <= set(index.search("海外 模倣品"))
    assert set(index.search("模倣品 AND 海外")) <= set(index.search("海外 模倣品"))


def test_very_long_query(index: ProgramIndex) -> None:
    assert isinstance(index.search("模倣品 " * 5000), list)


# ---------------------------------------------------------------- the file


def test_rebuilt_only_when_the_catalog_version_changes(tmp_path: Path, catalog) -> None:
    db = tmp_path / "programs_search.db"
    assert build_index(catalog, db) is True
    first = db.stat()
    assert stored_version(db) == f"{catalog.version}|1"
    assert build_index(catalog, db) is False
    assert db.stat().st_ino == first.st_ino and db.stat().st_mtime_ns == first.st_mtime_ns

    newer = dataclasses.replace(catalog, version=catalog.version + "-edited")
    assert build_index(newer, db) is True
    assert db.stat().st_ino != first.st_ino
    conn = sqlite3.connect(db.resolve().as_uri() + "?mode=ro", uri=True)
    meta = dict(conn.execute("SELECT key, value FROM meta"))
    assert meta["catalog_version"] == newer.version
    assert conn.execute("SELECT count(*) FROM programs").fetchone()[0] == len(catalog.programs)
    conn.close()
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]  # no temp file left behind


def test_editing_a_catalog_file_rebuilds_with_the_new_text(tmp_path: Path) -> None:
    cdir = tmp_path / "catalog"
    shutil.copytree(DEFAULT_CATALOG_DIR, cdir)
    db = tmp_path / "search.db"
    before = load_catalog(cdir)
    idx = open_index(before, db)
    assert idx.search("ふくろうの知財工房") == []
    idx.close()
    f = cdir / "fee_reduction.yaml"
    f.write_text(f.read_text(encoding="utf-8").replace("keywords: [", "keywords: [ふくろうの知財工房, ", 1),
                 encoding="utf-8")
    after = load_catalog(cdir)
    assert after.version != before.version
    idx = open_index(after, db)
    assert idx.search("ふくろうの知財工房") == ["fee_reduction"]
    assert idx.version == after.version


def test_several_processes_starting_at_once(tmp_path: Path, catalog) -> None:
    db = tmp_path / "programs_search.db"
    with ThreadPoolExecutor(max_workers=6) as pool:
        built = list(pool.map(lambda _: build_index(catalog, db), range(6)))
    assert any(built)
    assert stored_version(db) == f"{catalog.version}|1"
    assert open_index(catalog, db).search("海外 模倣品")[0] == "counterfeit_countermeasure"
    assert [p.name for p in tmp_path.iterdir()] == ["programs_search.db"]


def test_damaged_file_is_replaced(tmp_path: Path, catalog) -> None:
    db = tmp_path / "programs_search.db"
    db.write_bytes(b"not a database")
    assert stored_version(db) is None
    assert open_index(catalog, db).search("減免")[0] == "fee_reduction"


def test_index_is_read_only(index: ProgramIndex) -> None:
    with pytest.raises(sqlite3.OperationalError):
        index.conn.execute("INSERT INTO meta (key, value) VALUES ('x', 'y')")
    with pytest.raises(sqlite3.OperationalError):
        index.conn.execute("DELETE FROM programs")
    assert index.search("減免")[0] == "fee_reduction"


def test_uses_trigram_fts5(index: ProgramIndex) -> None:
    sql = index.conn.execute("SELECT sql FROM sqlite_master WHERE name = 'programs_fts'").fetchone()[0]
    assert "fts5" in sql.lower() and "trigram" in sql


def test_ids_unknown_to_the_catalog_are_dropped(tmp_path: Path, catalog) -> None:
    db = tmp_path / "s.db"
    build_index(catalog, db)
    idx = ProgramIndex(db, known=["fee_reduction"])
    assert idx.search("") == ["fee_reduction"]


# ---------------------------------------------------------------- HTTP API


def test_api_uses_the_index(client: TestClient) -> None:
    assert client.app.state.search_programs is not None  # type: ignore[attr-defined]
    r = client.get("/api/v1/programs", params={"q": "海外 模倣品"})
    assert r.status_code == 200
    ids = [p["program_id"] for p in r.json()["programs"]]
    assert ids[0] == "counterfeit_countermeasure" and "trademark_squatting_countermeasure" in ids
    assert r.json()["count"] == len(ids)


@pytest.mark.parametrize("q", ["商標", "IP", "早期審査", "startup", "減免"])
def test_api_queries(client: TestClient, q: str) -> None:
    r = client.get("/api/v1/programs", params={"q": q})
    assert r.status_code == 200 and r.json()["count"] > 0


def test_api_no_results(client: TestClient) -> None:
    r = client.get("/api/v1/programs", params={"q": "量子コンピュータ宇宙旅行"})
    assert r.status_code == 200 and r.json() == {**r.json(), "count": 0, "programs": []}


@pytest.mark.parametrize("q", HOSTILE)
def test_api_hostile_input(client: TestClient, q: str) -> None:
    r = client.get("/api/v1/programs", params={"q": q})
    if any(ord(ch) < 0x20 and ch not in "\t\n\r" for ch in q):  # control characters: refused (issue 16)
        assert r.status_code == 422 and r.json()["errors"][0]["code"] == "control_character", r.text
        return
    assert r.status_code == 200, r.text


def test_api_search_with_as_of(client: TestClient) -> None:
    r = client.get("/api/v1/programs", params={"q": "模倣品", "as_of": "2025-10-01"})
    assert r.status_code == 200
    assert "counterfeit_countermeasure" in [p["program_id"] for p in r.json()["programs"]]
