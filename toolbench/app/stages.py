"""Stage directories of ``toolbench run``'s training (shared by the stages and the rounds).

A stage directory is ``<stage>-<hash of everything that shapes it>``; it is complete when
its ``stage.json`` exists (written last, atomically).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from toolbench.catalog.names import stable_hash
from toolbench.jsonutil import canonical_json

STAGE_FILE = "stage.json"
VERIFY_VERSION = 2  # in the hash of planned solution stages: verified.json follows evaluator.verify


def stage_dir(root: Path, stage: str, settings: dict[str, Any]) -> Path:
    """``root/<stage>-<hash of settings>``.

    >>> stage_dir(Path("runs/x/train"), "sft", {"paths": "ab12"}).as_posix()
    'runs/x/train/sft-b5e3fad1'
    """
    return root / f"{stage}-{stable_hash(canonical_json(settings))}"


def is_done(directory: Path) -> bool:
    """Whether a stage directory was completed (its ``stage.json`` exists)."""
    return (directory / STAGE_FILE).is_file()


def mark_done(directory: Path, summary: dict[str, Any]) -> None:
    from toolbench.store import atomic_write_json

    atomic_write_json(directory / STAGE_FILE, summary)
