"""Tables of the console's batch screening (/console/batch, app/console/batch.py), migration 0005.

    batch_job        one uploaded member list: owner desk and user, status, counts, the PDF stage
    batch_job_row    one row of the list: number, company, ok / error with the reasons, the CSV cells,
                     the stored screening and the case created for it
    batch_job_file   the printable summaries made in the background: one PDF per company (the ZIP) and
                     the multi-page PDF in parts of PRINT_PART companies

A job is visible only to the users of its desk (app/console/batch.py answers 404 to anyone else).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import CheckConstraint, Column, DateTime, ForeignKey, Integer, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.store.base import JSONType, new_id, sql_in, utcnow

JOB_STATUSES = ("queued", "running", "done", "failed")
PDF_STATUSES = ("none", "pending", "running", "done", "failed", "skipped")
ROW_STATUSES = ("ok", "error", "skipped")  # skipped: already a case of the desk (a re-upload, migration 0014)
FILE_KINDS = ("row", "part")
BATCH_ROLES = ("chamber_staff", "desk_admin")  # who may upload member lists (advisors may not)


def _ts(nullable: bool = False) -> Any:
    if nullable:
        return Field(default=None, sa_type=DateTime(timezone=True), nullable=True)
    return Field(default_factory=utcnow, sa_type=DateTime(timezone=True), nullable=False)


class BatchJob(SQLModel, table=True):
    __tablename__ = "batch_job"
    __table_args__ = (
        CheckConstraint(f"status IN {sql_in(JOB_STATUSES)}", name="status"),
        CheckConstraint(f"pdf_status IN {sql_in(PDF_STATUSES)}", name="pdf_status"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    desk_id: str = Field(max_length=64, sa_column_args=[ForeignKey("desk.id")], index=True,
                         description="名簿をアップロードした窓口（この窓口の職員だけが見られる）")
    user_id: str = Field(max_length=36, sa_column_args=[ForeignKey("user.id")], description="アップロードした人")
    status: str = Field(default="queued", max_length=16, description="queued / running / done / failed")
    filename: str = Field(default="", max_length=255)
    file_bytes: int = Field(default=0)
    lang: str = Field(default="ja", max_length=8, description="CSV と PDF の言語")
    as_of: dt.date | None = Field(default=None, description="画面で指定した基準日（なければ処理した日）")
    create_cases: bool = Field(default=True, description="判定できた会社ごとに案件を作る")
    make_pdfs: bool = Field(default=True, description="印刷用の要約 PDF を作る")
    total_rows: int = Field(default=0)
    done_rows: int = Field(default=0)
    ok_rows: int = Field(default=0)
    error_rows: int = Field(default=0)
    ignored_columns: list[str] = Field(default_factory=list, sa_type=JSONType)
    file_sha256: str | None = Field(default=None, max_length=64, index=True,
                                    description="アップロードしたファイルの SHA-256（同じ名簿の再アップロードに気づくため）")
    skip_duplicates: bool = Field(default=True, description="この窓口ですでに案件にした会社の行はとばす")
    skipped_rows: int = Field(default=0, description="すでに案件がある会社としてとばした行")
    notices: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType,
                                    description="名簿について: 会社名の列がない、同じファイルの前回のジョブ、gBizINFO の補完")
    failure: dict[str, Any] | None = Field(default=None, sa_type=JSONType, description="失敗の理由 {ja, en}")
    pdf_status: str = Field(default="none", max_length=16, description="none / pending / running / done / failed / skipped")
    pdf_total: int = Field(default=0)
    pdf_done: int = Field(default=0)
    pdf_parts: int = Field(default=0)
    ip: str | None = Field(default=None, max_length=64)
    base_url: str = Field(default="", max_length=300, description="要約に印刷する結果ページの URL の基点")
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True), nullable=False, index=True)
    updated_at: dt.datetime = _ts()
    finished_at: dt.datetime | None = _ts(nullable=True)


class BatchJobRow(SQLModel, table=True):
    __tablename__ = "batch_job_row"
    __table_args__ = (CheckConstraint(f"status IN {sql_in(ROW_STATUSES)}", name="status"),)

    job_id: str = Field(max_length=36, primary_key=True,
                        sa_column_args=[ForeignKey("batch_job.id", ondelete="CASCADE")])
    number: int = Field(primary_key=True, description="行番号（見出し = 1行目）")
    company_name: str = Field(default="", max_length=200)
    status: str = Field(max_length=8, description="ok / error / skipped")
    errors: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSONType,
                                         description="[{label, message_ja, message_en}]")
    cells: list[Any] = Field(default_factory=list, sa_type=JSONType, description="結果 CSV の1行")
    notes: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSONType,
                                        description="[{label, message_ja, message_en}] 推定・補完・読めなかった業種など（エラーではない）")
    screening_id: str | None = Field(default=None, max_length=36)
    case_id: str | None = Field(default=None, max_length=36, sa_column_args=[ForeignKey("case.id")])


class BatchJobFile(SQLModel, table=True):
    __tablename__ = "batch_job_file"
    __table_args__ = (
        CheckConstraint(f"kind IN {sql_in(FILE_KINDS)}", name="kind"),
        UniqueConstraint("job_id", "kind", "number", name="uq_batch_job_file_job_id_kind_number"),
    )

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True, autoincrement=True))
    job_id: str = Field(max_length=36, sa_column_args=[ForeignKey("batch_job.id", ondelete="CASCADE")], index=True)
    kind: str = Field(max_length=8, description="row: 1社の PDF / part: 複数社をまとめた PDF")
    number: int = Field(description="row: 行番号 / part: 何番目のまとまりか（1から）")
    pages: int = Field(default=1)
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: dt.datetime = _ts()
