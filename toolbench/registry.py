"""Name → factory registries (backends, executors, algorithms, judges): never ``if name ==``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from toolbench.errors import ConfigError

T = TypeVar("T")


class Registry(Generic[T]):
    """A named collection of factories.

    >>> judges: Registry[type] = Registry("judge")
    >>> @judges.register("exact")
    ... class Exact: ...
    >>> judges.get("exact").__name__, judges.names()
    ('Exact', ['exact'])
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._items: dict[str, T] = {}

    def register(self, name: str) -> Callable[[T], T]:
        def decorator(item: T) -> T:
            if name in self._items and self._items[name] is not item:
                raise ConfigError(f"{self.kind} {name!r} is registered twice")
            self._items[name] = item
            return item

        return decorator

    def get(self, name: str) -> T:
        try:
            return self._items[name]
        except KeyError:
            known = ", ".join(sorted(self._items)) or "none"
            raise ConfigError(f"unknown {self.kind} {name!r} (known: {known})") from None

    def names(self) -> list[str]:
        return sorted(self._items)

    def __contains__(self, name: object) -> bool:
        return name in self._items
