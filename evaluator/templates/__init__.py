"""HTML page templates (Jinja2, autoescaped): report, trajectory viewer, index."""
