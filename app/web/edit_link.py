"""The private edit link of a results page, kept out of its address: a cookie of that results page only.

The results address (`/results/{id}`) can be shared: it opens the results and nothing else. The right to
change the answers is the questionnaire draft's token (`/q/{token}`); the person who finished the
questionnaire gets it in the `navi_edit` cookie (HttpOnly, SameSite=Lax, Path=/results/{id}: sent to that
results page, its print page and referral form only), and the page shows it as a separate, clearly labelled
private link. An old address with `?q=` is turned into the cookie and redirected to the clean address.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from app.store.drafts import DRAFT_RETENTION_DAYS, TOKEN_RE

EDIT_COOKIE = "navi_edit"


def _path(screening_id: str) -> str:
    return f"/results/{screening_id}"


def remember_edit(response: Response, request: Request, screening_id: str, token: str) -> None:
    """Give this browser the edit link of this results page (and of its print page and referral form)."""
    response.set_cookie(EDIT_COOKIE, token, max_age=DRAFT_RETENTION_DAYS * 24 * 3600, path=_path(screening_id),
                        httponly=True, samesite="lax", secure=request.url.scheme == "https")


def edit_token(request: Request) -> str | None:
    """The draft token this browser holds for the results page being served (None: a shared link)."""
    token = request.cookies.get(EDIT_COOKIE)
    return token if token and TOKEN_RE.match(token) else None
