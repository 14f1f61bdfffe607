#!/usr/bin/env python3
"""Print requirement lines from pyproject.toml, one per line (used by the Dockerfile so the
dependency layer is cached independently of the source).

    python3 scripts/pyproject_deps.py [PYPROJECT] [--extra NAME ...]

Without --extra: the runtime dependencies. With --extra NAME: that optional group only.
"""
import argparse
import tomllib


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("pyproject", nargs="?", default="pyproject.toml")
    ap.add_argument("--extra", action="append", default=[])
    args = ap.parse_args()
    with open(args.pyproject, "rb") as f:
        project = tomllib.load(f)["project"]
    if args.extra:
        reqs = [r for name in args.extra for r in project.get("optional-dependencies", {})[name]]
    else:
        reqs = list(project.get("dependencies", []))
    print("\n".join(reqs))


if __name__ == "__main__":
    main()
