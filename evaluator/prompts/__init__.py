"""Judge prompt templates (package data, Jinja2)."""
