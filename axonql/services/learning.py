"""Learning rules: how progress moves skills and consciousness, and what to learn next.

Pure functions over a `LearningContext`; the resolvers load and store it. Skills are in 0..1
(labels: see `module_catalog.SKILL_LABELS`).

Progress update (`POST /users/{id}/progress`), applied in this order:

| rule            | effect                                                               |
|-----------------|----------------------------------------------------------------------|
| performance p   | `score`; else `exercises_completed / exercises_total`;               |
|                 | else `progress_percentage / 100`                                     |
| domain skill    | `+= 0.2 · (p − 0.6)` + `difficulty_rating` nudge (`too_easy` +0.02,  |
|                 | `appropriate` 0, `too_hard` −0.02); clamped to 0..1                  |
| consciousness c | `+= 0.25 · (mean skill − c)`: a quarter of the way to the mean skill |
| reason          | `consistent_progress` (c rose), `needs_reinforcement` (c fell),      |
|                 | `stable` (|Δc| < 0.0005)                                             |
| time spent      | `+= time_spent_seconds`                                              |
| module progress | highest `progress_percentage / 100` seen; 100 % completes the module |
| achievements    | each `ACHIEVEMENTS` threshold newly reached (skill badges only when  |
|                 | this update crosses them); `<module>_master` when a module completes |
|                 | with a score ≥ 0.85                                                  |

Ending a session (`POST /users/{id}/sessions/{sid}/end`): duration = end − start; time spent
`+=` duration minus the seconds progress reports of that session already added; `completed`
completes the module; `final_score` moves the domain skill by the same rule (p = final score)
and joins the session's scores (`average_score`); then consciousness and achievements as above.

Recommendations: a module the user *knows* (completed, or skill ≥ its level + 0.25) is never
recommended; one whose prerequisites are not all known is locked. The rest are ranked by

    relevance = 0.5 · fit + 0.2 · goal + 0.15 · style + 0.15 · interest

with fit = 1 − |module level − target| (target: the domain skill, or the level named by the
`difficulty` preference), goal = 1 when a goal mentions the domain, style = 1 − |hands-on
preference − module hands-on share|, interest = 1 when the user has a skill in the domain;
ties go to the easier module, then the catalog id.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from axonql.errors import NotFound, ValidationError
from axonql.models.user import LearningContext
from axonql.services.module_catalog import (
    ACHIEVEMENTS,
    CATALOG,
    DOMAINS,
    MASTERY_SCORE,
    MODULES,
    SKILL_LABELS,
    AchievementRule,
    Module,
    mastery_achievement,
)

SCORE_PIVOT = 0.6
SKILL_RATE = 0.2
RATING_NUDGE = {"too_easy": 0.02, "appropriate": 0.0, "too_hard": -0.02}
CONSCIOUSNESS_RATE = 0.25
KNOWN_MARGIN = 0.25
DEFAULT_CONSCIOUSNESS = 0.5
OPTIMIZED_BAND = 0.2
PACE_SECONDS_PER_DAY = {"slow": 1800, "normal": 3600, "fast": 7200}
PACE_FACTOR = {"slow": 1.25, "normal": 1.0, "fast": 0.8}
MODE_FACTOR = {"focused": 1.0, "exploratory": 1.25, "review": 0.5}
COMPLETION_STATUSES = ("completed", "partial", "abandoned")


def _r(value: float) -> float:
    return round(value, 4)


def clamp01(value: float) -> float:
    return min(1.0, max(0.0, value))


def performance(
    score: float | None,
    exercises_completed: int | None,
    exercises_total: int | None,
    progress_percentage: float,
) -> float:
    """The performance p a progress report shows (first rule of the table)."""
    if score is not None:
        return score
    if exercises_total and exercises_completed is not None:
        return clamp01(exercises_completed / exercises_total)
    return clamp01(progress_percentage / 100)


def skill_delta(p: float, difficulty_rating: str | None = None) -> float:
    """How much one report moves the domain skill."""
    nudge = RATING_NUDGE.get(difficulty_rating or "appropriate", 0.0)
    return SKILL_RATE * (p - SCORE_PIVOT) + nudge


def apply_skill(ctx: LearningContext, domain: str, delta: float) -> float:
    """Moves one skill by `delta` within 0..1; returns the new value."""
    new = _r(clamp01(ctx.skill_levels.get(domain, 0.0) + delta))
    ctx.skill_levels[domain] = new
    return new


def mean_skill(ctx: LearningContext) -> float:
    values = list(ctx.skill_levels.values())
    return sum(values) / len(values) if values else DEFAULT_CONSCIOUSNESS


def initial_consciousness(ctx: LearningContext) -> float:
    """A new context starts at its mean skill (0.5 with no skills)."""
    return _r(mean_skill(ctx))


@dataclass
class ConsciousnessStep:
    previous: float
    new: float
    change: float
    reason: str


def step_consciousness(ctx: LearningContext) -> ConsciousnessStep:
    """Moves the consciousness level a quarter of the way toward the mean skill."""
    previous = ctx.consciousness_level
    new = _r(clamp01(previous + CONSCIOUSNESS_RATE * (mean_skill(ctx) - previous)))
    change = _r(new - previous)
    if abs(change) < 0.0005:
        reason = "stable"
    else:
        reason = "consistent_progress" if change > 0 else "needs_reinforcement"
    ctx.consciousness_level = new
    return ConsciousnessStep(previous, new, change, reason)


def unlock_achievements(
    ctx: LearningContext,
    now: datetime,
    baseline: dict[str, float],
    *,
    mastered: str | None = None,
) -> list[AchievementRule]:
    """Adds every achievement whose threshold is now reached; returns the new ones.

    Skill badges are earned by learning: they unlock when an update carries the skill from
    below its threshold (`baseline`: the skills before the update) to it or above.
    """
    reached: list[AchievementRule] = []
    for rule in ACHIEVEMENTS:
        if rule.min_completed is not None and len(ctx.completed_modules) < rule.min_completed:
            continue
        if rule.min_time_spent is not None and ctx.time_spent < rule.min_time_spent:
            continue
        if rule.min_skill is not None and (
            rule.domain is None
            or ctx.skill_levels.get(rule.domain, 0.0) < rule.min_skill
            or baseline.get(rule.domain, 0.0) >= rule.min_skill
        ):
            continue
        reached.append(rule)
    if mastered is not None:
        reached.append(mastery_achievement(mastered))
    new = [rule for rule in reached if rule.id not in ctx.achievements]
    for rule in new:
        ctx.achievements.append(rule.id)
        ctx.achievement_unlocked_at[rule.id] = now
    return new


def mastered(module_id: str, completed: bool, score: float | None) -> str | None:
    """The module id when this completion earns `<module>_master`."""
    return module_id if completed and score is not None and score >= MASTERY_SCORE else None


def complete_module(ctx: LearningContext, module_id: str) -> bool:
    """Marks a module completed; True when it was not already."""
    ctx.module_progress[module_id] = 1.0
    if module_id in ctx.completed_modules:
        return False
    ctx.completed_modules.append(module_id)
    return True


def check_module(module_id: str, field: str = "moduleId") -> Module:
    """A catalog module, or MODULE_NOT_AVAILABLE."""
    module = CATALOG.get(module_id)
    if module is None:
        raise NotFound(
            f"learning module {module_id} is not available",
            code="MODULE_NOT_AVAILABLE",
            field=field,
            details={"module_id": module_id},
        )
    return module


# --- recommendations ------------------------------------------------------------------------


def knows(ctx: LearningContext, module: Module) -> bool:
    """Completed, or the domain skill is a band above the module's level."""
    if module.id in ctx.completed_modules:
        return True
    return ctx.skill_levels.get(module.domain, 0.0) >= module.level + KNOWN_MARGIN - 1e-9


def prerequisites_met(ctx: LearningContext, module: Module) -> bool:
    return all(knows(ctx, CATALOG[p]) for p in module.prerequisites)


def _goal_mentions(ctx: LearningContext, domain: str) -> bool:
    stem = domain[:7]
    return any(stem in goal.lower() for goal in ctx.goals)


def _number(value: object, default: float) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return clamp01(float(value))
    return default


@dataclass
class Ranked:
    module: Module
    relevance: float
    consciousness_optimized: bool


def relevance(ctx: LearningContext, module: Module) -> float:
    """The ranking formula of the module docstring."""
    preferred = str(ctx.preferences.get("difficulty", "adaptive")).lower()
    target = SKILL_LABELS.get(preferred, ctx.skill_levels.get(module.domain, 0.0))
    fit = 1.0 - min(1.0, abs(module.level - target))
    goal = 1.0 if _goal_mentions(ctx, module.domain) else 0.0
    hands_on = _number(ctx.preferences.get("hands_on_preference"), 0.5)
    style = 1.0 - abs(hands_on - module.hands_on)
    interest = 1.0 if module.domain in ctx.skill_levels else 0.0
    return _r(0.5 * fit + 0.2 * goal + 0.15 * style + 0.15 * interest)


def recommend(
    ctx: LearningContext,
    *,
    limit: int = 10,
    domain: str | None = None,
    difficulty: str | None = None,
    prefer_domain: str | None = None,
) -> list[Ranked]:
    """Unlocked, not-yet-known modules, best first (optionally one domain first)."""
    ranked = [
        Ranked(
            module,
            relevance(ctx, module),
            abs(module.level - ctx.consciousness_level) <= OPTIMIZED_BAND + 1e-9,
        )
        for module in MODULES
        if (domain is None or module.domain == domain)
        and (difficulty is None or module.difficulty == difficulty)
        and not knows(ctx, module)
        and prerequisites_met(ctx, module)
    ]
    ranked.sort(
        key=lambda r: (r.module.domain != prefer_domain, -r.relevance, r.module.level, r.module.id)
    )
    return ranked[:limit]


def starting_modules(ctx: LearningContext) -> list[str]:
    """The best unlocked module of each domain the user cares about, best first."""
    best: dict[str, Ranked] = {}
    for ranked in recommend(ctx, limit=len(MODULES)):
        domain = ranked.module.domain
        if domain not in best and (domain in ctx.skill_levels or _goal_mentions(ctx, domain)):
            best[domain] = ranked
    return [r.module.id for r in best.values()]


# --- learning path --------------------------------------------------------------------------


@dataclass
class PathStep:
    position: int
    module: Module
    status: str  # completed | known | available | locked


@dataclass
class LearningPlan:
    steps: list[PathStep]
    current_position: int
    remaining_seconds: int
    estimated_completion: datetime


def _with_prerequisites(ids: set[str]) -> set[str]:
    todo, seen = list(ids), set(ids)
    while todo:
        for p in CATALOG[todo.pop()].prerequisites:
            if p not in seen:
                seen.add(p)
                todo.append(p)
    return seen


def learning_path(ctx: LearningContext, now: datetime) -> LearningPlan:
    """Modules of the user's domains (and their prerequisites) in prerequisite order.

    Kahn's algorithm; among the modules whose prerequisites are placed, known ones go first,
    then the easier, then catalog order. Completion is estimated from the `pace` preference
    (slow 30 min/day, normal 1 h/day, fast 2 h/day).
    """
    domains = {d for d in DOMAINS if d in ctx.skill_levels or _goal_mentions(ctx, d)}
    wanted = _with_prerequisites({m.id for m in MODULES if not domains or m.domain in domains})
    order = {m.id: i for i, m in enumerate(MODULES)}
    placed: list[Module] = []
    done: set[str] = set()
    pending = [CATALOG[i] for i in sorted(wanted, key=order.__getitem__)]
    while pending:
        ready = [m for m in pending if all(p in done for p in m.prerequisites)]
        nxt = min(ready, key=lambda m: (not knows(ctx, m), m.level, order[m.id]))
        pending.remove(nxt)
        placed.append(nxt)
        done.add(nxt.id)
    steps: list[PathStep] = []
    for i, module in enumerate(placed, start=1):
        if module.id in ctx.completed_modules:
            status = "completed"
        elif knows(ctx, module):
            status = "known"
        else:
            status = "available" if prerequisites_met(ctx, module) else "locked"
        steps.append(PathStep(i, module, status))
    open_steps = [s for s in steps if s.status in ("available", "locked")]
    current = open_steps[0].position if open_steps else len(steps)
    remaining = sum(s.module.estimated_duration for s in open_steps)
    pace = str(ctx.preferences.get("pace", "normal")).lower()
    per_day = PACE_SECONDS_PER_DAY.get(pace, PACE_SECONDS_PER_DAY["normal"])
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    finish = midnight + timedelta(days=math.ceil(remaining / per_day))
    return LearningPlan(steps, current, remaining, finish)


# --- sessions -------------------------------------------------------------------------------


@dataclass
class SessionPlan:
    difficulty_level: str
    content_style: str
    estimated_duration: int
    adaptations: list[str]


def plan_session(
    ctx: LearningContext, module: Module, mode: str, consciousness: float | None
) -> SessionPlan:
    """Adapts a module to the learner for a session.

    difficulty: the module's label with `_plus` when signals say stretch (consciousness ≥ 0.75,
    skill ≥ level + 0.15) outweigh those saying ease off (consciousness < 0.4, skill ≤ level −
    0.3), `_minus` the other way. Style: `summary` for review mode, else by hands-on preference
    (≥ 0.6 hands_on, ≤ 0.4 conceptual, else balanced). Duration: the module's, × pace
    (slow 1.25, fast 0.8) × mode (exploratory 1.25, review 0.5).
    """
    c = ctx.consciousness_level if consciousness is None else consciousness
    skill = ctx.skill_levels.get(module.domain, 0.0)
    signal = (
        int(c >= 0.75)
        + int(skill >= module.level + 0.15)
        - int(c < 0.4)
        - int(skill <= module.level - 0.3)
    )
    suffix = "_plus" if signal > 0 else "_minus" if signal < 0 else ""
    hands_on = _number(ctx.preferences.get("hands_on_preference"), 0.5)
    if mode == "review":
        style = "summary"
    elif hands_on >= 0.6:
        style = "hands_on"
    elif hands_on <= 0.4:
        style = "conceptual"
    else:
        style = "balanced"
    pace = str(ctx.preferences.get("pace", "normal")).lower()
    duration = module.estimated_duration * PACE_FACTOR.get(pace, 1.0) * MODE_FACTOR[mode]
    adaptations: list[str] = []
    if suffix == "_plus":
        adaptations.append("increased_example_complexity")
    if suffix == "_minus":
        adaptations += ["simplified_examples", "additional_guidance"]
    if style == "hands_on":
        adaptations.append("added_practical_exercises")
    if ctx.preferences.get("visual_aids") is True:
        adaptations.append("added_visual_aids")
    if mode == "review":
        adaptations.append("condensed_review")
    return SessionPlan(module.difficulty + suffix, style, round(duration), adaptations)


def check_mode(mode: str) -> str:
    if mode not in MODE_FACTOR:
        raise ValidationError(
            f"learningMode must be one of {', '.join(MODE_FACTOR)}", field="learningMode"
        )
    return mode
