"""A catalog version as bytes and back: its YAML files and added rounds, compressed (content-addressed by version).

`pack(catalog)` keeps the exact bytes the version was computed from (`Catalog.texts`) and the rounds added by
`Catalog.with_rounds`; `unpack(blob)` writes the files to a temporary folder, loads them with the ordinary loader
(the same validation) and adds the rounds again, so the rebuilt catalog has the same version — checked.
"""

from __future__ import annotations

import json
import tempfile
import zlib
from pathlib import Path

from programs.changes import rebuild
from programs.loader import ROUNDS_DIRNAME, Catalog, CatalogError, load_catalog
from programs.rounds import Round

FORMAT = 1


def pack(catalog: Catalog) -> bytes:
    """The catalog's files and added rounds as compressed JSON (~40 KB for the FY2026 catalog)."""
    if not catalog.texts:
        raise CatalogError([f"catalog {catalog.version}: not loaded from files; it cannot be stored"])
    doc = {
        "format": FORMAT,
        "version": catalog.version,
        "texts": {name: data.decode("utf-8") for name, data in catalog.texts},
        "extra_rounds": [[list(pair) for pair in batch] for batch in catalog.extra_rounds],
        "changes": [list(batch) for batch in catalog.changes],
    }
    return zlib.compress(json.dumps(doc, ensure_ascii=False, sort_keys=True).encode("utf-8"), 9)


def unpack(blob: bytes) -> Catalog:
    """The catalog `pack` stored; raises CatalogError if it no longer loads or its version differs."""
    doc = json.loads(zlib.decompress(blob))
    with tempfile.TemporaryDirectory(prefix="navi-catalog-") as tmp:
        root = Path(tmp)
        for sub in ("catalog", ROUNDS_DIRNAME):
            (root / sub).mkdir()
        for name, text in doc["texts"].items():
            path = (root / name).resolve()
            if root.resolve() not in path.parents:  # a stored name is a plain relative file name
                raise CatalogError([f"catalog {doc.get('version')}: bad file name {name!r}"])
            path.write_bytes(text.encode("utf-8"))
        catalog = load_catalog(root / "catalog", root / "definitions.yaml", root / "sources.yaml",
                               root / ROUNDS_DIRNAME, stored=True)
    for batch in doc.get("extra_rounds") or ():
        catalog = catalog.with_rounds((pid, Round.model_validate_json(raw)) for pid, raw in batch)
    if doc.get("changes"):
        catalog = rebuild(catalog, doc["changes"])
    if catalog.version != doc["version"]:
        raise CatalogError([f"catalog {doc['version']}: rebuilt as {catalog.version}"])
    return catalog
