"""Full-text search over the program catalog: a read-only SQLite file with an FTS5 trigram index.

The catalog is exported with sqlite-utils into `Settings.search_db` (default `var/programs_search.db`).
The file is rebuilt only when the catalog version stored in its `meta` table differs from the loaded
catalog's version (which changes whenever a file in programs/ changes); a rebuild writes a temporary file
next to it and renames it into place atomically, so several processes may start at once. Queries open it
with a `file:...?mode=ro` URI.

The trigram tokenizer needs no Japanese word splitter, but it cannot match terms shorter than three
characters (`IP`, `商標`): those terms are matched with `instr()` over the same text instead.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import tempfile
import threading
import unicodedata
from collections.abc import Callable, Iterable
from pathlib import Path

import sqlite_utils

from programs.loader import Catalog
from programs.schema import Program

log = logging.getLogger("navi.search")

# Bump when the layout of the file changes, so an old file is rebuilt even if the catalog did not change.
INDEX_FORMAT = "1"
TABLE = "programs"
# Searchable columns and their bm25 weights (a hit in a name or a keyword counts most).
COLUMNS: dict[str, float] = {
    "name_ja": 10.0,
    "name_en": 10.0,
    "keywords": 6.0,
    "description_ja": 3.0,
    "description_en": 3.0,
    "benefit": 2.0,
    "operator": 1.0,
    "guidance": 1.0,
}
MIN_TRIGRAM = 3  # the trigram tokenizer cannot match shorter terms
MAX_QUERY_CHARS = 1000
MAX_TERMS = 32


def fold(text: str) -> str:
    """Text as stored and as searched: NFKC (全角→半角, 　→ space), lower case, no control characters.

    >>> fold("ＩＰ　ランドスケープ")
    'ip ランドスケープ'
    >>> fold("a\\x00b")
    'a b'
    """
    text = unicodedata.normalize("NFKC", text).lower()
    return "".join(" " if unicodedata.category(c) in ("Cc", "Cf", "Cs") else c for c in text)


def terms_of(query: str) -> list[str]:
    """The distinct whitespace-separated terms of a query, folded, in order.

    >>> terms_of("海外　模倣品  海外")
    ['海外', '模倣品']
    >>> terms_of('"AND" (')
    ['"and"', '(']
    """
    out: list[str] = []
    for term in fold(query[:MAX_QUERY_CHARS]).split():
        if term not in out:
            out.append(term)
    return out[:MAX_TERMS]


def fts_phrase(term: str) -> str:
    """A term as an FTS5 string (a phrase): FTS syntax inside it is inert.

    >>> fts_phrase('a"b*')
    '"a""b*"'
    """
    return '"' + term.replace('"', '""') + '"'


def _row(order: int, p: Program) -> dict[str, object]:
    cols = {
        "name_ja": p.names.ja,
        "name_en": p.names.en,
        "keywords": " ".join(p.keywords),
        "description_ja": p.description.ja,
        "description_en": p.description.en,
        "benefit": f"{p.benefit.summary.ja}\n{p.benefit.summary.en}",
        "operator": f"{p.operator.ja}\n{p.operator.en}",
        "guidance": "\n".join([*p.prepare.ja, *p.next_steps.ja, *p.prepare.en, *p.next_steps.en]),
    }
    folded = {k: fold(v) for k, v in cols.items()}
    # Terms never contain whitespace, so joining with a newline cannot create a match across columns.
    return {"ord": order, "id": p.id, **folded, "alltext": "\n".join(folded.values())}


def stored_version(path: Path) -> str | None:
    """`catalog_version|format` recorded in an existing index file, or None (missing, damaged, old)."""
    if not path.is_file():
        return None
    try:
        conn = sqlite3.connect(_ro_uri(path), uri=True)
        try:
            rows = dict(conn.execute("SELECT key, value FROM meta").fetchall())
        finally:
            conn.close()
    except sqlite3.Error:
        return None
    return f"{rows.get('catalog_version')}|{rows.get('index_format')}"


def _ro_uri(path: Path) -> str:
    return path.resolve().as_uri() + "?mode=ro"


def build_index(catalog: Catalog, path: Path | str) -> bool:
    """Write the index for `catalog` to `path` unless it already holds this catalog version.

    Returns True when the file was (re)built. The new file is written under a temporary name in the same
    folder and renamed over the old one, so readers never see a half-written file.
    """
    path = Path(path)
    if stored_version(path) == f"{catalog.version}|{INDEX_FORMAT}":
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        db = sqlite_utils.Database(tmp)
        table = db.table(TABLE)
        table.create({"ord": int, "id": str, **dict.fromkeys(COLUMNS, str), "alltext": str}, pk="ord")
        table.create_index(["id"], unique=True)
        table.insert_all(_row(i, p) for i, p in enumerate(catalog.programs.values()))
        table.enable_fts(list(COLUMNS), tokenize="trigram")
        db.table("meta").insert_all(
            [{"key": "catalog_version", "value": catalog.version},
             {"key": "index_format", "value": INDEX_FORMAT},
             {"key": "programs", "value": str(len(catalog.programs))}],
            pk="key",
        )
        db.close()
        tmp.chmod(0o444)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    log.info("search index for catalog %s written to %s", catalog.version, path)
    return True


class ProgramIndex:
    """Queries over a built index file, opened read-only; thread-safe (one shared connection)."""

    def __init__(self, path: Path | str, known: Iterable[str] | None = None):
        self.path = Path(path)
        self.conn = sqlite3.connect(_ro_uri(self.path), uri=True, check_same_thread=False)
        self.conn.execute("PRAGMA query_only = 1")
        self._lock = threading.Lock()
        # The open connection keeps reading the file it opened even if another process renames a newer
        # one over it; `known` additionally drops ids the caller's catalog does not have.
        self.known = frozenset(known) if known is not None else None
        self.version = dict(self.conn.execute("SELECT key, value FROM meta").fetchall()).get("catalog_version")

    def close(self) -> None:
        self.conn.close()

    def search(self, query: str) -> list[str]:
        """Program ids matching every term of `query`, best first (bm25; then catalog order).

        Terms of three or more characters use the trigram index; shorter ones are matched with instr().
        An empty query returns every program in catalog order.
        """
        terms = terms_of(query)
        long_terms = [t for t in terms if len(t) >= MIN_TRIGRAM]
        short_terms = [t for t in terms if len(t) < MIN_TRIGRAM]
        where: list[str] = []
        params: list[str] = []
        # For short-only queries: names and keywords first, then the rest.
        boost = " + ".join(
            "(instr(p.name_ja, ?) > 0) * 4 + (instr(p.name_en, ?) > 0) * 4 + (instr(p.keywords, ?) > 0) * 2"
            for _ in short_terms
        )
        order_boost = f"({boost}) DESC, " if short_terms else ""
        boost_params = [t for t in short_terms for _ in range(3)]
        for t in short_terms:
            where.append("instr(p.alltext, ?) > 0")
            params.append(t)
        if long_terms:
            weights = ", ".join(str(w) for w in COLUMNS.values())
            sql = (
                f"SELECT p.id FROM {TABLE}_fts JOIN {TABLE} p ON p.ord = {TABLE}_fts.rowid "
                f"WHERE {TABLE}_fts MATCH ? {''.join(' AND ' + w for w in where)} "
                f"ORDER BY bm25({TABLE}_fts, {weights}), {order_boost}p.ord"
            )
            args = [" AND ".join(fts_phrase(t) for t in long_terms), *params, *boost_params]
        else:
            sql = (f"SELECT p.id FROM {TABLE} p {'WHERE ' + ' AND '.join(where) if where else ''} "
                   f"ORDER BY {order_boost}p.ord")
            args = [*params, *boost_params]
        with self._lock:
            rows = self.conn.execute(sql, args).fetchall()
        ids = [r[0] for r in rows]
        return ids if self.known is None else [i for i in ids if i in self.known]


def open_index(catalog: Catalog, path: Path | str) -> ProgramIndex:
    """Build the index file if the catalog changed, then open it read-only."""
    build_index(catalog, path)
    return ProgramIndex(path, known=catalog.programs)


def search_hook(catalog: Catalog, path: Path | str) -> Callable[[str], list[str]] | None:
    """`index.search`, the app's program search (`app.deps.SearchDep`), or None (with a warning) if the file
    cannot be built or opened — the API then falls back to its simple in-memory search."""
    try:
        return open_index(catalog, path).search
    except (OSError, sqlite3.Error) as e:
        log.warning("program search index unavailable (%s): %s; using the simple search", path, e)
        return None
