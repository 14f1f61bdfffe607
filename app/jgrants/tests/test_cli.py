"""`python -m app catalog sync-jgrants`: a summary, and a non-zero exit when the API cannot be read."""

from __future__ import annotations

import re

import pytest

from app.__main__ import main


@pytest.fixture
def env(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/cli.db")
    monkeypatch.setenv("NAVI_JGRANTS_MIN_INTERVAL", "0")
    monkeypatch.setenv("NAVI_JGRANTS_TIMEOUT", "1")
    monkeypatch.setenv("NAVI_JGRANTS_RETRIES", "0")
    monkeypatch.setenv("NAVI_JGRANTS_BASE_URL", "http://127.0.0.1:9/never-used")


def test_sync_prints_a_summary(env, fake, capsys):
    server, base = fake
    server.serve_fixtures()
    assert main(["catalog", "sync-jgrants", "--base-url", base]) == 0
    out = capsys.readouterr().out
    # the two prefectural rounds at least (the FY2026 programs, once in the catalog, add theirs)
    added = int(re.search(r"added (\d+)", out).group(1))  # type: ignore[union-attr]
    assert "calls seen 4" in out and added >= 2 and "出典: Jグランツ" in out
    assert main(["catalog", "sync-jgrants", "--base-url", base]) == 0  # idempotent
    out = capsys.readouterr().out
    assert f"added 0, 変更 changed 0, 変更なし unchanged {added}" in out and "drafts created: 0" in out


def test_base_url_from_the_environment(env, fake, monkeypatch, capsys):
    server, base = fake
    server.serve_fixtures()
    monkeypatch.setenv("NAVI_JGRANTS_BASE_URL", base)
    assert main(["catalog", "sync-jgrants"]) == 0
    assert server.requests and base in capsys.readouterr().out


def test_unreadable_api_exits_non_zero(env, fake, capsys):
    server, base = fake
    server.faults["/v1/"] = "500"
    assert main(["catalog", "sync-jgrants", "--base-url", base]) == 1
    assert "could not be read" in capsys.readouterr().err


def test_nothing_listening_exits_non_zero(env, capsys):
    assert main(["catalog", "sync-jgrants"]) == 1  # NAVI_JGRANTS_BASE_URL points at a closed port
    assert "connection error" in capsys.readouterr().err
