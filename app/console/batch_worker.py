"""The console batch's background work: screening the rows of a job (under a lease: app/console/job_runner.py) and making its printable summaries (PRINTER)."""

from __future__ import annotations

import datetime as dt
import logging
import queue
import re
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from fastapi import Request
from sqlalchemy import select, update
from sqlmodel import Session, col

from app.batch import screen_row
from app.console import batch_rows as R
from app.console import cases as C
from app.desks import get_desk
from app.intake.columns import CellCache, Row, RowError, printable
from app.services import Services
from app.store.base import utcnow
from app.store.batch_jobs import BatchJob, BatchJobFile, BatchJobRow
from app.store.console import Case, CaseEvent, DeskRecord
from app.store.db import Store
from app.store.job_lease import LeaseLost
from app.web.i18n import environment
from app.web.pdf import PRINT_LEVELS, STATIC_DIR, print_css, url_fetcher
from app.web.results_view import build_view, load_result, print_view

log = logging.getLogger("navi.console.batch")


Msg = tuple[str, str]
INTERRUPTED_RETRIES: Msg = ("処理を実行するプロセスが何度も止まったため、中止しました。名簿を分けてアップロードしてください",
                            "The job was stopped: the processes running it stopped several times. Split the list")
UNEXPECTED: Msg = ("処理中に問題が起きました。時間をおいてもう一度アップロードしてください",
                   "Something went wrong while processing; upload the list again later")


def pick(msg: Msg, lang: str) -> str:
    return msg[0] if lang == "ja" else msg[1]


TOP = 3  # programs per company in the CSV (as the command line's default)
CHUNK = 50  # rows screened between two commits (and progress updates)
PRINT_PART = 50  # companies per multi-page PDF (one WeasyPrint layout holds every page in memory)
PRINT_MAX = 1000  # companies of one job that get printable summaries (~0.7 s of CPU each)
STALE = dt.timedelta(minutes=30)
NO_NAME = ("（会社名の記入なし）", "(no company name)")
JST = C.JST


# ------------------------------------------------------------------ background threads


class Runner:
    """A queue served by daemon threads (started on first use): jobs outlive the request that started
    them, and a stopping server does not wait for them (their jobs then show as interrupted)."""

    def __init__(self, name: str, workers: int):
        self.name = name
        self.workers = workers
        self.tasks: queue.Queue[tuple[Callable[..., None], tuple[Any, ...]]] = queue.Queue()
        self.threads: list[threading.Thread] = []
        self.lock = threading.Lock()

    def submit(self, fn: Callable[..., None], *args: Any) -> None:
        with self.lock:
            self.threads = [t for t in self.threads if t.is_alive()]
            while len(self.threads) < self.workers:
                t = threading.Thread(target=self._serve, name=f"{self.name}-{len(self.threads) + 1}", daemon=True)
                t.start()
                self.threads.append(t)
        self.tasks.put((fn, args))

    def _serve(self) -> None:
        while True:
            fn, args = self.tasks.get()
            try:
                fn(*args)
            except Exception:  # pragma: no cover - the tasks catch their own errors
                log.exception("%s: a task failed", self.name)
            finally:
                self.tasks.task_done()


PRINTER = Runner("navi-batch-pdf", workers=1)  # PDFs (slow and memory-hungry: one at a time)


# ------------------------------------------------------------------ screening the rows (background)


@dataclass
class Screened:
    row: int
    name: str
    errors: list[dict[str, str]]
    cells: list[Any]
    screening_id: str | None = None
    case_id: str | None = None
    profile: dict[str, Any] | None = None
    body: dict[str, Any] | None = None
    as_of: dt.date | None = None
    status: str = "ok"  # ok / error / skipped
    contact: str | None = None
    notes: list[str] | None = None
    prefilled: R.Prefilled | None = None


def _touch(db: Session, job_id: str, **values: Any) -> None:
    db.exec(update(BatchJob).where(col(BatchJob.id) == job_id)  # type: ignore[call-overload]
            .values(updated_at=utcnow(), **values))


def _fail(store: Store, job_id: str, msg: Msg, pdf: bool = False) -> None:
    with Session(store.engine) as db:
        if pdf:
            _touch(db, job_id, pdf_status="failed")
        else:
            _touch(db, job_id, status="failed", failure={"ja": msg[0], "en": msg[1]}, finished_at=utcnow())
        db.commit()


Guard = Callable[[Session], None]  # called in each chunk's transaction: the lease's heartbeat (job_runner)


def process(store: Store, svc: Services, job_id: str, rows: list[Row], default_as_of: str,
            explicit_as_of: bool, prefill: R.Fetch | None = None, prefill_workers: int = 2,
            guard: Guard | None = None) -> None:
    """Screen the rows of a job not stored yet (app/console/job_runner.py's task); the job ends `done` (or
    `failed`), then its PDFs are queued. `prefill`: a 法人番号 → its gBizINFO prefill (None: not configured or
    no row has a number). LeaseLost (another worker took the job over) stops it, untouched."""
    try:
        _process(store, svc, job_id, rows, default_as_of, explicit_as_of, prefill, prefill_workers, guard)
    except LeaseLost:
        raise
    except Exception:
        log.exception("batch job %s failed", job_id)
        _fail(store, job_id, UNEXPECTED)


def _screen(store: Store, svc: Services, job: BatchJob, row: Row, fmt: R.ChamberCsv, default_as_of: str,
            explicit_as_of: bool, known: dict[str, str], prefilled: R.Prefilled | None,
            cells: CellCache | None = None) -> Screened:
    """One row: skipped (a case of the desk already), or screened and stored (its case is made later)."""
    notes = [n for n in [R.name_unnamed(row, job.lang)] if n]
    name = R.cell(row, "company_name") or ""
    existing = known.get(R.name_key(name)) if job.skip_duplicates else None
    if existing:
        return Screened(row.number, name, [], fmt.finish(fmt.skipped(row.number, name), [R.pick(R.SKIPPED_NOTE, job.lang)], []),
                        case_id=existing, status="skipped", notes=[R.pick(R.SKIPPED_NOTE, job.lang)])
    outcome, profile, screening = screen_row(svc, row, default_as_of, fmt, cells)
    notes += R.notes_text(row.notes, job.lang) + (prefilled.notes if prefilled else [])
    filled = prefilled.filled if prefilled else []
    item = Screened(row.number, outcome.name,
                    [{"label": e.label, "message_ja": e.message_ja, "message_en": e.message_en} for e in outcome.errors],
                    fmt.finish(list(outcome.record), notes, filled), status="ok" if screening else "error",
                    contact=R.cell(row, "contact_name"), notes=notes, prefilled=prefilled)
    if screening is not None:
        try:
            item.case_id = str(uuid.uuid4()) if job.create_cases else None
            item.body = screening.as_dict(job.lang)
            item.profile = profile
            item.screening_id = store.save_screening(profile, screening, item.body, source="batch",
                                                     lang=job.lang, case_id=item.case_id)
            # The case keeps the date only when one was given (in the row or on the form); otherwise
            # 「再判定」 uses the day it is pressed, as for a case made with the form without a date.
            given = explicit_as_of or profile.get("as_of") != default_as_of
            item.as_of = screening.as_of if given else None
        except Exception:  # one row's problem fails that row only (issue 16)
            log.exception("batch job %s: row %d could not be stored", job.id, row.number)
            return _row_failed(item, job.lang)
    return item


def _process(store: Store, svc: Services, job_id: str, rows: list[Row], default_as_of: str,
             explicit_as_of: bool, prefill: R.Fetch | None = None, prefill_workers: int = 2,
             guard: Guard | None = None) -> None:
    with Session(store.engine, expire_on_commit=False) as db:
        job = db.get(BatchJob, job_id)
        if job is None or job.status not in ("queued", "running"):  # running: resumed after a worker died
            return
        _touch(db, job_id, status="running")
        db.commit()
        # A re-upload of the same file (its SHA-256): rows already made into cases of this desk are skipped.
        again = bool((job.notices or {}).get("same_file_as"))
        known = R.earlier_cases(db, job.desk_id, job.id) if job.skip_duplicates and again else {}
    actor = C.Actor(job.user_id, job.desk_id, job.ip)
    fmt = R.ChamberCsv(job.lang, TOP)
    prefilled: dict[int, R.Prefilled] = {}
    if prefill is not None:
        notices = dict(job.notices or {})

        def progress(done: int, total: int) -> None:  # shown on the job's page while gBizINFO is asked
            if done == total or done % 5 == 0:
                with Session(store.engine) as db:
                    _touch(db, job_id, notices={**notices, "prefill": {"done": done, "total": total}})
                    db.commit()

        prefilled = R.prefill_rows(rows, prefill, job.lang, prefill_workers, progress)
    ok = 0
    cells: CellCache = {}  # each distinct cell text of the job parsed once (app/intake/columns.py)
    for start in range(0, len(rows), CHUNK):
        # Screen and store the screenings first (each in its own transaction), then write this chunk's rows
        # and cases in one transaction: SQLite has one writer at a time.
        done = [_screen(store, svc, job, row, fmt, default_as_of, explicit_as_of, known, prefilled.get(row.number), cells)
                for row in rows[start:start + CHUNK]]
        try:
            ok += _store_chunk(store, actor, job, done, guard)
        except LeaseLost:
            raise
        except Exception:  # find the row(s) the database refused: each row alone, a refused one as an error row
            log.exception("batch job %s: a chunk could not be stored; storing its rows one by one", job_id)
            for item in done:
                try:
                    ok += _store_chunk(store, actor, job, [item], guard)
                except LeaseLost:
                    raise
                except Exception:
                    log.exception("batch job %s: row %d could not be stored", job_id, item.row)
                    ok += _store_chunk(store, actor, job, [_row_failed(item, job.lang)], guard)
    with Session(store.engine) as db:  # the job's good rows, those of a worker that died before included
        ok = db.scalar(select(col(BatchJob.ok_rows)).where(col(BatchJob.id) == job_id)) or 0
    pdf_status = "none"
    if job.make_pdfs and ok:
        pdf_status = "pending" if ok <= PRINT_MAX else "skipped"
    with Session(store.engine) as db:
        _touch(db, job_id, status="done", finished_at=utcnow(), pdf_status=pdf_status,
               pdf_total=min(ok, PRINT_MAX) if pdf_status == "pending" else 0)
        db.commit()
    if pdf_status == "pending":
        PRINTER.submit(print_summaries, store, svc, job_id)


def _row_failed(item: Screened, lang: str) -> Screened:
    """The row as an error row with the UNEXPECTED reason (its screening, if stored, stays unlinked)."""
    name = printable(item.name)
    errors = [{"label": "", "message_ja": UNEXPECTED[0], "message_en": UNEXPECTED[1]}]
    fmt = R.ChamberCsv(lang, TOP)
    return Screened(item.row, name, errors, fmt.finish(fmt.error(item.row, name, [RowError("", *UNEXPECTED)]), [], []),
                    status="error")


def _store_chunk(store: Store, actor: C.Actor, job: BatchJob, done: list[Screened], guard: Guard | None = None) -> int:
    """The chunk's rows and cases in one transaction, and the job's counts; how many rows were good."""
    with Session(store.engine, expire_on_commit=False) as db:
        if guard is not None:
            guard(db)  # the lease's heartbeat: LeaseLost (nothing stored) when another worker holds the job
        for item in done:
            if item.case_id and item.status == "ok":
                _add_case(db, store, actor, job, item)
        db.flush()
        for item in done:
            db.add(BatchJobRow(job_id=job.id, number=item.row, company_name=item.name[:200], status=item.status,
                               errors=item.errors, cells=item.cells, screening_id=item.screening_id,
                               case_id=item.case_id, notes=[{"text": n} for n in item.notes or ()]))
        good = sum(1 for i in done if i.status == "ok")
        skipped = sum(1 for i in done if i.status == "skipped")
        _touch(db, job.id, done_rows=col(BatchJob.done_rows) + len(done), ok_rows=col(BatchJob.ok_rows) + good,
               error_rows=col(BatchJob.error_rows) + len(done) - good - skipped,
               skipped_rows=col(BatchJob.skipped_rows) + skipped)
        db.commit()
    return good


def _add_case(db: Session, store: Store, actor: C.Actor, job: BatchJob, item: Screened) -> None:
    """A case of the job's desk for a good row (as `cases.create_case`, with the batch's screening)."""
    assert item.case_id and item.profile is not None and item.body is not None
    profile = store._json({k: v for k, v in item.profile.items() if k != "as_of"})
    company = item.name or pick(NO_NAME, job.lang)
    now = utcnow()
    prefecture = profile.get("prefecture")
    contact = item.contact[:100] if item.contact else None
    db.add(Case(id=item.case_id, desk_id=job.desk_id, status="screened", company_name=company[:200],
                contact_name=contact, prefecture=prefecture if isinstance(prefecture, str) else None, profile=profile,
                as_of=item.as_of, latest_screening_id=item.screening_id,
                search_text=C.search_text(company, profile, contact), created_by=job.user_id, created_at=now,
                updated_at=now))
    db.flush()
    C._set_programs(db, item.case_id, item.body)
    source = {"batch_job_id": job.id, "row": item.row}
    db.add(CaseEvent(case_id=item.case_id, user_id=actor.user_id, desk_id=actor.desk_id, kind="created",
                     to_status="new", at=now, detail=source))
    db.add(CaseEvent(case_id=item.case_id, user_id=actor.user_id, desk_id=actor.desk_id, kind="status",
                     from_status="new", to_status="screened", at=now + dt.timedelta(microseconds=1),
                     detail={"screening_id": item.screening_id}))
    C.audit(db, actor, "create", item.case_id, source="batch", company_name=company, screening_id=item.screening_id,
            **source)
    pre = item.prefilled
    if pre is not None and pre.filled:  # the provenance of each filled value, on the case and in the audit log
        fields = {f.field: {"value": profile.get(f.field), "provenance": f.provenance, "confirmed": not f.confirm}
                  for f in pre.filled if f.field in profile}
        db.add(CaseEvent(case_id=item.case_id, user_id=actor.user_id, desk_id=actor.desk_id, kind="prefill",
                         at=now + dt.timedelta(microseconds=2),
                         detail=C._plain({"corporate_number": pre.number, "source": pre.source, "fields": fields, **source})))
        C.audit(db, actor, "update", item.case_id, prefill="gBizINFO", corporate_number=pre.number,
                source=pre.source.get("provenance"), fields=sorted(fields), **source)


# ------------------------------------------------------------------ printable summaries (background)


def _request_for(base_url: str) -> Request:
    """A request whose base URL is the upload's, for `build_view` (the summary prints the results link)."""
    u = urlsplit(base_url or "http://localhost/")
    scheme = u.scheme if u.scheme in ("http", "https") else "http"
    port = u.port or (443 if scheme == "https" else 80)
    return Request({"type": "http", "method": "GET", "scheme": scheme, "path": "/", "query_string": b"",
                    "root_path": u.path.rstrip("/"), "server": (u.hostname or "localhost", port),
                    "headers": [(b"host", (u.netloc or "localhost").encode("latin-1", "replace"))]})


COMBINED_CSS = """
.company { break-after: page; }
.company:last-child { break-after: auto; }
"""


def combined_html(pages: Sequence[tuple[int, str]], title: str) -> str:
    """Companies' print pages (number, the whole HTML of `print_summary.html`) as one document: each page's
    body in `<div class="company level-N" id="company-{number}">`, a page break after each.

    The template's compact levels (`html.level-N …`) become rules of the company's div.

    >>> page = '<html lang="ja" class="level-1"><head><title>x</title><style>html.level-1 { font-size: 8pt; }'
    >>> page += '</style></head><body><main>A</main></body></html>'
    >>> print(combined_html([(2, page), (3, page.replace(">A<", ">B<"))], "T"))  # doctest: +NORMALIZE_WHITESPACE
    <html lang="ja"><head><title>T</title><style>.company.level-1 { font-size: 8pt; }
    .company { break-after: page; }
    .company:last-child { break-after: auto; }
    </style></head><body><div class="company level-1" id="company-2"><main>A</main></div><div
    class="company level-1" id="company-3"><main>B</main></div></body></html>
    """
    head = ""
    bodies = []
    for number, page in pages:
        before, sep, rest = page.partition("<body>")
        body, sep2, _ = rest.rpartition("</body>")
        if not sep or not sep2:
            raise ValueError("the print template has no <body>")
        level = re.search(r'<html[^>]*\bclass="level-(\d+)"', before)
        if not head:
            head = before
        bodies.append(f'<div class="company level-{level[1] if level else 0}" id="company-{number}">{body}</div>')
    head = re.sub(r'(<html[^>]*?)\s+class="level-\d+"', r"\1", head, count=1)
    head = re.sub(r"html\.level-(\d+)", r".company.level-\1", head)
    head = re.sub(r"<title>.*?</title>", lambda _m: f"<title>{_escape(title)}</title>", head, count=1, flags=re.S)
    head = head.replace("</style>", COMBINED_CSS + "</style>", 1)
    return f"{head}<body>{''.join(bodies)}</body></html>"


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def with_own_desk(view: dict[str, Any], desk: Any) -> dict[str, Any]:
    """The printed desks with the uploading desk (the chamber itself) first, then INPIT and よろず."""
    if desk is None:
        return view
    others = [d for d in view["print_desks"] if getattr(d, "id", None) != desk.id]
    return {**view, "print_desks": [desk, *others]}


def render_companies(views: list[tuple[int, dict[str, Any]]], lang: str, title: str,
                     desk: Any = None) -> tuple[Any, dict[int, tuple[int, int]]]:
    """One WeasyPrint document for the companies of a part, and each company's pages [first, last); `desk`
    (the uploading desk) is printed first among the desks.

    A company that takes more than one page is rendered again more compact (as /results/{id}/summary.pdf
    does), up to the template's last level."""
    from weasyprint import HTML  # imported lazily: loading it takes about a second

    template = environment(lang).get_template("print_summary.html")
    levels = {number: 0 for number, _ in views}
    order = [number for number, _ in views]
    while True:
        pages = [(number, template.render(**with_own_desk(print_view(view, lang, levels[number]), desk), pdf=True,
                                          print_css=print_css()))
                 for number, view in views]
        doc = HTML(string=combined_html(pages, title), base_url=str(STATIC_DIR), url_fetcher=url_fetcher()).render()
        starts: dict[int, int] = {}
        for index, page in enumerate(doc.pages):
            for anchor in page.anchors:
                if anchor.startswith("company-") and anchor[8:].isdigit():
                    starts.setdefault(int(anchor[8:]), index)
        spans: dict[int, tuple[int, int]] = {}
        for k, number in enumerate(order):
            first = starts[number]
            spans[number] = (first, starts[order[k + 1]] if k + 1 < len(order) else len(doc.pages))
        long = [n for n, (a, b) in spans.items() if b - a > 1 and levels[n] < PRINT_LEVELS - 1]
        if not long:
            return doc, spans
        for n in long:
            levels[n] += 1


@dataclass(frozen=True)
class DeskCard:
    """A desk as the print template shows it (a desk of programs/desks.yaml, or one made in the console)."""

    id: str
    kind: str
    name_ja: str
    name_en: str
    phone: str | None = None
    url: str | None = None

    def label(self, lang: str = "ja") -> str:
        return self.name_ja if lang == "ja" else self.name_en


def own_desk(store: Store, desk_id: str) -> Any:
    """The uploading desk, for the printed summaries."""
    desk = get_desk(desk_id)
    if desk is not None:
        return desk
    with Session(store.engine) as db:
        rec = db.get(DeskRecord, desk_id)
    if rec is None:
        return None
    return DeskCard(rec.id, rec.kind, rec.name, rec.name_en or rec.name, rec.phone, rec.url)


def print_summaries(store: Store, svc: Services, job_id: str) -> None:
    """Make the job's printable summaries (PRINTER's task)."""
    try:
        _print_summaries(store, svc, job_id)
    except Exception:
        log.exception("batch job %s: the printable summaries failed", job_id)
        _fail(store, job_id, UNEXPECTED, pdf=True)


def _print_summaries(store: Store, svc: Services, job_id: str) -> None:
    with Session(store.engine, expire_on_commit=False) as db:
        job = db.get(BatchJob, job_id)
        if job is None or job.pdf_status != "pending":
            return
        _touch(db, job_id, pdf_status="running")
        db.commit()
        items = db.exec(select(col(BatchJobRow.number), col(BatchJobRow.screening_id)).where(  # type: ignore[call-overload]
            col(BatchJobRow.job_id) == job_id, col(BatchJobRow.status) == "ok")
            .order_by(col(BatchJobRow.number)).limit(PRINT_MAX)).all()
    request = _request_for(job.base_url)
    title = pick(("知財支援ナビ — 診断結果の要約（一括判定）", "Chizai Navi — summaries (batch screening)"), job.lang)
    part = 0
    for start in range(0, len(items), PRINT_PART):
        views = []
        for number, screening_id in items[start:start + PRINT_PART]:
            loaded = load_result(store, svc, screening_id, job.lang) if screening_id else None
            if loaded is not None:
                views.append((int(number), build_view(loaded, request, None, svc)))
        if not views:
            continue
        doc, spans = render_companies(views, job.lang, title, own_desk(store, job.desk_id))
        part += 1
        files = [BatchJobFile(job_id=job_id, kind="part", number=part, pages=len(doc.pages), data=doc.write_pdf())]
        for number, (first, last) in spans.items():
            files.append(BatchJobFile(job_id=job_id, kind="row", number=number, pages=last - first,
                                      data=doc.copy(doc.pages[first:last]).write_pdf()))
        del doc
        with Session(store.engine) as db:
            db.add_all(files)
            _touch(db, job_id, pdf_done=col(BatchJob.pdf_done) + len(views), pdf_parts=part)
            db.commit()
    with Session(store.engine) as db:
        _touch(db, job_id, pdf_status="done")
        db.commit()
