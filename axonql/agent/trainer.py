"""The reference trainer: a softmax regression over hashed bag-of-words features, in pure Python.

It really learns: each example's `input` text is hashed into `FEATURES` token counts and the
model learns to predict its `output` (each distinct output is a class) by mini-batch gradient
descent on the cross-entropy. The loss and accuracy it reports are measured, on the training
examples and on the held-out validation split. It is tiny on purpose — a reference for the
shape of the work, not a language model.
"""

from __future__ import annotations

import hashlib
import math
import random
import re
from dataclasses import dataclass, field
from typing import Any

FEATURES = 64
_TOKEN = re.compile(r"\w+", re.UNICODE)


def tokens(text: str) -> list[str]:
    return [t.lower() for t in _TOKEN.findall(text)]


def features(text: str) -> list[float]:
    """Token counts hashed into FEATURES buckets (sha256: stable across processes)."""
    vector = [0.0] * FEATURES
    words = tokens(text)
    for word in words:
        vector[int.from_bytes(hashlib.sha256(word.encode()).digest()[:4], "big") % FEATURES] += 1
    norm = math.sqrt(sum(x * x for x in vector)) or 1.0
    return [x / norm for x in vector]


def synthetic_examples(rng: random.Random, count: int = 32) -> list[dict[str, str]]:
    """Two separable topics, for a training started without data."""
    topics = {
        "positive": ["good", "great", "happy", "bright", "calm", "kind"],
        "negative": ["bad", "awful", "sad", "dark", "angry", "cruel"],
    }
    examples = []
    for index in range(count):
        label = "positive" if index % 2 == 0 else "negative"
        words = [rng.choice(topics[label]) for _ in range(4)]
        examples.append({"input": " ".join(words), "output": label})
    return examples


@dataclass
class Model:
    classes: list[str]
    weights: list[list[float]] = field(default_factory=list)
    bias: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.weights:
            self.weights = [[0.0] * FEATURES for _ in self.classes]
            self.bias = [0.0] * len(self.classes)

    @property
    def parameters(self) -> int:
        return len(self.classes) * (FEATURES + 1)

    def probabilities(self, x: list[float]) -> list[float]:
        logits = [
            sum(w * v for w, v in zip(row, x, strict=True)) + b
            for row, b in zip(self.weights, self.bias, strict=True)
        ]
        top = max(logits)
        exps = [math.exp(z - top) for z in logits]
        total = sum(exps)
        return [e / total for e in exps]

    def step(self, batch: list[tuple[list[float], int]], rate: float) -> None:
        grad_w = [[0.0] * FEATURES for _ in self.classes]
        grad_b = [0.0] * len(self.classes)
        for x, y in batch:
            probs = self.probabilities(x)
            for k, p in enumerate(probs):
                delta = p - (1.0 if k == y else 0.0)
                grad_b[k] += delta
                row = grad_w[k]
                for j, v in enumerate(x):
                    if v:
                        row[j] += delta * v
        scale = rate / len(batch)
        for k in range(len(self.classes)):
            self.bias[k] -= scale * grad_b[k]
            row = self.weights[k]
            for j in range(FEATURES):
                row[j] -= scale * grad_w[k][j]

    def evaluate(self, data: list[tuple[list[float], int]]) -> tuple[float, float] | None:
        """(mean cross-entropy, accuracy), or None for no data."""
        if not data:
            return None
        loss = correct = 0.0
        for x, y in data:
            probs = self.probabilities(x)
            loss -= math.log(max(probs[y], 1e-12))
            correct += probs.index(max(probs)) == y
        return loss / len(data), correct / len(data)

    def state(self) -> dict[str, Any]:
        return {"classes": self.classes, "weights": self.weights, "bias": self.bias}


def prepare(
    examples: list[dict[str, Any]], validation_split: float
) -> tuple[Model, list[tuple[list[float], int]], list[tuple[list[float], int]]]:
    """The model (one class per distinct output) and the training and validation sets."""
    outputs = [str(e["output"]) for e in examples]
    classes = sorted(set(outputs))
    rows = [
        (features(str(e["input"])), classes.index(o))
        for e, o in zip(examples, outputs, strict=True)
    ]
    held = int(len(rows) * validation_split) if len(rows) > 1 else 0
    held = min(held, len(rows) - 1)
    train = rows[: len(rows) - held]
    return Model(classes), train, rows[len(rows) - held :]
