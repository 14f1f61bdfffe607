"""Desks and accounts, and the demo data of the console (`python -m app seed-demo`, and on start).

`load_desks` copies every desk of programs/desks.yaml into the `desk` table (existing rows are kept: desk
admins may have filled in their contact fields). `seed_demo` is idempotent: it adds what is missing — the
desks, five demo accounts (password `DEMO_PASSWORD`) and a few realistic cases with screenings, notes,
outcomes, one referral from よろず支援拠点 東京 to the INPIT desk of Tokyo, and one applicant's referral
waiting in the INPIT Tokyo desk's list.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from app.console import cases as C
from app.console.security import hash_password, normalize_email, password_problem
from app.desks import load_desks as read_desks_file
from app.intake.contact import EMAIL_RE
from app.services import Services
from app.store.console import DESK_KINDS, ROLES, Case, DeskRecord, User
from app.store.db import Store
from app.store.referrals import Referral
from eligibility.facts import PREFECTURES

log = logging.getLogger("navi.console")

DEMO_PASSWORD = "demo-password-2025"
DEMO_AS_OF = dt.date(2025, 10, 1)
DESK_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,63}$")


class SetupError(ValueError):
    """A desk or account that cannot be created, with a Japanese and an English message."""

    def __init__(self, ja: str, en: str):
        self.ja, self.en = ja, en
        super().__init__(f"{ja} / {en}")


# ------------------------------------------------------------------ desks and users


def load_desks(db: Session) -> int:
    """Insert the desks of programs/desks.yaml that are not in the table yet. Returns how many."""
    have = set(db.scalars(select(col(DeskRecord.id))).all())
    added = 0
    for d in read_desks_file().desks:
        if d.id in have:
            continue
        db.add(DeskRecord(id=d.id, kind=d.kind, name=d.name.ja, name_en=d.name.en, prefecture=d.prefecture,
                          phone=d.phone, email=d.email, url=d.url, address=d.address))
        added += 1
    db.commit()
    return added


def create_desk(db: Session, desk_id: str, kind: str, name: str, prefecture: str, name_en: str | None = None,
                phone: str | None = None, email: str | None = None, url: str | None = None,
                address: str | None = None) -> DeskRecord:
    from app.intake.normalize import NormalizeError, normalize_prefecture

    if not DESK_ID_RE.match(desk_id):
        raise SetupError("窓口 ID は英小文字・数字・ハイフンで2〜64文字にしてください（例: inpit-tokyo）",
                         "The desk id is 2-64 lowercase letters, digits and hyphens (e.g. inpit-tokyo)")
    if kind not in DESK_KINDS:
        raise SetupError(f"種類は {' / '.join(DESK_KINDS)} のどれかです", f"The kind is one of {', '.join(DESK_KINDS)}")
    try:
        pref = normalize_prefecture(prefecture)
    except NormalizeError as e:
        raise SetupError(e.message_ja, e.message_en) from None
    if pref not in PREFECTURES:
        raise SetupError("都道府県名が正しくありません", "Unknown prefecture")
    if not name.strip() or len(name) > 100:
        raise SetupError("窓口名を100文字以内で入力してください", "Give the desk's name (at most 100 characters)")
    if db.get(DeskRecord, desk_id) is not None:
        raise SetupError(f"窓口 {desk_id} はすでにあります", f"Desk {desk_id} exists already")
    desk = DeskRecord(id=desk_id, kind=kind, name=name.strip(), name_en=name_en, prefecture=pref, phone=phone,
                      email=email, url=url, address=address)
    db.add(desk)
    db.commit()
    db.refresh(desk)
    return desk


def create_user(db: Session, email: str, name: str, role: str, desk_id: str, password: str) -> User:
    email = normalize_email(email)
    if not EMAIL_RE.match(email):
        raise SetupError("メールアドレスの形式が正しくありません", "The e-mail address is not valid")
    if role not in ROLES:
        raise SetupError(f"役割は {' / '.join(ROLES)} のどれかです", f"The role is one of {', '.join(ROLES)}")
    desk = db.get(DeskRecord, desk_id)
    if desk is None:
        raise SetupError(f"窓口 {desk_id} がありません（先に create-desk か seed-demo を実行してください）",
                         f"No desk {desk_id} (run create-desk or seed-demo first)")
    if (role == "chamber_staff") != (desk.kind == "chamber"):
        raise SetupError("商工会議所の職員（chamber_staff）は商工会議所の窓口に、それ以外の役割は他の窓口に所属します",
                         "chamber_staff belongs to a chamber desk, the other roles to the other desks")
    if not name.strip() or len(name) > 100:
        raise SetupError("表示名を100文字以内で入力してください", "Give a display name (at most 100 characters)")
    problem = password_problem(password, email)
    if problem:
        raise SetupError(*problem)
    existing = db.scalar(select(col(User.desk_id)).where(col(User.email) == email))
    if existing == desk_id:
        raise SetupError(f"{email} のアカウントはすでにあります", f"An account for {email} exists already")
    if existing is not None:  # another desk's account: say nothing about it (no enumeration, issue 16)
        raise SetupError("このメールアドレスでは登録できません。別のアドレスを使うか、運用担当にお問い合わせください",
                         "This e-mail address cannot be registered; use another one or ask the operators")
    user = User(email=email, display_name=name.strip(), role=role, desk_id=desk_id,
                password_hash=hash_password(password))
    db.add(user)
    db.commit()
    db.refresh(user)
    return user


# ------------------------------------------------------------------ the demo


@dataclass(frozen=True)
class DemoUser:
    email: str
    name: str
    role: str
    desk_id: str


DEMO_USERS = (
    DemoUser("advisor.tokyo@example.jp", "東京 太郎", "advisor", "inpit-tokyo"),
    DemoUser("admin.tokyo@example.jp", "東京 花子", "desk_admin", "inpit-tokyo"),
    DemoUser("yorozu.tokyo@example.jp", "神田 次郎", "advisor", "yorozu-tokyo"),
    DemoUser("advisor.osaka@example.jp", "難波 三郎", "advisor", "inpit-osaka"),
    DemoUser("chamber.tokyo@example.jp", "日本橋 桜", "chamber_staff", "cci-tokyo"),
)

_INDEPENDENT = {"large_company_shareholding": {"largest": 0, "combined": 0}, "large_company_officer_ratio": 0,
                "wholly_owned_by_large_parent": False}

DEMO_CASES: tuple[dict[str, Any], ...] = (
    {
        "desk": "inpit-tokyo", "user": "advisor.tokyo@example.jp",
        "values": {"company_name": "株式会社サンプル精機", "contact_name": "山田 一郎",
                   "contact_email": "yamada@sample-seiki.example.jp", "contact_phone": "03-1234-5678"},
        "profile": {"applicant_type": "corporation", "established_on": "2012-06-01", "employees": 25,
                    "capital_yen": 30_000_000, "industry": "manufacturing", "prefecture": "東京都", **_INDEPENDENT,
                    "avg_taxable_income_yen": 12_000_000, "domestic_applications": ["patent"],
                    "patent_exam_status": "requested", "working_related": True,
                    "foreign_filings": [{"right": "patent", "cost_yen": 3_500_000, "already_filed": False}],
                    "interests": ["overseas", "fast_examination"],
                    "description": "精密金属加工の町工場。新しい加工方法の特許を出願し審査請求済み。中国と米国への出願を検討している。"},
        "notes": ["初回面談。中国・米国への PCT 出願の費用感を説明。見積りを取ってもらう。",
                  "見積り受領（約350万円）。外国出願補助金の申請書類の準備を案内した。"],
        "steps": [("referred", 0), ("applied", 0)],
    },
    {
        "desk": "yorozu-tokyo", "user": "yorozu.tokyo@example.jp",
        "values": {"company_name": "合同会社みどりフーズ", "contact_name": "緑川 さくら",
                   "contact_email": "info@midori-foods.example.jp", "contact_phone": "03-2345-6789"},
        "profile": {"applicant_type": "corporation", "established_on": "2021-04-01", "employees": 6,
                    "capital_yen": 3_000_000, "industry": "manufacturing", "prefecture": "東京都", **_INDEPENDENT,
                    "avg_taxable_income_yen": 2_000_000, "domestic_applications": ["trademark"],
                    "overseas_disputes": [{"kind": "squatting", "cost_yen": 1_500_000, "holds_jp_trademark": True}],
                    "interests": ["enforcement", "consultation"],
                    "description": "自社ブランドの調味料を製造販売。台湾で自社ブランドの商標が先に出願されていることがわかった。"},
        "notes": ["販路開拓の相談の中で、台湾での商標の冒認出願が判明。"],
        "handoff": ("inpit-tokyo", "商標の冒認出願への対応について、INPIT 東京の窓口に相談をつなぎます。"),
    },
    {
        "desk": "inpit-osaka", "user": "advisor.osaka@example.jp",
        "values": {"company_name": "株式会社なにわテック", "contact_name": "浪速 健",
                   "contact_email": "ken@naniwa-tech.example.jp", "contact_phone": "06-3456-7890"},
        "profile": {"applicant_type": "corporation", "established_on": "2023-02-01", "employees": 12,
                    "capital_yen": 10_000_000, "industry": "software", "prefecture": "大阪府", **_INDEPENDENT,
                    "avg_taxable_income_yen": -5_000_000, "domestic_applications": [],
                    "patent_exam_status": "planned", "vc_backed": True,
                    "interests": ["ip_strategy", "mentoring", "financing"],
                    "description": "画像認識 AI のスタートアップ。VC から出資を受けた。知財戦略を立て、特許出願を計画している。"},
        "notes": ["VC 出資あり。知財戦略の専門家派遣の対象になりそう。"],
        "outcomes": [(1, "not_suitable", "海外展開はまだ先のため見送り")],
    },
    {
        "desk": "cci-tokyo", "user": "chamber.tokyo@example.jp",
        "values": {"company_name": "有限会社下町印刷", "contact_name": "下町 印子",
                   "contact_email": "office@shitamachi-print.example.jp", "contact_phone": "03-4567-8901"},
        "profile": {"applicant_type": "corporation", "established_on": "1998-09-01", "employees": 8,
                    "capital_yen": 5_000_000, "industry": "manufacturing", "prefecture": "東京都", **_INDEPENDENT,
                    "avg_taxable_income_yen": 3_000_000, "domestic_applications": ["design"],
                    "design_application": "filed", "chamber_member": True,
                    "interests": ["consultation", "overseas"],
                    "description": "和紙を使った文具を製造。意匠登録を出願済み。海外の展示会に出展予定で、模倣品が心配。"},
        "notes": ["会員企業。海外展示会の前に知財の備えを相談したいとのこと。"],
    },
)

DEMO_APPLICANT: dict[str, Any] = {
    "desk": "inpit-tokyo",
    "profile": {"applicant_type": "corporation", "established_on": "2019-11-01", "employees": 4,
                "capital_yen": 5_000_000, "industry": "services", "prefecture": "東京都", **_INDEPENDENT,
                "avg_taxable_income_yen": 1_000_000, "domestic_applications": ["design", "trademark"],
                "design_application": "filed", "interests": ["fast_examination", "fee_reduction"],
                "company_name": "株式会社ひかりデザイン",
                "description": "照明器具のデザイン事務所。意匠と商標を出願済みで、早く権利にしたい。"},
    "contact": {"company_name": "株式会社ひかりデザイン", "contact_name": "光田 明",
                "contact_email": "akira@hikari-design.example.jp",
                "contact_phone": "03-5678-9012",
                "message": "意匠の早期審査について相談したいです。平日の午後なら伺えます。"},
}


def _actor(db: Session, email: str) -> C.Actor:
    user = db.scalar(select(User).where(col(User.email) == email))
    assert user is not None
    return C.Actor(user.id, user.desk_id, None)


def _demo_case(db: Session, svc: Services, store: Store, spec: dict[str, Any]) -> bool:
    exists = db.scalar(select(func.count()).select_from(Case).where(
        col(Case.desk_id) == spec["desk"], col(Case.company_name) == spec["values"]["company_name"]))
    if exists:
        return False
    actor = _actor(db, spec["user"])
    values = {**spec["values"], "as_of": DEMO_AS_OF}
    profile = {**spec["profile"], "company_name": values["company_name"]}
    case = C.create_case(db, svc, store, actor, values, profile)
    for text in spec.get("notes", ()):
        C.add_note(db, actor, case, text)
    body = C.screening_body(db, case.latest_screening_id) or {}
    ranked = sorted((r for r in body.get("results") or () if r.get("status") != "ineligible"),
                    key=lambda r: r.get("rank") or 999)
    for target, index in spec.get("steps", ()):
        db.refresh(case)
        C.transition(db, svc, actor, case, target, program_id=ranked[index]["program_id"])
    for index, outcome, note in spec.get("outcomes", ()):
        if index < len(ranked):
            C.add_outcome(db, svc, actor, case, ranked[index]["program_id"], outcome, note)
    if "handoff" in spec:
        db.refresh(case)
        C.handoff(db, actor, case, *spec["handoff"])
    return True


def _demo_referral(db: Session, svc: Services, store: Store) -> bool:
    spec = DEMO_APPLICANT
    contact = dict(spec["contact"])
    exists = db.scalar(select(func.count()).select_from(Referral).where(
        col(Referral.desk_id) == spec["desk"], col(Referral.contact_email) == contact["contact_email"]))
    if exists:
        return False
    profile = {**spec["profile"], "as_of": DEMO_AS_OF.isoformat()}
    screening = svc.screen(profile)
    screening_id = store.save_screening(profile, screening, screening.as_dict("ja"), source="web", lang="ja")
    db.add(Referral(screening_id=screening_id, desk_id=spec["desk"], **contact))
    db.commit()
    return True


def seed_demo(store: Store, svc: Services) -> dict[str, int]:
    """Desks, demo accounts and demo cases; only what is missing is added. Returns what was added."""
    added = {"desks": 0, "users": 0, "cases": 0, "referrals": 0}
    with Session(store.engine, expire_on_commit=False) as db:
        added["desks"] = load_desks(db)
        for u in DEMO_USERS:
            if db.scalar(select(func.count()).select_from(User).where(col(User.email) == u.email)):
                continue
            create_user(db, u.email, u.name, u.role, u.desk_id, DEMO_PASSWORD)
            added["users"] += 1
        for spec in DEMO_CASES:
            added["cases"] += _demo_case(db, svc, store, spec)
        added["referrals"] += _demo_referral(db, svc, store)
    return added


def seed_if_empty(store: Store, svc: Services) -> bool:
    """On start (Settings.seed_demo_on_start): the demo when the desk table is empty. True if seeded."""
    with Session(store.engine) as db:
        if db.scalar(select(func.count()).select_from(DeskRecord)):
            return False
    try:
        added = seed_demo(store, svc)
    except IntegrityError:  # another worker seeded at the same time
        log.info("demo data: seeded by another process")
        return False
    # A warning, so that it shows in the server's output: the demo accounts must not reach production.
    log.warning("advisor console: demo data loaded %s; log in at /console/login as %s with the password %s "
                "(set NAVI_ENVIRONMENT=production or NAVI_SEED_DEMO=false to skip)", added, DEMO_USERS[0].email,
                DEMO_PASSWORD)
    return True
