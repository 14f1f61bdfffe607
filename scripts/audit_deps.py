"""Dependency audit of `make test`: pip-audit over the venv's packages (the project itself, editable, skipped).

    .venv/bin/python scripts/audit_deps.py

Exit 1 when pip-audit reports a known vulnerability (each one is printed with the versions that fix it).
Exit 0 with a WARNING when the audit cannot be done: no network, the vulnerability service unreachable or
timing out, or packages it cannot look up (a mirror without PyPI's per-release JSON answers "not found" for
every package — pip-audit itself then says "No known vulnerabilities found", which would be a false green).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

TIMEOUT_S = 300  # the whole audit; pip-audit's own --timeout is per request


def warn(message: str) -> None:
    print(f"WARNING: dependency audit incomplete: {message}", file=sys.stderr)


def run() -> tuple[int, str, str] | None:
    exe = Path(sys.executable).parent / "pip-audit"
    cmd = [str(exe), "--skip-editable", "--format", "json", "--progress-spinner", "off", "--timeout", "20"]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT_S, stdin=subprocess.DEVNULL)
    except FileNotFoundError:
        warn(f"{exe} is missing (pip install -e '.[dev]')")
        return None
    except subprocess.TimeoutExpired:
        warn(f"pip-audit did not finish within {TIMEOUT_S} s (vulnerability service unreachable?)")
        return None
    return proc.returncode, proc.stdout, proc.stderr


def main() -> int:
    result = run()
    if result is None:
        return 0
    code, out, err = result
    try:
        report: dict[str, Any] = json.loads(out)
    except ValueError:
        last = (err.strip().splitlines() or ["no output"])[-1]
        warn(f"pip-audit could not query the vulnerability service (exit {code}): {last[:300]}")
        return 0
    deps: list[dict[str, Any]] = report.get("dependencies", [])
    vulnerable = [d for d in deps if d.get("vulns")]
    skipped = [d for d in deps if d.get("skip_reason")]
    for d in vulnerable:
        for v in d["vulns"]:
            fixes = ", ".join(v.get("fix_versions") or []) or "no fixed version yet"
            aliases = ", ".join(v.get("aliases") or [])
            print(f"VULNERABLE {d['name']} {d.get('version', '')}: {v.get('id')}"
                  f"{f' ({aliases})' if aliases else ''} — fixed in {fixes}")
    if vulnerable:
        print(f"pip-audit: {sum(len(d['vulns']) for d in vulnerable)} known vulnerabilities in "
              f"{len(vulnerable)} packages: upgrade them (pyproject.toml) or document why not", file=sys.stderr)
        return 1
    audited = len(deps) - len(skipped)
    if skipped:
        warn(f"{len(skipped)} of {len(deps)} packages could not be audited, e.g. {skipped[0]['skip_reason']}")
    if code != 0:
        warn(f"pip-audit exited with {code}: {(err.strip().splitlines() or [''])[-1][:300]}")
    print(f"pip-audit: no known vulnerabilities in the {audited} packages audited")
    return 0


if __name__ == "__main__":
    sys.exit(main())
