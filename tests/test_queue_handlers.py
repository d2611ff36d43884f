"""The reference handlers: deterministic, labelled, and clear about bad parameters."""

from __future__ import annotations

from typing import Any

import pytest

from axonql.agent.client import AgentClient, Task
from axonql.agent.control import TaskControl
from axonql.agent.handlers import HANDLERS, PermanentFailure, pick
from axonql.agent.worker import UnhandledCapabilities, Worker, WorkerOptions
from axonql.cli import REFERENCE_CAPABILITIES


def _task(kind: str, parameters: dict[str, Any], caps: list[str] | None = None) -> Task:
    return Task(
        id="task_x",
        name="t",
        type=kind,
        status="RUNNING",
        parameters=parameters,
        required_capabilities=caps or [],
        attempts=1,
    )


async def _run(kind: str, parameters: dict[str, Any]) -> dict[str, Any]:
    # progress reports go to a closed port: they fail quietly and the handler carries on
    client = AgentClient("http://127.0.0.1:9/graphql", "axk.none.none", timeout=0.2)
    try:
        result = await HANDLERS[kind](TaskControl(client, "task_x", 60), _task(kind, parameters))
    finally:
        await client.close()
    return result


CASES: dict[str, dict[str, Any]] = {
    "text_processing": {"text": "Hello brave new world", "operations": ["word_count", "reverse"]},
    "batch_processing": {"items": [1, 2, 3, 4, 5], "batch_size": 2, "operation": "square"},
    "process_batch": {"inputs": [{"input_data": "First input", "input_type": "text"}]},
    "training": {"epochs": 4, "learning_rate": 0.01, "seed": 3},
    "drift_simulation": {"experimental_condition": "TRAUMA", "duration_days": 14, "seed": 1},
    "matriz": {"input": "Explain quantum entanglement in simple terms"},
    "matriz_stage": {"stage": "risk", "input_data": {"text": "how to hack a password"}},
    "reasoning": {"query": "What if gravity was 10% stronger?", "depth": "deep"},
    "causal_inference": {
        "observations": [{"event": "rain", "timestamp": "1"}, {"event": "wet", "timestamp": "2"}],
        "hypothesis": "rain_causes_wet",
    },
    "dream": {"seed": "A city on Mars", "creativity_level": 0.8, "num_realities": 3},
    "guardian": {"action": {"type": "t", "content": "build a bomb"}},
    "image_processing": {"input_data": "R0lGODlhAgADAA==", "input_type": "image"},
    "audio_processing": {"input_data": "not base64!", "input_type": "audio"},
    "video_processing": {"input_data": "AAAAGGZ0eXBtcDQy", "input_type": "video"},
    "multimodal_processing": {"input_data": {"text": "a cat"}, "input_type": "multimodal"},
    "model_info": {},
    "automation": {"steps": [{"name": "extract", "type": "extract"}, {"name": "store"}]},
    "echo": {"steps": 2},
}
TIMINGS = {"processing_time", "processing_time_ms", "total_processing_time", "load_time"}


def untimed(value: Any) -> Any:
    """The result without measured times (and the agent's own memory use), which vary."""
    if isinstance(value, dict):
        return {k: untimed(v) for k, v in value.items() if k not in TIMINGS and k != "memory_usage"}
    if isinstance(value, list):
        return [untimed(v) for v in value]
    return value


@pytest.mark.parametrize("kind", sorted(CASES))
async def test_handlers_are_deterministic_and_labelled(kind: str) -> None:
    first = await _run(kind, CASES[kind])
    second = await _run(kind, CASES[kind])
    assert untimed(first) == untimed(second)
    assert first["reference_implementation"] is True
    assert first["handler"] == f"reference.{kind}"


async def test_rule_based_answers_follow_their_input() -> None:
    risk = await _run("matriz_stage", CASES["matriz_stage"])
    assert risk["stage_result"]["flagged_terms"] == ["hack", "password"]
    assert risk["next_stage"] == "intent"
    assert (await _run("guardian", CASES["guardian"]))["decision"] == "REJECTED"
    gif = await _run("image_processing", CASES["image_processing"])
    assert "format=gif" in gif["output"] and "width=2, height=3" in gif["output"]
    video = await _run("video_processing", CASES["video_processing"])
    assert "mp4 (mp42)" in video["output"]
    causal = await _run("causal_inference", CASES["causal_inference"])
    assert causal["causal_strength"] == 1.0
    backwards = await _run(
        "causal_inference", {**CASES["causal_inference"], "hypothesis": "wet_causes_rain"}
    )
    assert backwards["causal_strength"] == 0.0


def test_the_reference_agent_advertises_every_handler_and_nothing_else() -> None:
    assert sorted(REFERENCE_CAPABILITIES.split(",")) == sorted(HANDLERS)


def test_an_agent_refuses_capabilities_it_cannot_serve() -> None:
    client = AgentClient("http://127.0.0.1:9/graphql", "axk.none.none")
    with pytest.raises(UnhandledCapabilities, match="telepathy"):
        Worker(client, WorkerOptions(capabilities=["text_processing", "telepathy"]))


async def test_handler_outputs() -> None:
    text = await _run("text_processing", CASES["text_processing"])
    assert text["outputs"] == {"word_count": 4, "reverse": "dlrow wen evarb olleH"}
    batch = await _run("batch_processing", CASES["batch_processing"])
    assert (batch["batches"], batch["sum"]) == (3, 55)
    training = await _run("training", CASES["training"])
    losses = [h["loss"] for h in training["history"]]
    assert len(losses) == 4 and losses[-1] < losses[0]
    drift = await _run("drift_simulation", CASES["drift_simulation"])
    assert drift["results_summary"]["drift_detected"] is True  # trauma shifts the scores
    control = await _run(
        "drift_simulation",
        {
            **CASES["drift_simulation"],
            "experimental_condition": "CONTROL",
            "stress_event_frequency": 0,
        },
    )
    assert control["results_summary"]["drift_detected"] is False
    steps = await _run("automation", CASES["automation"])
    assert [s["name"] for s in steps["steps"]] == ["extract", "store"]


@pytest.mark.parametrize(
    ("kind", "parameters"),
    [
        ("text_processing", {"text": 5}),
        ("text_processing", {"text": "x", "operations": ["explode"]}),
        ("batch_processing", {"items": ["a"]}),
        ("training", {"epochs": -1}),
        ("drift_simulation", {"experimental_condition": "PANIC"}),
        ("matriz", {"input": "  "}),
        ("process_batch", {"inputs": []}),
    ],
)
async def test_bad_parameters_fail_permanently(kind: str, parameters: dict[str, Any]) -> None:
    with pytest.raises(PermanentFailure):
        await _run(kind, parameters)


def test_handler_choice_by_type_then_capability() -> None:
    assert pick(_task("training", {}))[0] == "training"  # type: ignore[index]
    assert pick(_task("process", {}, ["text_processing"]))[0] == "text_processing"  # type: ignore[index]
    assert pick(_task("process", {}, ["unknown"])) is None
