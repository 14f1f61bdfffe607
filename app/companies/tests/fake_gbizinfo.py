"""A fake gBizINFO v2 on 127.0.0.1 (a free port) serving the recorded responses of ../shared/fixtures/gbizinfo
and variants: "Null" strings, numbers as strings, a missing company, a 500, a time-out, garbage, a wrong token."""

from __future__ import annotations

import copy
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from app.intake.normalize import corporate_check_digit


def _fixtures() -> Path:
    """../shared/fixtures/gbizinfo next to the repository (or next to a folder above it, for worktrees)."""
    for folder in Path(__file__).resolve().parents[3:]:
        if (folder / "shared" / "fixtures" / "gbizinfo").is_dir():
            return folder / "shared" / "fixtures" / "gbizinfo"
    raise FileNotFoundError("shared/fixtures/gbizinfo not found above the repository")


FIXTURES = _fixtures()
TOKEN = "good-token-7f3a9c"  # what the fake accepts; tests assert it never leaks


def valid(base: str) -> str:
    """A 13-digit 法人番号 with a valid check digit for a 12-digit base."""
    return f"{corporate_check_digit(base)}{base}"


def _load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    data.pop("_provenance", None)
    return data


def envelope(number: str, infos: list[dict[str, Any]]) -> dict[str, Any]:
    return {"id": number, "errors": None, "message": "200 - OK.", "hojin-infos": infos}


SAMPLE = "9010401123456"  # hojin-v2.synthetic-from-spec.json
NAGANO = "7100005012040"  # subsidy-v1.7100005012040.json
MISSING = "5050005005266"  # valid check digit, no company at the fake (404, like gBizINFO's "no hits")
BROKEN = "7010001008844"  # always 500
SLOW = "1180301018771"  # answers after the client's time-out
GARBAGE = valid("000000000001")  # 200 with an HTML page
NULLS = valid("000000000002")  # every value "Null"
STRINGY = valid("000000000003")  # numbers as strings, date as 19370828
OSAKA = valid("000000000004")  # a 政令市 ward, an unmapped 法人種別

SAMPLE_AWARDS = [
    {"date_of_approval": "2026-08-20", "title": "令和8年度 中小企業等海外展開支援事業費補助金（海外出願支援事業）",
     "amount": "1500000", "target": None, "government_departments": "経済産業省", "note": None},
    {"date_of_approval": "20260520", "title": "INPIT外国出願補助金", "amount": "1,200,000",
     "target": "Null", "government_departments": "経済産業省", "note": "Null"},
    {"date_of_approval": "2024-03-29", "title": "中小企業等海外展開支援事業費補助金", "amount": "Null",
     "target": None, "government_departments": "経済産業省", "note": None},
    {"date_of_approval": "2025-06-02", "title": "外国特許出願費用助成事業", "amount": "800000",
     "government_departments": "東京都"},
]
SAMPLE_PATENTS = [
    {"patent_type": "特許", "title": "知財判定装置", "registration_number": "7000001",
     "application_date": "2021-05-10", "url": "https://www.j-platpat.inpit.go.jp/"},
    {"patent_type": "商標", "title": "チザイラボ", "registration_number": "6500001", "application_date": "20200115"},
    {"patent_type": "Null", "title": "Null"},
]


def records() -> dict[str, dict[str, Any]]:
    """number → {"hojin": info, "subsidy": items or None (404), "patent": items or None (404)}."""
    sample = _load("hojin-v2.synthetic-from-spec.json")["hojin-infos"][0]
    nagano_sub = _load("subsidy-v1.7100005012040.json")["hojin-infos"][0]
    nagano = {k: v for k, v in nagano_sub.items() if k != "subsidy"} | {"kind": "399"}
    nulls = {k: "Null" for k in sample} | {"corporate_number": NULLS, "name": "株式会社ヌル", "industry": ["Null"],
                                          "subsidy": [], "patent": []}
    stringy = copy.deepcopy(sample) | {
        "corporate_number": STRINGY, "name": "株式会社文字列製作所", "capital_stock": "350000000",
        "employee_number": "1,200", "date_of_establishment": "19370828", "update_date": "2026-07-01",
        "location": "愛知県豊田市トヨタ町１番地", "kind": "301", "industry": ["輸送用機械器具製造業"]}
    osaka = copy.deepcopy(sample) | {
        "corporate_number": OSAKA, "name": "一般社団法人大阪知財協会", "kind": "399",
        "location": "大阪府大阪市北区中之島１－３－２０", "industry": ["製造業"], "capital_stock": None}
    return {
        SAMPLE: {"hojin": sample, "subsidy": SAMPLE_AWARDS, "patent": SAMPLE_PATENTS},
        NAGANO: {"hojin": nagano, "subsidy": nagano_sub["subsidy"], "patent": None},
        NULLS: {"hojin": nulls, "subsidy": None, "patent": None},
        STRINGY: {"hojin": stringy, "subsidy": [], "patent": []},
        OSAKA: {"hojin": osaka, "subsidy": None, "patent": None},
    }


_PATH = re.compile(r"/hojin/v2/hojin/(\d{13})(?:/(subsidy|patent))?")


class FakeGbiz:
    """The server; `hits` lists (path, token was right) of every request; `slow_seconds` for SLOW."""

    def __init__(self, slow_seconds: float = 1.5):
        self.records = records()
        self.hits: list[tuple[str, bool]] = []
        self.slow_seconds = slow_seconds
        self.delay = 0.0  # added to every answer (concurrency tests)
        self.in_flight = self.max_in_flight = 0
        self._count_lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def do_GET(self) -> None:
                with fake._count_lock:
                    fake.in_flight += 1
                    fake.max_in_flight = max(fake.max_in_flight, fake.in_flight)
                try:
                    time.sleep(fake.delay)
                    self._answer()
                finally:
                    with fake._count_lock:
                        fake.in_flight -= 1

            def _answer(self) -> None:
                path = self.path.split("?")[0]
                token_ok = self.headers.get("X-hojinInfo-api-token") == TOKEN
                fake.hits.append((path, token_ok))
                if not token_ok:
                    return self._json(401, {"errors": [{"item": "token", "message": "invalid token"}]})
                m = _PATH.fullmatch(path)
                if m is None:
                    return self._json(500, {"errors": [{"message": "bad path"}]})
                number, part = m[1], m[2]
                if number == BROKEN:
                    return self._json(500, {"errors": [{"message": "internal error"}]})
                if number == SLOW:
                    time.sleep(fake.slow_seconds)
                    return self._json(200, envelope(number, []))
                if number == GARBAGE:
                    return self._send(200, b"<html><body>maintenance</body></html>", "text/html")
                rec = fake.records.get(number)
                if rec is None:
                    return self._json(404, {"errors": [{"message": "404 - Not Found."}]})
                if part is None:
                    return self._json(200, envelope(number, [rec["hojin"]]))
                items = rec[part]
                if items is None:  # gBizINFO answers a search without hits with 404
                    return self._json(404, {"errors": [{"message": "404 - Not Found."}]})
                return self._json(200, envelope(number, [{"corporate_number": number, part: items}]))

            def _json(self, status: int, body: Any) -> None:
                self._send(status, json.dumps(body, ensure_ascii=False).encode(), "application/json")

            def _send(self, status: int, data: bytes, ctype: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                try:
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (time-out test)
                    pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hojin"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> FakeGbiz:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def count(self, number: str) -> int:
        return sum(1 for path, _ in self.hits if f"/{number}" in path)
