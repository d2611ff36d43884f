"""Security training: seeded scenario generation and scoring against hidden indicators.

Generation: `random.Random("<type>:<difficulty>:<seed>")` decides whether the scenario is a
threat (benign with probability 0 / 0.15 / 0.25 for beginner / intermediate / advanced), which
of the template's indicators to plant (5–6 / 3–4 / 2–3) and the content's variants; the time
limit is 600 / 300 / 180 s. Same type, difficulty, seed and context → the same scenario.

Scoring an answer (each part in 0..1, score = weighted sum, rounded to 4 places):

| part        | weight | value                                                           |
|-------------|--------|-----------------------------------------------------------------|
| detection   | 0.25   | 1 when `threat_detected` matches the truth (missing → 0)        |
| indicators  | 0.45   | F1 of precision (right / named) and recall (right / planted);    |
|             |        | naming none is precision 1, nothing planted is recall 1         |
| threat type | 0.10   | right type (aliases accepted); on a benign scenario: none given |
| action      | 0.10   | 1 for the best action, 0.5 for another acceptable one           |
| calibration | 0.10   | 1 − |confidence − detection| (confidence missing → 0.5)        |

Names are compared after lower-casing and turning runs of other characters into `_`; each
template lists accepted aliases. Security awareness (the `security` skill) moves a quarter of
the way toward the score (not for practice scenarios, whose seed the client chose).
Difficulty: ≥ 0.95 increase, ≥ 0.8 increase_slightly, ≥ 0.6 maintain, ≥ 0.4
decrease_slightly, else decrease; the next scenario type names the next difficulty
(`advanced_phishing`), which generation accepts as a type.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from typing import Any

from axonql.errors import ValidationError
from axonql.services.scenario_templates import (
    DIFFICULTY_RULES,
    SAFE_ACTIONS,
    TEMPLATES,
    Template,
    persona,
)

DIFFICULTIES: tuple[str, ...] = tuple(DIFFICULTY_RULES)
WEIGHTS = {
    "detection": 0.25,
    "indicators": 0.45,
    "threat_type": 0.10,
    "action": 0.10,
    "calibration": 0.10,
}
AWARENESS_RATE = 0.25
_ADJUSTMENTS = (
    (0.95, "increase", 1),
    (0.8, "increase_slightly", 1),
    (0.6, "maintain", 0),
    (0.4, "decrease_slightly", -1),
    (0.0, "decrease", -1),
)


def normalise(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def resolve_type(scenario_type: str, difficulty: str | None) -> tuple[Template, str]:
    """`phishing` + difficulty, or `advanced_phishing` (the form adaptations suggest)."""
    name = normalise(scenario_type)
    level = difficulty
    for prefix in DIFFICULTIES:
        if name.startswith(prefix + "_") and name[len(prefix) + 1 :] in TEMPLATES:
            if difficulty is not None and difficulty != prefix:
                raise ValidationError(
                    f"scenarioType {scenario_type} names difficulty {prefix}, not {difficulty}",
                    field="difficulty",
                )
            name, level = name[len(prefix) + 1 :], prefix
    if name not in TEMPLATES:
        raise ValidationError(
            f"scenarioType must be one of {', '.join(TEMPLATES)}",
            field="scenarioType",
            details={"valid_types": list(TEMPLATES)},
        )
    level = level or "intermediate"
    if level not in DIFFICULTIES:
        raise ValidationError(
            f"difficulty must be one of {', '.join(DIFFICULTIES)}", field="difficulty"
        )
    return TEMPLATES[name], level


@dataclass
class Generated:
    template: Template
    difficulty: str
    content: dict[str, Any]
    time_limit_seconds: int
    is_threat: bool
    indicators: list[str]


def generate(template: Template, difficulty: str, seed: int, context: dict[str, Any]) -> Generated:
    """A scenario: which indicators are planted and the content that shows them."""
    rng = random.Random(f"{template.type}:{difficulty}:{seed}")
    low, high, benign_chance, time_limit = DIFFICULTY_RULES[difficulty]
    is_threat = rng.random() >= benign_chance
    ids = [i.id for i in template.indicators]
    planted = set(rng.sample(ids, rng.randint(low, high))) if is_threat else set()
    content = template.build(rng, frozenset(planted), difficulty, persona(context))
    return Generated(
        template=template,
        difficulty=difficulty,
        content=content,
        time_limit_seconds=time_limit,
        is_threat=is_threat,
        indicators=[i for i in ids if i in planted],
    )


@dataclass
class Answer:
    threat_detected: bool | None = None
    threat_type: str | None = None
    confidence: float | None = None
    indicators_identified: list[str] = field(default_factory=list)
    recommended_action: str | None = None
    reasoning: str | None = None


@dataclass
class Truth:
    is_threat: bool
    threat_type: str
    indicators: list[str]
    best_action: str
    acceptable_actions: list[str]


@dataclass
class Scored:
    score: float
    breakdown: dict[str, float]
    overall: str
    strengths: list[str]
    improvements: list[str]
    indicator_feedback: list[dict[str, Any]]


def _aliases(template: Template) -> dict[str, str]:
    table: dict[str, str] = {}
    for ind in template.indicators:
        for name in (ind.id, *ind.aliases):
            table.setdefault(normalise(name), ind.id)
    return table


def _f1(precision: float, recall: float) -> float:
    return 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)


def score(template: Template, truth: Truth, answer: Answer) -> Scored:
    """Scores one answer against the scenario's ground truth (table in the module docstring)."""
    by_id = {i.id: i for i in template.indicators}
    aliases = _aliases(template)
    found: list[str] = []
    wrong: list[tuple[str, str | None]] = []  # (as named, template indicator or None)
    for raw in answer.indicators_identified:
        ind = aliases.get(normalise(raw))
        if ind is not None and ind in truth.indicators:
            if ind not in found:
                found.append(ind)
        elif all(normalise(raw) != normalise(w) for w, _ in wrong):
            wrong.append((raw, ind))
    named = len(found) + len(wrong)
    precision = len(found) / named if named else 1.0
    recall = len(found) / len(truth.indicators) if truth.indicators else 1.0
    detection = 1.0 if answer.threat_detected is truth.is_threat else 0.0
    if truth.is_threat:
        type_ok = answer.threat_type is not None and normalise(answer.threat_type) in {
            normalise(a) for a in template.threat_aliases
        }
    else:
        type_ok = answer.threat_type is None or normalise(answer.threat_type) in ("", "none")
    action = normalise(answer.recommended_action or "")
    best = truth.best_action if truth.is_threat else SAFE_ACTIONS[0]
    acceptable = truth.acceptable_actions if truth.is_threat else list(SAFE_ACTIONS[1:])
    action_value = 1.0 if action == best else 0.5 if action in acceptable else 0.0
    confidence = 0.5 if answer.confidence is None else answer.confidence
    parts = {
        "detection": detection,
        "indicators": round(_f1(precision, recall), 4),
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "threat_type": 1.0 if type_ok else 0.0,
        "action": action_value,
        "calibration": round(1.0 - abs(confidence - detection), 4),
    }
    total = round(sum(WEIGHTS[k] * parts[k] for k in WEIGHTS), 4)

    feedback: list[dict[str, Any]] = [
        {
            "indicator": ind_id,
            "criterion": by_id[ind_id].criterion,
            "present": True,
            "identified": ind_id in found,
            "correct": ind_id in found,
            "explanation": by_id[ind_id].explanation,
        }
        for ind_id in truth.indicators
    ]
    for raw, ind in wrong:
        feedback.append(
            {
                "indicator": ind or raw,
                "criterion": by_id[ind].criterion if ind else None,
                "present": False,
                "identified": True,
                "correct": False,
                "explanation": "Not present in this scenario.",
            }
        )
    strengths, improvements = _comments(template, truth, answer, parts, found, wrong)
    return Scored(total, parts, _overall(total), strengths, improvements, feedback)


def _overall(total: float) -> str:
    if total >= 0.9:
        return "Excellent threat detection and analysis"
    if total >= 0.75:
        return "Good analysis with minor gaps"
    if total >= 0.5:
        return "Partial detection: review the missed indicators"
    return "The scenario was not assessed correctly"


def _comments(
    template: Template,
    truth: Truth,
    answer: Answer,
    parts: dict[str, float],
    found: list[str],
    wrong: list[tuple[str, str | None]],
) -> tuple[list[str], list[str]]:
    kind = template.type.replace("_", " ")
    strengths: list[str] = []
    improvements: list[str] = []
    if found:
        strengths.append(f"Correctly identified {len(found)} of {len(truth.indicators)} {kind} "
                         "indicators")  # fmt: skip
    if parts["detection"] == 1.0 and not truth.is_threat:
        strengths.append("Correctly recognised a legitimate situation")
    if parts["detection"] == 0.0:
        improvements.append(
            f"This was a {kind} attempt" if truth.is_threat else "No threat was present here"
        )
    if parts["action"] == 1.0:
        strengths.append("Appropriate recommended action")
    elif parts["action"] == 0.5:
        strengths.append("Acceptable recommended action")
    else:
        best = truth.best_action if truth.is_threat else SAFE_ACTIONS[0]
        improvements.append(f"The recommended action here is {best}")
    if truth.is_threat and parts["threat_type"] == 0.0:
        improvements.append(f"The threat type was {template.type}")
    words = {w for ind in found for w in ind.split("_") if len(w) >= 5}
    reasoning = normalise(answer.reasoning or "")
    if found and any(w in reasoning for w in words):
        strengths.append("Good reasoning provided")
    elif not reasoning:
        improvements.append("Explain the reasoning behind the decision")
    if parts["calibration"] >= 0.8:
        strengths.append("Confidence matched the outcome")
    elif parts["detection"] == 0.0:
        improvements.append("Confidence was too high for an incorrect call")
    by_id = {i.id: i for i in template.indicators}
    improvements += [by_id[i].hint for i in truth.indicators if i not in found]
    improvements += [f"'{raw}' is not present in this scenario" for raw, _ in wrong]
    return strengths, improvements


@dataclass
class Adaptation:
    difficulty_adjustment: str
    next_difficulty: str
    next_scenario_type: str


def adapt(scenario_type: str, difficulty: str, total: float) -> Adaptation:
    """The difficulty band a score falls in and the scenario to try next."""
    label, step = next((label, step) for floor, label, step in _ADJUSTMENTS if total >= floor)
    index = min(len(DIFFICULTIES) - 1, max(0, DIFFICULTIES.index(difficulty) + step))
    nxt = DIFFICULTIES[index]
    return Adaptation(label, nxt, f"{nxt}_{scenario_type}")


def awareness(previous: float, total: float) -> float:
    """Security awareness moves a quarter of the way toward the score."""
    return round(min(1.0, max(0.0, previous + AWARENESS_RATE * (total - previous))), 4)
