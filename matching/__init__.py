"""Ranks the programs an applicant should pursue first, with the reasons (pure: no web, no database)."""
