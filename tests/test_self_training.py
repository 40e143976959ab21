"""Self-training: `toolbench data solutions` (plan + verify) and [train] rounds (fresh instructions,
the student of the round before plans them, verified paths join the data), with a replaying student."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from data.gold_paths import answer_text, final_answer
from toolbench.app.cli import main
from toolbench.app.rounds import fresh_instructions, round_counts
from toolbench.app.stages import stage_dir
from toolbench.app.training import Trainer, TrainSection
from toolbench.catalog.names import stable_hash
from toolbench.jsonutil import canonical_json
from toolbench.models import backends
from toolbench.models.base import ChatModel
from toolbench.types import AssistantMessage, Message, Query, ToolCall, Usage

KNOWN: dict[str, Query] = {}


def remember(queries: list[Query]) -> None:
    KNOWN.update({q.query: q for q in queries})


def liar(query: Query) -> bool:
    """Every third instruction is answered from thin air (the right value, no tool call)."""
    return int(stable_hash(query.query), 16) % 3 == 0


@backends.register("replay-test")
class ReplayModel(ChatModel):
    """Replays the gold calls of the instruction it is shown, then gives the gold answer;
    a liar instruction gets the expected answer at once, without any call."""

    def __init__(self, name: str = "", **options: Any) -> None:
        self.name, self.options, self.calls = name or "replay", options, 0

    def generate(self, messages: list[Message], tools: list[dict[str, Any]] | None = None,
                 **opts: Any) -> AssistantMessage:
        self.calls += 1
        user = next(m.content or "" for m in messages if m.role == "user")
        query = next(q for text, q in KNOWN.items() if text in user)
        turn = sum(m.role == "assistant" for m in messages)
        gold = query.extra["gold_calls"]
        usage = Usage(llm_calls=1, prompt_tokens=50, completion_tokens=5)
        lies = liar(query) or bool(self.options.get("lie"))
        if turn < len(gold) and not lies:
            return AssistantMessage(None, [ToolCall(f"c{turn}", gold[turn]["name"], gold[turn]["arguments"])],
                                    usage=usage)
        answer = answer_text(query.expected_answer) if lies else final_answer(query, [])
        return AssistantMessage(None, [ToolCall("fin", "Finish", {"return_type": "give_answer",
                                                                  "final_answer": answer})], usage=usage)


def templates(tmp_path: Path, g1: int = 6, g2: int = 3) -> Path:
    out = tmp_path / "instr"
    assert main(["data", "templates", "--out", str(out), "--g1", str(g1), "--g2", str(g2), "--g3", "0",
                 "--heldout", "0"]) == 0
    return out / "train.jsonl"


def test_data_solutions_keeps_only_verified_paths_with_reasons(tmp_path: Path) -> None:
    from toolbench.catalog.queries import load_queries

    train = templates(tmp_path)
    queries = load_queries(train)
    remember(queries)
    out = tmp_path / "solutions"
    assert main(["data", "solutions", str(train), "--model", "replay-test:x", "--method", "dfsdt",
                 "--max-llm-calls", "8", "--out", str(out)]) == 0
    record = json.loads((out / "verified.json").read_text())
    liars = {q.query_id for q in queries if liar(q)}
    assert liars and set(record["kept"]) == {q.query_id for q in queries} - liars
    assert all(record["reasons"][q] == "no successful tool call" for q in liars)
    assert record["counts"]["kept_by"] == {"exact+grounded": len(queries) - len(liars)}
    assert record["llm_calls"] > 0 and record["instructions"] == len(queries)
    kept = [json.loads(p.read_text()) for p in (out / "verified" / "results").glob("*.json")]
    assert sorted(t["query_id"] for t in kept) == sorted(record["kept"])
    assert {t["config"]["verified"] for t in kept} == {"exact+grounded"}
    # a rerun resumes: nothing is planned again, the record is the same
    assert main(["data", "solutions", str(train), "--model", "replay-test:x", "--max-llm-calls", "8",
                 "--out", str(out)]) == 0
    assert json.loads((out / "verified.json").read_text())["kept"] == record["kept"]


def test_round_counts_and_fresh_instructions() -> None:
    assert round_counts({"G1": 200, "G2": 250, "G3": 250}, 24) == {"G1": 7, "G2": 9, "G3": 8}
    assert sum(round_counts({"G1": 1, "G2": 1, "G3": 1}, 10).values()) == 10
    old = Query("a", "Is 7 prime?", group="G1", extra={"gold_calls": [{"name": "is_prime", "arguments": {"n": 7}}]})
    same_calls = Query("b", "Tell me whether 7 is prime.", group="G1", extra=dict(old.extra))
    same_text = Query("c", "is 7 prime", group="G1", extra={"gold_calls": [{"name": "x"}]})
    new = [Query(f"n{i}", f"Is {i} prime?", group="G1", extra={"gold_calls": [{"name": "is_prime",
                                                                             "arguments": {"n": i}}]})
           for i in (11, 13, 17)]
    fresh = fresh_instructions([same_calls, same_text, *new], [old], {"G1": 2}, 3)
    assert [q.query_id for q in fresh] == ["r3-n11", "r3-n13"] and fresh[0].extra["round"] == 3


def fake_lora(self: Trainer, sft: Path, root: Path | None = None) -> Path:
    """The LoRA stage without training: same directory naming, an adapter folder, metrics."""
    directory = stage_dir(root or self.root, "lora", {"sft": sft.name})
    (directory / "adapter").mkdir(parents=True, exist_ok=True)
    examples = len((sft / "sft.jsonl").read_text().splitlines())
    (directory / "metrics.json").write_text(json.dumps({"examples": examples}))
    (directory / "stage.json").write_text(json.dumps({"examples": examples}))
    return directory


@pytest.fixture
def trainer_parts(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    from toolbench.builtin_world import builtin_catalog, builtin_executor

    students: list[ReplayModel] = []

    def load_student(spec: str, **options: Any) -> ReplayModel:
        students.append(ReplayModel(spec, **options))
        return students[-1]

    import toolbench.models

    monkeypatch.setattr(toolbench.models, "load_chat_model", load_student)
    monkeypatch.setattr(Trainer, "lora", fake_lora)
    catalog = builtin_catalog()
    return {"catalog": catalog, "executor": builtin_executor(catalog), "students": students}


def make_trainer(parts: dict[str, Any], root: Path, options: dict[str, Any] | None = None, **section: Any) -> Trainer:
    settings = {"counts": {"G1": 4, "G2": 2}, "solver": {"method": "dfsdt", "max_llm_calls": 8}, **section}
    return Trainer(TrainSection.from_dict(settings), root, parts["catalog"], parts["executor"], None, k=5,
                   prompt="toolbench", model_spec="hf:smollm2", model_options=options or {"max_new_tokens": 64})


def test_rounds_plan_fresh_instructions_with_the_last_student_and_grow_the_data(tmp_path: Path,
                                                                                trainer_parts: dict[str, Any]) -> None:
    from toolbench.catalog.queries import load_queries

    original = stage_dir  # round 0's names are the pre-rounds formulas (the shipped adapter's stages)
    plain = make_trainer(trainer_parts, tmp_path / "train").run()
    assert not trainer_parts["students"]
    instructions = plain.stages["instructions"]
    exclude = stable_hash(canonical_json([]))
    assert instructions == original(tmp_path / "train", "instructions", {
        "source": "templates", "counts": {"G1": 4, "G2": 2}, "seed": 0, "exclude": exclude})
    assert plain.stages["solutions"] == original(tmp_path / "train", "solutions", {
        "instructions": instructions.name, "source": "gold", "k": 5, "prompt": "toolbench", "index": "none",
        "thoughts": "plan"})

    for path in [instructions, *(tmp_path / "train").glob("round-*/instructions-*")]:
        remember(load_queries(path / "train.jsonl"))
    trainer = make_trainer(trainer_parts, tmp_path / "train", rounds=2, round_instructions=5)
    # the rounds' instructions must be known to the replaying student before it plans them
    for number in (1, 2):
        earlier = [instructions] + sorted((tmp_path / "train").glob("round-[1-9]/instructions-*"))[: number - 1]
        remember(load_queries(trainer.round_instructions(number, tmp_path / "train" / f"round-{number}", earlier)
                              / "train.jsonl"))
    student = trainer.run()
    for name in ("instructions", "solutions", "sft", "lora"):
        assert student.stages[name] == plain.stages[name]  # round 0 reused as it was
    rounds = json.loads((tmp_path / "train" / "rounds.json").read_text())
    assert [r["round"] for r in rounds] == [0, 1, 2]
    texts = [{q.query for q in load_queries(student.stages[key] / "train.jsonl")}
             for key in ("instructions", "round-1/instructions", "round-2/instructions")]
    assert all(len(t) == 5 for t in texts[1:])
    assert not (texts[0] & texts[1] or texts[0] & texts[2] or texts[1] & texts[2])
    # round k's student is the base model with round k-1's adapter
    adapters = [Path(s.options["adapter"]).parent for s in trainer_parts["students"]]
    assert adapters == [student.stages["lora"], student.stages["round-1/lora"]]
    assert all(s.options["max_new_tokens"] == 64 for s in trainer_parts["students"])
    verified = [rounds[n]["solutions"]["verified"] for n in (1, 2)]
    assert rounds[1]["sft"]["examples"] == rounds[0]["sft"]["examples"] + verified[0]
    assert rounds[2]["sft"]["examples"] == rounds[0]["sft"]["examples"] + sum(verified)
    assert 0 < verified[0] < 5 and rounds[1]["solutions"]["counts"]["rejected_by"]
    assert student.adapter == student.stages["round-2/lora"] / "adapter"

    # resumable: a rerun plans nothing and returns the same stages
    calls = sum(s.calls for s in trainer_parts["students"])
    again = make_trainer(trainer_parts, tmp_path / "train", rounds=2, round_instructions=5).run()
    assert again.stages == student.stages and sum(s.calls for s in trainer_parts["students"]) == calls
    # search-only data: no gold paths after round 0
    search = make_trainer(trainer_parts, tmp_path / "train", rounds=1, round_instructions=5, round_data="search").run()
    searched = json.loads((search.stages["round-1/sft"] / "stage.json").read_text())["examples"]
    assert searched == verified[0] and search.stages["round-1/solutions"] == student.stages["round-1/solutions"]


def test_a_round_that_verifies_nothing_keeps_the_student_it_had(tmp_path: Path, trainer_parts: dict[str, Any]) -> None:
    from toolbench.catalog.queries import load_queries

    trainer = make_trainer(trainer_parts, tmp_path / "train", {"lie": True}, rounds=1, round_instructions=3)
    first = trainer.instructions()
    remember(load_queries(trainer.round_instructions(1, tmp_path / "train" / "round-1", [first]) / "train.jsonl"))
    student = trainer.run()
    rounds = json.loads((tmp_path / "train" / "rounds.json").read_text())
    assert rounds[1]["solutions"]["verified"] == 0
    assert rounds[1]["solutions"]["counts"]["rejected_by"] == {"no successful tool call": 3}
    assert student.stages["round-1/lora"] == student.stages["lora"] and student.adapter.parent == student.stages["lora"]
