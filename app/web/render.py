"""One way to turn a template into a response: `render_page` (every page of app/pages and app/console uses it)."""

from __future__ import annotations

from typing import Any

from fastapi.responses import HTMLResponse

from app.web.i18n import environment


def render_page(lang: str, template: str, /, status: int = 200, private: bool = False,
                headers: dict[str, str] | None = None, **ctx: Any) -> HTMLResponse:
    """The template rendered in `lang`. `private`: a page behind a private link (questionnaire drafts) —
    not cached, not indexed, and its address not sent to other sites."""
    html = environment(lang).get_template(template).render(**ctx)
    response = HTMLResponse(html, status_code=status, headers=headers)
    if private:
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response
