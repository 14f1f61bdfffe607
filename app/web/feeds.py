"""Feeds instead of mail: the deadlines of a screening as iCalendar (RFC 5545) and new rounds as Atom 1.0.

Readings: an event is made for an eligible or needs_info program whose window is open, closing soon or
upcoming with a closing date (a prediction or an unknown window is no date to put in a calendar). A closing
time of 23:59:59 (a date alone in the 公募要領) is an all-day event on that day; a time (17:00) is a 30-minute
event ending at it. A round whose `jgrants_id` is set was published on Jグランツ: its entry says 「出典: Jグランツ」.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import xml.etree.ElementTree as ET
from typing import Any

from icalendar import Calendar, Event

from app.web.windows_view import window_text
from programs.loader import Catalog
from programs.rounds import JST, Round, split_area

ATOM = "http://www.w3.org/2005/Atom"
EVENT_STATUSES = ("open", "closing_soon", "upcoming")


def _uid(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:32] + "@ip-navi"


def deadlines_ics(screening_id: str, result: dict[str, Any], lang: str, stamp: dt.datetime) -> bytes:
    """One VEVENT per eligible / needs_info program with a known closing date."""
    ja = lang == "ja"
    cal = Calendar()
    cal.add("prodid", "-//知財支援ナビ//deadlines//JA")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", "知財支援ナビ 申請締切" if ja else "IP Support Navigator: deadlines")
    as_of = dt.date.fromisoformat(str(result.get("as_of"))[:10])
    for r in result.get("results") or ():
        w = r.get("window") or {}
        if r.get("status") not in ("eligible", "needs_info") or w.get("status") not in EVENT_STATUSES:
            continue
        if not w.get("closes_at") or w.get("predicted"):
            continue
        closes = dt.datetime.fromisoformat(w["closes_at"]).astimezone(JST)
        text = window_text(w, lang, as_of)
        ev = Event()
        ev.add("uid", _uid(screening_id, str(r.get("program_id")), str(w.get("round") or ""), w["closes_at"]))
        ev.add("dtstamp", stamp.astimezone(dt.UTC))
        if (closes.hour, closes.minute) == (23, 59):
            ev.add("dtstart", closes.date())
            ev.add("dtend", closes.date() + dt.timedelta(days=1))
        else:
            ev.add("dtstart", (closes - dt.timedelta(minutes=30)).astimezone(dt.UTC))
            ev.add("dtend", closes.astimezone(dt.UTC))
        ev.add("summary", (f"締切：{r.get('name')}" if ja else f"Deadline: {r.get('name')}"))
        lines = [text.headline] if text else []
        if w.get("round"):
            lines.append(("公募回：" if ja else "Call: ") + str(w["round"]))
        if w.get("operator"):
            op = str(w["operator"]) + (f" {w['operator_url']}" if w.get("operator_url") else "")
            lines.append(("実施機関：" if ja else "Operator: ") + op)
        for p in w.get("prerequisites") or ():
            lines.append(("事前に必要：" if ja else "Required first: ") + str(p))
        if w.get("source_url"):
            lines.append(("出典：" if ja else "Source: ") + f"{w.get('source_title') or ''} {w['source_url']}".strip())
            ev.add("url", w["source_url"])
        ev.add("description", "\n".join(lines))
        cal.add_component(ev)
    return cal.to_ical()


def _q(tag: str) -> str:
    return f"{{{ATOM}}}{tag}"


def rounds_of(catalog: Catalog, prefecture: str) -> list[tuple[str, Round]]:
    """The rounds of the catalog for a prefecture (its municipalities included) and 全国, newest first."""
    out = []
    for pid, rounds in catalog.rounds.items():
        for r in rounds:
            pref, _ = split_area(r.area)
            if pref in (None, prefecture):
                out.append((pid, r))
    out.sort(key=lambda x: (x[1].opens_at, x[1].checked_at), reverse=True)
    return out


def rounds_atom(catalog: Catalog, prefecture: str, lang: str, self_url: str, now: dt.datetime) -> bytes:
    """Atom 1.0 of the rounds for one prefecture and 全国, each entry linking its source."""
    ja = lang == "ja"
    ET.register_namespace("", ATOM)
    feed = ET.Element(_q("feed"), {"{http://www.w3.org/XML/1998/namespace}lang": lang})
    rows = rounds_of(catalog, prefecture)
    ET.SubElement(feed, _q("title")).text = (f"知財支援ナビ 公募回（{prefecture}・全国）" if ja else
                                             f"IP Support Navigator: calls ({prefecture} and nationwide)")
    ET.SubElement(feed, _q("id")).text = "urn:ip-navi:rounds:" + hashlib.sha256(prefecture.encode()).hexdigest()[:16]
    ET.SubElement(feed, _q("link"), {"rel": "self", "href": self_url})
    updated = max((dt.datetime.combine(r.checked_at, dt.time(0), JST) for _, r in rows), default=now)
    ET.SubElement(feed, _q("updated")).text = updated.isoformat()
    ET.SubElement(ET.SubElement(feed, _q("author")), _q("name")).text = "知財支援ナビ" if ja else "IP Support Navigator"
    for pid, r in rows:
        prog = catalog.programs[pid]
        e = ET.SubElement(feed, _q("entry"))
        name = prog.names.ja if ja else prog.names.en
        ET.SubElement(e, _q("title")).text = f"{name} {r.name.ja if ja else r.name.en}（{r.area}）" if ja else \
            f"{name}: {r.name.en} ({r.area})"
        ET.SubElement(e, _q("id")).text = "urn:ip-navi:round:" + hashlib.sha256(
            f"{pid}\0{r.jgrants_id or ''}\0{r.key}".encode()).hexdigest()[:24]
        ET.SubElement(e, _q("link"), {"rel": "alternate", "href": r.source.href})
        ET.SubElement(e, _q("updated")).text = dt.datetime.combine(r.checked_at, dt.time(0), JST).isoformat()
        ET.SubElement(e, _q("published")).text = r.opens_at.isoformat()
        span = f"{r.opens_at:%Y-%m-%d %H:%M} – {r.closes_at:%Y-%m-%d %H:%M}" if r.closes_at else f"{r.opens_at:%Y-%m-%d} –"
        op = r.operator.ja if ja else r.operator.en
        parts = [("受付期間：" if ja else "Window: ") + span + " JST", ("実施機関：" if ja else "Operator: ") + op]
        parts.append(("出典: " if ja else "Source: ") + ("Jグランツ" if r.jgrants_id and ja else
                                                         "jGrants" if r.jgrants_id else r.source.title))
        ET.SubElement(e, _q("summary")).text = "\n".join(parts)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(feed, encoding="utf-8", xml_declaration=False)
