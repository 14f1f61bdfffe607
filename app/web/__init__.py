"""Shared presentation: language and Babel, templates and rendering, widgets, results view model, PDF, formats, headers."""
