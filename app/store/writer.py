"""Group commit: one thread per process writes queued rows, many to a transaction, and acknowledges each.

Why: with one thread per request, concurrent screenings wait on SQLite's write lock in its busy handler,
which sleeps in growing steps (p99 0.9 s, max 2.8 s at 10 clients, bench/README.md), and every row pays
a commit of its own. Here the rows queued while a transaction commits go into the next one; a caller is
answered only after the commit that holds its row, so an acknowledged screening survives a crash.
A batch that fails is retried row by row, so that one bad row does not take the others down with it.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import Any

log = logging.getLogger("navi.writer")

Row = dict[str, Any]
WriteRows = Callable[[Sequence[Row]], None]

_STOP = object()


class GroupWriter:
    """`submit(row)` → a Future done when the row is committed (or failed with the database's error).

    `write_rows(rows)` inserts and commits the rows in one transaction (raises on failure).

    >>> seen = []
    >>> w = GroupWriter(seen.append)
    >>> w.submit({"id": 1}).result(timeout=5)
    >>> w.close()
    >>> seen
    [[{'id': 1}]]
    """

    def __init__(self, write_rows: WriteRows, max_batch: int = 64, name: str = "navi-writer"):
        self._write_rows = write_rows
        self._max_batch = max_batch
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()
        self.batches = 0  # transactions committed or tried (for the benchmarks)
        self.rows = 0

    def submit(self, row: Row) -> Future[None]:
        fut: Future[None] = Future()
        self._put(row, fut)
        return fut

    def _put(self, row: Row, waiter: Future[None] | asyncio.Future[None]) -> None:
        with self._lock:
            if self._closed:
                raise RuntimeError("the writer is closed")
            self._queue.put((row, waiter))

    def write(self, row: Row) -> None:
        """Blocking: returns once the row is committed (for callers in a worker thread or a script)."""
        self.submit(row).result()

    async def write_async(self, row: Row) -> None:
        """Awaits the commit without holding a thread of the pool. The row waits on a future of the running
        loop, settled with the others of its transaction in one call into the loop (not one per row)."""
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._put(row, fut)
        await fut

    def close(self, timeout: float = 30) -> None:
        """Writes what is queued, then stops the thread."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._queue.put(_STOP)
        self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            batch = [item]
            stop = False
            while len(batch) < self._max_batch:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is _STOP:
                    stop = True
                    break
                batch.append(nxt)
            self._commit(batch)
            if stop:
                return

    def _commit(self, batch: list[tuple[Row, Waiter]]) -> None:
        self.batches += 1
        try:
            self._write_rows([row for row, _ in batch])
        except BaseException as e:  # noqa: BLE001 — handed to the callers, never lost in this thread
            if len(batch) == 1:
                _settle_all([(batch[0][1], e)])
                return
            log.warning("a group of %d rows failed (%s); writing them one by one", len(batch), type(e).__name__)
            done: list[tuple[Waiter, BaseException | None]] = []
            for row, fut in batch:
                try:
                    self._write_rows([row])
                except BaseException as one:  # noqa: BLE001
                    done.append((fut, one))
                else:
                    self.rows += 1
                    done.append((fut, None))
            _settle_all(done)
            return
        self.rows += len(batch)
        _settle_all([(fut, None) for _, fut in batch])


Waiter = Future[None] | asyncio.Future[None]


def _settle_all(done: list[tuple[Waiter, BaseException | None]]) -> None:
    """Settle each waiter: a concurrent future here, the futures of an event loop in one call into that loop."""
    by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[None], BaseException | None]]] = {}
    for fut, error in done:
        if isinstance(fut, asyncio.Future):
            by_loop.setdefault(fut.get_loop(), []).append((fut, error))
        else:
            _settle(fut, error)
    for loop, futs in by_loop.items():
        try:
            loop.call_soon_threadsafe(_settle_in_loop, futs)
        except RuntimeError:  # the loop is closed: nobody awaits these any more
            log.warning("%d rows committed for an event loop that has closed", len(futs))


def _settle_in_loop(futs: list[tuple[asyncio.Future[None], BaseException | None]]) -> None:
    for fut, error in futs:
        if fut.done():  # the caller was cancelled (its row is written all the same)
            continue
        if error is None:
            fut.set_result(None)
        else:
            fut.set_exception(error)


def _settle(fut: Future[None], error: BaseException | None) -> None:
    if fut.set_running_or_notify_cancel():
        if error is None:
            fut.set_result(None)
        else:
            fut.set_exception(error)
