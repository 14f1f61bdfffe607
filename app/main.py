"""The served app: `uvicorn app.main:app`. Only this module builds it, on first access of `app` (PEP 562),
so that importing `app.factory.create_app` (tests, benches) migrates nothing and freezes nothing."""

from __future__ import annotations

import gc
from typing import Any

from app.factory import create_app

__all__ = ["create_app"]  # and `app`, built on first access


def __getattr__(name: str) -> Any:
    if name != "app":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    served = create_app()
    globals()["app"] = served
    # The catalog, engine, scorer and templates live as long as the process: keep them out of the cyclic
    # garbage collector's full collections, which otherwise walk ~200,000 objects (~140 ms measured) every
    # few hundred screenings, in the middle of a request. Only for the served app.
    gc.collect()
    gc.freeze()
    return served
