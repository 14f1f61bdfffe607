"""The program catalog as data: YAML files under programs/catalog, checked by programs.schema."""

from programs.loader import Catalog, CatalogError, load_catalog

__all__ = ["Catalog", "CatalogError", "load_catalog"]
