"""Batch screening of a member list in the console (商工会議所の一括判定): upload, background job, downloads.

    GET  /console/batch                          the upload form and the desk's recent jobs
    POST /console/batch                          upload a member list (CSV from Excel: CP932 or UTF-8 / BOM; or
                                                 JSON Lines), at most MAX_BYTES and MAX_ROWS rows → 303 to the job
    GET  /console/batch/{id}                     progress (refreshes itself every 2 s while running, no script),
                                                 then the summary, the bad rows with their reasons, the good rows
    GET  /console/batch/{id}/results.csv         the results for Excel (UTF-8 BOM; the columns of `python -m app screen`)
    GET  /console/batch/{id}/summaries.pdf       the printable summaries, one A4 page per company (?part=N: the
                                                 PDF holds PRINT_PART companies; a bigger list has several parts)
    GET  /console/batch/{id}/summaries.zip       one PDF per company

Who: chamber_staff and desk_admin (advisors get 403). A job, its page and its downloads exist only for the
users of the desk that uploaded it: anyone else gets the same 404 as for a job that does not exist.
Every upload is an audit `create` (and every case made from a row another `create`), every download an
audit `export`; the upload form carries the session's CSRF token.

Reading and normalising the file is `app.intake.columns` (shared with the command line: Japanese headings, 全角, 和暦,
万・億; row numbers as in Excel). The file is read in the request (an unreadable file is answered at once);
the job is queued with its file under a lease (app/console/job_runner.py: any app server or `python -m app worker`
claims it and resumes it after a crash) and its rows are screened, storing every screening
(`Store.save_screening(source="batch")`), and — if the box is ticked, the default — makes one case per good
row for the desk (status 判定済み, so that the staff can follow each company up in the case list). After
that, a second thread (PRINTER) renders the printable summaries with the results page's print template
(`templates/print_summary.html`, the same page as /results/{id}/summary.pdf): the companies of a part in
one HTML document with page breaks (one WeasyPrint layout: ~0.5 s and a few MB per page; a company that
does not fit on one page is rendered again more compact, as the one-company PDF does), cut into one PDF per
company for the ZIP. Both are stored in `batch_job_file`, so downloads are immediate.

Jobs are queued in the database with the file (`job_lease`, app/console/job_runner.py): any app server or
`python -m app worker` claims one under a lease with a heartbeat, and a job whose worker died is resumed by
another from the rows not stored yet. A job that has not moved for STALE (no worker at all) is shown as failed.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import re
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import PurePath
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from markupsafe import Markup
from sqlalchemy import delete, select
from sqlmodel import Session, col
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from app.batch import csv_cell
from app.companies.wiring import Companies
from app.console import batch_rows as R
from app.console import cases as C
from app.console import security as S
from app.console.batch_worker import JST, PRINT_MAX, PRINT_PART, STALE, TOP, Msg, pick
from app.console.deps import CSRF_FAILED, LoggedIn, PageError, Staff, db_session
from app.console.job_runner import Jobs, enqueue_batch
from app.console.layout import Labels, console_lang, console_page, redirect
from app.console.workflow import label
from app.deps import CompaniesDep, JobsDep, ServicesDep, StoreDep
from app.intake.columns import JSONL_SUFFIXES, InputError, Row, read_input
from app.intake.normalize import NormalizeError, parse_date
from app.intake.roster import accepted_columns, jsic_sources, template_csv
from app.services import Services
from app.store.base import utcnow
from app.store.batch_jobs import BATCH_ROLES, BatchJob, BatchJobFile, BatchJobRow
from app.store.console import User
from app.store.db import Store
from app.store.job_lease import JobLease
from app.web.formats import fmt_datetime
from eligibility.profile import today_tokyo

log = logging.getLogger("navi.console.batch")

router = APIRouter(prefix="/console", include_in_schema=False)

MAX_BYTES = 5 * 1024 * 1024  # the member list (5 MiB)
MAX_ROWS = 5000
FORM_OVERHEAD = 64 * 1024  # multipart boundaries and the other fields, on top of the file
SHOWN_ROWS = 200  # good rows listed on the job page (the CSV has all)
SHOWN_ERRORS = 1000
RECENT_JOBS = 20

JOB_STATUS_LABELS: dict[str, tuple[str, str]] = {
    "queued": ("順番待ち", "Queued"),
    "running": ("処理中", "Processing"),
    "done": ("完了", "Done"),
    "failed": ("失敗", "Failed"),
}
PDF_STATUS_LABELS: dict[str, tuple[str, str]] = {
    "none": ("作成しない", "Not requested"),
    "pending": ("作成の順番待ち", "Queued"),
    "running": ("作成中", "Being made"),
    "done": ("作成済み", "Ready"),
    "failed": ("作成できませんでした", "Could not be made"),
    "skipped": (f"{PRINT_MAX:,}社を超えるため作成しません", f"Not made for more than {PRINT_MAX:,} companies"),
}

NO_FILE: Msg = ("名簿のファイルを選んでください", "Choose the member list's file")
TOO_LARGE: Msg = (f"ファイルが大きすぎます。{MAX_BYTES // (1024 * 1024)} MB までのファイルにしてください"
                  f"（名簿を分けてアップロードしてください）",
                  f"The file is too large: upload at most {MAX_BYTES // (1024 * 1024)} MB (split the list)")
TOO_MANY_ROWS: Msg = (f"行が多すぎます。1回にアップロードできるのは{MAX_ROWS:,}行（{MAX_ROWS:,}社）までです"
                      f"（この名簿は%(n)s行）。名簿を分けてアップロードしてください",
                      f"Too many rows: at most {MAX_ROWS:,} rows (companies) per upload (this list has %(n)s)."
                      f" Split the list")
LENGTH_REQUIRED: Msg = ("ファイルの大きさがわからないため受け付けられませんでした。ブラウザーの画面からアップロードしてください",
                        "The upload has no Content-Length; upload the file from the browser form")
NO_ROWS: Msg = ("名簿に会社の行がありません（1行目が見出し、2行目から1社1行）",
                "The list has no company rows (headings in row 1, one company per row from row 2)")
BAD_AS_OF: Msg = ("基準日は2000年から2100年の間で入力してください", "Give a reference date between 2000 and 2100")
INTERRUPTED: Msg = ("処理が途中で止まりました（サーバーの再起動など）。もう一度アップロードしてください",
                    "The job stopped (the server was restarted?). Upload the list again")
FORBIDDEN: tuple[Msg, Msg] = (
    ("このページは商工会議所の職員と窓口管理者だけが使えます", "Only chamber staff and desk administrators can use this page"),
    ("名簿の一括判定は、商工会議所の職員（chamber_staff）か窓口管理者（desk_admin）のアカウントで使ってください。",
     "Use batch screening with a chamber staff or desk administrator account."))
NOT_FOUND: tuple[Msg, Msg] = (
    ("一括判定が見つかりません", "Batch job not found"),
    ("この一括判定はないか、あなたの窓口では見られません。一括判定のページから選び直してください。",
     "This batch job does not exist or is not visible to your desk. Choose it again from the batch page."))
NOT_READY: tuple[Msg, Msg] = (
    ("まだ用意できていません", "Not ready yet"),
    ("このファイルはまだ作成中か、作成されていません。一括判定のページで状態を確認してください。",
     "This file is still being made or was not made. See the job's page for its status."))



# ------------------------------------------------------------------ pages


def _require_role(ctx: Staff) -> None:
    if ctx.user.role not in BATCH_ROLES:
        raise PageError(403, *FORBIDDEN, back="/console/cases", ctx=ctx)


def _load_job(db: Session, ctx: Staff, job_id: str) -> BatchJob:
    """The job if it belongs to the user's desk (404 otherwise, whether it exists or not)."""
    job = db.get(BatchJob, job_id.lower()) if C.valid_id(job_id) else None
    if job is None or job.desk_id != ctx.desk.id:
        raise PageError(404, *NOT_FOUND, back="/console/batch", ctx=ctx)
    if _expire_stale(job):
        db.add(job)
        db.commit()
        db.refresh(job)
    return job


def _expire_stale(job: BatchJob, now: dt.datetime | None = None) -> bool:
    """A job that has not moved for STALE is not running any more (the server stopped): mark it failed."""
    if now is None:
        now = utcnow()
    if now - S.aware(job.updated_at) <= STALE:
        return False
    changed = False
    if job.status in ("queued", "running"):
        job.status, job.failure, job.finished_at = "failed", {"ja": INTERRUPTED[0], "en": INTERRUPTED[1]}, now
        changed = True
    if job.pdf_status in ("pending", "running"):
        job.pdf_status = "failed"
        changed = True
    return changed


def purge_expired_jobs(db: Session, retention_days: int, now: dt.datetime | None = None) -> int:
    """Delete finished batch jobs older than the retention period with their rows (company names, the CSV
    cells) and PDFs, of every desk. The cases made from a list stay: they are the desks' own records.
    Returns how many jobs were deleted."""
    cutoff = (now or utcnow()) - dt.timedelta(days=retention_days)
    old = list(db.scalars(select(BatchJob.id).where(  # type: ignore[call-overload]
        col(BatchJob.created_at) < cutoff, col(BatchJob.status).in_(("done", "failed")),
        col(BatchJob.pdf_status).not_in(("pending", "running")))).all())
    for start in range(0, len(old), 500):
        ids = old[start:start + 500]
        db.execute(delete(BatchJobFile).where(col(BatchJobFile.job_id).in_(ids)))
        db.execute(delete(BatchJobRow).where(col(BatchJobRow.job_id).in_(ids)))
        db.execute(delete(BatchJob).where(col(BatchJob.id).in_(ids)))
        db.execute(delete(JobLease).where(col(JobLease.job_id).in_(ids)))
    if old:
        db.commit()
        log.info("deleted %d batch jobs older than %d days", len(old), retention_days)
    return len(old)


def _jobs_page(request: Request, svc: Services, store: Store, ctx: Staff, status: int = 200,
               errors: dict[str, str] | None = None, form: dict[str, Any] | None = None) -> HTMLResponse:
    retention = svc.settings.batch_retention_days
    with db_session(store) as db:
        purge_expired_jobs(db, retention)  # keep the page's promise (templates/console/batch.html)
        jobs = list(db.scalars(select(BatchJob).where(col(BatchJob.desk_id) == ctx.desk.id)
                               .order_by(col(BatchJob.created_at).desc()).limit(RECENT_JOBS)).all())
        users = C.users_by_id(db, {j.user_id for j in jobs})
        for job in jobs:
            _expire_stale(job)
    lang = console_lang(request)
    values = {"as_of": "", "create_cases": True, "make_pdfs": True, "duplicates": "skip", **(form or {})}
    return console_page(request, svc, store, "console/batch.html", ctx, status=status, jobs=jobs, users=users,
                        errors=errors or {}, form=values,
                        job_status=lambda s: label(JOB_STATUS_LABELS, s, lang),
                        max_mb=MAX_BYTES // (1024 * 1024), max_rows=MAX_ROWS, print_max=PRINT_MAX,
                        section="batch", retention_days=retention, columns=accepted_columns(lang),
                        jsic_sources=jsic_sources())


@router.get("/batch")
def batch_form(request: Request, svc: ServicesDep, store: StoreDep, ctx: LoggedIn) -> HTMLResponse:
    _require_role(ctx)
    return _jobs_page(request, svc, store, ctx)


@router.get("/batch/template.csv")
def template(request: Request, ctx: LoggedIn) -> Response:
    """The member list's template: the headings this page reads and one example row (UTF-8 BOM for Excel)."""
    _require_role(ctx)
    return Response(template_csv(), media_type="text/csv; charset=utf-8",
                    headers=_disposition("member-list-template.csv", "名簿テンプレート.csv"))


@router.post("/batch")
async def upload(request: Request, svc: ServicesDep, store: StoreDep, companies: CompaniesDep, jobs: JobsDep,
                 ctx: LoggedIn) -> Response:
    """Checks the size before the body is read (Content-Length), then the CSRF token, then the file."""
    _require_role(ctx)
    lang = console_lang(request)
    length = request.headers.get("content-length", "")
    if not length.isdigit():
        return await run_in_threadpool(_jobs_page, request, svc, store, ctx, 411,
                                       {"file": pick(LENGTH_REQUIRED, lang)})
    if int(length) > MAX_BYTES + FORM_OVERHEAD:
        return await run_in_threadpool(_jobs_page, request, svc, store, ctx, 413, {"file": pick(TOO_LARGE,
                                                                                                lang)})
    form = await request.form(max_files=1, max_fields=20)
    token = form.get("csrf_token")
    if not isinstance(token, str) or not S.same(token, ctx.login.csrf_token):
        raise PageError(403, *CSRF_FAILED, back="/console/batch", ctx=ctx)
    upload = form.get("file")
    data, filename = b"", ""
    if isinstance(upload, UploadFile):
        data = await upload.read(MAX_BYTES + 1)
        filename = upload.filename or ""
        await upload.close()
    return await run_in_threadpool(_accept, request, svc, store, companies, jobs, ctx, form, data, filename)


def _clean_filename(name: str) -> str:
    """The file's own name (no folders, no control characters), at most 255 characters.

    >>> _clean_filename("C:\\\\Users\\\\会員名簿.csv"), _clean_filename("../a\\x00b.csv")
    ('会員名簿.csv', 'ab.csv')
    """
    base = PurePath(name.replace("\\", "/")).name
    return re.sub(r"[\x00-\x1f\x7f]", "", base).strip()[:255]


def batch_prefill(request: Request, svc: Services, companies: Companies,
                  rows: list[Row]) -> tuple[R.Fetch | None, int]:
    """A 法人番号 → its gBizINFO prefill, for the rows that have one (None: no such row, or no token)."""
    return R.prefill_fetch(companies.lookup(), svc.catalog.programs, svc.settings.gbizinfo_max_concurrency,
                           rows, console_lang(request))


def _accept(request: Request, svc: Services, store: Store, companies: Companies, jobs: Jobs, ctx: Staff,
            form: FormData, data: bytes, filename: str) -> Response:
    lang = console_lang(request)
    as_of_text = form.get("as_of")
    as_of_text = as_of_text.strip()[:100] if isinstance(as_of_text, str) else ""
    values = {"as_of": as_of_text, "create_cases": form.get("create_cases") == "yes",
              "make_pdfs": form.get("make_pdfs") == "yes", "duplicates": "again" if form.get("duplicates") == "again" else "skip"}
    errors: dict[str, str] = {}
    status = 422
    as_of: dt.date | None = None
    if as_of_text:
        try:
            as_of = parse_date(as_of_text)
        except NormalizeError as e:
            errors["as_of"] = e.message_ja if lang == "ja" else e.message_en
        else:
            if not dt.date(2000, 1, 1) <= as_of <= dt.date(2100, 12, 31):
                errors["as_of"] = pick(BAD_AS_OF, lang)
    filename = _clean_filename(filename)
    rows: list[Row] = []
    ignored: list[str] = []
    fmt = "csv"
    if not data:
        errors["file"] = pick(NO_FILE, lang)
    elif len(data) > MAX_BYTES:
        errors["file"], status = pick(TOO_LARGE, lang), 413
    else:
        fmt = "jsonl" if PurePath(filename).suffix.lower() in JSONL_SUFFIXES else "csv"
        try:
            rows, ignored = read_input(data, fmt)
        except InputError as e:
            errors["file"] = e.message_ja if lang == "ja" else e.message_en
        else:
            if not rows:
                errors["file"] = pick(NO_ROWS, lang)
            elif len(rows) > MAX_ROWS:
                errors["file"], status = pick(TOO_MANY_ROWS, lang) % {"n": f"{len(rows):,}"}, 413
    if errors:
        return _jobs_page(request, svc, store, ctx, status if "file" in errors else 422, errors, values)
    digest = R.sha256(data)
    notices: dict[str, Any] = {}
    if not R.has_column(rows, "company_name"):
        notices["no_name_column"] = True
    prefill, _ = batch_prefill(request, svc, companies, rows)
    if R.has_column(rows, "corporate_number") and prefill is None:
        notices["prefill_off"] = True
    default_as_of = (as_of or today_tokyo()).isoformat()  # one date for the whole list
    with db_session(store) as db:
        before = R.earlier_upload(db, ctx.desk.id, digest)
        if before is not None:
            notices["same_file_as"] = {"job_id": before.id, "at": S.aware(before.created_at).isoformat()}
        job = BatchJob(desk_id=ctx.desk.id, user_id=ctx.user.id, filename=filename, file_bytes=len(data), lang=lang,
                       as_of=as_of, create_cases=bool(values["create_cases"]), make_pdfs=bool(values["make_pdfs"]),
                       total_rows=len(rows), ignored_columns=ignored, ip=ctx.ip, base_url=str(request.base_url)[:300],
                       file_sha256=digest, skip_duplicates=values["duplicates"] == "skip", notices=notices)
        db.add(job)
        db.flush()
        # Queued with the file itself: any app server or worker claims it, and resumes it after a crash.
        enqueue_batch(db, job.id, data, fmt, default_as_of, as_of is not None)
        C.audit(db, ctx.actor, "create", None, batch_job_id=job.id, filename=filename, bytes=len(data),
                rows=len(rows), create_cases=job.create_cases, make_pdfs=job.make_pdfs, sha256=digest,
                skip_duplicates=job.skip_duplicates, same_file_as=(before.id if before else None))
        db.commit()
    runner = jobs.runner()
    if runner is not None:
        runner.wake()
    return redirect(f"/console/batch/{job.id}")


@router.get("/batch/{job_id}")
def job_page(request: Request, svc: ServicesDep, store: StoreDep, job_id: str, ctx: LoggedIn) -> HTMLResponse:
    _require_role(ctx)
    lang = console_lang(request)
    with db_session(store) as db:
        job = _load_job(db, ctx, job_id)
        finished = job.status in ("done", "failed")
        bad: list[BatchJobRow] = []
        good: list[BatchJobRow] = []
        skipped: list[BatchJobRow] = []
        parts: list[tuple[int, int, int]] = []
        if finished:
            bad = list(db.scalars(select(BatchJobRow).where(
                col(BatchJobRow.job_id) == job.id, col(BatchJobRow.status) == "error")
                .order_by(col(BatchJobRow.number)).limit(SHOWN_ERRORS)).all())
            good = list(db.scalars(select(BatchJobRow).where(
                col(BatchJobRow.job_id) == job.id, col(BatchJobRow.status) == "ok")
                .order_by(col(BatchJobRow.number)).limit(SHOWN_ROWS)).all())
            skipped = list(db.scalars(select(BatchJobRow).where(
                col(BatchJobRow.job_id) == job.id, col(BatchJobRow.status) == "skipped")
                .order_by(col(BatchJobRow.number)).limit(SHOWN_ROWS)).all())
            C.audit(db, ctx.actor, "view", None, page="batch", batch_job_id=job.id)
            db.commit()
        if job.pdf_status == "done":
            count = 0
            for number, _pages in db.exec(select(col(BatchJobFile.number), col(BatchJobFile.pages)).where(  # type: ignore[call-overload]
                    col(BatchJobFile.job_id) == job.id, col(BatchJobFile.kind) == "part")
                    .order_by(col(BatchJobFile.number))):
                first = count + 1
                count = min(count + PRINT_PART, job.pdf_done)
                parts.append((int(number), first, count))
        uploader = db.get(User, job.user_id)
    running = job.status in ("queued", "running")
    printing = job.pdf_status in ("pending", "running")
    percent = 100 if job.status == "done" else (job.done_rows * 100 // job.total_rows if job.total_rows else 0)
    pdf_percent = job.pdf_done * 100 // job.pdf_total if job.pdf_total else 0
    failure = (job.failure or {}).get(lang) if job.failure else None
    same = (job.notices or {}).get("same_file_as")
    same_file_as = None
    if same:
        link = Markup('<a href="/console/batch/{0}">{1}</a>').format(
            same["job_id"], "前回の一括判定" if lang == "ja" else "the earlier batch")
        same_file_as = {"when": fmt_datetime(dt.datetime.fromisoformat(same["at"]), lang), "link": link}
    return console_page(request, svc, store, "console/batch_job.html", ctx, job=job, running=running,
                        printing=printing, refreshing=running or printing, percent=percent,
                        pdf_percent=pdf_percent, bad=bad, good=good, parts=parts, uploader=uploader, failure=failure,
                        skipped=skipped, same_file_as=same_file_as, shown_rows=SHOWN_ROWS, shown_errors=SHOWN_ERRORS,
                        job_status=label(JOB_STATUS_LABELS, job.status, lang),
                        pdf_status=label(PDF_STATUS_LABELS, job.pdf_status, lang),
                        error_text=lambda r: " / ".join(
                            (f"{Labels(lang, svc).heading(e.get('label'))}: " if e.get("label") else "")
                            + str(e.get("message_ja" if lang == "ja" else "message_en")) for e in r.errors),
                        section="batch")


# ------------------------------------------------------------------ downloads


def _not_ready(ctx: Staff, job: BatchJob) -> PageError:
    return PageError(409, *NOT_READY, back=f"/console/batch/{job.id}", ctx=ctx)


def _audit_export(db: Session, ctx: Staff, job: BatchJob, fmt: str, case_ids: list[str], **detail: Any) -> None:
    """One `export` row per case in the file (as the case list's CSV does), or one for the job."""
    export_id = uuid.uuid4().hex
    for case_id in case_ids:
        C.audit(db, ctx.actor, "export", case_id, format=fmt, export_id=export_id, batch_job_id=job.id,
                rows=len(case_ids), **detail)
    if not case_ids:
        C.audit(db, ctx.actor, "export", None, format=fmt, export_id=export_id, batch_job_id=job.id, **detail)
    db.commit()


def _disposition(ascii_name: str, utf8_name: str) -> dict[str, str]:
    return {"Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(utf8_name)}"}


def _stamp(job: BatchJob) -> str:
    return S.aware(job.created_at).astimezone(JST).strftime("%Y%m%d-%H%M")


@router.get("/batch/{job_id}/results.csv")
def results_csv(request: Request, store: StoreDep, job_id: str, ctx: LoggedIn) -> Response:
    _require_role(ctx)
    with db_session(store) as db:
        job = _load_job(db, ctx, job_id)
        if job.status != "done":
            raise _not_ready(ctx, job)
        rows = db.exec(select(col(BatchJobRow.cells), col(BatchJobRow.case_id)).where(  # type: ignore[call-overload]
            col(BatchJobRow.job_id) == job.id).order_by(col(BatchJobRow.number))).all()
        _audit_export(db, ctx, job, "csv", [case_id for _, case_id in rows if case_id], rows_in_file=len(rows))
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(R.ChamberCsv(job.lang, TOP).header())
    for cells, _ in rows:
        w.writerow([csv_cell(x) for x in cells])  # stored cells were made safe; a second pass costs nothing
    short = job.id[:8]
    return Response("\ufeff" + buf.getvalue(), media_type="text/csv; charset=utf-8", headers=_disposition(
        f"batch-results-{_stamp(job)}-{short}.csv", f"一括判定_結果_{_stamp(job)}_{short}.csv"))


def _ok_rows(db: Session, job: BatchJob) -> list[tuple[int, str, str | None]]:
    """(row, company, case id) of the good rows, in order."""
    return [(int(n), str(name), case_id) for n, name, case_id in db.exec(  # type: ignore[call-overload]
        select(col(BatchJobRow.number), col(BatchJobRow.company_name), col(BatchJobRow.case_id)).where(
            col(BatchJobRow.job_id) == job.id, col(BatchJobRow.status) == "ok").order_by(col(BatchJobRow.number)))]


@router.get("/batch/{job_id}/summaries.pdf")
def summaries_pdf(request: Request, store: StoreDep, job_id: str, ctx: LoggedIn) -> Response:
    _require_role(ctx)
    part_text = request.query_params.get("part") or "1"
    part = int(part_text) if part_text.isdigit() and len(part_text) < 6 else 0
    with db_session(store) as db:
        job = _load_job(db, ctx, job_id)
        if job.pdf_status != "done":
            raise _not_ready(ctx, job)
        data = db.scalar(select(col(BatchJobFile.data)).where(
            col(BatchJobFile.job_id) == job.id, col(BatchJobFile.kind) == "part", col(BatchJobFile.number) == part))
        if data is None:
            raise PageError(404, *NOT_FOUND, back=f"/console/batch/{job.id}", ctx=ctx)
        printed = {n for (n,) in db.exec(select(col(BatchJobFile.number)).where(  # type: ignore[call-overload]
            col(BatchJobFile.job_id) == job.id, col(BatchJobFile.kind) == "row"))}
        rows = [r for r in _ok_rows(db, job) if r[0] in printed][(part - 1) * PRINT_PART:part * PRINT_PART]
        _audit_export(db, ctx, job, "pdf", [c for _, _, c in rows if c], part=part,
                      rows_in_file=[n for n, _, _ in rows])
    short = job.id[:8]
    suffix = f"-{part}" if job.pdf_parts > 1 else ""
    return Response(data, media_type="application/pdf", headers=_disposition(
        f"batch-summaries-{_stamp(job)}-{short}{suffix}.pdf", f"一括判定_要約_{_stamp(job)}_{short}{suffix}.pdf"))


class _Sink(io.RawIOBase):
    """A write-only stream that hands out what was written (ZipFile writes to it; the response streams it)."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []
        self.position = 0

    def writable(self) -> bool:
        return True

    def write(self, b: Any) -> int:
        data = bytes(b)
        self.chunks.append(data)
        self.position += len(data)
        return len(data)

    def tell(self) -> int:
        return self.position

    def take(self) -> Iterator[bytes]:
        chunks, self.chunks = self.chunks, []
        if chunks:
            yield b"".join(chunks)


def _zip_stream(store: Store, entries: list[tuple[int, str]], when: dt.datetime) -> Iterator[bytes]:
    """The ZIP, one company at a time (the PDFs are read from the database one by one)."""
    sink = _Sink()
    stamp = when.astimezone(JST).timetuple()[:6]
    with zipfile.ZipFile(sink, "w") as zf:
        for file_id, name in entries:
            with Session(store.engine) as db:
                data = db.scalar(select(col(BatchJobFile.data)).where(col(BatchJobFile.id) == file_id))
            if data is None:
                continue
            zf.writestr(zipfile.ZipInfo(name, date_time=stamp), data, compress_type=zipfile.ZIP_DEFLATED)
            yield from sink.take()
    yield from sink.take()


@router.get("/batch/{job_id}/summaries.zip")
def summaries_zip(request: Request, store: StoreDep, job_id: str, ctx: LoggedIn) -> Response:
    _require_role(ctx)
    with db_session(store) as db:
        job = _load_job(db, ctx, job_id)
        if job.pdf_status != "done":
            raise _not_ready(ctx, job)
        files = {int(n): int(i) for n, i in db.exec(select(col(BatchJobFile.number), col(BatchJobFile.id)).where(  # type: ignore[call-overload]
            col(BatchJobFile.job_id) == job.id, col(BatchJobFile.kind) == "row"))}
        rows = [r for r in _ok_rows(db, job) if r[0] in files]
        _audit_export(db, ctx, job, "zip", [c for _, _, c in rows if c], rows_in_file=len(rows))
    entries = list(zip([files[n] for n, _, _ in rows], R.zip_names(name for _, name, _ in rows), strict=True))
    short = job.id[:8]
    return StreamingResponse(_zip_stream(store, entries, utcnow()), media_type="application/zip",
                             headers=_disposition(f"batch-summaries-{_stamp(job)}-{short}.zip",
                                                  f"一括判定_要約_{_stamp(job)}_{short}.zip"))
