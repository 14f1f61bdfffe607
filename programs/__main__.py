"""`python -m programs check [DIR]`: validate the catalog and its rules, naming file and field on failure."""

from __future__ import annotations

import argparse
import sys

from eligibility.engine import Engine
from programs.loader import CatalogError, load_catalog


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m programs", description="Program catalog tools")
    sub = ap.add_subparsers(dest="cmd", required=True)
    chk = sub.add_parser("check", help="validate every program file and rule")
    chk.add_argument("catalog_dir", nargs="?", help="folder of program YAML files (default: programs/catalog)")
    chk.add_argument("--definitions", help="definitions file (default: programs/definitions.yaml)")
    chk.add_argument("--sources", help="sources file (default: programs/sources.yaml)")
    args = ap.parse_args(argv)
    try:
        catalog = load_catalog(args.catalog_dir, args.definitions, args.sources)
        Engine(catalog)
    except CatalogError as e:
        print(f"catalog check failed: {len(e.problems)} problem(s)", file=sys.stderr)
        for line in e.problems:
            print(f"  {line}", file=sys.stderr)
        return 1
    print(f"catalog ok: {len(catalog.programs)} programs, version {catalog.version}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
