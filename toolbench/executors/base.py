"""The :class:`Executor` interface and registry, and the shared call pipeline.

``Executor.call(ToolCall) -> Observation`` never raises for model mistakes (unknown
function, invalid arguments, a tool that fails or hangs): those become observations
with a ToolBench status code. It raises only for our own bugs.

:class:`CatalogExecutor` implements the pipeline every executor shares: exact-name
dispatch through the catalog's name map → argument repair and JSON Schema validation →
``execute`` (the backend's job) → a truncated ``{"error", "response"}`` observation with
provenance, timing and per-run counters.
"""

from __future__ import annotations

import abc
import logging
import math
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from toolbench.catalog import Catalog
from toolbench.errors import ConfigError
from toolbench.executors.observe import DEFAULT_MAX_CHARS, error_observation, ok_observation
from toolbench.executors.timeouts import ToolTimeout
from toolbench.executors.validation import ArgumentError, check_arguments
from toolbench.registry import Registry
from toolbench.secrets import TOKEN_SHAPES, redact, redact_text, secret_values
from toolbench.types import ApiSpec, Observation, ObservationStatus, Provenance, ToolCall

logger = logging.getLogger(__name__)

executors: Registry[type[Executor]] = Registry("executor")


class Executor(abc.ABC):
    """Runs tool calls addressed by function name (the catalog's name map)."""

    @abc.abstractmethod
    def call(self, call: ToolCall) -> Observation:
        """Execute one call and return what the model will see."""

    def stats(self) -> dict[str, Any]:
        """Per-run counters (calls, cache hits, real, simulated, errors)."""
        return {}

    def close(self) -> None:  # noqa: B027 - optional hook, a no-op by default
        """Release resources (connections, subprocesses)."""

    def cancel(self) -> None:  # noqa: B027 - optional hook, a no-op by default
        """Stop the calls in flight as soon as possible (Ctrl-C, SIGTERM); later calls still work."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class ToolFailure(Exception):
    """A failure the model should see (HTTP 404, rate limit, tool error) with its status."""

    def __init__(
        self,
        message: str,
        status: ObservationStatus = ObservationStatus.REQUEST_FAILED,
        provenance: Provenance = Provenance.NONE,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.provenance = provenance

    def __reduce__(self) -> tuple[Any, ...]:  # keeps status and provenance across processes
        return (type(self), (str(self), self.status, self.provenance))


def checked_limit(name: str, value: Any, kind: Callable[[Any], float]) -> float:
    """``value`` as a finite number > 0 (a timeout, a size), else a :class:`ConfigError` naming it.

    >>> checked_limit("timeout", "2.5", float), checked_limit("max_observation_chars", 100, int)
    (2.5, 100)
    >>> checked_limit("timeout", "nan", float)
    Traceback (most recent call last):
    ...
    toolbench.errors.ConfigError: timeout must be a finite number > 0, not 'nan'
    """
    try:
        number = None if isinstance(value, bool) else kind(value)
    except (TypeError, ValueError, OverflowError):
        number = None
    if number is None or not math.isfinite(number) or not number > 0:  # NaN and inf too: calls stay bounded
        raise ConfigError(f"{name} must be a finite number > 0, not {value!r}")
    return number


class CatalogExecutor(Executor):
    """The shared pipeline; subclasses implement :meth:`execute`.

    Options: ``timeout`` (seconds per call), ``max_observation_chars`` (observation
    length, ToolBench default 1024), ``coerce`` (repair obvious type slips).
    """

    allow_extra_arguments = True  # strict executors (Python functions) refuse unknown arguments

    def __init__(
        self,
        catalog: Catalog,
        *,
        timeout: float = 30.0,
        max_observation_chars: int = DEFAULT_MAX_CHARS,
        coerce: bool = True,
    ) -> None:
        self.catalog = catalog
        self.timeout = checked_limit("timeout", timeout, float)
        self.max_observation_chars = int(checked_limit("max_observation_chars", max_observation_chars, int))
        self.coerce = coerce
        self._counts: Counter[str] = Counter()
        self._seconds = 0.0
        self._lock = threading.Lock()
        self.secrets = secret_values()  # masked in every observation (subclasses add their own keys)

    @abc.abstractmethod
    def execute(self, api: ApiSpec, arguments: dict[str, Any]) -> tuple[Any, Provenance]:
        """Run validated ``arguments`` against ``api``: ``(response, provenance)``.

        Raise :class:`ToolFailure` (or any exception) for failures the model should see.
        """

    def call(self, call: ToolCall) -> Observation:
        start = time.perf_counter()
        try:
            observation = self._call(call)
        except Exception as exc:  # noqa: BLE001 - whatever a call does, the run goes on
            logger.warning("call %s failed unexpectedly: %s: %s", call.name, type(exc).__name__, exc)
            observation = error_observation(
                call.id, str(call.name), f"{type(exc).__name__}: {exc}", ObservationStatus.REQUEST_FAILED,
                max_chars=self.max_observation_chars,
            )
        observation = self._redact(observation)
        observation.seconds = time.perf_counter() - start
        self._record(observation)
        return observation

    def _redact(self, observation: Observation) -> Observation:
        """Mask secrets (keys echoed by an error page, say) in what the model and the files see."""
        text = observation.content + observation.error
        clean = not any(secret in text for secret in self.secrets) and not TOKEN_SHAPES.search(text)
        if clean and (observation.response is None or isinstance(observation.response, (int, float))):
            return observation
        observation.content = redact_text(observation.content, self.secrets)
        observation.error = redact_text(observation.error, self.secrets)
        observation.response = redact(observation.response, self.secrets)
        return observation

    def _call(self, call: ToolCall) -> Observation:
        limit = self.max_observation_chars
        api = self.catalog.by_function_name(call.name)
        if api is None:
            return error_observation(
                call.id, call.name, f"No such function name: {call.name}",
                ObservationStatus.NO_SUCH_FUNCTION, max_chars=limit,
            )
        try:
            arguments, notes = check_arguments(
                call.arguments, api.parameters, coerce=self.coerce, allow_extra=self.allow_extra_arguments
            )
        except ArgumentError as exc:
            return error_observation(
                call.id, call.name, f"Invalid arguments for {call.name}: {exc}",
                ObservationStatus.INVALID_INPUT, max_chars=limit,
            )
        return self._run(call, api, arguments, notes)

    def _run(self, call: ToolCall, api: ApiSpec, arguments: dict[str, Any], notes: list[str]) -> Observation:
        limit = self.max_observation_chars
        try:
            response, provenance = self.execute(api, arguments)
        except ToolFailure as exc:
            return error_observation(
                call.id, call.name, str(exc), exc.status, max_chars=limit, provenance=exc.provenance, coercions=notes
            )
        except ToolTimeout as exc:
            return error_observation(
                call.id, call.name, f"Timeout error: {exc}", ObservationStatus.TIMEOUT, max_chars=limit, coercions=notes
            )
        except Exception as exc:  # a tool that raises is the model's problem, not ours
            logger.debug("tool %s raised", call.name, exc_info=True)
            message = f"{type(exc).__name__}: {exc}"
            return error_observation(
                call.id, call.name, message, ObservationStatus.REQUEST_FAILED,
                max_chars=limit, provenance=Provenance.REAL, coercions=notes,
            )
        try:
            return ok_observation(call.id, call.name, response, provenance, max_chars=limit, coercions=notes)
        except (ValueError, TypeError, RecursionError) as exc:  # e.g. an int beyond the int->str limit
            return error_observation(
                call.id, call.name, f"the response cannot be shown: {type(exc).__name__}: {exc}",
                ObservationStatus.REQUEST_FAILED, max_chars=limit, provenance=provenance, coercions=notes,
            )

    def _record(self, observation: Observation) -> None:
        with self._lock:
            self._counts["calls"] += 1
            self._counts["ok" if observation.ok else "errors"] += 1
            if observation.ok:
                self._counts[str(observation.provenance)] += 1
            else:
                self._counts[f"status_{observation.status.name.lower()}"] += 1
            if observation.coercions:
                self._counts["coerced"] += 1
            self._seconds += observation.seconds

    def count(self, key: str, amount: int = 1) -> None:
        """Add to a per-run counter (cache hits, retries, ...)."""
        with self._lock:
            self._counts[key] += amount

    def stats(self) -> dict[str, Any]:
        with self._lock:
            out: dict[str, Any] = {k: self._counts.get(k, 0) for k in ("calls", "ok", "errors", "real", "cache")}
            out["simulated"] = self._counts.get("simulated", 0)
            out.update({k: v for k, v in self._counts.items() if k not in out})
            out["seconds"] = round(self._seconds, 6)
        return out
