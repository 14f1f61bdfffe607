"""Rounds (公募回) as data: programs/rounds/<program_id>.yaml, a list of calls with JST windows (DOMAIN.md 7.1).

Reading of dates: a round's `opens_at` / `closes_at` may be a date alone or a date and time. A date alone
opens at 00:00:00 JST and closes at 23:59:59 JST of that day (the 公募要領 say 「〜月日まで」 for the whole
day); a time (17:00) is kept as written and must carry the +09:00 offset. A missing `closes_at` means no
closing date was announced (「予算に達し次第終了」): the round then ends with its 公募年度 (31 March).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from programs.schema import Text

JST = dt.timezone(dt.timedelta(hours=9))
PREFECTURES: tuple[str, ...] = (
    "北海道", "青森県", "岩手県", "宮城県", "秋田県", "山形県", "福島県", "茨城県", "栃木県", "群馬県",
    "埼玉県", "千葉県", "東京都", "神奈川県", "新潟県", "富山県", "石川県", "福井県", "山梨県", "長野県",
    "岐阜県", "静岡県", "愛知県", "三重県", "滋賀県", "京都府", "大阪府", "兵庫県", "奈良県", "和歌山県",
    "鳥取県", "島根県", "岡山県", "広島県", "山口県", "徳島県", "香川県", "愛媛県", "高知県", "福岡県",
    "佐賀県", "長崎県", "熊本県", "大分県", "宮崎県", "鹿児島県", "沖縄県",
)
NATIONWIDE = "全国"
# A municipality: kanji / kana ending in 市・区・町・村 (郡 and 政令市の区 included, e.g. 名古屋市中区).
MUNICIPALITY_RE = re.compile(r"^[\u3005\u3041-\u309f\u30a0-\u30ff\u4e00-\u9fff]{1,20}[市区町村]$")


def normalise_place(value: str) -> str:
    """全角英数 → 半角 and every space removed (「愛知県　岡崎市」 → 「愛知県岡崎市」).

    >>> normalise_place(" 愛知県　岡崎市 ")
    '愛知県岡崎市'
    """
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", value))


def split_area(area: str) -> tuple[str | None, str | None]:
    """(prefecture, municipality) of an area; (None, None) for 全国; None for a malformed area.

    >>> split_area("愛知県岡崎市")
    ('愛知県', '岡崎市')
    >>> split_area("東京都")
    ('東京都', None)
    """
    if area == NATIONWIDE:
        return None, None
    for pref in PREFECTURES:
        if area.startswith(pref):
            rest = area[len(pref):]
            if not rest:
                return pref, None
            if MUNICIPALITY_RE.match(rest):
                return pref, rest
    raise ValueError(f"area must be 全国, a prefecture (愛知県) or a prefecture and municipality (愛知県岡崎市), not {area!r}")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Link(_Strict):
    """A public page: title and address."""

    title: str = Field(min_length=1)
    href: str = Field(pattern=r"^https?://")


def to_jst(value: Any, end_of_day: bool) -> dt.datetime:
    """A round boundary as an aware JST datetime (a date alone: 00:00:00 or 23:59:59).

    >>> to_jst("2026-08-07", True).isoformat()
    '2026-08-07T23:59:59+09:00'
    >>> to_jst("2026-12-14T17:00+09:00", True).isoformat()
    '2026-12-14T17:00:00+09:00'
    """
    if isinstance(value, str):
        text = value.strip()
        try:
            value = dt.date.fromisoformat(text) if len(text) == 10 else dt.datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(f"not an ISO date or datetime: {value!r}") from None
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise ValueError(f"a time needs its offset, e.g. {value.isoformat()}+09:00")
        return value.astimezone(JST)
    if isinstance(value, dt.date):
        t = dt.time(23, 59, 59) if end_of_day else dt.time(0, 0)
        return dt.datetime.combine(value, t, JST)
    raise ValueError(f"not a date or datetime: {value!r}")


class Round(_Strict):
    """One call for applications of one program in one area and 公募年度.

    Every field is a plain value so that a database row (the jGrants sync) builds the same model.
    """

    fiscal_year: int = Field(ge=2000, le=2100, description="公募年度 (2026 = 令和8年度)")
    area: str
    name: Text
    operator: Text
    operator_url: str | None = Field(default=None, pattern=r"^https?://")
    opens_at: dt.datetime
    closes_at: dt.datetime | None = None
    prerequisites: list[Text] = Field(default_factory=list)
    source: Link
    checked_at: dt.date
    jgrants_id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9]{15,18}$")
    budget_yen: int | None = Field(default=None, ge=0)
    notes: Text | None = None

    @field_validator("area", mode="before")
    @classmethod
    def _area(cls, v: Any) -> Any:
        if isinstance(v, str):
            v = normalise_place(v)
            split_area(v)
        return v

    @field_validator("opens_at", mode="before")
    @classmethod
    def _opens(cls, v: Any) -> dt.datetime:
        return to_jst(v, end_of_day=False)

    @field_validator("closes_at", mode="before")
    @classmethod
    def _closes(cls, v: Any) -> dt.datetime | None:
        return None if v is None else to_jst(v, end_of_day=True)

    @model_validator(mode="after")
    def _order(self) -> Round:
        if self.closes_at is not None and self.closes_at < self.opens_at:
            raise ValueError("closes_at is before opens_at")
        return self

    @property
    def ends_at(self) -> dt.datetime:
        """closes_at, or the end of the 公募年度 when no closing date was announced."""
        return self.closes_at or dt.datetime(self.fiscal_year + 1, 3, 31, 23, 59, 59, tzinfo=JST)

    @property
    def key(self) -> tuple[int, str, str]:
        """What identifies a round within its program (the sync merges by it, or by jgrants_id)."""
        return (self.fiscal_year, self.area, self.name.ja)

    def level(self) -> int:
        """0 全国, 1 prefecture, 2 municipality (the more specific wins for an applicant)."""
        pref, muni = split_area(self.area)
        return 0 if pref is None else 2 if muni else 1


class Operator(_Strict):
    """The local operator of a per-prefecture program and its page."""

    name: Text
    url: str = Field(pattern=r"^https?://")
    source: Link | None = None


class RoundsFile(_Strict):
    """programs/rounds/<program_id>.yaml."""

    program_id: str
    rounds: list[Round] = Field(default_factory=list)
    operators: dict[str, Operator] = Field(default_factory=dict, description="prefecture -> local operator")

    @field_validator("operators")
    @classmethod
    def _prefs(cls, v: dict[str, Operator]) -> dict[str, Operator]:
        bad = [k for k in v if k not in PREFECTURES]
        if bad:
            raise ValueError(f"not prefecture names: {', '.join(bad)}")
        return v

    @field_validator("rounds")
    @classmethod
    def _unique(cls, v: list[Round]) -> list[Round]:
        seen: dict[tuple[int, str, str], int] = {}
        for i, r in enumerate(v):
            if r.key in seen:
                raise ValueError(f"rounds[{i}]: same 公募年度, area and name as rounds[{seen[r.key]}]")
            seen[r.key] = i
        return v
