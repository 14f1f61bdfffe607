"""`python -m programs check [DIR]`: validate the catalog and its rules, naming file and field on failure."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml
from pydantic import ValidationError

from eligibility.engine import Engine
from programs.glossary import GLOSSARY_FILE, read_glossary
from programs.loader import CatalogError, load_catalog, validation_problems


def check_glossary(path: Path) -> None:
    """The glossary shown on the results page; raises CatalogError naming the file and the field."""
    try:
        read_glossary(path)
    except ValidationError as e:
        raise CatalogError(validation_problems(path, e)) from None
    except (OSError, yaml.YAMLError) as e:
        raise CatalogError([f"{path}: (file): {e}"]) from None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m programs", description="Program catalog tools")
    sub = ap.add_subparsers(dest="cmd", required=True)
    chk = sub.add_parser("check", help="validate every program file and rule")
    chk.add_argument("catalog_dir", nargs="?", help="folder of program YAML files (default: programs/catalog)")
    chk.add_argument("--definitions", help="definitions file (default: programs/definitions.yaml)")
    chk.add_argument("--sources", help="sources file (default: programs/sources.yaml)")
    chk.add_argument("--rounds", help="folder of rounds files (default: the catalog folder's sibling rounds/)")
    chk.add_argument("--glossary", help="glossary file (default: programs/glossary.yaml)")
    args = ap.parse_args(argv)
    try:
        catalog = load_catalog(args.catalog_dir, args.definitions, sources=args.sources, rounds_dir=args.rounds)
        Engine(catalog)
        check_glossary(Path(args.glossary) if args.glossary else GLOSSARY_FILE)
    except CatalogError as e:
        print(f"catalog check failed: {len(e.problems)} problem(s)", file=sys.stderr)
        for line in e.problems:
            print(f"  {line}", file=sys.stderr)
        return 1
    rounds = sum(len(r) for r in catalog.rounds.values())
    print(f"catalog ok: {len(catalog.programs)} programs, {rounds} rounds, version {catalog.version}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
