"""The API path's stages in process for the README's profile (no HTTP): CPU ms per stage, best of rounds.

    .venv/bin/python bench/apipath.py [N] [ROOT]   # ROOT: another checkout to measure (a baseline), default this one
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(sys.argv[2]).resolve() if len(sys.argv) > 2 else Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]  # that checkout's code and its bench/common.py

from common import PROFILE  # noqa: E402

assert Path(sys.modules["common"].__file__ or "").resolve().parents[1] == ROOT, "imports from another checkout"

from app.api.lean import slim_answer  # noqa: E402
from app.config import Settings  # noqa: E402
from app.services import Services  # noqa: E402
from app.store.db import Store, encode_json, migrate  # noqa: E402


def main(n: int = 300) -> None:
    d = tempfile.mkdtemp()
    url = f"sqlite:///{d}/a.db"
    migrate(url)
    svc = Services.build(Settings(database_url=url, search_db=f"{d}/s.db"))
    store = Store.from_url(url)
    stages = {"screen": [], "rank": [], "slim_answer": [], "encode_json": [], "screening_row": [], "insert": []}
    for i in range(n + 50):
        t0 = time.process_time()
        s = svc.engine.screen(PROFILE)
        t1 = time.process_time()
        svc.scorer.rank(s)
        t2 = time.process_time()
        body = slim_answer(s, "ja")
        t3 = time.process_time()
        text = encode_json(body)
        t4 = time.process_time()
        row = store.screening_row(PROFILE, s, text, source="api", lang="ja")
        t5 = time.process_time()
        store._insert_rows([row])
        t6 = time.process_time()
        if i >= 50:
            for k, a, b in zip(stages, (t0, t1, t2, t3, t4, t5), (t1, t2, t3, t4, t5, t6), strict=True):
                stages[k].append(b - a)
    os.environ.setdefault("X", "")
    total = 0.0
    for k, v in stages.items():
        v.sort()
        med = v[len(v) // 2] * 1000
        total += med
        print(f"{k:14s} median {med:6.3f} ms  mean {sum(v) / len(v) * 1000:6.3f} ms")
    print(f"{'sum of medians':14s} {total:6.3f} ms   ({ROOT}, load {os.getloadavg()[0]:.2f})")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 300)
    import app

    assert Path(app.__file__ or "").resolve().parents[1] == ROOT, app.__file__
