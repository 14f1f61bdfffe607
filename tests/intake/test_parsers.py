"""One intake: the same text gives the same value through every channel (app/intake/parsers.py).

Channels: the questionnaire (`parse_question`), the console's case form (`parse_case_form`), a CSV member
list and a JSON Lines file (`read_input` + `to_profile`, which the command line `python -m app screen` and
the console batch both use). A share: a bare decimal number <= 1 is a fraction (0.5 = 50 %); 50, 50%, 5割 = 50 %.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from app.console.forms import parse_case_form
from app.intake.answers import _Absent, parse_question
from app.intake.columns import read_input, to_profile
from app.intake.questions import QUESTION

# (field of the profile, text typed, expected value; None = refused with a message)
TRICKY: list[tuple[str, str, Any]] = [
    ("large_company_officer_ratio", "0.5", 0.5),
    ("large_company_officer_ratio", "50", 0.5),
    ("large_company_officer_ratio", "50%", 0.5),
    ("large_company_officer_ratio", "５０％", 0.5),
    ("large_company_officer_ratio", "5割", 0.5),
    ("large_company_officer_ratio", "12.5", 0.125),
    ("large_company_officer_ratio", "1.0", 1.0),
    ("large_company_officer_ratio", "1", 0.01),
    ("large_company_officer_ratio", "150", None),
    ("large_company_officer_ratio", "半分", None),
    ("avg_taxable_income_yen", "マイナス300万", -3_000_000),
    ("avg_taxable_income_yen", "▲500万", -5_000_000),
    ("avg_taxable_income_yen", "△500万円", -5_000_000),
    ("avg_taxable_income_yen", "-1,200,000", -1_200_000),
    ("avg_taxable_income_yen", "１，０００万円", 10_000_000),
    ("avg_taxable_income_yen", "0.8億", 80_000_000),
    ("capital_yen", "１，０００万円", 10_000_000),
    ("capital_yen", "0.8億", 80_000_000),
    ("capital_yen", "マイナス300万", None),  # capital cannot be negative
]

# The CSV headings of these fields (as a chamber of commerce writes them).
HEADING = {"large_company_officer_ratio": "大企業の役員比率", "avg_taxable_income_yen": "課税所得（3年平均）",
           "capital_yen": "資本金"}


def via_questionnaire(field: str, text: str) -> Any:
    parsed = parse_question(QUESTION[field], {field: text})
    return None if parsed.errors or isinstance(parsed.value, _Absent) else parsed.value


def via_console_form(field: str, text: str) -> Any:
    form = parse_case_form({"company_name": "株式会社テスト"}, {field: text}, {}, screen=lambda profile: None)
    return None if field in form.errors else form.profile.get(field)


def _from_rows(data: bytes, fmt: str, field: str) -> Any:
    rows, _ = read_input(data, fmt)
    assert len(rows) == 1
    profile, _, errors = to_profile(rows[0])
    return None if errors else profile.get(field)


def via_csv(field: str, text: str) -> Any:
    cell = '"' + text.replace('"', '""') + '"'
    return _from_rows(f"会社名,{HEADING[field]}\n株式会社テスト,{cell}\n".encode(), "csv", field)


def via_jsonl(field: str, text: str) -> Any:
    line = json.dumps({"会社名": "株式会社テスト", HEADING[field]: text}, ensure_ascii=False)
    return _from_rows((line + "\n").encode(), "jsonl", field)


CHANNELS = {"questionnaire": via_questionnaire, "console_form": via_console_form, "csv": via_csv,
            "jsonl": via_jsonl}


@pytest.mark.parametrize("channel", sorted(CHANNELS))
@pytest.mark.parametrize(("field", "text", "want"), TRICKY, ids=[f"{f}={t}" for f, t, _ in TRICKY])
def test_the_same_text_gives_the_same_value_in_every_channel(channel: str, field: str, text: str, want: Any) -> None:
    got = CHANNELS[channel](field, text)
    if want is None:
        assert got is None, f"{channel} accepted {text!r} as {got!r}"
    else:
        assert got == pytest.approx(want), f"{channel}: {text!r} → {got!r}, expected {want!r}"


def test_share_help_is_in_every_share_label() -> None:
    """The reading of a bare number is written where people type shares (questionnaire and console form)."""
    from app.web.questionnaire_view import View

    share = QUESTION["large_company_shareholding"]
    officer = QUESTION["large_company_officer_ratio"]
    assert "0.3 = 30%" in (share.hint or "")
    assert "0.25" in (officer.hint or "")
    group = View("ja", {}, {}).question(share)
    hints = [child.get("hint") or "" for child in group["children"] if child["type"] == "text"]
    assert len(hints) == 2 and all("0." in h for h in hints), hints
    english = View("en", {}, {}).question(share)
    assert "fraction" in (english["hint"] or ""), english["hint"]
