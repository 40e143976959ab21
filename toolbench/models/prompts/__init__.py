"""Jinja templates that render tool lists into system prompts (one per text format)."""
