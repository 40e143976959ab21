"""The ``virtual`` executor: APIs without live endpoints (the ToolBench / StableToolBench world).

Each call goes through: the content-addressed SQLite cache (:mod:`.cache`) → the optional
LLM simulator (``simulator="llm"``; its answers are cached) → the deterministic
schema-guided simulator (:mod:`.simulator`), which always answers. Provenance says which
one answered (``cache`` or ``simulated``); :meth:`VirtualExecutor.stats` counts them.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from toolbench.catalog import Catalog
from toolbench.errors import ConfigError
from toolbench.executors.base import CatalogExecutor, executors
from toolbench.executors.cache import ResponseCache
from toolbench.executors.observe import DEFAULT_MAX_CHARS
from toolbench.executors.simulator import Simulator
from toolbench.paths import cache_dir
from toolbench.types import ApiSpec, Provenance

logger = logging.getLogger(__name__)

SIMULATORS = ("deterministic", "llm")


@executors.register("virtual")
class VirtualExecutor(CatalogExecutor):
    """Cache → (LLM simulator) → deterministic simulator.

    Options: ``cache`` (SQLite path; default ``$TOOLBENCH_CACHE/virtual/responses.sqlite``,
    ``""`` for none), ``seed``, ``simulator`` (``deterministic`` or ``llm``), ``llm_model``,
    ``llm_base_url``, ``api_key_env`` (the name of the environment variable holding the key),
    ``llm_fallback`` (use the deterministic simulator when the LLM fails; default true).
    """

    def __init__(
        self,
        catalog: Catalog,
        *,
        cache: str | Path | None = None,
        seed: int = 0,
        simulator: str = "deterministic",
        llm_model: str = "",
        llm_base_url: str | None = None,
        api_key_env: str = "OPENAI_API_KEY",
        llm_fallback: bool = True,
        timeout: float = 60.0,
        max_observation_chars: int = DEFAULT_MAX_CHARS,
        coerce: bool = True,
    ) -> None:
        super().__init__(catalog, timeout=timeout, max_observation_chars=max_observation_chars, coerce=coerce)
        if simulator not in SIMULATORS:
            raise ConfigError(f"simulator must be one of {', '.join(SIMULATORS)}, not {simulator!r}")
        if cache is None:
            cache = cache_dir("virtual") / "responses.sqlite"
        self.cache = ResponseCache(cache) if cache else None
        self.simulator = Simulator(seed)
        self.llm = None
        if simulator == "llm":
            from toolbench.executors.llm_simulator import LLMSimulator

            self.llm = LLMSimulator(llm_model, base_url=llm_base_url, api_key_env=api_key_env, timeout=timeout)
        self.llm_fallback = llm_fallback

    def execute(self, api: ApiSpec, arguments: dict[str, Any]) -> tuple[Any, Provenance]:
        if self.cache is not None:
            hit = self.cache.get(api.id, arguments)
            if hit is not None:
                self.count("cache_hits")
                return hit[0], Provenance.CACHE
        if self.llm is not None:
            response = self._ask_llm(api, arguments)
            if response is not None:
                return response, Provenance.SIMULATED
        self.count("simulated_deterministic")
        return self.simulator.respond(api, arguments), Provenance.SIMULATED

    def _ask_llm(self, api: ApiSpec, arguments: dict[str, Any]) -> Any:
        examples = self.cache.examples(api.id) if self.cache is not None else []
        assert self.llm is not None
        try:
            response = self.llm.respond(api, arguments, examples)
        except Exception as exc:
            self.count("llm_failures")
            if not self.llm_fallback:
                raise
            logger.warning("LLM simulator failed for %s (%s); using the deterministic simulator", api.id, exc)
            return None
        self.count("simulated_llm")
        if self.cache is not None:
            self.cache.put(api.id, arguments, response, "llm")
        return response

    def close(self) -> None:
        if self.llm is not None:
            self.llm.close()
        if self.cache is not None:
            self.cache.close()
