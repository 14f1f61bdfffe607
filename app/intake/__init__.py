"""Input for every channel (questionnaire, console form, CSV/JSON Lines batch, CLI): normalisation, parsers, questions."""
