"""The advisor console (/console): accounts of desk staff, cases, referrals between desks, the audit log.

Modules (tables in `app.store.console`, `app.store.batch_jobs`): `security` (passwords, sessions, CSRF, throttling), `workflow` (statuses),
`cases` (storage and permission checks of cases), `forms` (the case form, reusing the questionnaire's
normalisation), `seed` (desks from programs/desks.yaml, demo data), `cli` (commands of `python -m app`),
`web` (the pages).
"""
