"""The jGrants sync: read the API, place each call, publish rounds of known programs, draft the rest.

A sync only inserts and updates (upserts): a round that a bad, partial or empty answer does not mention
stays as it was. Each call is written in a transaction of its own, so a sync that stops half-way keeps
what it applied. Two syncs never run at once (app/jgrants/lock.py).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, select, update
from sqlmodel import Session

from app.jgrants.classify import Unrelated, classify
from app.jgrants.client import DEFAULT_KEYWORDS, JGrantsClient
from app.jgrants.decide import Decision, DraftProposal, decide
from app.jgrants.lock import sync_lock
from app.jgrants.models import JGrantsDraft, JGrantsRound, JGrantsSyncRun
from app.jgrants.parse import JST, Call
from app.jgrants.rounds import CONTENT_FIELDS, SyncedRound
from programs.schema import Program

log = logging.getLogger(__name__)
SYNC_USER = "jgrants-sync"


@dataclass
class SyncSummary:
    run_id: str
    base_url: str
    status: str = "running"  # ok / partial (some requests failed) / failed (the API could not be read)
    requests: int = 0
    calls_seen: int = 0
    calls_ignored: int = 0
    rounds_added: int = 0
    rounds_changed: int = 0
    rounds_unchanged: int = 0
    drafts_created: int = 0
    failures: list[str] = field(default_factory=list)
    error: str | None = None

    def text(self) -> str:
        """The summary the command prints (Japanese / English)."""
        lines = [
            f"jGrants ({self.base_url}): 公募 {self.calls_seen} 件を確認（知財以外 {self.calls_ignored} 件は対象外）"
            f" / calls seen {self.calls_seen} (not about IP: {self.calls_ignored})",
            f"公募回 rounds: 追加 added {self.rounds_added}, 変更 changed {self.rounds_changed}, "
            f"変更なし unchanged {self.rounds_unchanged}",
            f"要確認の下書き drafts created: {self.drafts_created}",
        ]
        if self.failures:
            lines.append(f"失敗した要求 failed requests: {len(self.failures)}")
            lines += [f"  - {f}" for f in self.failures[:10]]
        if self.error:
            lines.append(f"エラー error: {self.error}")
        lines.append(f"状態 status: {self.status}（出典: Jグランツ）")
        return "\n".join(lines)


def _aware(t: dt.datetime | None) -> dt.datetime | None:
    return t.replace(tzinfo=dt.UTC) if t is not None and t.tzinfo is None else t


def upsert_round(db: Session, r: SyncedRound, run_id: str, now: dt.datetime) -> str:
    """Insert or update one round; returns added / changed / unchanged. checked_at advances in every case."""
    row = db.get(JGrantsRound, r.key)
    content = r.content()
    if row is None:
        db.add(JGrantsRound(key=r.key, jgrants_id=r.jgrants_id, checked_at=r.checked_at, api_url=r.api_url,
                            first_seen_at=now, fetched_at=now, changed_at=now, run_id=run_id, **content))
        return "added"
    old = {name: getattr(row, name) for name in CONTENT_FIELDS}
    old["opens_at"], old["closes_at"] = _aware(row.opens_at), _aware(row.closes_at)
    row.checked_at, row.fetched_at, row.api_url = r.checked_at, now, r.api_url
    if old == content:
        return "unchanged"
    for name, value in content.items():
        setattr(row, name, value)
    row.changed_at, row.run_id = now, run_id
    return "changed"


def add_draft(db: Session, call: Call, p: DraftProposal, run_id: str, now: dt.datetime) -> bool:
    """Insert a draft unless the same proposal about the same call exists (any status). Returns True if new.

    A pending draft about the same round and kind with another content is replaced: it is closed as
    rejected with a note, so the queue shows jGrants' latest answer only.
    """
    digest = p.content_hash(call.id)
    if db.exec(select(JGrantsDraft.id).where(JGrantsDraft.content_hash == digest)).first() is not None:  # type: ignore[call-overload,arg-type]
        return False
    db.exec(update(JGrantsDraft).where(  # type: ignore[call-overload]
        JGrantsDraft.jgrants_id == call.id, JGrantsDraft.round_key == p.round_key,  # type: ignore[arg-type]
        JGrantsDraft.kind == p.kind, JGrantsDraft.status == "pending",  # type: ignore[arg-type]
    ).values(status="rejected", decided_at=now, decided_by=SYNC_USER,
             decision_note="jGrants の新しい内容で置き換え / superseded by a newer answer from jGrants"))
    text = "\n".join(x for x in (call.title, call.catch_phrase or "", call.text) if x)
    db.add(JGrantsDraft(
        kind=p.kind, jgrants_id=call.id, round_key=p.round_key, program_id=p.program_id, area=p.area,
        title=call.title[:500] or call.id, call_text=text, proposed=p.proposed, reason=p.reason[:500],
        content_hash=digest, source_href=call.portal_url, api_url=call.api_url[:500], run_id=run_id,
        created_at=now,
    ))
    return True


def apply_decision(engine: Engine, call: Call, decision: Decision, summary: SyncSummary,
                   now: dt.datetime) -> None:
    """Write one call's rounds and drafts in one transaction, and count them."""
    with Session(engine) as db:
        rounds = decision.rounds
        if call.detail_version != "v2" and any("#" not in r.key for r in rounds):
            # A call published round by round (v2 workflow) whose v2 detail failed this time: its v1 window
            # spans all rounds and is no round of its own. Keep the rounds as they are.
            known = db.exec(select(JGrantsRound.key).where(  # type: ignore[call-overload]
                JGrantsRound.key.startswith(f"{call.id}#"))).first()  # type: ignore[attr-defined]
            if known is not None:
                rounds = []
        outcomes = [upsert_round(db, r, summary.run_id, now) for r in rounds]
        created = sum(add_draft(db, call, p, summary.run_id, now) for p in decision.drafts)
        db.commit()
    summary.rounds_added += outcomes.count("added")
    summary.rounds_changed += outcomes.count("changed")
    summary.rounds_unchanged += outcomes.count("unchanged")
    summary.drafts_created += created


def _save_run(engine: Engine, summary: SyncSummary, finished: dt.datetime | None) -> None:
    with Session(engine) as db:
        row = db.get(JGrantsSyncRun, summary.run_id)
        assert row is not None
        for name in ("status", "requests", "calls_seen", "calls_ignored", "rounds_added", "rounds_changed",
                     "rounds_unchanged", "drafts_created", "error"):
            setattr(row, name, getattr(summary, name))
        row.failures = list(summary.failures)
        row.finished_at = finished
        db.commit()


def _hint(record: Mapping[str, Any]) -> str | None:
    """The call's single target area, if it names exactly one (confirms a Tokyo program)."""
    areas = [a.strip() for a in str(record.get("target_area_search") or "").split(" / ") if a.strip()]
    return areas[0] if len(areas) == 1 else None


def sync_jgrants(engine: Engine, programs: Mapping[str, Program], client: JGrantsClient, *,
                 keywords: Iterable[str] = DEFAULT_KEYWORDS, now: dt.datetime | None = None) -> SyncSummary:
    """One sync under the lock (raises lock.SyncBusy when another runs). `programs`: the catalog's programs."""
    now = now or dt.datetime.now(dt.UTC)
    today = now.astimezone(JST).date()
    with sync_lock(engine, now=now):
        run = JGrantsSyncRun(base_url=client.base_url[:500], started_at=now)
        with Session(engine) as db:
            db.add(run)
            db.commit()
            summary = SyncSummary(run_id=run.id, base_url=client.base_url)
        try:
            listed = client.list_all(keywords)
            summary.failures += listed.failures
            if listed.ok == 0:
                summary.status = "failed"
                summary.error = "jGrants API を読めませんでした / the jGrants API could not be read"
                return summary
            for call_id in sorted(listed.records):
                record = listed.records[call_id]
                summary.calls_seen += 1
                if isinstance(classify(str(record.get("title") or ""), _hint(record)), Unrelated):
                    summary.calls_ignored += 1
                    continue
                call = client.call(record, summary.failures)
                placement = classify(call.title, call.areas[0] if len(call.areas) == 1 else None)
                apply_decision(engine, call, decide(call, placement, programs, today, now), summary, now)
            summary.status = "partial" if summary.failures else "ok"
            return summary
        except Exception as e:
            summary.status = "failed"
            summary.error = f"{type(e).__name__}: {e}"[:2000]
            log.exception("jGrants sync failed")
            raise
        finally:
            summary.requests = client.requests
            _save_run(engine, summary, dt.datetime.now(dt.UTC))
