"""Browser tests (Playwright + Debian's Chromium); a package so that its conftest does not clash with tests/conftest.py."""
