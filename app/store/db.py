"""The database: engines for SQLite and PostgreSQL, migrations (Alembic) and the screening store.

`make_engine(url)` builds an engine with the settings each backend needs, `migrate(url)` brings the
schema to the newest migration (run by `create_app` on start), and `Store` saves and reads screenings.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import threading
import uuid
import zlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
from fastapi.encoders import jsonable_encoder
from sqlalchemy import (
    Engine,
    create_engine,
    delete,
    event,
    func,
    insert,
    select,
    text,
)
from sqlalchemy.engine import URL, make_url
from sqlmodel import Session

from app.store.base import new_id, utcnow
from app.store.ranking import RankingLog
from app.store.referrals import Referral
from app.store.screenings import SOURCES, ScreeningCreate, ScreeningPublic, ScreeningRecord
from app.store.writer import GroupWriter
from eligibility.engine import Screening
from eligibility.outcome import outcome_of
from matching.records import ranker_of, shown_items

if TYPE_CHECKING:
    from alembic.config import Config

ROOT = Path(__file__).resolve().parents[2]
RANKING_KEY = "ranking_log"  # a screening row's ranking_log row (not a column of screening)
ALEMBIC_DIR = ROOT / "alembic"

try:  # POSIX only; elsewhere SQLite migrations are not serialised between processes
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]


def _sqlite_file(url: URL) -> Path | None:
    db = url.database
    if not db or db == ":memory:" or db.startswith("file:") or url.query.get("mode") == "memory":
        return None
    return Path(db).expanduser()


def normalize_url(url: str | URL) -> URL:
    """`postgres://` and `postgresql://` use psycopg 3 (the driver installed)."""
    u = make_url(url)
    if u.drivername in ("postgres", "postgresql"):
        u = u.set(drivername="postgresql+psycopg")
    return u


PG_CONNECT_TIMEOUT = 2  # seconds


class JSONText:
    """A JSON document serialised once (`encode_json`), as UTF-8 bytes: the API sends them as the response
    body and the store inserts them as they are (no decoding to `str` and encoding again: 0.2 + 0.13 ms for
    a ~100 KB result, bench/README.md). `str(x)` decodes; it compares equal to the same JSON as `str`.
    """

    __slots__ = ("raw",)

    def __init__(self, raw: bytes):
        self.raw = raw

    def __str__(self) -> str:
        return self.raw.decode("utf-8")

    def __repr__(self) -> str:
        return f"JSONText({self.raw[:60]!r}…)" if len(self.raw) > 60 else f"JSONText({self.raw!r})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, JSONText):
            return self.raw == other.raw
        if isinstance(other, str):
            return self.raw == other.encode("utf-8")
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.raw)


def _json_serializer(value: Any) -> str:
    """The engines' serializer for JSON columns: JSONText unchanged, anything else as SQLAlchemy would."""
    if isinstance(value, JSONText):
        return str(value)
    return json.dumps(value)


def make_engine(url: str | URL) -> Engine:
    """An engine for `url`: SQLite in WAL mode (folder created), or PostgreSQL with pre-ping."""
    u = normalize_url(url)
    if u.get_backend_name() == "sqlite":
        path = _sqlite_file(u)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(u, connect_args={"check_same_thread": False}, json_serializer=_json_serializer)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            try:
                cur.execute("PRAGMA journal_mode=WAL")
                cur.execute("PRAGMA foreign_keys=ON")
                cur.execute("PRAGMA busy_timeout=5000")
                # In WAL mode NORMAL loses no committed transaction when the process dies (SIGKILL),
                # only on power loss; FULL costs an fsync per screening (~18 ms measured).
                cur.execute("PRAGMA synchronous=NORMAL")
            finally:
                cur.close()

        return engine
    # Fail fast when PostgreSQL is down or unreachable: pre-ping replaces connections that died with a
    # restart, and a connection attempt gives up after 2 s (the app answers 503, see app/errors.py).
    connect_args: dict[str, Any] = {} if "connect_timeout" in u.query else {"connect_timeout": PG_CONNECT_TIMEOUT}
    return create_engine(u, pool_pre_ping=True, connect_args=connect_args, json_serializer=_json_serializer)


# ------------------------------------------------------------------ migrations

def alembic_config(url: str | URL | None = None) -> Config:
    """An Alembic config for this repository's migrations, independent of the cwd and of alembic.ini.

    No ini file is read, so the app's logging configuration is left alone. (Alembic is imported here: a command
    that migrates nothing, the batch CLI, does not pay for it.)
    """
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(ALEMBIC_DIR).replace("%", "%%"))
    cfg.set_main_option("path_separator", "os")
    if url is not None:
        rendered = normalize_url(url).render_as_string(hide_password=False)
        cfg.set_main_option("sqlalchemy.url", rendered.replace("%", "%%"))
    return cfg


_PG_LOCK_KEY = int.from_bytes(hashlib.sha256(b"chizai-navi:migrate").digest()[:8], "big", signed=True)


@contextlib.contextmanager
def _sqlite_lock(url: URL) -> Iterator[None]:
    """Serialise migrations of one SQLite file between processes (several workers starting at once)."""
    # Only for SQLite: a PostgreSQL URL's database name is no file (it left "<dbname>.migrate.lock" in the cwd).
    path = _sqlite_file(url) if url.get_backend_name() == "sqlite" else None
    if path is None or fcntl is None:
        yield
        return
    with open(path.parent / f"{path.name}.migrate.lock", "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def migrate(url: str | URL) -> None:
    """`alembic upgrade head` on `url` (PostgreSQL: one transaction under an advisory lock; SQLite: a file lock)."""
    u = normalize_url(url)
    cfg = alembic_config(u)
    engine = make_engine(u)
    try:
        with _sqlite_lock(u), engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
            cfg.attributes["connection"] = conn
            import alembic.command

            alembic.command.upgrade(cfg, "head")
    finally:
        engine.dispose()


def check(url: str | URL) -> None:
    """`alembic check`: raise if the models and the migrated database differ."""
    u = normalize_url(url)
    cfg = alembic_config(u)
    engine = make_engine(u)
    try:
        with engine.connect() as conn:
            cfg.attributes["connection"] = conn
            import alembic.command

            alembic.command.check(cfg)
    finally:
        engine.dispose()


# ------------------------------------------------------------------ the store

def _strip_nul(obj: Any) -> Any:
    """PostgreSQL's JSONB cannot hold U+0000: replace it with U+FFFD (in keys and strings)."""
    if isinstance(obj, str):
        return obj.replace("\x00", "\ufffd") if "\x00" in obj else obj
    if isinstance(obj, dict):
        return {_strip_nul(k): _strip_nul(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_strip_nul(v) for v in obj]
    return obj


def _default(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return jsonable_encoder(value)


def encode_json(obj: Any) -> JSONText:
    """`obj` as compact JSON (UTF-8 characters kept, dates as ISO strings): serialised once, for the stored
    row and for the response.

    orjson (~0.08 ms for a 100 KB result, where `json.dumps` took ~1 ms, the largest single cost of a
    screening over HTTP; bench/README.md) writes the same JSON as Starlette's `JSONResponse` (very small or
    large floats are spelt differently: 6.1e-5 for 6.1e-05). NaN and ±Infinity would become `null` instead
    of an error. None can reach a result: the API
    refuses them in the input and the engine's and scorer's numbers are finite (tests/test_properties.py).

    >>> str(encode_json({"a": "日本", "d": [1.5], "on": dt.date(2026, 4, 1)}))
    '{"a":"日本","d":[1.5],"on":"2026-04-01"}'
    """
    return JSONText(orjson.dumps(obj, default=_default, option=orjson.OPT_NON_STR_KEYS))


# zlib's level for a screening's facts (~11 KB of JSON): 6 writes as few bytes as 9 for pub-01 (1,988) in ~15 %
# less time, 1 would halve the time again (~30 µs) for 18 % more bytes (bench/README.md, "Issue 15: the API
# path"); rows of any level read back the same.
FACTS_LEVEL = 6


def _max_length(name: str) -> int:
    return min(m.max_length for m in ScreeningCreate.model_fields[name].metadata if hasattr(m, "max_length"))


_LIMITS = {k: _max_length(k) for k in ("catalog_version", "model_version", "lang", "case_id")}
_SMALL = ("as_of", "catalog_version", "model_version", "lang", "profile", "source", "case_id")
_SMALL_KNOWN = [k for k in ScreeningCreate.model_fields if k != "result"] == list(_SMALL)


def _small_fields(as_of: Any, catalog_version: Any, model_version: Any, lang: Any, profile: Any, source: Any,
                  case_id: Any) -> dict[str, Any] | None:
    """`ScreeningCreate(...).model_dump(exclude={"result"})` for values that are plainly valid (the types the
    model declares, within its lengths; tests/store/test_row_fast.py), without building the model; None
    for anything else (the model decides)."""
    lim = _LIMITS
    if not (_SMALL_KNOWN and type(as_of) is dt.date and type(profile) is dict and source in SOURCES
            and type(catalog_version) is str and len(catalog_version) <= lim["catalog_version"]
            and type(lang) is str and len(lang) <= lim["lang"]
            and (model_version is None or type(model_version) is str and len(model_version) <= lim["model_version"])
            and (case_id is None or type(case_id) is str and len(case_id) <= lim["case_id"])
            and all(type(k) is str for k in profile)):
        return None
    return {"as_of": as_of, "catalog_version": catalog_version, "model_version": model_version, "lang": lang,
            "profile": profile, "source": source, "case_id": case_id}


class Store:
    """Saves every screening (profile, result as shown, versions, as_of) and reads it back."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self._pg = engine.dialect.name == "postgresql"
        self._writer: GroupWriter | None = None
        self._writer_lock = threading.Lock()

    @classmethod
    def from_url(cls, url: str | URL) -> Store:
        return cls(make_engine(url))

    def _json(self, obj: Any) -> Any:
        # The body is plain JSON data already; a C json round trip is ~20x faster than
        # jsonable_encoder on a 100 KB result and still turns dates into ISO strings.
        out = json.loads(json.dumps(obj, ensure_ascii=False, default=_default))
        return _strip_nul(out) if self._pg else out

    def _facts(self, outcome: dict[str, Any]) -> bytes:
        """`encode_facts(self._json(outcome))` in one orjson pass (the same JSON bytes once compressed: the
        outcome holds only JSON's types; tests/store/test_row_fast.py), at FACTS_LEVEL."""
        try:
            raw = orjson.dumps(outcome, default=_default)
        except TypeError:  # an integer beyond 64 bits: what json would write (cannot come from the engine)
            raw = orjson.dumps(self._json(outcome))
        if self._pg and b"\\u0000" in raw:  # a U+0000 escaped (or a backslash before "u0000")
            raw = orjson.dumps(_strip_nul(orjson.loads(raw)))
        return zlib.compress(raw, FACTS_LEVEL)

    def screening_row(
        self,
        profile_dict: Any,
        screening: Screening,
        body: Any = None,
        source: str = "api",
        lang: str = "ja",
        case_id: str | None = None,
    ) -> dict[str, Any]:
        """The row for one screening, its small fields validated: the profile, versions and the language-neutral
        outcome (eligibility/outcome.py), no text; pages and the API render it on read (app/web/stored.py).
        `body` (what was shown) is no longer stored; it is accepted for the callers that still pass it."""
        profile = self._json(profile_dict)
        if not isinstance(profile, dict):  # cannot happen for a profile the engine accepted
            profile = {"value": profile}
        small = _small_fields(screening.as_of, screening.catalog_version, screening.model_version, lang, profile,
                              source, case_id)
        if small is None:  # not plainly valid: the model validates them (and says what is wrong)
            small = ScreeningCreate(
                as_of=screening.as_of,
                catalog_version=screening.catalog_version,
                model_version=screening.model_version,
                lang=lang,
                profile=profile,
                source=source,  # type: ignore[arg-type]  # validated against the Literal
                case_id=case_id,
            ).model_dump(exclude={"result"})
        row = {**small, "facts": self._facts(outcome_of(screening)), "id": new_id(), "created_at": utcnow()}
        # The list as shown, for a learner (issue 17): written with the screening, deleted with it.
        row[RANKING_KEY] = {"screening_id": row["id"], "ranker": ranker_of(screening.model_version),
                            "model_version": screening.model_version, "catalog_version": screening.catalog_version,
                            "items": shown_items(screening.results), "created_at": row["created_at"]}
        return row

    def _insert_rows(self, rows: Sequence[dict[str, Any]]) -> None:
        # A Core insert: the ORM's unit of work costs more than the insert itself for one row. `result`
        # is left NULL (rendered on read).
        screenings = [{k: v for k, v in r.items() if k != RANKING_KEY} for r in rows]
        logs = [r[RANKING_KEY] for r in rows if r.get(RANKING_KEY)]
        with self.engine.begin() as conn:
            conn.execute(insert(ScreeningRecord), screenings)
            if logs:
                conn.execute(insert(RankingLog), logs)

    @property
    def writer(self) -> GroupWriter:
        """The process's group-commit writer (app/store/writer.py), started on first use."""
        with self._writer_lock:
            if self._writer is None:
                self._writer = GroupWriter(lambda rows: self._insert_rows(rows))
            return self._writer

    def save_screening(self, profile_dict: Any, screening: Screening, body: Any = None,
                       source: str = "api", lang: str = "ja", case_id: str | None = None) -> str:
        """Store one screening in a transaction of its own (see `screening_row`). Returns its id."""
        row = self.screening_row(profile_dict, screening, body, source, lang, case_id)
        self._insert_rows([row])
        return str(row["id"])

    async def save_screening_async(self, profile_dict: Any, screening: Screening, body: Any = None,
                                   source: str = "api", lang: str = "ja", case_id: str | None = None) -> str:
        """The same through the group-commit writer: returns once the transaction holding it committed."""
        row = self.screening_row(profile_dict, screening, body, source, lang, case_id)
        await self.writer.write_async(row)
        return str(row["id"])

    def get_screening(self, screening_id: str) -> ScreeningPublic | None:
        try:
            uuid.UUID(screening_id)
        except (ValueError, TypeError):
            return None
        with Session(self.engine) as session:
            record = session.get(ScreeningRecord, screening_id)
            return None if record is None else ScreeningPublic.model_validate(record)

    def purge_expired(self, retention_days: int, now: dt.datetime | None = None) -> int:
        """Delete screenings older than the retention period that were never sent to a desk or made a case.

        The landing page promises this; referred screenings are kept for the desk that received them.
        """

        cutoff = (now or dt.datetime.now(dt.UTC)) - dt.timedelta(days=retention_days)
        referred = select(Referral.screening_id)  # type: ignore[call-overload]
        stmt = delete(ScreeningRecord).where(
            ScreeningRecord.created_at < cutoff,  # type: ignore[arg-type]
            ScreeningRecord.id.not_in(referred),  # type: ignore[union-attr,attr-defined]
            ScreeningRecord.case_id.is_(None),  # type: ignore[union-attr]  # advisors' cases are kept
        )
        with Session(self.engine) as session:
            result = session.exec(stmt)  # type: ignore[call-overload]
            session.commit()
            return int(result.rowcount or 0)

    def count(self) -> int:
        with Session(self.engine) as session:
            return int(session.scalar(select(func.count()).select_from(ScreeningRecord)) or 0)

    def dispose(self) -> None:
        if self._writer is not None:
            self._writer.close()  # writes what is queued first
            self._writer = None
        self.engine.dispose()

