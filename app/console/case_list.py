"""Console screen: the desk's cases (search, filters, pages) and their CSV export."""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import func, select
from sqlmodel import col

from app.batch import csv_cell
from app.console import cases as C
from app.console import inbox
from app.console.deps import (
    LoggedIn,
    PageError,
    db_session,
)
from app.console.layout import Labels, console_lang, console_page
from app.deps import ServicesDep, StoreDep
from app.services import Services
from app.store.console import (
    STATUSES,
    Case,
)
from eligibility.facts import PREFECTURES

router = APIRouter(prefix="/console", include_in_schema=False)


# ------------------------------------------------------------------ the list and the export


def program_options(svc: Services, lang: str) -> list[tuple[str, str]]:
    progs = sorted(svc.catalog.programs.values(), key=lambda p: p.id)
    return [(p.id, p.names.ja if lang == "ja" else p.names.en) for p in progs]


@router.get("/cases")
def case_list(request: Request, svc: ServicesDep, store: StoreDep, ctx: LoggedIn) -> HTMLResponse:
    lang = console_lang(request)
    f = C.parse_filters(request.query_params, list(svc.catalog.programs))
    with db_session(store) as db:
        imported = inbox.import_referrals(db, ctx.actor)
        unread = inbox.unread_count(db, ctx.desk.id)
        rows, total = C.list_cases(db, ctx.desk.id, f)
        eligible = C.eligible_programs(db, [c.id for c in rows])
        new_count = int(db.scalar(select(func.count()).select_from(Case).where(
            C.visible(ctx.desk.id), col(Case.status) == "new")) or 0)
        C.audit(db, ctx.actor, "view", None, page="list", filters=f.as_detail(), shown=[c.id for c in rows])
        db.commit()
        desks = C.desks_by_id(db)
    pages = max(1, -(-total // C.PAGE_SIZE))
    page_links = {n: "/console/cases?" + urlencode(f.query(n)) for n in range(1, pages + 1)
                  if n in (1, pages) or abs(n - f.page) <= 2}
    flash_imported = imported > 0
    return console_page(request, svc, store, "console/cases.html", ctx, desks=desks, rows=rows, total=total,
                        f=f, pages=pages, page_links=page_links, eligible=eligible, statuses=STATUSES,
                        prefectures=PREFECTURES, programs=program_options(svc, lang), new_count=new_count,
                        imported=imported, unread=unread, flash_imported=flash_imported,
                        errors={k: v[0] if lang == "ja" else v[1] for k, v in f.errors.items()},
                        csv_url="/console/cases.csv" + ("?" + urlencode(f.query()) if f.query() else ""),
                        section="cases", status=422 if f.errors else 200)


@router.get("/cases.csv")
def case_export(request: Request, svc: ServicesDep, store: StoreDep, ctx: LoggedIn) -> Response:
    lang = console_lang(request)
    f = C.parse_filters(request.query_params, list(svc.catalog.programs))
    if f.errors:  # never export more than was asked for: a filter that cannot be read is a 422 page
        raise PageError(422, ("絞り込みの条件を確認してください", "Check the filters"),
                        next(iter(f.errors.values())), back="/console/cases", ctx=ctx)
    with db_session(store) as db:
        rows = C.export_cases(db, ctx.desk.id, f)
        eligible = C.eligible_programs(db, [c.id for c in rows])
        desks = C.desks_by_id(db)
        L = Labels(lang, svc, desks)
        export_id = uuid.uuid4().hex
        for c in rows:
            C.audit(db, ctx.actor, "export", c.id, format="csv", export_id=export_id, rows=len(rows),
                    filters=f.as_detail())
        if not rows:
            C.audit(db, ctx.actor, "export", None, format="csv", export_id=export_id, rows=0, filters=f.as_detail())
        db.commit()
    ja = lang == "ja"
    head = (["案件ID", "会社名・屋号", "状態", "都道府県", "担当窓口", "紹介先の窓口", "担当者", "メールアドレス", "電話番号",
             "基準日", "対象の制度", "作成日時", "更新日時"] if ja else
            ["Case ID", "Company", "Status", "Prefecture", "Desk", "Referred to", "Contact", "E-mail", "Phone",
             "Reference date", "Eligible programs", "Created", "Updated"])
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(head)
    for c in rows:
        w.writerow([csv_cell(x) for x in (
            c.id, c.company_name, L.status(c.status), c.prefecture, L.desk(c.desk_id), L.desk(c.referred_to_desk_id),
            c.contact_name, c.contact_email, c.contact_phone, c.as_of.isoformat() if c.as_of else "",
            " / ".join(L.program(p) for p in eligible.get(c.id, [])), L.when(c.created_at), L.when(c.updated_at))])
    stamp = dt.datetime.now(C.JST).strftime("%Y%m%d-%H%M")
    ascii_name, utf8_name = f"cases-{ctx.desk.id}-{stamp}.csv", f"案件一覧_{ctx.desk.id}_{stamp}.csv"
    return Response("\ufeff" + buf.getvalue(), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(utf8_name)}"})
