"""Helpers shared by the tests (profiles, PostgreSQL schemas, console clients, member lists, paths); no test lives here."""
