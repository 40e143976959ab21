"""Redact secrets before anything is logged or written to a trajectory.

Secrets are the values of environment variables whose names look secret (``*KEY*``,
``*TOKEN*``, ``*SECRET*``, ``*PASSWORD*``, ...) — keys live only in the environment —
plus well-known token shapes (``sk-...``, ``Bearer ...``, ``hf_...``).
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable, Mapping
from typing import Any

MASK = "***"
SECRET_NAME = re.compile(r"KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|AUTH", re.IGNORECASE)
TOKEN_SHAPES = re.compile(
    r"(?:\bsk-[A-Za-z0-9_\-]{16,}|\bhf_[A-Za-z0-9]{20,}|\bgh[pousr]_[A-Za-z0-9]{20,}|"
    r"(?<=Bearer )[A-Za-z0-9._\-]{16,})"
)
MIN_SECRET_LENGTH = 6


def secret_values(environ: Mapping[str, str] | None = None) -> list[str]:
    """Values of secret-looking environment variables, longest first.

    >>> secret_values({"OPENAI_API_KEY": "sk-abcdef12", "HOME": "/root", "MY_TOKEN": "tok123"})
    ['sk-abcdef12', 'tok123']
    """
    env = os.environ if environ is None else environ
    values = {v for k, v in env.items() if SECRET_NAME.search(k) and len(v) >= MIN_SECRET_LENGTH}
    return sorted(values, key=lambda v: (-len(v), v))


def secret_variables(environ: Mapping[str, str] | None = None) -> list[tuple[str, str]]:
    """``(value, name)`` of secret-looking environment variables, longest value first.

    >>> secret_variables({"OPENAI_API_KEY": "sk-abcdef12", "HOME": "/root"})
    [('sk-abcdef12', 'OPENAI_API_KEY')]
    """
    env = os.environ if environ is None else environ
    pairs = {(v, k) for k, v in env.items() if SECRET_NAME.search(k) and len(v) >= MIN_SECRET_LENGTH}
    return sorted(pairs, key=lambda p: (-len(p[0]), p))


def keep_references(value: Any, environ: Mapping[str, str] | None = None) -> Any:
    """A copy of a JSON-like value where secret values become ``${NAME}`` again, then redacted.

    Configs are saved with this: a key expanded from ``${OPENAI_API_KEY}`` goes back to
    the reference, and any other token-shaped string is masked.

    >>> keep_references({"api_key": "sk-abcdef12", "url": "http://x"}, {"OPENAI_API_KEY": "sk-abcdef12"})
    {'api_key': '${OPENAI_API_KEY}', 'url': 'http://x'}
    """
    pairs = secret_variables(environ)

    def restore(text: str) -> str:
        for secret, name in pairs:
            text = text.replace(secret, "${" + name + "}")
        return TOKEN_SHAPES.sub(MASK, text)

    if isinstance(value, str):
        return restore(value)
    if isinstance(value, Mapping):
        return {restore(str(k)): keep_references(v, environ) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [keep_references(v, environ) for v in value]
    return value


def redact_text(text: str, secrets: Iterable[str] | None = None) -> str:
    """``text`` with secrets and token-shaped strings masked.

    >>> redact_text("key=hunter22 and Bearer abcdefghijklmnopqrst", ["hunter22"])
    'key=*** and Bearer ***'
    """
    for secret in secret_values() if secrets is None else secrets:
        if secret:
            text = text.replace(secret, MASK)
    return TOKEN_SHAPES.sub(MASK, text)


def redact(value: Any, secrets: Iterable[str] | None = None) -> Any:
    """A copy of a JSON-like value with every string redacted (dict keys included).

    >>> redact({"headers": {"Authorization": "Bearer sk-aaaaaaaaaaaaaaaaaaaa"}, "n": [1, "pw=s3cr3t!"]}, ["s3cr3t!"])
    {'headers': {'Authorization': 'Bearer ***'}, 'n': [1, 'pw=***']}
    """
    found = list(secret_values() if secrets is None else secrets)
    if isinstance(value, str):
        return redact_text(value, found)
    if isinstance(value, Mapping):
        return {redact_text(str(k), found): redact(v, found) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact(v, found) for v in value]
    return value


class RedactingFilter(logging.Filter):
    """A logging filter that redacts messages (attach to handlers that leave the process)."""

    def __init__(self, secrets: Iterable[str] | None = None) -> None:
        super().__init__()
        self.secrets = list(secret_values() if secrets is None else secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact_text(record.getMessage(), self.secrets)
        record.args = ()
        return True
