"""The learning-module catalog and achievement rules (data, not code paths).

Skill levels are stored as numbers in 0..1 and shown with SynapticOS's labels; a module's
difficulty is placed on the same scale so a skill gap is a plain subtraction.
"""

from __future__ import annotations

from dataclasses import dataclass

from axonql.errors import ValidationError

# label → the stored value a label sets; a stored value shows as the highest label it reaches
SKILL_LABELS: dict[str, float] = {
    "beginner": 0.2,
    "intermediate": 0.5,
    "advanced": 0.8,
    "expert": 0.95,
}
_LABEL_FLOORS: list[tuple[float, str]] = [
    (0.9, "expert"),
    (0.65, "advanced"),
    (0.35, "intermediate"),
    (0.0, "beginner"),
]
DIFFICULTIES: tuple[str, ...] = ("beginner", "intermediate", "advanced")


def skill_label(value: float) -> str:
    """The seed's label for a stored skill value (0.35 / 0.65 / 0.9 are the band floors)."""
    return next(label for floor, label in _LABEL_FLOORS if value >= floor)


def skill_value(field_name: str, raw: object) -> float:
    """A label (`intermediate`) or a number in 0..1 → the stored value."""
    if isinstance(raw, str) and raw.strip().lower() in SKILL_LABELS:
        return SKILL_LABELS[raw.strip().lower()]
    if isinstance(raw, int | float) and not isinstance(raw, bool) and 0.0 <= raw <= 1.0:
        return float(raw)
    raise ValidationError(
        f"{field_name} must be one of {', '.join(SKILL_LABELS)} or a number in 0..1",
        code="INVALID_SKILL_LEVEL",
        field=field_name,
        details={"provided_value": raw, "valid_levels": list(SKILL_LABELS)},
    )


@dataclass(frozen=True)
class Module:
    """One learning module: where it sits (domain, difficulty) and what it needs first."""

    id: str
    title: str
    domain: str
    difficulty: str
    estimated_duration: int
    prerequisites: tuple[str, ...] = ()
    learning_objectives: tuple[str, ...] = ()
    hands_on: float = 0.5
    exercises: int = 10

    @property
    def level(self) -> float:
        """Difficulty on the skill scale."""
        return SKILL_LABELS[self.difficulty]


def _m(
    id: str,
    title: str,
    domain: str,
    difficulty: str,
    minutes: int,
    prerequisites: tuple[str, ...] = (),
    objectives: tuple[str, ...] = (),
    hands_on: float = 0.5,
    exercises: int = 10,
) -> Module:
    return Module(
        id, title, domain, difficulty, minutes * 60, prerequisites, objectives, hands_on, exercises
    )


# fmt: off
MODULES: tuple[Module, ...] = (
    # python
    _m("python_basics_1", "Python Basics", "python", "beginner", 45,
       objectives=("Use variables and types", "Write loops and conditions"), hands_on=0.7),
    _m("python_basic_functions", "Python Functions Basics", "python", "beginner", 45,
       ("python_basics_1",), ("Define functions", "Use arguments and return values"), 0.7),
    _m("python_intermediate_1", "Intermediate Python: Data Structures", "python",
       "intermediate", 60, ("python_basics_1",),
       ("Use comprehensions", "Choose between list, dict and set"), 0.6),
    _m("python_functions", "Python Functions in Depth", "python", "intermediate", 60,
       ("python_basic_functions",), ("Use closures", "Write keyword-only arguments"), 0.6, 12),
    _m("python_advanced_functions", "Advanced Python Functions", "python", "intermediate", 60,
       ("python_basic_functions",),
       ("Master lambda functions", "Understand decorators", "Use higher-order functions"),
       0.8, 12),
    _m("python_error_handling", "Python Error Handling", "python", "intermediate", 45,
       ("python_functions",), ("Raise and catch exceptions", "Write context managers"), 0.7),
    _m("python_async", "Asynchronous Python", "python", "advanced", 90,
       ("python_advanced_functions", "python_error_handling"),
       ("Write coroutines", "Use asyncio tasks and timeouts"), 0.7, 14),
    _m("python_certification_prep", "Python Certification Preparation", "python", "advanced", 120,
       ("python_async", "python_intermediate_1"), ("Pass a timed practice exam",), 0.4, 20),
    # security
    _m("security_basics_1", "Security Awareness Basics", "security", "beginner", 30,
       objectives=("Recognise common threats", "Use strong passwords"), hands_on=0.4),
    _m("security_phishing_1", "Recognising Phishing", "security", "beginner", 30,
       ("security_basics_1",), ("Spot suspicious senders", "Check links before clicking"), 0.8),
    _m("security_social_engineering", "Social Engineering Defence", "security", "intermediate",
       45, ("security_phishing_1",), ("Verify identities", "Resist pressure tactics"), 0.6),
    _m("security_malware_1", "Malware Awareness", "security", "intermediate", 45,
       ("security_basics_1",), ("Judge attachments and downloads", "Report infections"), 0.6),
    _m("security_incident_response", "Incident Response", "security", "advanced", 90,
       ("security_social_engineering", "security_malware_1"),
       ("Contain an incident", "Preserve evidence"), 0.7, 12),
    # networking
    _m("networking_basics_1", "Networking Fundamentals", "networking", "beginner", 45,
       objectives=("Explain IP addressing", "Describe TCP and UDP"), hands_on=0.4),
    _m("networking_protocols", "Application Protocols", "networking", "intermediate", 60,
       ("networking_basics_1",), ("Trace an HTTP request", "Read DNS records"), 0.6),
    _m("networking_security", "Network Security", "networking", "advanced", 90,
       ("networking_protocols", "security_basics_1"),
       ("Configure firewalls", "Read intrusion logs"), 0.7, 12),
)
# fmt: on

CATALOG: dict[str, Module] = {m.id: m for m in MODULES}
DOMAINS: tuple[str, ...] = tuple(dict.fromkeys(m.domain for m in MODULES))


def _check_catalog() -> None:
    """Every prerequisite exists and comes earlier (the catalog is acyclic by construction)."""
    seen: set[str] = set()
    for module in MODULES:
        missing = [p for p in module.prerequisites if p not in seen]
        assert not missing, f"{module.id}: prerequisites {missing} unknown or listed later"
        seen.add(module.id)


_check_catalog()


@dataclass(frozen=True)
class AchievementRule:
    """An achievement and the threshold that unlocks it."""

    id: str
    title: str
    description: str
    domain: str | None = None
    min_skill: float | None = None
    min_completed: int | None = None
    min_time_spent: float | None = None


_BADGE_NAMES = {"security": "security_awareness"}
_TIERS = (("bronze", 0.5), ("silver", 0.7), ("gold", 0.9))

# fmt: off
ACHIEVEMENTS: tuple[AchievementRule, ...] = (
    AchievementRule("first_module_complete", "First module", "Completed a first module",
                    min_completed=1),
    AchievementRule("five_modules_complete", "Five modules", "Completed five modules",
                    min_completed=5),
    AchievementRule("first_hour", "First hour", "Spent an hour learning", min_time_spent=3600),
    AchievementRule("dedicated_learner", "Dedicated learner", "Spent ten hours learning",
                    min_time_spent=36000),
    *(
        AchievementRule(
            f"{_BADGE_NAMES.get(domain, domain + '_skill')}_{tier}",
            f"{domain.title()} {tier}",
            f"Reached a {domain} skill of {floor}",
            domain=domain,
            min_skill=floor,
        )
        for domain in DOMAINS
        for tier, floor in _TIERS
    ),
)
# fmt: on
ACHIEVEMENT_RULES: dict[str, AchievementRule] = {a.id: a for a in ACHIEVEMENTS}

MASTERY_SCORE = 0.85


def mastery_achievement(module_id: str) -> AchievementRule:
    """`<module>_master`: a module completed with a score of at least MASTERY_SCORE."""
    module = CATALOG.get(module_id)
    title = module.title if module else module_id
    return AchievementRule(
        f"{module_id}_master", f"{title} master", f"Completed {title} scoring {MASTERY_SCORE}+"
    )


def achievement_rule(achievement_id: str) -> AchievementRule:
    """The rule behind a stored achievement id: a fixed rule, else a module's mastery."""
    rule = ACHIEVEMENT_RULES.get(achievement_id)
    if rule is None:
        rule = mastery_achievement(achievement_id.removesuffix("_master"))
    return rule
