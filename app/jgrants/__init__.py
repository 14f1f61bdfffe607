"""jGrants sync: read the public API, place each call, publish rounds, draft what needs review (出典: Jグランツ)."""
