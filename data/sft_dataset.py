"""Solution paths → an SFT dataset folder (what ``toolbench data sft`` writes).

::

    OUT/
      sft.jsonl          one multi-turn chat example per kept path (see data.sft)
      toolllama.json     the same as ToolLLaMA conversations (optional)
      trl.jsonl          the same in TRL's conversational tool format (optional, see data.trl_format)
      sft_stats.json     examples, assistant turns, dropped paths by reason, the input runs
      sft_config.json    the SftConfig used

Runs may be in any format :func:`toolbench.store.run_io.read_run` reads.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from data.sft import SftConfig, trajectories_to_examples, write_examples
from data.toolllama import to_toolllama
from data.trl_format import write_trl
from toolbench.config import save_config
from toolbench.store import atomic_write_json
from toolbench.store.run_io import read_run


def unique_ids(examples: list[dict[str, Any]]) -> None:
    """Make example ids unique (``#2``, ``#3`` ... on repeats).

    >>> examples = [{"id": "a"}, {"id": "a"}, {"id": "b"}, {"id": "a"}]
    >>> unique_ids(examples); [e["id"] for e in examples]
    ['a', 'a#2', 'b', 'a#3']
    """
    seen: dict[str, int] = {}
    for example in examples:
        count = seen.get(example["id"], 0) + 1
        seen[example["id"]] = count
        if count > 1:
            example["id"] = f"{example['id']}#{count}"


def build_sft_dataset(runs: Sequence[str | Path], out: str | Path, config: SftConfig, *, fmt: str = "auto",
                      toolllama: bool = True, trl: bool = False) -> dict[str, Any]:
    """Convert the paths of ``runs`` into the dataset folder ``out``; returns the statistics."""
    out = Path(out)
    examples: list[dict[str, Any]] = []
    dropped: dict[str, int] = {}
    for run in map(Path, runs):
        found, lost = trajectories_to_examples(read_run(run, fmt), config, source=run.name or str(run))
        examples += found
        for reason, count in lost.items():
            dropped[reason] = dropped.get(reason, 0) + count
    unique_ids(examples)
    write_examples(out, examples)
    if toolllama:
        atomic_write_json(out / "toolllama.json", [to_toolllama(e) for e in examples])
    if trl:
        write_trl(out, examples)
    stats = {"examples": len(examples), "dropped": dropped, "runs": [str(r) for r in runs],
             "assistant_turns": sum(1 for e in examples for m in e["messages"] if m["role"] == "assistant")}
    atomic_write_json(out / "sft_stats.json", stats)
    save_config(out, config, "sft_config.json")
    return stats
