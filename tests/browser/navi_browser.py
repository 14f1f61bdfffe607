"""What the browser tests share: the live server, Debian's Chromium, axe-core, screenshots, and a person.

The server is `python -m uvicorn app.main:app` on a free loopback port with its own SQLite database and
search index in a temporary directory. Chromium is Debian's (`apt-get install chromium`, which .ci/run
does); Playwright's own browser downloads are never used. The machine may have no internet, so the
flags keep Chromium from trying to reach Google's services.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "var" / "screenshots"
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 900}
VIEWPORTS = {"phone": PHONE, "desktop": DESKTOP}
SERVER_START_SECONDS = 90


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def missing(what: str) -> None:
    """A tool the browser tests need is absent: a failure in CI, a skip on a developer's machine."""
    if in_ci():
        pytest.fail(f"{what} (CI is set, so this is a failure; .ci/run installs it)", pytrace=False)
    pytest.skip(what)


# ------------------------------------------------------------------ the server


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]
    log_path: Path
    log_file: IO[bytes]

    def log(self) -> str:
        self.log_file.flush()
        return self.log_path.read_text(encoding="utf-8", errors="replace")[-6000:]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=15)
        self.log_file.close()


def start_server(tmp: Path, extra_env: dict[str, str] | None = None) -> Server:
    """uvicorn on a free port with DATABASE_URL and NAVI_SEARCH_DB in `tmp` and the console's demo data (and
    `extra_env`, e.g. a fake gBizINFO); waits for /healthz."""
    port = free_port()
    # The console's browser tests log in with the demo accounts: the server loads the demo data on its empty
    # database (tests/conftest.py sets NAVI_SEED_DEMO=false for the apps the other tests build in-process).
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp / 'navi.db'}", "NAVI_SEARCH_DB": str(tmp / "search.db"),
           "NAVI_SEED_DEMO": "true", "PYTHONUNBUFFERED": "1", **(extra_env or {})}
    log_path = tmp / "uvicorn.log"
    log_file = log_path.open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1", "--port", str(port),
         "--log-level", "warning"],
        cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log_file, stderr=subprocess.STDOUT,
    )
    server = Server(f"http://127.0.0.1:{port}", process, log_path, log_file)
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log = server.log()
            server.stop()
            pytest.fail(f"uvicorn exited with {process.returncode}:\n{log}", pytrace=False)
        try:
            if httpx.get(server.url + "/healthz", timeout=2).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    log = server.log()
    server.stop()
    pytest.fail(f"uvicorn did not answer /healthz within {SERVER_START_SECONDS} s:\n{log}", pytrace=False)
    raise AssertionError("unreachable")


# ------------------------------------------------------------------ axe-core


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Runs axe-core (node_modules, injected from the file) on the page; its violations, shortened."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # Evaluated over the DevTools protocol: an injected <script> tag would be blocked by the pages'
        # Content-Security-Policy (script-src 'self', app/web/security.py).
        page.evaluate(AXE_JS.read_text(encoding="utf-8"))
    violations: list[dict[str, Any]] = page.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ['violations']});
        return r.violations.map(v => ({
            id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 5).map(n => ({target: n.target.join(' '), html: n.html.slice(0, 160),
                                                 summary: (n.failureSummary || '').slice(0, 300)})),
        }));
    }""")
    return violations


def describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        lines.append(f"[{v['impact']}] {v['id']}: {v['help']}")
        for n in v["nodes"]:
            lines.append(f"    {n['target']}  {n['html']}")
            lines.append(f"      {n['summary']}".replace("\n", " "))
    return "\n".join(lines)


# ------------------------------------------------------------------ layout


def horizontal_overflow(page: Any) -> dict[str, Any]:
    """The document's scroll width, and the elements that stick out to the right of the viewport."""
    result: dict[str, Any] = page.evaluate("""() => {
        const w = document.documentElement.clientWidth;
        const out = [];
        for (const el of document.querySelectorAll('body *')) {
            const r = el.getBoundingClientRect();
            if (r.width && r.right > w + 0.5) {
                out.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
                         (el.className && typeof el.className === 'string' ? '.' + el.className.split(' ').join('.') : '') +
                         ' right=' + Math.round(r.right));
            }
        }
        return {scrollWidth: document.documentElement.scrollWidth, clientWidth: w, offenders: out.slice(0, 10)};
    }""")
    return result


def screenshot(page: Any, name: str, viewport: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}-{viewport}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


# ------------------------------------------------------------------ setting up states over HTTP

BASICS = {"applicant_type": "corporation", "prefecture": "大阪府"}
BUSINESS = {"established_on": "令和3年4月1日", "employees": "２０", "capital_yen": "1,000万円", "industry": "manufacturing"}
OWNERSHIP = {
    "large_company_shareholding.largest": "0", "large_company_shareholding.combined": "0",
    "large_company_officer_ratio": "0", "wholly_owned_by_large_parent": "no",
}
INCOME = {"avg_taxable_income_yen": "1,800万円"}
IP = {"domestic_applications": ["patent", "design"], "patent_exam_status": "requested",
      "design_application": "filed", "working_related": "yes"}
OVERSEAS = {"foreign_filings.has": "yes", "foreign_filings.0.right": "patent", "foreign_filings.0.cost_yen": "300万円",
            "overseas_disputes.has": "no", "litigation_insurance.has": "no"}
VC = {"vc_backed": "no"}
FINAL = {"interests": ["overseas", "fee_reduction"], "description": "東大阪市の金属加工の町工場。特許を中国へ出願したい。"}
TITLES = {"基本情報": "basics", "事業の概要": "business", "出資・役員": "ownership", "課税所得": "income",
          "知財の状況": "ip", "海外の予定": "overseas", "VCからの出資": "vc", "関心と事業内容": "final"}
STEPS = [("basics", BASICS), ("business", BUSINESS), ("ownership", OWNERSHIP), ("income", INCOME), ("ip", IP),
         ("overseas", OVERSEAS), ("vc", VC), ("final", FINAL)]


class Http:
    """A person's answers sent without a browser, to reach a page of the questionnaire quickly."""

    def __init__(self, base_url: str):
        self.client = httpx.Client(base_url=base_url, timeout=60, follow_redirects=False)

    def close(self) -> None:
        self.client.close()

    def start(self) -> str:
        r = self.client.post("/q", data={"consent": "yes", "lang": "ja"})
        assert r.status_code == 303, r.text
        return str(r.headers["location"])

    def answer(self, path: str, data: dict[str, Any], action: str = "next") -> httpx.Response:
        r = self.client.post(path, data={"action": action, **data})
        assert r.status_code == 303, r.text[:2000]
        return r

    def step_of(self, path: str) -> str:
        html = self.client.get(path, follow_redirects=True).text  # the private link redirects to the step
        m = re.search(r"<h1>(.*?)</h1>", html)
        assert m, html[:2000]
        return TITLES[m[1]]

    def draft_at(self, step: str) -> str:
        """A new draft whose current page is `step` (its link)."""
        path = self.start()
        for _ in STEPS:
            current = self.step_of(path)
            if current == step:
                return path
            self.answer(path, dict(STEPS)[current])
        raise AssertionError(f"the questionnaire never asked the page {step!r}")

    def results(self) -> str:
        """A finished questionnaire: the results page's path (no edit token in it: issue 14)."""
        path = self.start()
        for _ in STEPS:
            r = self.answer(path, dict(STEPS)[self.step_of(path)])
            if r.headers["location"].startswith("/results/"):
                return str(r.headers["location"])
        raise AssertionError("the questionnaire did not end on the results page")

    def referral(self, results: str) -> str:
        """A referral to the Osaka INPIT desk: the confirmation page's path."""
        rid, _, query = results.removeprefix("/results/").partition("?")
        r = self.client.post(f"/results/{rid}/refer?{query}", data={"desk_id": "inpit-osaka",
                                                                    "company_name": "株式会社テスト精工",
                                                                    "contact_name": "山田",
                                                                    "contact_email": "info@example.co.jp"})
        assert r.status_code == 303, r.text[:2000]
        return str(r.headers["location"])
