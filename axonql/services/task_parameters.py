"""Documented parameters of model-work task types, checked before a task exists.

A task hands its parameters to an agent as they are: an out-of-range value would queue work no
agent should run (LUKHAS `/dream/generate` with `num_realities: 1000000000`), and a blank input
would only fail later on the agent with nobody told why. Each rule below checks the parameters
an API documents for one kind of work; a value the document allows but omits is left to the
agent's defaults. Where the references document no bounds the bounds are the product's own: a
creativity level is a fraction like every other level here, ten realities is already a long
answer, and a thousand epochs is far beyond any documented example.

A rule applies to a task by its type or by a capability it requires, so a task cannot slip past
a check by naming itself differently.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from axonql.errors import ValidationError

DREAM = "dream"
CREATIVITY_LEVEL = (0.0, 1.0)
NUM_REALITIES = (1, 10)
MATRIZ_STAGES = ("memory", "attention", "thought", "risk", "intent", "action")
INPUT_TYPES = ("text", "image", "audio", "video", "multimodal")
PROCESSING = tuple(f"{kind}_processing" for kind in INPUT_TYPES)
REASONING_TYPES = (
    "deductive",
    "inductive",
    "abductive",
    "hypothetical",
    "counterfactual",
    "causal",
    "analogical",
    "general",
)
REASONING_DEPTHS = ("shallow", "moderate", "medium", "deep")
MAX_BATCH = 256
MAX_TRAINING_EXAMPLES = 10_000
EMPTY_INPUT = "Input data cannot be empty"


def _number(field: str, value: Any, low: float, high: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValidationError(f"{field} must be a number", field=field)
    if math.isnan(value) or not low <= value <= high:
        raise ValidationError(
            f"{field} must be between {low} and {high}",
            field=field,
            details={"minimum": low, "maximum": high},
        )


def _integer(field: str, value: Any, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"{field} must be an integer", field=field)
    if not low <= value <= high:
        raise ValidationError(
            f"{field} must be between {low} and {high}",
            field=field,
            details={"minimum": low, "maximum": high},
        )


def _text(field: str, value: Any, *, limit: int = 100_000) -> None:
    if not isinstance(value, str):
        raise ValidationError(f"{field} must be a string", field=field)
    if not value.strip():
        raise ValidationError(f"{field} must not be blank", field=field)
    if len(value) > limit:
        raise ValidationError(f"{field} is longer than {limit} characters", field=field)


def _one_of(field: str, value: Any, allowed: Iterable[str]) -> None:
    options = tuple(allowed)
    if value not in options:
        raise ValidationError(
            f"{field} must be one of {', '.join(options)}",
            field=field,
            details={"allowed": list(options)},
        )


def _object(field: str, value: Any) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ValidationError(f"{field} must be an object", field=field)
    return value


def _optional(params: Mapping[str, Any], key: str, check: Callable[[str, Any], None]) -> None:
    if params.get(key) is not None:
        check(key, params[key])


def _matriz(p: Mapping[str, Any]) -> None:
    if "input" in p:
        _text("input", p["input"])


def _matriz_stage(p: Mapping[str, Any]) -> None:
    if "stage" in p:
        _one_of("stage_name", p["stage"], MATRIZ_STAGES)


def _reflection(p: Mapping[str, Any]) -> None:
    _optional(p, "topic", _text)
    _optional(p, "depth", lambda f, x: _integer(f, x, 1, 10))


def _reasoning(p: Mapping[str, Any]) -> None:
    _optional(p, "query", _text)
    _optional(p, "reasoning_type", lambda f, x: _one_of(f, x, REASONING_TYPES))
    _optional(p, "depth", lambda f, x: _one_of(f, x, REASONING_DEPTHS))


def _causal(p: Mapping[str, Any]) -> None:
    _optional(p, "hypothesis", _text)
    observations = p.get("observations")
    if observations is None:
        return
    if not isinstance(observations, list) or not observations:
        raise ValidationError("observations must be a non-empty list", field="observations")
    if len(observations) > 1000:
        raise ValidationError("observations holds more than 1000 items", field="observations")
    for index, item in enumerate(observations):
        if not isinstance(item, Mapping) or not isinstance(item.get("event"), str):
            raise ValidationError(
                f"observations[{index}] must be an object with an event name",
                field="observations",
            )
        _text(f"observations[{index}].event", item["event"], limit=500)


def _dream(p: Mapping[str, Any]) -> None:
    _optional(p, "seed", _text)
    _optional(p, "creativity_level", lambda f, x: _number(f, x, *CREATIVITY_LEVEL))
    _optional(p, "num_realities", lambda f, x: _integer(f, x, *NUM_REALITIES))


def _guardian(p: Mapping[str, Any]) -> None:
    if p.get("action") is None:
        return
    action = _object("action", p["action"])
    _optional(action, "type", lambda f, x: _text(f"action.{f}", x, limit=200))
    _optional(action, "content", lambda f, x: _text(f"action.{f}", x))


def _model_load(p: Mapping[str, Any]) -> None:
    _optional(p, "model_name", lambda f, x: _text(f, x, limit=200))
    _optional(p, "version", lambda f, x: _text(f, x, limit=100))
    if p.get("config") is not None:
        config = _object("config", p["config"])
        _optional(config, "max_memory", lambda f, x: _number(f"config.{f}", x, 1, 10**7))


def _model_save(p: Mapping[str, Any]) -> None:
    if p.get("save_path") is not None:
        _text("save_path", p["save_path"], limit=500)
        if ".." in str(p["save_path"]).split("/"):
            raise ValidationError("save_path must not contain '..'", field="save_path")


def check_input(body: Mapping[str, Any], prefix: str = "") -> None:
    """One NexusNet input (`input_data`, `input_type`, `options`), as its document describes."""
    field = f"{prefix}input_data"
    data = body.get("input_data")
    if (
        data is None
        or (isinstance(data, str | list | dict) and not data)
        or (isinstance(data, str) and not data.strip())
    ):
        raise ValidationError(
            "The provided input data is invalid", field=field, details={"reason": EMPTY_INPUT}
        )
    if body.get("input_type") is not None:
        _one_of(f"{prefix}input_type", body["input_type"], INPUT_TYPES)
    if body.get("options") is not None:
        options = _object(f"{prefix}options", body["options"])
        _optional(options, "max_length", lambda f, x: _integer(f"{prefix}options.{f}", x, 1, 10**6))
        _optional(options, "temperature", lambda f, x: _number(f"{prefix}options.{f}", x, 0, 2))
        _optional(options, "top_p", lambda f, x: _number(f"{prefix}options.{f}", x, 0, 1))


def _process(p: Mapping[str, Any]) -> None:
    if "input_data" in p or "input_type" in p:
        check_input(p)


def _process_batch(p: Mapping[str, Any]) -> None:
    inputs = p.get("inputs")
    if inputs is not None:
        if not isinstance(inputs, list) or not inputs:
            raise ValidationError(
                "inputs must be a non-empty list", field="inputs", details={"reason": EMPTY_INPUT}
            )
        if len(inputs) > MAX_BATCH:
            raise ValidationError(f"inputs holds more than {MAX_BATCH} items", field="inputs")
        for index, item in enumerate(inputs):
            check_input(_object(f"inputs[{index}]", item), f"inputs[{index}].")
    if p.get("batch_options") is not None:
        options = _object("batch_options", p["batch_options"])
        _optional(
            options, "max_batch_size", lambda f, x: _integer(f"batch_options.{f}", x, 1, 1024)
        )


def _training(p: Mapping[str, Any]) -> None:
    _optional(p, "epochs", lambda f, x: _integer(f, x, 1, 1000))
    _optional(p, "learning_rate", lambda f, x: _number(f, x, 1e-6, 10))
    _optional(p, "batch_size", lambda f, x: _integer(f, x, 1, 100_000))
    _optional(p, "validation_split", lambda f, x: _number(f, x, 0, 0.9))
    data = p.get("data")
    if data is None:
        return
    if not isinstance(data, list) or not data:
        raise ValidationError("data must be a non-empty list of examples", field="data")
    if len(data) > MAX_TRAINING_EXAMPLES:
        raise ValidationError(
            f"data holds more than {MAX_TRAINING_EXAMPLES} examples", field="data"
        )
    for index, item in enumerate(data):
        if not isinstance(item, Mapping) or "input" not in item or "output" not in item:
            raise ValidationError(
                f"data[{index}] must be an object with input and output", field="data"
            )


RULES: Mapping[str, Callable[[Mapping[str, Any]], None]] = {
    "matriz": _matriz,
    "matriz_stage": _matriz_stage,
    "reflection": _reflection,
    "reasoning": _reasoning,
    "causal_inference": _causal,
    DREAM: _dream,
    "guardian": _guardian,
    "model_load": _model_load,
    "model_save": _model_save,
    "process_batch": _process_batch,
    "training": _training,
    **{capability: _process for capability in PROCESSING},
}


def check_parameters(
    task_type: str | None, capabilities: Iterable[str] | None, parameters: Any
) -> None:
    """Refuse documented parameters outside their range (422 naming the parameter)."""
    if not isinstance(parameters, Mapping):
        return
    names = {task_type, *(capabilities or ())}
    for name, rule in RULES.items():
        if name in names:
            rule(parameters)
