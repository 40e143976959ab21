"""Fine-tune a Sentence-BERT retriever with MultipleNegativesRankingLoss and hard negatives.

Output directory layout (``OUT``)::

    OUT/model/           the fine-tuned encoder, sentence-transformers format (use as --encoder)
    OUT/checkpoints/     trainer checkpoints; a re-run resumes from the latest one
    OUT/train_config.json  TrainConfig + library versions
    OUT/train_summary.json counts (pairs, triplets, skipped APIs), seconds

Seeded (Python, NumPy, torch and the trainer's shuffling), resumable, CPU-friendly.
"""

from __future__ import annotations

import dataclasses
import logging
import shutil
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from retriever.encoders import DEFAULT_ENCODER, offline_env, resolve_model_dir
from retriever.index_store import staged_directory
from retriever.training_data import Pair, Triplet, make_triplets, query_pairs
from toolbench.catalog import Catalog
from toolbench.config import Config, require, save_config
from toolbench.errors import InputError
from toolbench.models.hf_models import warmup_argument
from toolbench.store import atomic_write_json
from toolbench.types import Query

logger = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class TrainConfig(Config):
    """Retriever training settings (defaults fit a couple of CPU minutes on ~300 queries)."""

    base_model: str = DEFAULT_ENCODER
    epochs: float = 2.0
    batch_size: int = 32
    learning_rate: float = 5e-5
    warmup_ratio: float = 0.1
    max_seq_length: int = 96
    negatives: int = 1  # hard negatives per pair (>= 1)
    negative_pool: int = 30
    seed: int = 0
    save_steps: int = 20
    max_steps: int = -1

    def validate(self) -> None:
        require(self.epochs > 0 and self.batch_size >= 2, "epochs must be > 0 and batch_size >= 2")
        require(0 < self.learning_rate < 1 and 0 <= self.warmup_ratio < 1, "bad learning rate / warmup")
        require(self.max_seq_length >= 16 and self.negatives >= 1 and self.negative_pool >= 1, "bad lengths")
        require(self.save_steps >= 1, "save_steps must be >= 1")


def _dataset(triplets: Sequence[Triplet]) -> Any:
    from datasets import Dataset

    return Dataset.from_dict({
        "anchor": [t.anchor for t in triplets],
        "positive": [t.positive for t in triplets],
        "negative": [t.negative for t in triplets],
    })


def _seed_everything(seed: int) -> None:
    import random

    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def _latest_checkpoint(directory: Path) -> str | None:
    found = sorted(directory.glob("checkpoint-*"), key=lambda p: int(p.name.split("-")[-1]))
    return str(found[-1]) if found else None


def train_retriever(
    queries: Sequence[Query], catalog: Catalog, out_dir: str | Path, config: TrainConfig | None = None,
    *, extra_pairs: Sequence[Pair] = (),
) -> Path:
    """Fine-tune ``config.base_model`` on ``queries`` (+ ``extra_pairs``); returns ``OUT/model``.

    ``extra_pairs`` is the seam for pseudo-queries (:func:`retriever.training_data.read_pseudo_queries`).
    """
    config = config or TrainConfig()
    out = Path(out_dir)
    started = time.monotonic()
    pairs, missing = query_pairs(queries, catalog)
    pairs += list(extra_pairs)
    if not pairs:
        raise InputError("no training pairs: the queries name no API of the catalog")
    triplets = make_triplets(pairs, catalog, config.seed, negatives=config.negatives, pool=config.negative_pool)
    out.mkdir(parents=True, exist_ok=True)
    save_config(out, config, name="train_config.json")
    model = _fit(triplets, out, config)
    with staged_directory(out / "model", marker="modules.json") as staging:
        model.save(str(staging))
    summary = {"pairs": len(pairs), "triplets": len(triplets), "missing_relevant_apis": missing,
               "seconds": round(time.monotonic() - started, 1), "base_model": config.base_model}
    atomic_write_json(out / "train_summary.json", summary)
    logger.info("trained retriever saved to %s (%s)", out / "model", summary)
    return out / "model"


def _fit(triplets: Sequence[Triplet], out: Path, config: TrainConfig) -> Any:
    offline_env()
    from sentence_transformers import (
        SentenceTransformer,
        SentenceTransformerTrainer,
        SentenceTransformerTrainingArguments,
    )
    from sentence_transformers.losses import MultipleNegativesRankingLoss
    from sentence_transformers.training_args import BatchSamplers

    _seed_everything(config.seed)
    model = SentenceTransformer(str(resolve_model_dir(config.base_model)), device="cpu", local_files_only=True)
    model.max_seq_length = config.max_seq_length
    data = _dataset(triplets)
    args = SentenceTransformerTrainingArguments(
        output_dir=str(out / "checkpoints"), num_train_epochs=config.epochs, max_steps=config.max_steps,
        per_device_train_batch_size=config.batch_size, learning_rate=config.learning_rate,
        **warmup_argument(config.warmup_ratio), seed=config.seed, data_seed=config.seed,
        batch_sampler=BatchSamplers.NO_DUPLICATES, save_strategy="steps", save_steps=config.save_steps,
        save_total_limit=2, logging_steps=10, report_to=[], use_cpu=True, dataloader_num_workers=0,
        disable_tqdm=True,
    )
    trainer = SentenceTransformerTrainer(
        model=model, args=args, train_dataset=data, loss=MultipleNegativesRankingLoss(model)
    )
    resume = _latest_checkpoint(out / "checkpoints")
    if resume:
        logger.info("resuming training from %s", resume)
    trainer.train(resume_from_checkpoint=resume)
    return model


def clear_checkpoints(out_dir: str | Path) -> None:
    """Delete ``OUT/checkpoints`` (after a finished run, to save disk)."""
    shutil.rmtree(Path(out_dir) / "checkpoints", ignore_errors=True)
