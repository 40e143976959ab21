"""Configuration helpers: frozen dataclasses validated in ``__post_init__``.

Subclass :class:`Config` with ``@dataclass(frozen=True)`` and raise
:class:`~toolbench.errors.ConfigError` from ``validate``. Every output directory gets
the config as sorted JSON (:func:`save_config`) together with library versions.
"""

from __future__ import annotations

import dataclasses
import importlib.metadata
import platform
from pathlib import Path
from typing import Any, TypeVar

from toolbench.errors import ConfigError
from toolbench.secrets import keep_references
from toolbench.store import atomic_write_json

C = TypeVar("C", bound="Config")

VERSIONED_LIBRARIES = (
    "toolbench-kit", "torch", "transformers", "sentence-transformers", "faiss-cpu",
    "bm25s", "peft", "trl", "openai", "jsonschema",
)


@dataclasses.dataclass(frozen=True)
class Config:
    """Base of every configuration dataclass."""

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Raise :class:`ConfigError` for invalid values (override)."""

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls: type[C], data: dict[str, Any]) -> C:
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise ConfigError(f"{cls.__name__}: unknown option(s) {', '.join(unknown)}")
        try:
            return cls(**data)
        except TypeError as exc:
            raise ConfigError(f"{cls.__name__}: {exc}") from exc

    def replace(self: C, **changes: Any) -> C:
        return dataclasses.replace(self, **changes)


def require(condition: bool, message: str) -> None:
    """Raise :class:`ConfigError` with ``message`` unless ``condition``.

    >>> require(1 > 0, "never raised")
    """
    if not condition:
        raise ConfigError(message)


def library_versions() -> dict[str, str]:
    """Installed versions of the libraries that shape results (absent ones omitted)."""
    versions = {"python": platform.python_version()}
    for name in VERSIONED_LIBRARIES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return versions


def save_config(directory: str | Path, config: Config | dict[str, Any], name: str = "config.json") -> Path:
    """Write ``config`` and library versions as sorted JSON into ``directory``.

    Secrets never reach the file: values of secret-looking environment variables are
    written back as ``${NAME}`` references and token-shaped strings are masked
    (:func:`toolbench.secrets.keep_references`).
    """
    data = config.to_dict() if isinstance(config, Config) else dict(config)
    return atomic_write_json(Path(directory) / name, {"config": keep_references(data), "versions": library_versions()})
