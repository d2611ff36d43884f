"""NexusNet's model work, done honestly without a model: inputs measured (`media.py`), a tiny
model really trained (`trainer.py`), and a model *configuration* loaded and saved.

Every answer says, in its `metadata` where NexusNet documents one, that no model is attached.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
import resource
import time
from typing import Any

from axonql import __version__
from axonql.agent.client import Task
from axonql.agent.control import TaskControl
from axonql.agent.handlers import PermanentFailure, handler, labelled, seeded, step
from axonql.agent.media import describe, readable_share
from axonql.agent.trainer import FEATURES, Model, prepare, synthetic_examples
from axonql.agent.workspace import Workspace

MODEL_NAME = "axonql-reference"
NO_MODEL = "no model is available on this machine: a deterministic measurement of the input"
CONFIDENCE_BASIS = (
    "reference measurement: the share of the input it could read (words with a letter or "
    "digit; a recognised media format), not a model's confidence"
)
INPUT_TYPES = ("text", "image", "audio", "video", "multimodal")


def process_one(item: dict[str, Any]) -> dict[str, Any]:
    """One NexusNet input → `{output, processing_time, metadata}` (output a string)."""
    started = time.perf_counter()
    kind = str(item.get("input_type") or "text")
    if kind not in INPUT_TYPES:
        raise PermanentFailure(f"input_type must be one of {', '.join(INPUT_TYPES)}")
    data = item.get("input_data")
    if data is None or (isinstance(data, str) and not data.strip()):
        raise PermanentFailure("Input data cannot be empty")
    line, report = describe(kind, data)
    raw_options = item.get("options")
    options: dict[str, Any] = raw_options if isinstance(raw_options, dict) else {}
    limit = options.get("max_length")
    output = f"[reference {kind} processor, no model attached] {line}"
    if isinstance(limit, int) and not isinstance(limit, bool) and limit > 0:
        output = " ".join(output.split()[:limit])
    metadata = {
        "model_version": f"reference-{__version__}",
        "tokens_processed": report.get("tokens", 0),
        "confidence_score": readable_share(report),
        "confidence_basis": CONFIDENCE_BASIS,
        "attention_weights": [],  # no model, so no attention
        "memory_usage": len(json.dumps(data, default=str).encode()),
        "input_type": kind,
        "analysis": report,
        "options_ignored": sorted(k for k in options if k != "max_length"),
        "note": NO_MODEL,
    }
    took = round(time.perf_counter() - started, 6)
    return {"output": output, "processing_time": took, "metadata": metadata}


async def _process(ctx: TaskControl, task: Task, kind: str) -> dict[str, Any]:
    p = task.parameters
    if "input_data" not in p:  # a plain text_processing task (`text`, `operations`)
        raise PermanentFailure("parameter input_data is required")
    result = process_one({**p, "input_type": p.get("input_type") or kind})
    await step(ctx, task, 1, 1, f"processed {kind} input")
    return labelled(f"{kind}_processing", result)


@handler("image_processing")
async def image_processing(ctx: TaskControl, task: Task) -> dict[str, Any]:
    """NexusNet `/process` with `input_type: image` (format and size of base64 images)."""
    return await _process(ctx, task, "image")


@handler("audio_processing")
async def audio_processing(ctx: TaskControl, task: Task) -> dict[str, Any]:
    """NexusNet `/process` with `input_type: audio` (WAV channels, rate, duration, level)."""
    return await _process(ctx, task, "audio")


@handler("video_processing")
async def video_processing(ctx: TaskControl, task: Task) -> dict[str, Any]:
    """NexusNet `/process` with `input_type: video` (container format and size)."""
    return await _process(ctx, task, "video")


@handler("multimodal_processing")
async def multimodal_processing(ctx: TaskControl, task: Task) -> dict[str, Any]:
    """NexusNet `/process` with `input_type: multimodal` (each part measured)."""
    return await _process(ctx, task, "multimodal")


async def nexus_text(ctx: TaskControl, task: Task) -> dict[str, Any]:
    """NexusNet `/process` of text (called by the text_processing handler)."""
    return await _process(ctx, task, "text")


@handler("process_batch")
async def process_batch(ctx: TaskControl, task: Task) -> dict[str, Any]:
    """NexusNet's batch: each input processed as `/process` would, one after the other."""
    inputs = task.parameters.get("inputs")
    if not isinstance(inputs, list) or not inputs:
        raise PermanentFailure("parameter inputs must be a non-empty list")
    options = task.parameters.get("batch_options")
    options = options if isinstance(options, dict) else {}
    results = []
    for index, item in enumerate(inputs, start=1):
        results.append(process_one(item if isinstance(item, dict) else {"input_data": item}))
        await step(ctx, task, index, len(inputs), f"input {index}/{len(inputs)}")
    return labelled(
        "process_batch",
        {
            "results": results,
            "total_processing_time": round(sum(r["processing_time"] for r in results), 6),
            "batch_metadata": {
                "batch_size": len(results),
                "parallel_processing": False,  # the reference agent runs them in turn
                "parallel_requested": bool(options.get("parallel", False)),
                "note": NO_MODEL,
            },
        },
    )


def _setting(params: dict[str, Any], key: str, default: float, low: float, high: float) -> float:
    value = params.get(key, default)
    if value is None:
        value = default
    if not isinstance(value, int | float) or isinstance(value, bool) or not low <= value <= high:
        raise PermanentFailure(f"parameter {key} must be a number between {low} and {high}")
    return float(value)


@handler("training")
async def training(ctx: TaskControl, task: Task) -> dict[str, Any]:
    """Trains the reference model (`trainer.py`) on `data`, one progress report per epoch
    with the epoch's measured loss and accuracy; without data, on a seeded synthetic set."""
    p = task.parameters
    raw_config = p.get("training_config")
    config: dict[str, Any] = raw_config if isinstance(raw_config, dict) else {}
    merged = {**config, **{k: v for k, v in p.items() if v is not None}}
    epochs = int(_setting(merged, "epochs", 5, 1, 1000))
    rate = _setting(merged, "learning_rate", 0.01, 1e-6, 10)
    batch_size = int(_setting(merged, "batch_size", 32, 1, 100_000))
    split = _setting(merged, "validation_split", 0.0, 0, 0.9)
    data = p.get("data")
    synthetic = not data
    examples = synthetic_examples(seeded(task)) if synthetic else data
    if not isinstance(examples, list) or not all(
        isinstance(e, dict) and "input" in e and "output" in e for e in examples
    ):
        raise PermanentFailure("parameter data must be a list of {input, output} objects")
    model, train, valid = prepare(examples, split)
    patience = 3 if merged.get("early_stopping") and valid else 0
    history: list[dict[str, Any]] = []
    best, stale = float("inf"), 0
    for epoch in range(1, epochs + 1):
        for start in range(0, len(train), batch_size):
            model.step(train[start : start + batch_size], rate)
        metrics = _metrics(model, train, valid)
        history.append({"epoch": epoch, **metrics})
        details = {"current_epoch": epoch, "total_epochs": epochs, "metrics": metrics}
        await step(ctx, task, epoch, epochs, f"epoch {epoch}/{epochs} loss={metrics['loss']}")
        await ctx.progress(100 * epoch / epochs, None, details)
        if patience:
            current = metrics["validation_loss"]
            best, stale = (current, 0) if current < best else (best, stale + 1)
            if stale >= patience:
                break
    ctx.workspace.trained = {"task_id": task.id, **model.state()}
    final = history[-1]
    return labelled(
        "training",
        {
            "epochs": final["epoch"],
            "epochs_requested": epochs,
            "history": history,
            "final_loss": final["loss"],
            "final_accuracy": final["accuracy"],
            "metrics": {k: v for k, v in final.items() if k != "epoch"},
            "model": {
                "kind": "softmax regression over hashed bag-of-words",
                "parameters": model.parameters,
                "classes": len(model.classes),
                "training_examples": len(train),
                "validation_examples": len(valid),
                "synthetic_data": synthetic,
            },
        },
    )


def _metrics(model: Model, train: Any, valid: Any) -> dict[str, Any]:
    loss, accuracy = model.evaluate(train) or (0.0, 0.0)
    out: dict[str, Any] = {"loss": round(loss, 6), "accuracy": round(accuracy, 6)}
    checked = model.evaluate(valid)
    out["validation_loss"] = round(checked[0], 6) if checked else None
    out["validation_accuracy"] = round(checked[1], 6) if checked else None
    return out


def _memory_mb() -> float:
    """This agent process's peak resident memory in MB."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return round(peak / 1024, 1)


def _state(space: Workspace) -> dict[str, Any]:
    return {"loaded": space.loaded, "trained": space.trained}


@handler("model_info")
async def model_info(ctx: TaskControl, task: Task) -> dict[str, Any]:
    """What this agent holds: the configuration it loaded and the model it last trained."""
    space = ctx.workspace
    loaded = space.loaded or {}
    trained = space.trained or {}
    await step(ctx, task, 1, 1, "model described")
    return labelled(
        "model_info",
        {
            "model_name": loaded.get("model_name", MODEL_NAME),
            "version": loaded.get("version", __version__),
            "parameters": len(trained.get("classes", [])) * (FEATURES + 1),
            "memory_usage": _memory_mb(),
            "capabilities": sorted(space.capabilities),
            "supported_languages": [],  # the reference handlers read no language
            "max_context_length": None,  # no model, so no context window
            "training_data_cutoff": None,
        },
    )


@handler("model_load")
async def model_load(ctx: TaskControl, task: Task) -> dict[str, Any]:
    """Records a model configuration as this agent's current one (there are no weights to
    read); a configuration saved earlier by `model_save` under that name is read back."""
    started = time.perf_counter()
    p = task.parameters
    name = p.get("model_name")
    if not isinstance(name, str) or not name.strip():
        raise PermanentFailure("parameter model_name is required")
    space = ctx.workspace
    for saved in (
        space.model_dir / f"{_safe(name)}.json",
        space.model_dir / f"{_safe(name)}.json.gz",
    ):
        if saved.is_file():
            blob = saved.read_bytes()
            state = json.loads(gzip.decompress(blob) if saved.suffix == ".gz" else blob)
            space.trained = state.get("trained")
    space.loaded = {
        "model_name": name,
        "version": str(p.get("version") or __version__),
        "config": p.get("config") or {},
    }
    await step(ctx, task, 1, 1, f"loaded {name}")
    return labelled(
        "model_load",
        {
            "status": "success",
            "model_name": name,
            "version": space.loaded["version"],
            "load_time": round(time.perf_counter() - started, 6),
            "memory_usage": round(len(json.dumps(_state(space))) / 2**20, 6),
        },
    )


def _safe(path: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", path.strip("/")) or "model"


@handler("model_save")
async def model_save(ctx: TaskControl, task: Task) -> dict[str, Any]:
    """Writes this agent's state (loaded configuration, trained weights) as JSON into its own
    model directory, under a name made from `save_path`; size and checksum are of that file."""
    p = task.parameters
    path = p.get("save_path")
    if not isinstance(path, str) or not path.strip() or ".." in path.split("/"):
        raise PermanentFailure("parameter save_path must be a path without '..'")
    space = ctx.workspace
    state = {**_state(space), "metadata": p.get("metadata") or {}}
    if not p.get("include_optimizer", True):
        state["optimizer"] = None
    blob = json.dumps(state, sort_keys=True).encode()
    if p.get("compress"):
        blob = gzip.compress(blob, mtime=0)
    space.model_dir.mkdir(parents=True, exist_ok=True)
    target = space.model_dir / f"{_safe(path)}.json{'.gz' if p.get('compress') else ''}"
    tmp = target.with_suffix(".tmp")
    tmp.write_bytes(blob)
    os.replace(tmp, target)
    await step(ctx, task, 1, 1, f"saved {path}")
    return labelled(
        "model_save",
        {
            "status": "success",
            "save_path": path,
            "file_size": round(len(blob) / 1024, 3),
            "checksum": "sha256:" + hashlib.sha256(blob).hexdigest(),
        },
    )
