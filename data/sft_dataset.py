"""Solution paths → an SFT dataset folder (what ``toolbench data sft`` writes).

::

    OUT/
      sft.jsonl          one multi-turn chat example per kept path (see data.sft)
      toolllama.json     the same as ToolLLaMA conversations (optional)
      trl.jsonl          the same in TRL's conversational tool format (optional, see data.trl_format)
      sft_stats.json     examples, assistant turns, dropped paths by reason, the input runs
      sft_config.json    the SftConfig used

Runs may be in any format :func:`toolbench.store.run_io.read_run` reads. The folder is
written streaming: trajectories are read one at a time (:func:`~toolbench.store.run_io.iter_run`)
into ``sft.jsonl``, and the other files are converted from it one example at a time, so memory
stays flat in the number of paths.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from data.sft import SftConfig, iter_examples, keep_trajectory, trajectory_to_example, write_examples
from data.toolllama import to_toolllama
from data.trl_format import write_trl
from toolbench.config import save_config
from toolbench.store import atomic_write_json
from toolbench.store.files import atomic_write_lines, json_array_chunks
from toolbench.store.run_io import iter_run


def unique_ids(examples: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """The examples one at a time, their ids made unique (``#2``, ``#3`` ... on repeats).

    >>> [e["id"] for e in unique_ids([{"id": "a"}, {"id": "a"}, {"id": "b"}, {"id": "a"}])]
    ['a', 'a#2', 'b', 'a#3']
    """
    seen: dict[str, int] = {}
    for example in examples:
        count = seen.get(example["id"], 0) + 1
        seen[example["id"]] = count
        if count > 1:
            example["id"] = f"{example['id']}#{count}"
        yield example


def _examples(runs: Sequence[Path], config: SftConfig, fmt: str, stats: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The kept paths of ``runs`` as examples, streamed; counts go into ``stats``."""
    for run in runs:
        source = run.name or str(run)
        for trajectory in iter_run(run, fmt):
            reason = keep_trajectory(trajectory, config)
            if reason:
                stats["dropped"][reason] = stats["dropped"].get(reason, 0) + 1
                continue
            example = trajectory_to_example(trajectory, source=source, drop_system=config.drop_system)
            stats["examples"] += 1
            stats["assistant_turns"] += sum(1 for m in example["messages"] if m["role"] == "assistant")
            yield example


def build_sft_dataset(runs: Sequence[str | Path], out: str | Path, config: SftConfig, *, fmt: str = "auto",
                      toolllama: bool = True, trl: bool = False) -> dict[str, Any]:
    """Convert the paths of ``runs`` into the dataset folder ``out``; returns the statistics."""
    out = Path(out)
    paths = [Path(r) for r in runs]
    stats: dict[str, Any] = {"examples": 0, "dropped": {}, "runs": [str(r) for r in runs], "assistant_turns": 0}
    sft_file = write_examples(out, unique_ids(_examples(paths, config, fmt, stats)))
    if toolllama:
        atomic_write_lines(out / "toolllama.json", json_array_chunks(to_toolllama(e) for e in iter_examples(sft_file)))
    if trl:
        write_trl(out, iter_examples(sft_file))
    atomic_write_json(out / "sft_stats.json", stats)
    save_config(out, config, "sft_config.json")
    return stats
