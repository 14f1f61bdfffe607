"""Storage, the bottom layer: tables (one module each, on `base`), engine and migrations, the group-commit writer."""
