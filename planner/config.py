"""Planner configuration (frozen, validated)."""

from __future__ import annotations

from dataclasses import dataclass

from toolbench.config import Config, require


@dataclass(frozen=True)
class PlannerConfig(Config):
    """How one query is searched.

    - ``method``: a registered algorithm (``dfsdt``, ``cot``).
    - ``width``: DFSDT children per state (ToolBench ``tree_beam_size``, 2 in ``DFS_woFilter_w2``).
    - ``max_llm_calls``: the LLM-call budget per query (ToolBench ``max_query_count``, 200).
    - ``max_actions``: replies per path (our depth unit; 0 = no limit).
    - ``toolbench_depth``: ToolBench's node-depth limit (``single_chain_max_step``: a thought
      counts 1, a call 2); 0 = off. Set it to 12 (and ``max_actions`` to 0) for ToolBench runs.
    - ``n_chains``: CoT@n.
    - ``prompt``: prompt variant (``toolbench``, ``stabletoolbench``, ``default`` or ``compact``).
    - ``max_backend_errors``: consecutive LLM failures after which a query is abandoned.
    - ``dead_end_backtrack``: levels a DFSDT dead end goes back (1 as in ToolBench's code;
      2 as in an earlier revision that made some of ToolBench's recorded trees).
    - ``seed``: seeds every random choice (e.g. which give-up path is reported).
    """

    method: str = "dfsdt"
    width: int = 2
    max_llm_calls: int = 200
    max_actions: int = 6
    toolbench_depth: int = 0
    n_chains: int = 1
    prompt: str = "toolbench"
    max_backend_errors: int = 3
    temperature: float | None = None
    dead_end_backtrack: int = 1
    seed: int = 0

    def validate(self) -> None:
        require(self.width >= 1, "width must be >= 1")
        require(self.max_llm_calls >= 1, "max_llm_calls must be >= 1")
        require(self.max_actions >= 0 and self.toolbench_depth >= 0, "depth limits must be >= 0")
        require(self.max_actions > 0 or self.toolbench_depth > 0, "set max_actions or toolbench_depth (or both)")
        require(self.n_chains >= 1, "n_chains must be >= 1")
        require(self.prompt in ("toolbench", "stabletoolbench", "default", "compact"),
                "prompt must be 'toolbench', 'stabletoolbench', 'default' or 'compact'")
        require(self.max_backend_errors >= 1, "max_backend_errors must be >= 1")
        require(self.dead_end_backtrack in (1, 2), "dead_end_backtrack must be 1 or 2")

    @property
    def method_label(self) -> str:
        """ToolBench's name for the method (used in answer file names).

        >>> PlannerConfig().method_label, PlannerConfig(method="cot", n_chains=3).method_label
        ('DFS_woFilter_w2', 'CoT@3')
        """
        if self.method == "dfsdt":
            return f"DFS_woFilter_w{self.width}"
        if self.method == "cot":
            return f"CoT@{self.n_chains}"
        return self.method
