"""Pure rules engine: definitions, three-valued eligibility, traces, estimates (no web, no database)."""
