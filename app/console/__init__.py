"""The advisor console (/console): accounts of desk staff, cases, referrals between desks, the audit log.

Screens, one router each: `login`, `case_list`, `case_pages`, `audit`, `batch` (with `batch_worker`, the
background work), `users`; they share `deps` (the logged-in `Staff`, CSRF-checked forms) and `layout`
(`console_page`, labels, redirects); `web` wires them into the app. Below them: `security` (passwords,
sessions, CSRF, throttling), `workflow` (statuses), `cases` (storage and permission checks of cases), `forms`
(the case form, on app.intake's questions and parsers), `seed` (desks, demo data), `cli` (`python -m app`).
The tables are in `app.store.console` and `app.store.batch_jobs`.
"""
