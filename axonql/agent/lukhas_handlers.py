"""LUKHAS's cognitive endpoints as rule-based reference work (no model is attached).

Each handler computes its documented answer from its input with stated rules: the MATRIZ
stages are text measurements (content words, term-frequency salience, sentence form, a
guardian rule scan, intent by form); causal strength is temporal precedence and term overlap
with a Wilson interval; the dream engine combines the seed's own words with a fixed design
vocabulary under a seeded generator; the guardian scans for listed risk terms. A score here is
a measurement of the input under those rules, never a model's probability; every answer's
`handler` label (or its `metadata`) says so.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections import Counter
from typing import Any

from axonql.agent.client import Task
from axonql.agent.control import TaskControl
from axonql.agent.handlers import PermanentFailure, handler, labelled, seeded, step
from axonql.agent.media import STOPWORDS
from axonql.agent.trainer import tokens

STAGES = ["memory", "attention", "thought", "risk", "intent", "action"]
RULES_NOTE = "reference rules over the input; no model is attached"

# The guardian's rule list: terms and how much each lowers safety (or ethics).
RISK_TERMS: dict[str, tuple[str, float]] = {
    "weapon": ("safety", 0.4),
    "explosive": ("safety", 0.5),
    "bomb": ("safety", 0.6),
    "poison": ("safety", 0.5),
    "kill": ("safety", 0.5),
    "hack": ("ethics", 0.3),
    "malware": ("ethics", 0.5),
    "steal": ("ethics", 0.5),
    "password": ("ethics", 0.2),
    "accelerator": ("safety", 0.12),
    "radiation": ("safety", 0.15),
    "high voltage": ("safety", 0.15),
    "chemical": ("safety", 0.1),
}
MITIGATING = ("educational", "student", "learn", "research", "safety", "supervised")


def _text_of(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return " ".join(_text_of(v) for v in value.values())
    if isinstance(value, list):
        return " ".join(_text_of(v) for v in value)
    return "" if value is None else str(value)


def _content(words: list[str]) -> list[str]:
    return [w for w in words if w not in STOPWORDS and len(w) > 1]


def scan(text: str) -> dict[str, Any]:
    """The guardian's rule scan: flagged terms, safety and ethics scores, mitigating context."""
    lowered = text.lower()
    flagged = {term: kind for term, (kind, _) in RISK_TERMS.items() if term in lowered}
    mitigation = [m for m in MITIGATING if m in lowered]
    relief = 0.5 if mitigation else 1.0
    safety = 1.0 - relief * sum(RISK_TERMS[t][1] for t, k in flagged.items() if k == "safety")
    ethics = 1.0 - relief * sum(RISK_TERMS[t][1] for t, k in flagged.items() if k == "ethics")
    return {
        "flagged_terms": sorted(flagged),
        "mitigating_context": mitigation,
        "safety_score": round(max(0.0, safety), 2),
        "ethics_score": round(max(0.0, ethics), 2),
    }


def stage_result(stage: str, text: str, context: dict[str, Any]) -> dict[str, Any]:
    """One MATRIZ stage over the input text; `confidence` is the share of content words."""
    words = tokens(text)
    content = _content(words)
    counts = Counter(content)
    signal = round(len(content) / len(words), 2) if words else 0.0
    result: dict[str, Any]
    if stage == "memory":
        result = {"recalled_terms": sorted(counts)[:20], "distinct_terms": len(counts)}
        step_text = f"indexed {len(counts)} distinct content terms"
    elif stage == "attention":
        total = sum(counts.values()) or 1
        focus: list[dict[str, Any]] = [
            {"term": t, "weight": round(n / total, 3)}
            for t, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:5]
        ]
        result = {"focus": focus, "method": "term-frequency salience"}
        step_text = "focused on " + (", ".join(f["term"] for f in focus) or "nothing")
    elif stage == "thought":
        form = "question" if text.strip().endswith("?") else "statement"
        result = {"form": form, "words": len(words), "content_words": len(content)}
        step_text = f"parsed a {form} of {len(words)} words"
    elif stage == "risk":
        result = scan(text)
        step_text = "guardian rules: " + (", ".join(result["flagged_terms"]) or "nothing flagged")
    elif stage == "intent":
        first = words[0] if words else ""
        commands = ("explain", "describe", "tell", "show", "give", "list", "write", "make")
        kind = (
            "instruction"
            if first in commands
            else "question"
            if text.strip().endswith("?")
            else "statement"
        )
        lambda_id = str(context.get("lambda_id") or "")
        result = {"intent": kind, "auth_tier": lambda_id.split("-")[0] or None}
        step_text = f"read the input as {'an' if kind[0] in 'aeiou' else 'a'} {kind}"
    elif stage == "action":
        result = {"response_type": "reference_summary", "length": len(text)}
        step_text = "composed a reference summary (no generation)"
    else:
        raise PermanentFailure(f"unknown MATRIZ stage {stage!r}")
    return {"result": result, "step": step_text, "confidence": signal}


def _timed(stage: str, text: str, context: dict[str, Any]) -> tuple[dict[str, Any], int]:
    started = time.perf_counter()
    found = stage_result(stage, text, context)
    return found, max(0, round((time.perf_counter() - started) * 1000))


@handler("matriz")
async def matriz(ctx: TaskControl, task: Task) -> dict[str, Any]:
    """LUKHAS's MATRIZ stages run in order over the input; the response summarises them."""
    text = task.parameters.get("input", "")
    if not isinstance(text, str) or not text.strip():
        raise PermanentFailure("parameter input must be a non-empty string")
    context = task.parameters.get("context")
    context = context if isinstance(context, dict) else {}
    trace: list[dict[str, Any]] = []
    results: dict[str, dict[str, Any]] = {}
    for index, stage in enumerate(STAGES):
        found, took = _timed(stage, text, context)
        results[stage] = found["result"]
        entry = {"stage": stage, "step": found["step"], "confidence": found["confidence"]}
        if stage == "risk":
            entry["ethics_score"] = found["result"]["ethics_score"]
        if stage == "intent" and found["result"]["auth_tier"]:
            entry["auth_tier"] = found["result"]["auth_tier"]
        entry["processing_time_ms"] = took
        trace.append(entry)
        await step(ctx, task, index + 1, len(STAGES), f"stage {stage}")
    focus = ", ".join(f["term"] for f in results["attention"]["focus"]) or "no content words"
    confidence = round(sum(e["confidence"] for e in trace) / len(trace), 2)
    risk = results["risk"]
    return labelled(
        "matriz",
        {
            "response": f"[reference pipeline: no model attached] {results['intent']['intent']} "
            f"about {focus}: {text.strip()[:200]}",
            "metadata": {
                "processing_time_ms": sum(e["processing_time_ms"] for e in trace),
                "confidence": confidence,
                "pipeline_stages_used": STAGES,
                "constellation_validation": not risk["flagged_terms"],
                "t4_compliance_verified": False,  # nothing here audits T4 compliance
                "note": RULES_NOTE,
            },
            "matriz_pipeline_trace": trace,
            "constellation_metadata": {
                "identity_pillar_active": bool(context.get("lambda_id") or context.get("user_id")),
                "consciousness_pillar_active": True,
                "guardian_pillar_active": True,  # the risk stage ran the guardian rules
                "registry_nodes_utilized": [ctx.workspace.agent_name or "reference_agent"],
            },
            "memory_fold_created": None,  # the reference agent stores no memories
        },
    )


@handler("matriz_stage")
async def matriz_stage(ctx: TaskControl, task: Task) -> dict[str, Any]:
    """One MATRIZ stage (`stage`) over `input_data`, as in the full pipeline."""
    stage = task.parameters.get("stage")
    if stage not in STAGES:
        raise PermanentFailure(f"stage must be one of {', '.join(STAGES)}")
    context = task.parameters.get("context")
    context = context if isinstance(context, dict) else {}
    text = _text_of(task.parameters.get("input_data"))
    found, took = _timed(str(stage), text, context)
    await step(ctx, task, 1, 1, f"stage {stage}")
    index = STAGES.index(str(stage))
    return labelled(
        "matriz_stage",
        {
            "stage_result": {**found["result"], "step": found["step"], "note": RULES_NOTE},
            "next_stage": STAGES[index + 1] if index + 1 < len(STAGES) else None,
            "confidence": found["confidence"],
            "processing_time_ms": took,
            "constellation_context": {
                "current_state": {"stage": stage, "position": index + 1, "of": len(STAGES)},
                "node_utilization": [ctx.workspace.agent_name or "reference_agent"],
            },
        },
    )


def _short_id(prefix: str, *parts: Any) -> str:
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()[:12]
    return f"{prefix}_{digest}"


@handler("reflection")
async def reflection(ctx: TaskControl, task: Task) -> dict[str, Any]:
    """Reflects on this server's recent work: what kinds of task ran, which failed.

    Reads the newest `depth × 10` tasks (the agent may read tasks) and reports their counts
    as insights, with task ids as evidence; the valence is the share that did not fail.
    """
    p = task.parameters
    depth = int(p.get("depth") or 3)
    data = await ctx.client.call(
        "query($n: Int!) { tasks(filter: {limit: $n}) { id type status } }",
        {"n": min(100, depth * 10)},
    )
    recent = [t for t in data.get("tasks") or [] if t["id"] != task.id]
    by_type = Counter(t["type"] for t in recent)
    failed = [t["id"] for t in recent if t["status"] == "FAILED"]
    insights = []
    total = len(recent) or 1
    for kind, count in by_type.most_common(depth):
        evidence = [t["id"] for t in recent if t["type"] == kind][:3]
        insights.append(
            {
                "insight": f"{count} of the last {len(recent)} tasks were {kind}",
                "confidence": round(count / total, 2),
                "supporting_evidence": evidence,
            }
        )
    if failed:
        insights.append(
            {
                "insight": f"{len(failed)} recent tasks failed",
                "confidence": round(len(failed) / total, 2),
                "supporting_evidence": failed[:3],
            }
        )
    await step(ctx, task, 1, 1, f"reflected on {len(recent)} tasks")
    share_ok = 1 - len(failed) / total if recent else 0.5
    answer: dict[str, Any] = {
        "reflection_id": _short_id("ref", task.id),
        "insights": insights,
    }
    if p.get("include_emotions", True):
        answer["emotional_assessment"] = {
            "overall_valence": round(share_ok, 2),  # the share of recent work that succeeded
            "detected_emotions": [],  # nothing here reads emotions
        }
    return labelled("reflection", answer)


REASONING_STEPS = {
    "shallow": 1,
    "moderate": 2,
    "medium": 2,
    "deep": 3,
}


@handler("reasoning")
async def reasoning(ctx: TaskControl, task: Task) -> dict[str, Any]:
    """Decomposes the query by rules: its terms, its conditional clause, its question form."""
    p = task.parameters
    query = p.get("query")
    if not isinstance(query, str) or not query.strip():
        raise PermanentFailure("parameter query must be a non-empty string")
    kind = str(p.get("reasoning_type") or "general")
    depth = REASONING_STEPS.get(str(p.get("depth") or "moderate"), 2)
    words = tokens(query)
    content = _content(words)
    lowered = query.lower()
    conditional = next((w for w in ("if", "when", "suppose", "unless") if w in words), None)
    numbers = [w for w in words if any(c.isdigit() for c in w)]
    steps = [
        {
            "step": 1,
            "description": "Identify the terms the query is about",
            "conclusions": sorted(set(content))[:10],
        }
    ]
    if depth >= 2:
        clause = lowered.split(conditional, 1)[1].strip(" ?.") if conditional else ""
        steps.append(
            {
                "step": 2,
                "description": "Separate the condition from the question",
                "conclusions": [f"condition: {clause}"] if clause else ["no explicit condition"],
            }
        )
    if depth >= 3:
        steps.append(
            {
                "step": 3,
                "description": "List quantities that a model would have to reason about",
                "conclusions": numbers or ["no quantities stated"],
            }
        )
    query_type = (
        "counterfactual" if conditional and kind in ("hypothetical", "counterfactual") else kind
    )
    await step(ctx, task, 1, 1, "query analysed")
    return labelled(
        "reasoning",
        {
            "analysis_id": _short_id("analysis", task.id),
            "query_type": query_type,
            "reasoning_steps": steps,
            "confidence": round(len(content) / len(words), 2) if words else 0.0,
            "uncertainty_factors": [
                "No model is attached: only the query's structure was analysed",
                *(["The condition's consequences are not derived"] if conditional else []),
            ],
        },
    )


def _wilson(successes: int, trials: int, z: float = 1.96) -> tuple[float, float]:
    if trials == 0:
        return 0.0, 1.0
    phat = successes / trials
    denom = 1 + z * z / trials
    centre = (phat + z * z / (2 * trials)) / denom
    half = z * math.sqrt(phat * (1 - phat) / trials + z * z / (4 * trials * trials)) / denom
    return round(max(0.0, centre - half), 2), round(min(1.0, centre + half), 2)


@handler("causal_inference")
async def causal_inference(ctx: TaskControl, task: Task) -> dict[str, Any]:
    """Temporal precedence test: do observations of the cause precede those of the effect?

    The hypothesis `a_causes_b` names cause and effect terms; each observation is matched by
    its event's words. Strength is the share of (cause, effect) pairs in causal order, times
    the share of observations the hypothesis explains; the interval is Wilson's at 95 %. Each
    observation the hypothesis does not explain is an alternative, all sharing one prior with
    the hypothesis equally.
    """
    p = task.parameters
    hypothesis = str(p.get("hypothesis") or "")
    observations = p.get("observations")
    if not isinstance(observations, list) or not observations:
        raise PermanentFailure("parameter observations must be a non-empty list")
    cause_text, _, effect_text = hypothesis.replace("-", "_").partition("_causes_")
    if not effect_text:
        cause_text, _, effect_text = hypothesis.partition(" causes ")
    cause = set(_content(tokens(cause_text.replace("_", " "))))
    effect = set(_content(tokens(effect_text.replace("_", " "))))
    events = []
    for index, item in enumerate(observations):
        name = str(item.get("event", "")) if isinstance(item, dict) else str(item)
        when = str(item.get("timestamp", "")) if isinstance(item, dict) else ""
        words = set(tokens(name.replace("_", " ")))
        events.append((when or f"{index:08d}", bool(words & cause), bool(words & effect), name))
    causes = [e for e in events if e[1]]
    effects = [e for e in events if e[2]]
    pairs = [(c, e) for c in causes for e in effects]
    ordered = sum(c[0] < e[0] for c, e in pairs)
    explained = sum(e[1] or e[2] for e in events) / len(events)
    strength = round((ordered / len(pairs) if pairs else 0.0) * explained, 2)
    low, high = _wilson(ordered, len(pairs))
    unexplained = [e[3] for e in events if not (e[1] or e[2])]
    alternatives = [
        {"hypothesis": name, "probability": round(1 / (len(unexplained) + 1), 2)}
        for name in unexplained[:5]
    ]
    if len(pairs) < 5:
        advice = "Gather more data points for stronger inference"
    elif strength < 0.5:
        advice = "The order of observations does not support the hypothesis"
    else:
        advice = "Observations are in causal order; test with a controlled comparison"
    await step(ctx, task, 1, 1, "causal order tested")
    return labelled(
        "causal_inference",
        {
            "causal_strength": strength,
            "alternative_explanations": alternatives,
            "confidence_interval": [low, high],
            "recommendation": advice,
        },
    )


DESIGN_MOVES = [
    (
        "Underground",
        "built below the surface for shelter",
        ["Shielded habitats", "Stable temperatures"],
    ),
    ("Modular", "assembled from repeatable units", ["Prefabricated modules", "Incremental growth"]),
    ("Closed-loop", "recycling every resource it uses", ["Water recycling", "Waste-to-resource"]),
    ("Biological", "relying on living systems", ["Bioreactors", "Vertical farms"]),
    ("Distributed", "spread over many small sites", ["Redundant sites", "Local autonomy"]),
    ("Automated", "run mostly by machines", ["Robotic maintenance", "Remote operation"]),
    (
        "Adaptive",
        "changing its layout with conditions",
        ["Reconfigurable spaces", "Sensor feedback"],
    ),
    (
        "Minimal",
        "doing the essential with the least material",
        ["Lightweight structures", "Low energy"],
    ),
]


@handler("dream")
async def dream(ctx: TaskControl, task: Task) -> dict[str, Any]:
    """Combinatorial ideation: design moves applied to the seed's words, under the constraints.

    A seeded generator picks moves (more distant ones as `creativity_level` rises); feasibility
    falls and innovation rises with the creativity level and the number of constraints met.
    """
    p = task.parameters
    seed_text = str(p.get("seed") or "")
    creativity = float(p.get("creativity_level", 0.5))
    count = int(p.get("num_realities") or 3)
    rng = seeded(task)
    subject = " ".join(_content(tokens(seed_text))[:4]) or "the problem"
    realities: list[dict[str, Any]] = []
    for index in range(count):
        first, second = rng.sample(DESIGN_MOVES, 2)
        picked = [first] if rng.random() > creativity else [first, second]
        concept = " ".join(m[0] for m in picked) + f" {subject.title()}"
        features = [f for m in picked for f in m[2]]
        realities.append(
            {
                "reality_id": f"reality_{index + 1}",
                "concept": concept,
                "description": f"{subject.capitalize()}, "
                + " and ".join(m[1] for m in picked)
                + ".",
                "feasibility_score": round(max(0.0, 1 - 0.3 * len(picked) * creativity), 2),
                "innovation_score": round(min(1.0, 0.3 + 0.35 * len(picked) * creativity), 2),
                "key_features": features,
            }
        )
    await step(ctx, task, 1, 1, f"{count} realities combined")
    ranked = sorted(realities, key=lambda r: -(r["feasibility_score"] + r["innovation_score"]))
    best = [f for r in ranked[:2] for f in r["key_features"][:1]]
    return labelled(
        "dream",
        {
            "dream_session_id": _short_id("dream", task.id),
            "realities": realities,
            "synthesis": {
                "best_elements": best,
                "novel_insights": [
                    f"{ranked[0]['concept']} scores highest on feasibility plus innovation"
                ],
            },
        },
    )


@handler("guardian")
async def guardian(ctx: TaskControl, task: Task) -> dict[str, Any]:
    """The guardian rule scan over the action's type, content and context."""
    action = task.parameters.get("action")
    if not isinstance(action, dict):
        raise PermanentFailure("parameter action must be an object")
    found = scan(_text_of(action))
    worst = min(found["safety_score"], found["ethics_score"])
    decision = "APPROVED" if worst >= 0.8 else "CONDITIONAL" if worst >= 0.5 else "REJECTED"
    conditions = []
    if found["flagged_terms"] and decision != "REJECTED":
        conditions = ["Include safety warnings", "Emphasize professional supervision required"]
    factors = [f"Flagged: {t}" for t in found["flagged_terms"]] or ["No listed risk terms"]
    factors += [f"Mitigating context: {m}" for m in found["mitigating_context"]]
    await step(ctx, task, 1, 1, f"decision {decision}")
    return labelled(
        "guardian",
        {
            "validation_id": _short_id("val", task.id),
            "decision": decision,
            "ethics_score": found["ethics_score"],
            "safety_score": found["safety_score"],
            "conditions": conditions,
            "reasoning": {"ethical_framework": "rule_based", "key_factors": factors},
        },
    )
