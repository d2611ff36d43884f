"""Users' learning over real HTTP on a real database: contexts, progress rules, sessions,
recommendations and learning paths (SynapticOS), and bad input that changes nothing."""

from __future__ import annotations

import asyncio
import math
from datetime import timedelta
from typing import Any

import pytest

from axonql import models
from axonql.models.base import utcnow
from axonql.models.user import LearningContext
from tests.support import GraphQLClient, error_codes, token_for

CREATE = """
mutation($userId: ID!, $input: UserContextInput!) {
  createUserContext(userId: $userId, input: $input) {
    userId contextCreated initialConsciousnessLevel recommendedStartingModules
    context { skillLevels goals currentConsciousnessLevel }
  }
}"""

CONTEXT = """
query($userId: ID!) {
  userContext(userId: $userId) {
    userId createdAt lastUpdated skillLevels skills { domain level label }
    learningPreferences goals currentConsciousnessLevel totalTimeSpent achievements
    achievementDetails { id title unlockedAt } completedModules moduleProgress
    currentSession { sessionId startTime currentModule progress }
  }
}"""

PROGRESS = """
mutation($userId: ID!, $input: UserProgressInput!) {
  updateUserProgress(userId: $userId, input: $input) {
    progressUpdated moduleId domain newSkillLevel skillLevel skillChange moduleCompleted
    consciousnessAdaptation { levelChange reason previousLevel newLevel }
    nextRecommendations achievementsUnlocked sessionId
  }
}"""

SESSION_FIELDS = """
    sessionId userId moduleId status sessionStarted sessionEnded startTime endTime
    learningMode progress completionStatus
    adaptiveContent { difficultyLevel contentStyle estimatedDuration }
    consciousnessAdaptations
    sessionSummary { durationSeconds modulesCompleted exercisesCompleted averageScore }
    skillUpdates achievementsUnlocked
"""
START = (
    "mutation($userId: ID!, $input: StartLearningSessionInput!) {"
    " startLearningSession(userId: $userId, input: $input) {" + SESSION_FIELDS + "} }"
)
END = (
    "mutation($userId: ID!, $sessionId: ID!, $input: EndLearningSessionInput) {"
    " endLearningSession(userId: $userId, sessionId: $sessionId, input: $input) {"
    + SESSION_FIELDS
    + "} }"
)

RECOMMEND = """
query($userId: ID!, $limit: Int, $domain: String, $difficulty: String) {
  recommendations(userId: $userId, limit: $limit, domain: $domain, difficulty: $difficulty) {
    moduleId title domain difficulty estimatedDuration consciousnessOptimized relevanceScore
    prerequisites learningObjectives
  }
  learningPath(userId: $userId) {
    currentPosition totalModules remainingSeconds estimatedCompletion
    steps { position moduleId prerequisites status estimatedDuration }
  }
}"""

SEED_CONTEXT: dict[str, Any] = {
    "skillLevels": {"python": "intermediate", "security": "beginner", "networking": "advanced"},
    "learningPreferences": {
        "pace": "normal",
        "difficulty": "adaptive",
        "visual_aids": True,
        "hands_on_preference": 0.8,
    },
    "goals": ["Complete Python certification", "Improve security awareness"],
}


async def _create(gql: GraphQLClient, token: str, user_id: str, **input: Any) -> dict[str, Any]:
    body = await gql(CREATE, {"userId": user_id, "input": input}, token)
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]["createUserContext"]
    return result


async def _stored(user_id: str) -> dict[str, Any] | None:
    doc = await models.User.get_pymongo_collection().find_one({"_id": user_id})
    if doc is not None:
        doc.pop("updated_at", None)
    return doc


async def test_seed_create_context_creates_the_user(gql: GraphQLClient, admin_token: str) -> None:
    created = await _create(gql, admin_token, "user123", **SEED_CONTEXT)
    assert created["userId"] == "user123"
    assert created["contextCreated"] is True
    # initial level = mean skill: (0.5 + 0.2 + 0.8) / 3
    assert created["initialConsciousnessLevel"] == pytest.approx(0.5)
    assert created["recommendedStartingModules"] == [
        "python_advanced_functions",
        "security_basics_1",
    ]
    user = await models.User.get("user123")
    assert user is not None and user.password_hash is None and user.username == "user123"
    assert user.learning.skill_levels == {"python": 0.5, "security": 0.2, "networking": 0.8}

    body = await gql(CONTEXT, {"userId": "user123"}, admin_token)
    ctx = body["data"]["userContext"]
    assert ctx["skillLevels"] == {
        "python": "intermediate",
        "security": "beginner",
        "networking": "advanced",
    }
    assert ctx["skills"][0] == {"domain": "networking", "level": 0.8, "label": "advanced"}
    assert ctx["learningPreferences"]["hands_on_preference"] == 0.8
    assert (
        ctx["totalTimeSpent"] == 0 and ctx["achievements"] == [] and ctx["currentSession"] is None
    )

    again = await _create(
        gql, admin_token, "user123", skillLevels={"python": 0.9}, goals=["Learn async"]
    )
    assert again["contextCreated"] is False
    assert again["context"]["skillLevels"]["python"] == "expert"
    assert again["context"]["skillLevels"]["security"] == "beginner"  # merged, not replaced
    assert again["context"]["goals"] == ["Learn async"]
    assert again["context"]["currentConsciousnessLevel"] == pytest.approx(0.5)  # kept


async def test_unknown_user_or_missing_context_is_user_not_found(
    gql: GraphQLClient, admin_token: str
) -> None:
    for user_id in ("nobody", "user_admin"):  # user_admin exists but has no context
        body = await gql(CONTEXT, {"userId": user_id}, admin_token)
        assert error_codes(body) == ["USER_NOT_FOUND"]
        body = await gql(
            PROGRESS, {"userId": user_id, "input": {"moduleId": "python_functions",
                                                    "progressPercentage": 10}}, admin_token
        )  # fmt: skip
        assert error_codes(body) == ["USER_NOT_FOUND"]
        body = await gql(RECOMMEND, {"userId": user_id}, admin_token)
        assert "USER_NOT_FOUND" in error_codes(body)
    assert await models.User.get("nobody") is None


async def test_learning_needs_user_manage_scope(gql: GraphQLClient, settings: Any) -> None:
    token = await token_for(settings, ["tasks:read"], user_id="user_reader")
    body = await gql(CONTEXT, {"userId": "user_reader"}, token)
    assert error_codes(body) == ["AUTHORIZATION_DENIED"]


# (score, exercises done/total, progress %, rating) → expected python skill from 0.5
RULE_CASES = [
    pytest.param(0.85, None, None, 75.5, "appropriate", 0.55, id="seed: score 0.85 → +0.05"),
    pytest.param(0.6, None, None, 50, None, 0.5, id="score at pivot holds"),
    pytest.param(0.1, None, None, 50, "too_hard", 0.38, id="low score and too hard"),
    pytest.param(0.6, None, None, 50, "too_easy", 0.52, id="too easy nudges up"),
    pytest.param(None, 9, 12, 50, None, 0.53, id="no score: exercise ratio 0.75"),
    pytest.param(None, None, None, 30, None, 0.44, id="no score or exercises: progress 0.3"),
]


@pytest.mark.parametrize(("score", "done", "total", "pct", "rating", "expected"), RULE_CASES)
async def test_progress_rule_table(
    gql: GraphQLClient,
    admin_token: str,
    score: float | None,
    done: int | None,
    total: int | None,
    pct: float,
    rating: str | None,
    expected: float,
) -> None:
    await _create(gql, admin_token, "u1", skillLevels={"python": "intermediate"},
                  consciousnessLevel=0.5)  # fmt: skip
    progress: dict[str, Any] = {"moduleId": "python_functions", "progressPercentage": pct}
    for key, value in (("score", score), ("exercisesCompleted", done),
                       ("exercisesTotal", total), ("difficultyRating", rating)):  # fmt: skip
        if value is not None:
            progress[key] = value
    body = await gql(PROGRESS, {"userId": "u1", "input": progress}, admin_token)
    assert "errors" not in body, body
    out = body["data"]["updateUserProgress"]
    assert out["skillLevel"] == pytest.approx(expected)
    assert out["skillChange"] == pytest.approx(expected - 0.5)
    # consciousness moves a quarter of the way to the mean skill (only python here)
    adaptation = out["consciousnessAdaptation"]
    assert adaptation["newLevel"] == pytest.approx(0.5 + 0.25 * (expected - 0.5), abs=1e-4)
    assert adaptation["levelChange"] == pytest.approx(0.25 * (expected - 0.5), abs=1e-4)
    reason = {1: "consistent_progress", -1: "needs_reinforcement", 0: "stable"}
    assert adaptation["reason"] == reason[(expected > 0.5) - (expected < 0.5)]
    user = await models.User.get("u1")
    assert user is not None and user.learning.skill_levels["python"] == pytest.approx(expected)


async def test_progress_accumulates_time_completes_modules_and_unlocks(
    gql: GraphQLClient, admin_token: str
) -> None:
    await _create(gql, admin_token, "u2", **SEED_CONTEXT)
    first = await gql(
        PROGRESS,
        {"userId": "u2", "input": {"moduleId": "python_functions", "progressPercentage": 75.5,
                                   "timeSpentSeconds": 1800, "exercisesCompleted": 8,
                                   "exercisesTotal": 12, "score": 0.85,
                                   "difficultyRating": "appropriate"}},
        admin_token,
    )  # fmt: skip
    out = first["data"]["updateUserProgress"]
    assert out["progressUpdated"] is True and out["newSkillLevel"] == "intermediate"
    assert out["moduleCompleted"] is False and out["achievementsUnlocked"] == []
    # the same domain first, never the module just studied
    assert out["nextRecommendations"] == ["python_advanced_functions", "python_intermediate_1",
                                          "security_basics_1"]  # fmt: skip

    second = await gql(
        PROGRESS,
        {"userId": "u2", "input": {"moduleId": "python_functions", "progressPercentage": 100,
                                   "timeSpentSeconds": 1900, "score": 0.95}},
        admin_token,
    )  # fmt: skip
    out = second["data"]["updateUserProgress"]
    assert out["moduleCompleted"] is True
    assert set(out["achievementsUnlocked"]) == {
        "first_module_complete",
        "first_hour",
        "python_functions_master",
    }
    assert "python_error_handling" in out["nextRecommendations"]  # unlocked by completion

    ctx = (await gql(CONTEXT, {"userId": "u2"}, admin_token))["data"]["userContext"]
    assert ctx["totalTimeSpent"] == 3700
    assert ctx["completedModules"] == ["python_functions"]
    assert ctx["moduleProgress"]["python_functions"] == 1.0
    assert {a["id"] for a in ctx["achievementDetails"]} == set(out["achievementsUnlocked"])
    assert all(a["unlockedAt"] for a in ctx["achievementDetails"])

    events = await models.Event.find({"type": "LEARNING_PROGRESS", "user_id": "u2"}).to_list()
    assert [e.payload["progress"] for e in events] == [0.755, 1.0]
    assert events[0].payload["time_spent"] == 1800 and events[0].payload["total_exercises"] == 12
    assert await models.Event.find({"type": "MODULE_COMPLETED", "user_id": "u2"}).count() == 1
    unlocked = await models.Event.find({"type": "ACHIEVEMENT_UNLOCKED", "user_id": "u2"}).count()
    assert unlocked == 3

    # a third report of the same module unlocks nothing twice
    third = await gql(
        PROGRESS,
        {"userId": "u2", "input": {"moduleId": "python_functions", "progressPercentage": 100,
                                   "score": 0.9}},
        admin_token,
    )  # fmt: skip
    assert third["data"]["updateUserProgress"]["achievementsUnlocked"] == []


async def test_skill_is_bounded_and_skill_badges_unlock(
    gql: GraphQLClient, admin_token: str
) -> None:
    await _create(gql, admin_token, "u3", skillLevels={"security": 0.45, "python": 0.98})
    # python is declared above every badge: declaring a skill earns none
    body = await gql(
        PROGRESS,
        {"userId": "u3", "input": {"moduleId": "python_async", "progressPercentage": 40,
                                   "score": 1.0, "difficultyRating": "too_easy"}},
        admin_token,
    )  # fmt: skip
    out = body["data"]["updateUserProgress"]
    assert out["skillLevel"] == 1.0 and out["newSkillLevel"] == "expert"  # 0.98 + 0.1, bounded
    assert out["achievementsUnlocked"] == []
    # security 0.45 → 0.55 crosses bronze (0.5) only
    body = await gql(
        PROGRESS,
        {"userId": "u3", "input": {"moduleId": "security_basics_1", "progressPercentage": 40,
                                   "score": 1.0}},
        admin_token,
    )  # fmt: skip
    out = body["data"]["updateUserProgress"]
    assert out["skillLevel"] == pytest.approx(0.53)
    assert out["achievementsUnlocked"] == ["security_awareness_bronze"]


BAD_PROGRESS = [
    pytest.param({"score": 1.5}, "VALIDATION_ERROR", "score", id="score above 1"),
    pytest.param({"score": -0.1}, "VALIDATION_ERROR", "score", id="score below 0"),
    pytest.param({"progressPercentage": 101}, "VALIDATION_ERROR", "progressPercentage", id="pct"),
    pytest.param({"timeSpentSeconds": -5}, "VALIDATION_ERROR", "timeSpentSeconds", id="time"),
    pytest.param({"exercisesCompleted": 13, "exercisesTotal": 12}, "VALIDATION_ERROR",
                 "exercisesCompleted", id="more exercises than total"),
    pytest.param({"difficultyRating": "meh"}, "VALIDATION_ERROR", "difficultyRating", id="rating"),
    pytest.param({"moduleId": "cooking_101"}, "MODULE_NOT_AVAILABLE", "moduleId", id="module"),
    pytest.param({"sessionId": "session_nope"}, "RESOURCE_NOT_FOUND", None, id="session"),
]  # fmt: skip


@pytest.mark.parametrize(("patch", "code", "field"), BAD_PROGRESS)
async def test_bad_progress_changes_nothing(
    gql: GraphQLClient, admin_token: str, patch: dict[str, Any], code: str, field: str | None
) -> None:
    await _create(gql, admin_token, "u4", **SEED_CONTEXT)
    before = await _stored("u4")
    events = await models.Event.count()
    progress = {"moduleId": "python_functions", "progressPercentage": 50, **patch}
    body = await gql(PROGRESS, {"userId": "u4", "input": progress}, admin_token)
    assert error_codes(body) == [code]
    assert body["errors"][0]["extensions"].get("field") == field
    assert await _stored("u4") == before
    assert await models.Event.count() == events


BAD_CONTEXT = [
    pytest.param({"consciousnessLevel": 1.5}, "CONSCIOUSNESS_LEVEL_INVALID", id="level 1.5"),
    pytest.param({"skillLevels": {"python": "guru"}}, "INVALID_SKILL_LEVEL", id="label"),
    pytest.param({"skillLevels": {"python": 2}}, "INVALID_SKILL_LEVEL", id="number"),
    pytest.param({"skillLevels": ["python"]}, "VALIDATION_ERROR", id="not an object"),
    pytest.param({"learningPreferences": {"pace": "warp"}}, "VALIDATION_ERROR", id="pace"),
    pytest.param({"learningPreferences": {"hands_on_preference": 3}}, "VALIDATION_ERROR",
                 id="hands-on"),
    pytest.param({"goals": [""]}, "VALIDATION_ERROR", id="blank goal"),
]  # fmt: skip


@pytest.mark.parametrize(("input", "code"), BAD_CONTEXT)
async def test_bad_context_input_creates_nothing(
    gql: GraphQLClient, admin_token: str, input: dict[str, Any], code: str
) -> None:
    body = await gql(CREATE, {"userId": "fresh", "input": input}, admin_token)
    assert error_codes(body) == [code]
    assert await models.User.get("fresh") is None
    body = await gql(CREATE, {"userId": "bad id!", "input": {}}, admin_token)
    assert error_codes(body) == ["VALIDATION_ERROR"]


async def test_bad_context_update_keeps_the_stored_context(
    gql: GraphQLClient, admin_token: str
) -> None:
    await _create(gql, admin_token, "u5", **SEED_CONTEXT)
    before = await _stored("u5")
    body = await gql(
        CREATE, {"userId": "u5", "input": {"skillLevels": {"python": "expert"},
                                           "consciousnessLevel": 1.5}}, admin_token
    )  # fmt: skip
    assert error_codes(body) == ["CONSCIOUSNESS_LEVEL_INVALID"]
    assert body["errors"][0]["extensions"]["field"] == "consciousnessLevel"
    assert await _stored("u5") == before


async def test_recommendation_order_on_a_known_profile(
    gql: GraphQLClient, admin_token: str
) -> None:
    await _create(
        gql, admin_token, "u6",
        skillLevels={"python": "intermediate", "security": "beginner"},
        learningPreferences={"hands_on_preference": 0.8, "pace": "normal"},
        goals=["Complete Python certification", "Improve security awareness"],
        consciousnessLevel=0.65,
    )  # fmt: skip
    body = await gql(RECOMMEND, {"userId": "u6"}, admin_token)
    assert "errors" not in body, body
    recs = body["data"]["recommendations"]
    # relevance = 0.5 fit + 0.2 goal + 0.15 style + 0.15 interest (see services/learning.py)
    assert [(r["moduleId"], r["relevanceScore"]) for r in recs] == [
        ("python_advanced_functions", 1.0),
        ("python_functions", 0.97),
        ("python_intermediate_1", 0.97),
        ("security_basics_1", 0.94),
        ("networking_basics_1", 0.49),
    ]
    first = recs[0]
    assert first["title"] == "Advanced Python Functions"
    assert first["prerequisites"] == ["python_basic_functions"]
    assert first["learningObjectives"][1] == "Understand decorators"
    assert first["estimatedDuration"] == 3600
    # optimized: module level within 0.2 of the consciousness level (0.65)
    assert first["consciousnessOptimized"] is True
    assert recs[3]["consciousnessOptimized"] is False

    body = await gql(RECOMMEND, {"userId": "u6", "limit": None}, admin_token)
    assert len(body["data"]["recommendations"]) == 5  # null → the default 10
    body = await gql(RECOMMEND, {"userId": "u6", "limit": 2}, admin_token)
    assert [r["moduleId"] for r in body["data"]["recommendations"]] == [
        "python_advanced_functions",
        "python_functions",
    ]
    body = await gql(RECOMMEND, {"userId": "u6", "domain": "security"}, admin_token)
    assert [r["moduleId"] for r in body["data"]["recommendations"]] == ["security_basics_1"]
    body = await gql(RECOMMEND, {"userId": "u6", "difficulty": "beginner"}, admin_token)
    assert [r["moduleId"] for r in body["data"]["recommendations"]] == [
        "security_basics_1",
        "networking_basics_1",
    ]
    for bad in ({"limit": 0}, {"domain": "cooking"}, {"difficulty": "hard"}):
        body = await gql(RECOMMEND, {"userId": "u6", **bad}, admin_token)
        assert error_codes(body) == ["VALIDATION_ERROR"]


async def test_learning_path_respects_prerequisites(gql: GraphQLClient, admin_token: str) -> None:
    await _create(
        gql, admin_token, "u7",
        skillLevels={"python": "intermediate", "security": "beginner"},
        learningPreferences={"pace": "fast"},
        goals=["Network security"],
    )  # fmt: skip
    body = await gql(RECOMMEND, {"userId": "u7"}, admin_token)
    path = body["data"]["learningPath"]
    steps = path["steps"]
    ids = [s["moduleId"] for s in steps]
    seen: set[str] = set()
    for step in steps:
        assert set(step["prerequisites"]) <= seen, (step, ids)
        seen.add(step["moduleId"])
    assert len(ids) == len(set(ids)) == path["totalModules"] == 16  # python+security+networking
    # known python beginner modules come first; the first open step is the current position
    assert ids[:2] == ["python_basics_1", "python_basic_functions"]
    assert [s["status"] for s in steps[:2]] == ["known", "known"]
    assert steps[path["currentPosition"] - 1]["status"] == "available"
    assert {s["status"] for s in steps[2:]} <= {"available", "locked"}
    assert path["remainingSeconds"] == sum(s["estimatedDuration"] for s in steps[2:])
    midnight = utcnow().replace(hour=0, minute=0, second=0, microsecond=0)
    expected = midnight + timedelta(days=math.ceil(path["remainingSeconds"] / 7200))
    assert path["estimatedCompletion"].startswith(expected.date().isoformat())


async def test_session_start_progress_end(gql: GraphQLClient, admin_token: str) -> None:
    await _create(gql, admin_token, "user123", **SEED_CONTEXT)
    started = await gql(
        START,
        {"userId": "user123", "input": {"moduleId": "python_advanced_functions",
                                        "learningMode": "focused", "consciousnessLevel": 0.8}},
        admin_token,
    )  # fmt: skip
    assert "errors" not in started, started
    session = started["data"]["startLearningSession"]
    sid = session["sessionId"]
    assert sid.startswith("session_") and session["sessionStarted"] is True
    assert session["status"] == "active" and session["sessionEnded"] is False
    assert session["adaptiveContent"] == {
        "difficultyLevel": "intermediate_plus",
        "contentStyle": "hands_on",
        "estimatedDuration": 3600,
    }
    assert session["consciousnessAdaptations"] == [
        "increased_example_complexity",
        "added_practical_exercises",
        "added_visual_aids",
    ]

    second = await gql(
        START, {"userId": "user123", "input": {"moduleId": "python_functions"}}, admin_token
    )
    assert error_codes(second) == ["CONFLICT"]
    assert second["errors"][0]["extensions"]["details"]["active_session_id"] == sid
    assert await models.LearningSession.count() == 1

    progress = await gql(
        PROGRESS,
        {"userId": "user123", "input": {"moduleId": "python_advanced_functions",
                                        "progressPercentage": 50, "timeSpentSeconds": 1800,
                                        "exercisesCompleted": 6, "score": 0.85}},
        admin_token,
    )  # fmt: skip
    assert progress["data"]["updateUserProgress"]["sessionId"] == sid  # the active session
    ctx = (await gql(CONTEXT, {"userId": "user123"}, admin_token))["data"]["userContext"]
    assert ctx["currentSession"]["sessionId"] == sid
    assert ctx["currentSession"]["currentModule"] == "python_advanced_functions"
    assert ctx["currentSession"]["progress"] == 0.5

    # the session began 3420 s ago
    await models.LearningSession.get_pymongo_collection().update_one(
        {"_id": sid}, {"$set": {"started_at": utcnow() - timedelta(seconds=3420)}}
    )
    ended = await gql(
        END,
        {"userId": "user123", "sessionId": sid,
         "input": {"completionStatus": "completed", "finalScore": 0.88,
                   "feedback": {"difficulty": "appropriate", "engagement": "high"}}},
        admin_token,
    )  # fmt: skip
    assert "errors" not in ended, ended
    out = ended["data"]["endLearningSession"]
    assert out["sessionEnded"] is True and out["status"] == "ended"
    summary = out["sessionSummary"]
    assert summary["durationSeconds"] == pytest.approx(3420, abs=2)
    assert summary["modulesCompleted"] == 1
    assert summary["exercisesCompleted"] == 6
    assert summary["averageScore"] == pytest.approx((0.85 + 0.88) / 2)
    # python 0.5 → +0.05 (progress 0.85) → +0.056 (final 0.88) = 0.606: still intermediate
    assert out["skillUpdates"] == {"python": "intermediate"}
    assert "python_advanced_functions_master" in out["achievementsUnlocked"]
    assert "first_module_complete" in out["achievementsUnlocked"]

    user = await models.User.get("user123")
    assert user is not None
    assert user.learning.skill_levels["python"] == pytest.approx(0.606)
    assert user.learning.current_session_id is None
    assert user.learning.time_spent == pytest.approx(3420, abs=2)  # 1800 reported + the rest
    assert "python_advanced_functions" in user.learning.completed_modules
    stored = await models.LearningSession.get(sid)
    assert stored is not None and stored.feedback["engagement"] == "high"

    again = await gql(END, {"userId": "user123", "sessionId": sid}, admin_token)
    assert error_codes(again) == ["SESSION_NOT_ACTIVE"]
    late = await gql(
        PROGRESS,
        {"userId": "user123", "input": {"moduleId": "python_functions",
                                        "progressPercentage": 10, "sessionId": sid}},
        admin_token,
    )  # fmt: skip
    assert error_codes(late) == ["SESSION_NOT_ACTIVE"]
    types = [e.type for e in await models.Event.find({"user_id": "user123"}).to_list()]
    assert types.count("LEARNING_SESSION_START") == 1 and types.count("LEARNING_SESSION_END") == 1

    # after the end a new session may start
    restarted = await gql(
        START, {"userId": "user123", "input": {"moduleId": "python_functions"}}, admin_token
    )
    assert "errors" not in restarted, restarted


async def test_bad_session_input(gql: GraphQLClient, admin_token: str) -> None:
    await _create(gql, admin_token, "u8", **SEED_CONTEXT)
    cases = [
        ({"moduleId": "python_functions", "consciousnessLevel": 1.5},
         "CONSCIOUSNESS_LEVEL_INVALID"),
        ({"moduleId": "python_functions", "learningMode": "sleepy"}, "VALIDATION_ERROR"),
        ({"moduleId": "cooking_101"}, "MODULE_NOT_AVAILABLE"),
    ]  # fmt: skip
    before = await _stored("u8")
    for input, code in cases:
        body = await gql(START, {"userId": "u8", "input": input}, admin_token)
        assert error_codes(body) == [code]
    assert await _stored("u8") == before
    assert await models.LearningSession.count() == 0

    body = await gql(START, {"userId": "u8", "input": {"moduleId": "python_functions"}},
                     admin_token)  # fmt: skip
    sid = body["data"]["startLearningSession"]["sessionId"]
    for input, code in (({"finalScore": 1.2}, "VALIDATION_ERROR"),
                        ({"completionStatus": "maybe"}, "VALIDATION_ERROR")):  # fmt: skip
        body = await gql(END, {"userId": "u8", "sessionId": sid, "input": input}, admin_token)
        assert error_codes(body) == [code]
    stored = await models.LearningSession.get(sid)
    assert stored is not None and stored.status == "active"
    body = await gql(END, {"userId": "u8", "sessionId": "session_missing"}, admin_token)
    assert error_codes(body) == ["RESOURCE_NOT_FOUND"]
    body = await gql(END, {"userId": "nobody", "sessionId": sid}, admin_token)
    assert error_codes(body) == ["USER_NOT_FOUND"]


async def test_context_for_legacy_and_account_created_users(
    gql: GraphQLClient, admin_token: str
) -> None:
    now = utcnow()
    await models.User.get_pymongo_collection().insert_one(
        {"_id": "legacy", "username": "legacy", "created_at": now, "updated_at": now}
    )  # stored before learning contexts existed: no `learning` field at all
    created = await _create(gql, admin_token, "legacy", skillLevels={"python": 0.3})
    assert created["contextCreated"] is True
    stored = await models.User.get("legacy")
    assert stored is not None and stored.learning.revision == 1

    # an account made with skills (createUser's learningContext) already has a context
    made = models.User(
        id="made", username="made", learning=LearningContext(skill_levels={"security": 0.6})
    )
    await made.insert()
    body = await gql(CONTEXT, {"userId": "made"}, admin_token)
    assert body["data"]["userContext"]["skillLevels"] == {"security": "intermediate"}
    again = await _create(gql, admin_token, "made", goals=["Improve security awareness"])
    assert again["contextCreated"] is False


async def test_concurrent_progress_updates_are_not_lost(
    gql: GraphQLClient, admin_token: str
) -> None:
    await _create(gql, admin_token, "u9", skillLevels={"python": 0.5})
    report = {"moduleId": "python_functions", "progressPercentage": 10, "timeSpentSeconds": 100,
              "score": 0.8}  # fmt: skip
    bodies = await asyncio.gather(
        *(gql(PROGRESS, {"userId": "u9", "input": report}, admin_token) for _ in range(6))
    )
    assert all("errors" not in b for b in bodies), bodies
    user = await models.User.get("u9")
    assert user is not None
    assert user.learning.time_spent == 600
    assert user.learning.skill_levels["python"] == pytest.approx(0.5 + 6 * 0.04)
    assert user.learning.revision == 7  # one create + six updates, none lost


async def test_concurrent_session_starts_leave_one_active(
    gql: GraphQLClient, admin_token: str
) -> None:
    await _create(gql, admin_token, "u10", **SEED_CONTEXT)
    start = {"userId": "u10", "input": {"moduleId": "python_functions"}}
    bodies = await asyncio.gather(*(gql(START, start, admin_token) for _ in range(4)))
    codes = [error_codes(b) for b in bodies]
    assert codes.count([]) == 1 and codes.count(["CONFLICT"]) == 3, codes
    winner = next(b for b in bodies if "errors" not in b)["data"]["startLearningSession"]
    user = await models.User.get("u10")
    assert user is not None and user.learning.current_session_id == winner["sessionId"]
    assert await models.LearningSession.find({"user_id": "u10"}).count() == 1
