"""Console screen: the desk's audit log (desk admins only)."""

from __future__ import annotations

import json
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import func, select
from sqlmodel import col

from app.console import cases as C
from app.console.deps import (
    LoggedIn,
    PageError,
    db_session,
)
from app.console.layout import console_page
from app.console.workflow import (
    ACTION_NAMES,
)
from app.deps import ServicesDep, StoreDep
from app.store.console import (
    AuditEvent,
    Case,
    User,
)

router = APIRouter(prefix="/console", include_in_schema=False)


AUDIT_PAGE = 50
# ------------------------------------------------------------------ the audit log


FORBIDDEN = (("このページは窓口管理者だけが見られます", "Only desk administrators can see this page"),
             ("監査ログは、窓口管理者（desk_admin）のアカウントで開いてください。",
              "Open the audit log with a desk administrator account."))


@router.get("/audit")
def audit_log(request: Request, svc: ServicesDep, store: StoreDep, ctx: LoggedIn) -> HTMLResponse:
    if not ctx.is_admin:
        raise PageError(403, *FORBIDDEN, back="/console/cases", ctx=ctx)
    q = request.query_params
    case_filter = (q.get("case") or "").strip().lower()[:36]
    user_filter = (q.get("user") or "").strip()[:36]
    action_filter = (q.get("action") or "").strip()
    page_text = q.get("page") or "1"
    page = int(page_text) if page_text.isdigit() and 0 < int(page_text) < 100_000 else 1
    with db_session(store) as db:
        staff = db.scalars(select(User).where(col(User.desk_id) == ctx.desk.id).order_by(col(User.email))).all()
        stmt = select(AuditEvent).where(col(AuditEvent.desk_id) == ctx.desk.id)
        if case_filter:
            stmt = stmt.where(col(AuditEvent.case_id) == case_filter)
        if user_filter and any(u.id == user_filter for u in staff):
            stmt = stmt.where(col(AuditEvent.user_id) == user_filter)
        if action_filter in ACTION_NAMES:
            stmt = stmt.where(col(AuditEvent.action) == action_filter)
        total = int(db.scalar(select(func.count()).select_from(stmt.subquery())) or 0)
        pages = max(1, -(-total // AUDIT_PAGE))
        page = min(page, pages)
        rows = db.scalars(stmt.order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc())
                          .offset((page - 1) * AUDIT_PAGE).limit(AUDIT_PAGE)).all()
        case_ids = {r.case_id for r in rows if r.case_id}
        names = {c.id: c.company_name for c in db.scalars(select(Case).where(
            col(Case.id).in_(case_ids), C.visible(ctx.desk.id))).all()} if case_ids else {}
        desks = C.desks_by_id(db)
    users = {u.id: u for u in staff}
    base = {k: v for k, v in (("case", case_filter), ("user", user_filter), ("action", action_filter)) if v}
    page_links = {n: "/console/audit?" + urlencode({**base, "page": n}) for n in range(1, pages + 1)
                  if n in (1, pages) or abs(n - page) <= 2}
    return console_page(request, svc, store, "console/audit.html", ctx, desks=desks, rows=rows, total=total,
                        page=page, pages=pages, page_links=page_links, staff=staff, users=users, names=names,
                        actions=list(ACTION_NAMES),
                        f={"case": case_filter, "user": user_filter, "action": action_filter},
                        detail=lambda d: json.dumps(d, ensure_ascii=False, sort_keys=True)[:300],
                        section="audit")
