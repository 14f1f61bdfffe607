"""Questionnaire drafts (SQLModel): the answers of one person filling in the web questionnaire.

A draft is created only after the person agrees to the handling of personal information (`consent_at`).
Its key is the private link: `token` = `secrets.token_urlsafe(24)` (192 random bits), so whoever holds the
link can resume (and nobody can guess it). What is kept:

- `answers`: what was typed, as raw strings, per input (so that a resumed page shows it again);
- `profile`: the normalised profile (contract v1) built from the valid answers;
- `progress`: the pages shown (`history`, `forward` for 戻る/次へ), the facts already asked (`asked`) and
  those answered 「わからない」 (`unknown`), so that no question is asked twice;
- `step`: the page to resume at; `screening_id`: the stored screening once the results were shown.

Drafts are deleted `DRAFT_RETENTION_DAYS` after their last update (see app/pages/questionnaire.py).
Any change here needs a migration in `alembic/versions/` (`alembic check` in `make test` fails otherwise).
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from typing import Any

from sqlalchemy import DateTime, Engine, delete, func, select
from sqlmodel import Field, Session, SQLModel

from app.store.base import JSONType, utcnow

TOKEN_MAX = 64
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
DRAFT_RETENTION_DAYS = 90


class QuestionnaireDraft(SQLModel, table=True):
    __tablename__ = "questionnaire_draft"

    token: str = Field(primary_key=True, max_length=TOKEN_MAX, description="非公開リンクの鍵（secrets.token_urlsafe）")
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True), nullable=False)
    updated_at: dt.datetime = Field(
        default_factory=utcnow, sa_type=DateTime(timezone=True), nullable=False, index=True,
        description="最後に保存した日時（保存期間の起点）",
    )
    consent_at: dt.datetime = Field(sa_type=DateTime(timezone=True), nullable=False,
                                    description="個人情報の取り扱いに同意した日時")
    lang: str = Field(default="ja", max_length=8, description="表示する言語（ja / en）")
    answers: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType, description="入力されたままの回答")
    profile: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType, description="正規化したプロフィール")
    progress: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType,
                                     description="表示したページ・質問済みの項目・「わからない」の項目")
    step: str = Field(default="basics", max_length=32, description="再開するページ")
    screening_id: str | None = Field(default=None, max_length=36, description="結果を表示した審査記録の ID")


# ------------------------------------------------------------------ storing drafts


def _aware(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value


def _expired_before() -> dt.datetime:
    return utcnow() - dt.timedelta(days=DRAFT_RETENTION_DAYS)


def create_draft(engine: Engine, lang: str, progress: dict[str, Any], step: str) -> str:
    """A new draft after consent, at `step` (and the drafts past their retention period are deleted)."""
    now = utcnow()
    token = secrets.token_urlsafe(24)
    draft = QuestionnaireDraft(token=token, created_at=now, updated_at=now, consent_at=now,
                               lang=lang, answers={}, profile={}, progress=progress, step=step)
    with Session(engine) as session:
        session.exec(delete(QuestionnaireDraft).where(QuestionnaireDraft.updated_at < _expired_before()))  # type: ignore[call-overload,arg-type]
        session.add(draft)
        session.commit()
    return token


def load_draft(engine: Engine, token: str) -> QuestionnaireDraft | None:
    if not TOKEN_RE.match(token):
        return None
    with Session(engine, expire_on_commit=False) as session:
        draft = session.get(QuestionnaireDraft, token)
        if draft is None:
            return None
        if _aware(draft.updated_at) < _expired_before():
            session.delete(draft)
            session.commit()
            return None
        session.expunge(draft)
        return draft


def save_draft(engine: Engine, draft: QuestionnaireDraft) -> None:
    draft.updated_at = utcnow()
    with Session(engine) as session:
        session.merge(draft)
        session.commit()


def count_drafts(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.scalar(select(func.count()).select_from(QuestionnaireDraft)) or 0)
