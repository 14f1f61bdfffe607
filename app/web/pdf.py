"""The one-page summary as a PDF (WeasyPrint, Japanese fonts embedded; nothing fetched from the network)."""


from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

STATIC_DIR = Path(__file__).resolve().parents[1] / "static"
PRINT_LEVELS = 3  # how compact the PDF may get to stay on one page (0 = as the print page)
# A bounded pool (issue 16, finding 5): 48 concurrent anonymous PDFs made every other route wait. At most
# PDF_CONCURRENCY renders run at once per process, PDF_WAITING more wait (each holds a worker thread), and any
# further request is refused at once (PdfBusy → 503 with Retry-After, app/errors.py). Finished PDFs are kept
# (PDF_CACHE, keyed by the page's HTML: one screening, language and level) so a reload costs nothing.
PDF_CONCURRENCY = 2
PDF_WAITING = 4
PDF_CACHE = 64
RETRY_AFTER_SECONDS = 10
_slots = threading.BoundedSemaphore(PDF_CONCURRENCY)
_admitted = threading.BoundedSemaphore(PDF_CONCURRENCY + PDF_WAITING)
_cache: OrderedDict[str, bytes] = OrderedDict()
_cache_lock = threading.Lock()


class PdfBusy(Exception):
    """Too many PDFs are being made: try again in a few seconds (503)."""


@lru_cache(maxsize=1)
def print_css() -> str:
    """The summary's style sheet: linked by the print page, inlined into the PDF (WeasyPrint fetches nothing)."""
    return (STATIC_DIR / "print.css").read_text(encoding="utf-8")


def _refuse_fetch(url: str, *args: Any, **kwargs: Any) -> Any:
    raise ValueError(f"fetching {url[:80]!r} is not allowed")


def url_fetcher() -> Any:
    """The summary needs no outside resource: refuse every fetch but data: URLs (no SSRF, no local files)."""
    try:
        from weasyprint.urls import URLFetcher  # WeasyPrint ≥ 67: a fetcher object
    except ImportError:  # pragma: no cover - older WeasyPrint takes a plain function
        return _refuse_fetch
    return URLFetcher(allowed_protocols=("data",))


def render_pdf(html: str) -> bytes:
    """HTML → PDF with WeasyPrint (CPU-bound: call it in a thread). Fonts come from fontconfig."""
    return render_fitting_pdf(lambda _level: html, levels=1)


def render_fitting_pdf(html_for: Callable[[int], str], levels: int = PRINT_LEVELS) -> bytes:
    """The first of `html_for(0)`, `html_for(1)`, … that fits on one page, as PDF (the last one if none does).
    Cached by the HTML; at most PDF_CONCURRENCY at once; PdfBusy when PDF_WAITING more already wait."""
    first = html_for(0)
    key = hashlib.sha256(f"{levels}\0{first}".encode()).hexdigest()
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    if not _admitted.acquire(blocking=False):
        raise PdfBusy
    try:
        with _slots:
            pdf = _render(lambda level: first if level == 0 else html_for(level), levels)
    finally:
        _admitted.release()
    with _cache_lock:
        _cache[key] = pdf
        while len(_cache) > PDF_CACHE:
            _cache.popitem(last=False)
    return pdf


def _render(html_for: Callable[[int], str], levels: int) -> bytes:
    from weasyprint import HTML  # imported lazily: loading it takes about a second

    fetcher = url_fetcher()
    for level in range(levels):
        doc = HTML(string=html_for(level), base_url=str(STATIC_DIR), url_fetcher=fetcher).render()
        if len(doc.pages) <= 1 or level == levels - 1:
            pdf: bytes = doc.write_pdf()
            return pdf
    raise AssertionError("unreachable")  # pragma: no cover


def pdf_filename(view: dict[str, Any]) -> tuple[str, str]:
    """(ASCII filename, UTF-8 filename) for Content-Disposition."""
    as_of = view["result"].get("as_of") or view["record"].as_of.isoformat()
    short = view["id"][:8]
    return f"chizai-navi-summary-{as_of}-{short}.pdf", f"知財支援ナビ_診断結果_{as_of}_{short}.pdf"
