"""The group-commit writer (app/store/writer.py): every row acknowledged only after its commit, groups under load,
a failing group retried row by row, and the store's rows readable once acknowledged."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from app.config import Settings
from app.services import Services
from app.store.db import Store, encode_json, migrate
from app.store.writer import GroupWriter
from eligibility.outcome import outcome_of
from tests.support.helpers import corp


def test_rows_queued_during_a_commit_share_the_next_transaction() -> None:
    committed: list[list[Any]] = []
    gate = threading.Event()

    def write(rows: Sequence[Any]) -> None:
        if not committed:
            gate.wait(5)  # the first commit is slow: the others queue behind it
        committed.append(list(rows))

    w = GroupWriter(write, max_batch=64)
    futures = [w.submit({"n": 0})]
    time.sleep(0.05)
    futures += [w.submit({"n": i}) for i in range(1, 40)]
    assert not any(f.done() for f in futures)  # nothing is acknowledged before its commit
    gate.set()
    for f in futures:
        f.result(timeout=5)
    w.close()
    assert [len(b) for b in committed] == [1, 39]
    assert [r["n"] for b in committed for r in b] == list(range(40))


def test_a_bad_row_fails_alone() -> None:
    written: list[Any] = []

    def write(rows: Sequence[dict[str, Any]]) -> None:
        if any(r.get("bad") for r in rows):
            raise ValueError("constraint")
        written.extend(rows)

    gate = threading.Event()
    w = GroupWriter(lambda rows: (gate.wait(5), write(rows))[1])
    first = w.submit({"n": 0})
    time.sleep(0.05)
    good, bad, good2 = w.submit({"n": 1}), w.submit({"n": 2, "bad": True}), w.submit({"n": 3})
    gate.set()
    first.result(timeout=5)
    good.result(timeout=5)
    good2.result(timeout=5)
    with pytest.raises(ValueError):
        bad.result(timeout=5)
    w.close()
    assert [r["n"] for r in written] == [0, 1, 3]
    assert w.rows == 3


def test_close_writes_what_is_queued_and_refuses_more() -> None:
    seen: list[Any] = []
    w = GroupWriter(lambda rows: (time.sleep(0.01), seen.extend(rows)))
    futures = [w.submit({"n": i}) for i in range(20)]
    w.close()
    assert all(f.done() and f.exception() is None for f in futures)
    assert len(seen) == 20
    with pytest.raises(RuntimeError):
        w.submit({"n": 99})


def test_concurrent_saves_through_the_store_are_all_stored(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/w.db"
    migrate(url)
    store = Store.from_url(url)
    svc = Services.build(Settings(database_url=url, search_db=tmp_path / "s.db"))
    screening = svc.screen(corp())
    text = encode_json(screening.as_dict("ja"))

    async def many() -> list[str]:
        return list(await asyncio.gather(*(store.save_screening_async(corp(), screening, text) for _ in range(100))))

    # A thread of its own: the browser tests (Playwright's sync API) may leave this thread's event loop running.
    with ThreadPoolExecutor(1) as pool:
        ids = pool.submit(lambda: asyncio.run(many())).result(timeout=60)
    assert len(set(ids)) == 100
    assert store.count() == 100
    assert store.writer.batches < 100  # grouped: fewer transactions than rows
    rec = store.get_screening(ids[-1])
    assert rec is not None and rec.facts == json.loads(json.dumps(outcome_of(screening)))
    store.dispose()


def _run_in_own_loop(main: Any) -> Any:
    """asyncio.run(main()) in a thread of its own: another test (the browser's) may leave a loop running in this one."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["out"] = asyncio.run(main())
        except BaseException as e:  # noqa: BLE001 - re-raised in the test's thread
            box["error"] = e

    t = threading.Thread(target=target)
    t.start()
    t.join(60)
    if "error" in box:
        raise box["error"]
    return box["out"]


def test_async_waiters_are_answered_after_their_commit_with_their_own_outcome() -> None:
    """write_async: the rows of one transaction are settled together on the loop; a failing row's caller gets
    the database's error, the others succeed, and a caller that gave up does not stop the rest."""
    committed: list[list[Any]] = []
    gate = threading.Event()

    def write(rows: Sequence[Any]) -> None:
        if not committed:
            gate.wait(5)
        if any(r.get("bad") for r in rows):
            raise ValueError("bad row")
        committed.append([r["n"] for r in rows])

    w = GroupWriter(write, max_batch=64)

    async def main() -> list[Any]:
        first = asyncio.ensure_future(w.write_async({"n": 0}))
        await asyncio.sleep(0.05)
        rest = [asyncio.ensure_future(w.write_async({"n": i, "bad": i == 3})) for i in range(1, 8)]
        gone = asyncio.ensure_future(w.write_async({"n": 8}))
        await asyncio.sleep(0.05)
        assert not first.done() and not any(f.done() for f in rest)  # nothing before its commit
        gone.cancel()
        gate.set()
        return await asyncio.gather(first, *rest, return_exceptions=True)

    try:
        outcomes = _run_in_own_loop(main)
    finally:
        w.close()
    assert [type(o).__name__ for o in outcomes] == ["NoneType"] * 3 + ["ValueError"] + ["NoneType"] * 4
    assert sorted(n for rows in committed for n in rows) == [0, 1, 2, 4, 5, 6, 7, 8]
    assert committed[0] == [0] and len(committed) >= 2
