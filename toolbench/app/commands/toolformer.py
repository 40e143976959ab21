"""``toolbench toolformer``: annotate texts with API calls, fine-tune on them, decode with tools.

    toolbench toolformer annotate texts.jsonl --tools calculator,calendar --model smollm2 --out cstar.jsonl
    toolbench toolformer finetune cstar.jsonl --out runs/toolformer-lora --max-steps 50
    toolbench toolformer generate --model smollm2 --adapter runs/toolformer-lora/adapter "12 x 7 ="
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import typer

from toolbench.app import common

logger = logging.getLogger(__name__)

app = typer.Typer(help="Toolformer: self-supervised API-call annotation, fine-tuning and decoding with tools.",
                  no_args_is_help=True)


def _tool_configs(tools: str, overrides: dict) -> tuple:
    from data.toolformer.config import paper_tool

    names = [t.strip() for t in tools.split(",") if t.strip()]
    return tuple(paper_tool(name, **{k: v for k, v in overrides.items() if v is not None}) for name in names)


@app.command()
def annotate(
    texts: Path = typer.Argument(..., help="JSONL with a text field (GSM8K records work) or a text file."),
    out: Path = typer.Option(..., "--out", help="Augmented corpus C* (JSONL; re-running resumes)."),
    tools: str = typer.Option("calculator", "--tools", help="Comma-separated: calculator, calendar."),
    model: str = typer.Option("smollm2", "--model", help="smollm2, a model directory or a .gguf file."),
    text_field: str = typer.Option("text", help="Field holding the text in JSONL input."),
    limit: int = typer.Option(0, min=0, help="Annotate at most this many documents (0: all)."),
    tau_s: float = typer.Option(None, "--tau-s", help="Override the sampling threshold of every tool."),
    tau_f: float = typer.Option(None, "--tau-f", help="Override the filtering threshold of every tool."),
    top_k: int = typer.Option(None, "--top-k", min=1, help="Override k (positions per document) of every tool."),
    samples: int = typer.Option(None, "--samples", help="Override m (calls sampled per position) of every tool."),
    seed: int = typer.Option(0, help="Sampling seed."),
    threads: int = typer.Option(0, help="torch CPU threads (0: torch's default)."),
    device: str = typer.Option("", help="cpu or cuda (default: CUDA when available)."),
) -> None:
    """Sample, execute and filter API calls; write the augmented corpus with per-call statistics."""
    from rich.progress import track

    from data.toolformer.annotate import annotate_document, annotated_record
    from data.toolformer.config import AnnotateConfig
    from data.toolformer.corpus import append_record, done_ids, read_documents
    from data.toolformer.scoring import CausalLM
    from data.toolformer.tools import builtin_runner
    from toolbench.config import save_config

    overrides = {"tau_s": tau_s, "tau_f": tau_f, "top_k": top_k, "samples": samples}
    config = AnnotateConfig(tools=_tool_configs(tools, overrides), seed=seed)
    documents = read_documents(texts, text_field=text_field)
    documents = documents[:limit] if limit else documents
    finished = done_ids(out)
    todo = [d for d in documents if d.id not in finished]
    save_config(out.parent, {**config.to_dict(), "model": model, "input": str(texts)}, name=f"{out.stem}.config.json")
    typer.echo(f"{len(todo)} of {len(documents)} documents to annotate ({len(finished)} already in {out})")
    if not todo:
        return
    lm = CausalLM.load(model, device=device or None, threads=threads or None)
    runner = builtin_runner(config.tools)
    kept = 0
    for document in track(todo, description="annotating"):
        record = annotated_record(annotate_document(lm, runner, document, config), config.markers)
        append_record(out, record)
        kept += len(record["calls"])
    typer.echo(f"kept {kept} call(s) in {len(todo)} document(s) → {out}")


@app.command()
def finetune(
    corpus: Path = typer.Argument(..., help="Augmented corpus C* from `toolformer annotate`."),
    out: Path = typer.Option(..., "--out", help="Output directory (adapter/, metrics.json)."),
    model: str = typer.Option("smollm2", "--model", help="Base model: smollm2, a directory, a .gguf file."),
    only_with_calls: bool = typer.Option(False, help="Train only on documents that kept a call."),
    mask_results: bool = typer.Option(False, help="No loss on tool results (the paper trains on all tokens)."),
    rank: int = common.LORA_RANK,
    lr: float = common.LEARNING_RATE,
    epochs: float = common.EPOCHS,
    max_steps: int = common.MAX_STEPS,
    batch_size: int = common.BATCH_SIZE,
    max_length: int = common.max_length_option(1024),
    seed: int = common.TRAIN_SEED,
    device: str = common.DEVICE,
) -> None:
    """LoRA fine-tuning on C* with the language-modelling objective (toolbench.training.lora)."""
    from data.toolformer.corpus import read_corpus
    from data.toolformer.finetune import corpus_examples
    from toolbench.errors import InputError
    from toolbench.models.hf_models import load_tokenizer
    from toolbench.training.lora import LoraTrainConfig, train_lora

    config = LoraTrainConfig(model=model, rank=rank, learning_rate=lr, epochs=epochs, max_steps=max_steps,
                             batch_size=batch_size, max_length=max_length, seed=seed, device=device)
    tokenizer = load_tokenizer(model)
    examples = corpus_examples(read_corpus(corpus), tokenizer, only_with_calls=only_with_calls,
                               mask_results=mask_results)
    if not examples:
        raise InputError("no documents to train on", path=str(corpus))
    metrics = train_lora(examples, config, out, tokenizer=tokenizer)
    typer.echo(f"trained {metrics.get('steps')} steps on {metrics.get('examples')} examples; "
               f"adapter → {out / 'adapter'}")


@app.command()
def generate(
    text: str = typer.Argument(..., help="The prompt to continue."),
    model: str = typer.Option("smollm2", "--model", help="smollm2, a model directory or a .gguf file."),
    adapter: Path = typer.Option(None, "--adapter", help="A LoRA adapter directory (from `toolformer finetune`)."),
    tools: str = typer.Option("calculator,calendar", "--tools", help="Tools the model may call."),
    top_k: int = typer.Option(10, "--top-k", min=1, help="Start a call when '[' is among the top k tokens."),
    max_new_tokens: int = typer.Option(64, help="Tokens to generate."),
    max_calls: int = typer.Option(1, help="Calls per output."),
    date: str = typer.Option("", help="The calendar's date (YYYY-MM-DD; default today)."),
    as_json: bool = typer.Option(False, "--json", help="Print the text and calls as JSON."),
) -> None:
    """Greedy decoding with tool calls executed at '->'."""
    from data.toolformer.config import DecodeConfig
    from data.toolformer.decoding import generate_with_tools
    from data.toolformer.scoring import CausalLM
    from data.toolformer.tools import builtin_runner

    lm = CausalLM.load(model, adapter=str(adapter) if adapter else None)
    runner = builtin_runner(_tool_configs(tools, {}))
    config = DecodeConfig(top_k=top_k, max_new_tokens=max_new_tokens, max_calls=max_calls)
    result = generate_with_tools(lm, runner, text, config, context={"date": date} if date else None)
    if as_json:
        typer.echo(json.dumps({"prompt": text, "text": result.text, "calls": result.calls}, ensure_ascii=False))
    else:
        typer.echo(text + result.text)


def register(root: typer.Typer) -> None:
    """Add ``toolbench toolformer ...`` to ``root``."""
    root.add_typer(app, name="toolformer")
