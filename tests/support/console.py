"""The advisor console in tests: demo accounts, a case form, clients that log in, database look-ups."""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlmodel import Session, col

from app.config import Settings
from app.console import cases as C
from app.console.seed import DEMO_PASSWORD
from app.factory import create_app
from app.store.console import (
    AuditEvent,
    Case,
    User,
)

ROOT = Path(__file__).resolve().parents[2]

TOKYO = "advisor.tokyo@example.jp"  # advisor, inpit-tokyo
ADMIN = "admin.tokyo@example.jp"  # desk_admin, inpit-tokyo
YOROZU = "yorozu.tokyo@example.jp"  # advisor, yorozu-tokyo
OSAKA = "advisor.osaka@example.jp"  # advisor, inpit-osaka
CHAMBER = "chamber.tokyo@example.jp"  # chamber_staff, cci-tokyo

# A case form as an advisor types it: 全角, 和暦, 万・億, 「人」.
FORM: dict[str, Any] = {
    "case_company_name": "株式会社テスト精工",
    "case_contact_name": "試験 太郎",
    "case_contact_email": "ｔａｒｏ@example.co.jp",
    "case_contact_phone": "０３ー１２３４ー５６７８",
    "case_as_of": "令和7年10月1日",
    "applicant_type": "corporation",
    "established_on": "平成24年6月1日",
    "prefecture": "東京都",
    "employees": "２５人",
    "capital_yen": "3,000万円",
    "industry": "manufacturing",
    "large_company_shareholding.largest": "0",
    "large_company_shareholding.combined": "0",
    "large_company_officer_ratio": "0",
    "wholly_owned_by_large_parent": "no",
    "avg_taxable_income_yen": "1,200万円",
    "domestic_applications": ["patent"],
    "patent_exam_status": "requested",
    "working_related": "yes",
    "foreign_filings.has": "yes",
    "foreign_filings.0.right": "patent",
    "foreign_filings.0.cost_yen": "350万円",
    "interests": ["overseas"],
    "description": "精密金属加工の町工場。特許を中国と米国に出願したい。",
}


# ------------------------------------------------------------------ helpers (also used by the isolation tests)


def make_app(database_url: str, tmp: Path) -> FastAPI:
    return create_app(Settings(database_url=database_url, search_db=tmp / "search.db", seed_demo=True))


def served_app(backend: str, tmp: Path, build: Callable[[str, Path], FastAPI] = make_app,
               prepare: Callable[[FastAPI], None] | None = None) -> Iterator[FastAPI]:
    """A module's app on SQLite (a file in `tmp`) or a schema of its own on PostgreSQL, started (lifespan) while
    the module's tests run; the PostgreSQL schema is dropped afterwards."""
    from tests.support.pg import postgres_url
    urls = iter([f"sqlite:///{tmp}/navi.db"]) if backend == "sqlite" else postgres_url()
    application = build(next(urls), tmp)
    if prepare is not None:
        prepare(application)
    try:
        with TestClient(application):
            yield application
    finally:
        application.state.store.dispose()
        for _ in urls:  # drop the PostgreSQL schema
            pass


_ip_counter = iter(range(1, 10_000))


def client(app: FastAPI, https: bool = False, ip: str | None = None) -> TestClient:
    """A browser of its own (cookies) from an address of its own (throttling counts per address)."""
    n = next(_ip_counter)
    return TestClient(app, base_url="https://testserver" if https else "http://testserver",
                      client=(ip or f"10.0.{n // 250}.{n % 250 + 1}", 50000), follow_redirects=False)


def hidden(page: str, name: str = "csrf_token") -> str:
    m = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert m, f"no {name} in the page"
    return html.unescape(m.group(1))


def text_of(page: str) -> str:
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def login(c: TestClient, email: str, password: str = DEMO_PASSWORD) -> Any:
    page = c.get("/console/login")
    assert page.status_code == 200, page.text
    return c.post("/console/login", data={"email": email, "password": password, "csrf_token": hidden(page.text)})


def logged_in(app: FastAPI, email: str, **kw: Any) -> TestClient:
    c = client(app, **kw)
    r = login(c, email)
    assert r.status_code == 303 and r.headers["location"] == "/console/cases", r.text
    return c


def csrf(c: TestClient) -> str:
    r = c.get("/console/password")
    assert r.status_code == 200, r.text
    return hidden(r.text)


def post(c: TestClient, url: str, data: dict[str, Any] | None = None, token: str | None = None) -> Any:
    return c.post(url, data={**(data or {}), "csrf_token": token if token is not None else csrf(c)})


def new_case(c: TestClient, **over: Any) -> str:
    data = {**FORM, **over}
    r = post(c, "/console/cases/new", data)
    assert r.status_code == 303, text_of(r.text)[:2000]
    m = re.fullmatch(r"/console/cases/([0-9a-f-]{36})\?done=created", r.headers["location"])
    assert m, r.headers["location"]
    return m.group(1)


def engine_of(app: FastAPI) -> Any:
    return app.state.store.engine  # type: ignore[attr-defined]


def db(app: FastAPI) -> Session:
    return Session(engine_of(app), expire_on_commit=False)


def get_case(app: FastAPI, case_id: str) -> Case:
    with db(app) as s:
        case = s.get(Case, case_id)
        assert case is not None
        return case


def audit_rows(app: FastAPI, **where: Any) -> list[AuditEvent]:
    with db(app) as s:
        stmt = select(AuditEvent)
        for k, v in where.items():
            stmt = stmt.where(getattr(AuditEvent, k) == v)
        return list(s.scalars(stmt.order_by(col(AuditEvent.id))).all())


def user_id(app: FastAPI, email: str) -> str:
    with db(app) as s:
        u = s.scalar(select(User).where(col(User.email) == email))
        assert u is not None
        return u.id


def actor(app: FastAPI, email: str) -> C.Actor:
    with db(app) as s:
        u = s.scalar(select(User).where(col(User.email) == email))
        assert u is not None
        return C.Actor(u.id, u.desk_id, "127.0.0.1")


def quick_case(app: FastAPI, email: str, company: str, profile: dict[str, Any] | None = None,
               as_of: dt.date | None = dt.date(2025, 10, 1)) -> str:
    """A case made through the store directly (faster than the form)."""
    svc, store = app.state.services, app.state.store  # type: ignore[attr-defined]
    base = {"applicant_type": "corporation", "established_on": "2015-04-01", "employees": 10,
            "capital_yen": 10_000_000, "industry": "manufacturing", "prefecture": "東京都",
            "large_company_shareholding": {"largest": 0, "combined": 0}, "large_company_officer_ratio": 0,
            "wholly_owned_by_large_parent": False, "avg_taxable_income_yen": 5_000_000,
            "domestic_applications": ["patent"], "company_name": company}
    with db(app) as s:
        case = C.create_case(s, svc, store, actor(app, email), {"company_name": company, "as_of": as_of},
                             {**base, **(profile or {})})
        return case.id


