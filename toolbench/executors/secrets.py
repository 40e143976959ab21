"""Redaction of secrets (moved to :mod:`toolbench.secrets`; this name stays for old imports)."""

from toolbench.secrets import (
    MASK,
    MIN_SECRET_LENGTH,
    SECRET_NAME,
    TOKEN_SHAPES,
    RedactingFilter,
    keep_references,
    redact,
    redact_text,
    secret_values,
    secret_variables,
)

__all__ = [
    "MASK", "MIN_SECRET_LENGTH", "SECRET_NAME", "TOKEN_SHAPES", "RedactingFilter", "keep_references", "redact",
    "redact_text", "secret_values", "secret_variables",
]
