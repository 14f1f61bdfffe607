"""The edge in layers: store, intake, web, then the routes (api, pages, console); factory builds the app (docs/architecture.md)."""
