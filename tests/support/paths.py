"""Where things are: the checkout (ROOT), the shared cases and tools (SHARED), and the shared cases' checker."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"


def case_checker() -> ModuleType:
    """../shared/tools/check_cases.py, so tests judge a case exactly as the shared checker does."""
    spec = importlib.util.spec_from_file_location("check_cases", SHARED / "tools" / "check_cases.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod
