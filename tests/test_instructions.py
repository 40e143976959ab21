"""Instruction generation with a scripted model, and the built-in template generator."""

from __future__ import annotations

import json
import random

import pytest

from data.builtin_templates import generate_builtin_instructions
from data.instructions import (
    InstructionConfig,
    build_prompt,
    generate_instructions,
    sample_apis,
    toolbench_query,
    write_queries,
)
from toolbench.builtin_world import builtin_catalog
from toolbench.catalog.queries import load_queries
from toolbench.errors import ConfigError
from toolbench.models.scripted import ScriptedModel


@pytest.fixture(scope="module")
def catalog():
    return builtin_catalog()


def reply(items) -> dict:
    return {"content": "Here you go:\n```json\n" + json.dumps(items) + "\n```"}


def test_sampling_modes_follow_toolllm(catalog):
    rng = random.Random(0)
    for _ in range(20):
        single = sample_apis(catalog, InstructionConfig(mode="single"), rng)
        assert len({catalog.get(a).tool for a in single}) == 1 and 1 <= len(single) <= 3
        same = sample_apis(catalog, InstructionConfig(mode="category"), rng)
        assert len({catalog.get(a).category for a in same}) == 1 and len({catalog.get(a).tool for a in same}) >= 2
        cross = sample_apis(catalog, InstructionConfig(mode="cross"), rng)
        assert len({catalog.get(a).category for a in cross}) >= 2
    assert sample_apis(catalog, InstructionConfig(seed=1), random.Random(1)) == sample_apis(
        catalog, InstructionConfig(seed=1), random.Random(1))


def test_prompt_lists_sampled_apis_and_seeds(catalog):
    config = InstructionConfig(mode="cross", per_prompt=4)
    apis = sample_apis(catalog, config, random.Random(3))
    prompt = build_prompt(catalog, apis, config, [{"query": "SEED EXAMPLE", "related_apis": [["T", "a"]]}])
    for api_id in apis:
        assert f'"api_name": "{catalog.get(api_id).name}"' in prompt
    assert "SEED EXAMPLE" in prompt and "Write 4 diverse requests" in prompt and "at least 2 of the APIs" in prompt


def test_validation_rejects_hallucinated_and_duplicate(catalog, tmp_path):
    config = InstructionConfig(mode="single", prompts=1, per_prompt=5, seed=7)
    sampled = sample_apis(catalog, config, random.Random(config.seed))
    api = catalog.get(sampled[0])
    good = [api.tool, api.name]
    items = [
        {"query": "First good request about numbers 12 and 7", "related_apis": [good]},
        {"query": "A request using an invented API", "related_apis": [[api.tool, "teleport_user"]]},
        {"query": "first GOOD request about numbers 12 and 7!", "related_apis": [good]},  # duplicate text
        {"query": "Same API listed twice", "related_apis": [good, good]},
        {"query": "Uses an API that exists but was not offered", "related_apis": [["Countries", "country_info"]]
         if api.tool != "Countries" else [["Calculator", "calculator"]]},
        {"query": "", "related_apis": [good]},
        {"query": "Second good request, by function name", "related_apis": [catalog.function_name(api.id)]},
    ]
    model = ScriptedModel(replies=[reply(items)])
    result = generate_instructions(model, catalog, config)
    assert [q.query for q in result.queries] == [items[0]["query"], items[6]["query"]]
    assert all(q.relevant_api_ids == [api.id] and q.api_ids == sampled and q.group == "G1" for q in result.queries)
    assert result.rejected == {"hallucinated API": 2, "duplicate query": 1, "duplicate API": 1, "empty query": 1}
    paths = write_queries(tmp_path, result.queries, catalog)
    assert [q.query for q in load_queries(paths[0])] == [q.query for q in result.queries]
    toolbench = json.loads(paths[1].read_text())
    assert toolbench[0]["relevant APIs"] == [[api.tool, api.name]] and toolbench[0]["api_list"][0]["api_name"]
    assert toolbench_query(result.queries[0], catalog)["query_id"] == result.queries[0].query_id


def test_multi_tool_needs_two_apis_and_unparsable_reply_counts(catalog):
    config = InstructionConfig(mode="category", prompts=2, per_prompt=2, seed=2)
    sampled = sample_apis(catalog, config, random.Random(config.seed))
    first, second = (catalog.get(a) for a in sampled[:2])
    items = [{"query": "needs one", "related_apis": [[first.tool, first.name]]},
             {"query": "needs two", "related_apis": [[first.tool, first.name], [second.tool, second.name]]}]
    model = ScriptedModel(replies=[reply(items), {"content": "I cannot help with that."}])
    result = generate_instructions(model, catalog, config)
    assert [q.query for q in result.queries] == ["needs two"]
    assert result.rejected == {"fewer than 2 related APIs": 1, "unparsable reply": 1}


def test_bad_config_raises():
    with pytest.raises(ConfigError):
        InstructionConfig(mode="everything")


def test_builtin_templates_are_deterministic_with_disjoint_splits(catalog):
    first = generate_builtin_instructions({"G1": 20, "G2": 6, "G3": 6}, seed=3, catalog=catalog)
    again = generate_builtin_instructions({"G1": 20, "G2": 6, "G3": 6}, seed=3, catalog=catalog)
    assert [q.to_dict() for q in first["train"]] == [q.to_dict() for q in again["train"]]
    train, held = first["train"], first["heldout"]
    assert len(train) + len(held) == 32 and len(held) == 6 + 2 + 2
    assert not {q.query for q in train} & {q.query for q in held}
    for query in train + held:
        calls = query.extra["gold_calls"]
        assert len(calls) == 1 if query.group == "G1" else 2 <= len(calls) <= 3
        apis = [catalog.by_function_name(c["name"]) for c in calls]
        assert [a.id for a in apis] == query.relevant_api_ids and set(query.relevant_api_ids) <= set(query.api_ids)
        assert len({a.tool for a in apis}) == len(apis)  # one call per tool
        if query.group == "G2":
            assert len({a.category for a in apis}) == 1
        if query.group == "G3":
            assert len({a.category for a in apis}) == len(apis)
        assert query.expected_answer is not None


def test_instructions_command_with_a_scripted_model(tmp_path, catalog):
    from toolbench.app.cli import main

    config = InstructionConfig(mode="single", prompts=1, per_prompt=2, seed=4)
    api = catalog.get(sample_apis(catalog, config, random.Random(4))[0])
    items = [{"query": "A valid request", "related_apis": [[api.tool, api.name]]},
             {"query": "An invented one", "related_apis": [[api.tool, "no_such_api"]]}]
    replies = tmp_path / "replies.jsonl"
    replies.write_text(json.dumps({"schema_version": 1, **reply(items)}) + "\n")
    out = tmp_path / "gen"
    assert main(["data", "instructions", "--model", f"scripted:{replies}", "--out", str(out), "--prompts", "1",
                 "--per-prompt", "2", "--seed", "4"]) == 0
    assert [q.query for q in load_queries(out / "queries.jsonl")] == ["A valid request"]
    assert json.loads((out / "generation_stats.json").read_text())["rejected"] == {"hallucinated API": 1}


def test_every_tool_visits_each_tool_once(catalog):
    tools = sorted(catalog.tools())
    config = InstructionConfig(mode="single", prompts=len(tools), every_tool=True, apis_per_tool=2)
    rng = random.Random(0)
    visited = [{(catalog.get(a).category, catalog.get(a).tool) for a in sample_apis(catalog, config, rng, n)}
               for n in range(len(tools))]
    assert visited == [{tool} for tool in tools]
    with pytest.raises(ConfigError):
        InstructionConfig(mode="category", every_tool=True)


def test_instructions_rerun_replays_finished_prompts_from_the_cache(tmp_path, catalog):
    """The command caches LLM calls in OUT, so an interrupted run restarted costs no repeated calls."""
    from toolbench.app.cli import main

    tools = catalog.tools()
    replies = tmp_path / "replies.jsonl"

    def script(text: str) -> None:
        lines = []
        for key in sorted(tools):  # every API of the tool: those not sampled are rejected as hallucinated
            items = [{"query": f"{text} {a.id}", "related_apis": [[a.tool, a.name]]} for a in tools[key]]
            lines.append(json.dumps({"schema_version": 1, **reply(items)}))
        replies.write_text("\n".join(lines) + "\n")

    out = tmp_path / "gen"
    args = ["data", "instructions", "--model", f"scripted:{replies}", "--out", str(out), "--every-tool",
            "--prompts", "0", "--per-prompt", "1", "--seeds", str(tmp_path / "seeds.json")]
    (tmp_path / "seeds.json").write_text("[]")
    script("first run")
    assert main(args) == 0
    first = load_queries(out / "queries.jsonl")
    assert {(catalog.get(q.relevant_api_ids[0]).category, catalog.get(q.relevant_api_ids[0]).tool)
            for q in first} == set(tools)
    assert all(q.query.startswith("first run") for q in first)
    script("second run")  # a changed script is never asked: every prompt is answered from the cache
    assert main(args) == 0
    assert [q.query for q in load_queries(out / "queries.jsonl")] == [q.query for q in first]
