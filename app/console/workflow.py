"""The case workflow: statuses, the allowed transitions between them, and the labels of statuses and outcomes.

    new ──→ screened ──→ referred ──→ applied ──→ adopted ──→ closed
     │          │            │          ├──→ not_adopted ──→ closed
     └──────────┴────────────┴──────────┴──→ closed

`referred` means the case was referred to a program (an outcome "referred" is recorded for it) or handed to
another desk. Any other move is refused (409); a closed case stays closed.

>>> allowed("new", "screened"), allowed("new", "applied"), allowed("closed", "screened")
(True, False, False)
>>> next_statuses("applied")
('adopted', 'not_adopted', 'closed')
"""

from __future__ import annotations

TRANSITIONS: dict[str, tuple[str, ...]] = {
    "new": ("screened", "closed"),
    "screened": ("referred", "closed"),
    "referred": ("applied", "closed"),
    "applied": ("adopted", "not_adopted", "closed"),
    "adopted": ("closed",),
    "not_adopted": ("closed",),
    "closed": (),
}

# How far along a status is: an outcome recorded on a program moves the case forward, never back.
PROGRESS = {"new": 0, "screened": 1, "referred": 2, "applied": 3, "adopted": 4, "not_adopted": 4, "closed": 5}
# The outcome of a program that moves its case (README: 申請した → 申請済み), when that is forward.
STATUS_OF_OUTCOME = {"applied": "applied"}


def status_after_outcome(current: str, outcome: str) -> str | None:
    """The status a case moves to when `outcome` is recorded on one of its programs (None: it stays).

    >>> status_after_outcome("referred", "applied"), status_after_outcome("new", "applied")
    ('applied', 'applied')
    >>> status_after_outcome("adopted", "applied"), status_after_outcome("closed", "applied")
    (None, None)
    >>> status_after_outcome("referred", "not_suitable")
    """
    target = STATUS_OF_OUTCOME.get(outcome)
    if target is None or PROGRESS.get(current, 99) >= PROGRESS[target]:
        return None
    return target


# Statuses in which a case can be handed to another desk.
HANDOFF_FROM = ("screened", "referred", "applied")

STATUS_LABELS: dict[str, tuple[str, str]] = {
    "new": ("新規", "New"),
    "screened": ("判定済み", "Screened"),
    "referred": ("紹介済み", "Referred"),
    "applied": ("申請済み", "Applied"),
    "adopted": ("採択", "Adopted"),
    "not_adopted": ("不採択", "Not adopted"),
    "closed": ("終了", "Closed"),
}

# The button that moves a case to a status.
ACTION_LABELS: dict[str, tuple[str, str]] = {
    "screened": ("判定済みにする", "Mark as screened"),
    "referred": ("制度に紹介する", "Refer to a program"),
    "applied": ("申請済みにする", "Mark as applied"),
    "adopted": ("採択にする", "Mark as adopted"),
    "not_adopted": ("不採択にする", "Mark as not adopted"),
    "closed": ("終了する", "Close the case"),
}

OUTCOME_LABELS: dict[str, tuple[str, str]] = {
    "referred": ("紹介した", "Referred"),
    "applied": ("申請した", "Applied"),
    "adopted": ("採択された", "Adopted"),
    "not_adopted": ("不採択だった", "Not adopted"),
    "not_suitable": ("この制度は合わなかった", "Not suitable"),
}

# Status moves that also record the outcome of a program when one is chosen.
OUTCOME_OF_STATUS = {"referred": "referred", "applied": "applied", "adopted": "adopted", "not_adopted": "not_adopted"}

ROLE_LABELS: dict[str, tuple[str, str]] = {
    "advisor": ("相談員", "Advisor"),
    "desk_admin": ("窓口管理者", "Desk administrator"),
    "chamber_staff": ("商工会議所職員", "Chamber staff"),
}

DESK_KIND_LABELS: dict[str, tuple[str, str]] = {
    "inpit_desk": ("INPIT 知財総合支援窓口", "INPIT IP desk"),
    "yorozu": ("よろず支援拠点", "Yorozu Support Center"),
    "chamber": ("商工会議所", "Chamber of commerce"),
}

ACTION_NAMES: dict[str, tuple[str, str]] = {
    "view": ("閲覧", "View"),
    "create": ("作成", "Create"),
    "update": ("更新", "Update"),
    "refer": ("紹介", "Referral"),
    "note": ("メモ", "Note"),
    "outcome": ("結果の記録", "Outcome"),
    "export": ("書き出し", "Export"),
    "login": ("ログイン", "Login"),
    "logout": ("ログアウト", "Logout"),
    "login_failed": ("ログイン失敗", "Failed login"),
    "password_change": ("パスワード変更", "Password change"),
}

EVENT_LABELS: dict[str, tuple[str, str]] = {
    "created": ("案件を作成", "Case created"),
    "accepted": ("相談者からの送信を受付", "Received from the applicant"),
    "status": ("状態を変更", "Status changed"),
    "refer_desk": ("他の窓口に紹介", "Referred to another desk"),
    "refer_program": ("制度に紹介", "Referred to a program"),
    "rescreen": ("再判定", "Screened again"),
    "profile": ("プロフィールを更新", "Profile updated"),
    "prefill": ("gBizINFOの値を取り込み", "Values taken from gBizINFO"),
}


def allowed(current: str, target: str) -> bool:
    return target in TRANSITIONS.get(current, ())


def next_statuses(current: str) -> tuple[str, ...]:
    return TRANSITIONS.get(current, ())


def label(table: dict[str, tuple[str, str]], key: str | None, lang: str) -> str:
    """The label of a key in the page's language.

    >>> label(STATUS_LABELS, "new", "en"), label(STATUS_LABELS, None, "ja")
    ('New', '')
    """
    if key is None:
        return ""
    pair = table.get(key)
    if pair is None:
        return key
    return pair[0] if lang == "ja" else pair[1]
