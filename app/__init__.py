"""Web edge: FastAPI app, routes, settings."""
