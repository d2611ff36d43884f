"""Security training over real HTTP on a real database: seeded scenarios with hidden indicators,
scoring against them, expiry, double submission and bad input (SynapticOS)."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

import pytest

from axonql import models
from axonql.models.base import utcnow
from axonql.services import security_training as training
from axonql.services.scenario_templates import DIFFICULTY_RULES, TEMPLATES
from tests.support import GraphQLClient, error_codes, token_for

SCENARIO_FIELDS = """
  id scenarioId userId scenarioType title description difficulty content assessmentCriteria
  timeLimitSeconds createdAt expiresAt status practice assessmentId
"""
GENERATE = (
    "mutation($input: GenerateSecurityScenarioInput!) {"
    " generateSecurityScenario(input: $input) {" + SCENARIO_FIELDS + "} }"
)
SCENARIO = (
    "query($id: ID!) { securityScenario(id: $id) {" + SCENARIO_FIELDS
    + " assessment { assessmentId score } } }"
)  # fmt: skip
ASSESSMENT_FIELDS = """
  id assessmentId scenarioId userId score
  scoreBreakdown { detection indicators precision recall threatType action calibration }
  feedback { overall strengths improvements }
  indicatorFeedback { indicator criterion present identified correct explanation }
  consciousnessAdaptation { difficultyAdjustment nextScenarioType }
  securityAwarenessUpdate { previousLevel newLevel improvement }
  achievementsUnlocked answer timeTakenSeconds elapsedSeconds createdAt
  answerKey { threatPresent threatType indicators recommendedAction }
"""
SUBMIT = (
    "mutation($id: ID!, $input: SecurityAssessmentInput!) {"
    " submitSecurityAssessment(scenarioId: $id, input: $input) {" + ASSESSMENT_FIELDS + "} }"
)
CREATE_CONTEXT = """
mutation($userId: ID!) {
  createUserContext(userId: $userId, input: {skillLevels: {security: "beginner"}}) { userId }
}"""

SEED_REQUEST: dict[str, Any] = {
    "userId": "user123",
    "scenarioType": "phishing",
    "difficulty": "intermediate",
    "context": {"user_role": "developer", "company_type": "tech_startup"},
}


@pytest.fixture
async def learner(gql: GraphQLClient, admin_token: str) -> str:
    body = await gql(CREATE_CONTEXT, {"userId": "user123"}, admin_token)
    assert "errors" not in body, body
    return "user123"


async def _generate(gql: GraphQLClient, token: str, **overrides: Any) -> dict[str, Any]:
    body = await gql(GENERATE, {"input": {**SEED_REQUEST, **overrides}}, token)
    assert "errors" not in body, body
    scenario: dict[str, Any] = body["data"]["generateSecurityScenario"]
    return scenario


async def _truth(scenario_id: str) -> models.SecurityScenario:
    doc = await models.SecurityScenario.get(scenario_id)
    assert doc is not None
    return doc


async def _submit(
    gql: GraphQLClient, token: str, scenario_id: str, answer: dict[str, Any], user: str = "user123"
) -> dict[str, Any]:
    variables = {"id": scenario_id, "input": {"userId": user, "assessment": answer,
                                               "timeTakenSeconds": 180}}  # fmt: skip
    return await gql(SUBMIT, variables, token)


async def test_seed_generate_scenario(gql: GraphQLClient, admin_token: str, learner: str) -> None:
    scenario = await _generate(gql, admin_token, seed=42)
    assert scenario["id"].startswith("scenario_") and scenario["scenarioId"] == scenario["id"]
    assert scenario["scenarioType"] == "phishing" and scenario["difficulty"] == "intermediate"
    assert scenario["title"] == "Suspicious Email Assessment"
    assert scenario["assessmentCriteria"] == [
        "sender_authenticity",
        "urgency_tactics",
        "suspicious_links",
        "attachment_safety",
    ]
    assert scenario["timeLimitSeconds"] == 300 and scenario["status"] == "open"
    content = scenario["content"]
    assert {"email_subject", "email_body", "sender_address", "attachments"} <= set(content)
    assert "Nimbus Labs" in content["email_body"]  # the tech_startup context
    assert content["recipient_role"] == "developer"
    stored = await _truth(scenario["id"])
    assert (stored.expires_at - stored.created_at) == timedelta(seconds=300)
    assert stored.seed == 42 and stored.user_id == "user123"
    assert scenario["practice"] is True  # a client-chosen seed makes a replayable practice run
    event = await models.Event.find_one({"type": "SECURITY_SCENARIO_GENERATED"})
    assert event is not None and event.user_id == "user123"


async def test_same_seed_same_scenario(gql: GraphQLClient, admin_token: str, learner: str) -> None:
    first = await _generate(gql, admin_token, seed=7)
    second = await _generate(gql, admin_token, seed=7)
    assert first["id"] != second["id"]
    keys = ("content", "assessmentCriteria", "timeLimitSeconds", "title", "difficulty")
    assert all(first[k] == second[k] for k in keys)
    a, b = await _truth(first["id"]), await _truth(second["id"])
    assert (a.indicators, a.is_threat) == (b.indicators, b.is_threat)
    others = [await _generate(gql, admin_token, seed=s) for s in (8, 9, 10)]
    assert any(o["content"] != first["content"] for o in others)
    # the server picks a seed when none is given, and stores it for reproduction
    free = await _generate(gql, admin_token)
    assert (await _truth(free["id"])).seed >= 0 and free["practice"] is False


@pytest.mark.parametrize("scenario_type", sorted(TEMPLATES))
@pytest.mark.parametrize("difficulty", list(DIFFICULTY_RULES))
async def test_every_template_and_difficulty(
    gql: GraphQLClient, admin_token: str, learner: str, scenario_type: str, difficulty: str
) -> None:
    scenario = await _generate(
        gql, admin_token, scenarioType=scenario_type, difficulty=difficulty, seed=3
    )
    low, high, _, limit = DIFFICULTY_RULES[difficulty]
    assert scenario["timeLimitSeconds"] == limit
    assert scenario["assessmentCriteria"] == list(TEMPLATES[scenario_type].criteria)
    truth = await _truth(scenario["id"])
    if truth.is_threat:
        assert low <= len(truth.indicators) <= high
        assert set(truth.indicators) <= {i.id for i in TEMPLATES[scenario_type].indicators}
    else:
        assert truth.indicators == [] and truth.threat_type == "none"


async def test_hidden_indicators_are_never_exposed(
    gql: GraphQLClient, admin_token: str, learner: str
) -> None:
    scenario = await _generate(gql, admin_token, difficulty="beginner", seed=11)
    truth = await _truth(scenario["id"])
    assert truth.indicators  # beginner scenarios always plant indicators
    fetched = await gql(SCENARIO, {"id": scenario["id"]}, admin_token)
    for body in (json.dumps(scenario), json.dumps(fetched)):
        for indicator in truth.indicators:
            assert indicator not in body
    schema = await gql(
        '{ __type(name: "SecurityScenario") { fields { name } } }', token=admin_token
    )
    names = {f["name"] for f in schema["data"]["__type"]["fields"]}
    assert not names & {"indicators", "isThreat", "threatType", "bestAction", "seed", "answerKey"}
    probe = await gql(
        "query($id: ID!) { securityScenario(id: $id) { indicators } }",
        {"id": scenario["id"]},
        admin_token,
    )
    assert probe.get("data") is None and error_codes(probe)


def _perfect(truth: models.SecurityScenario) -> dict[str, Any]:
    return {
        "threatDetected": True,
        "threatType": "phishing",
        "confidence": 1.0,
        "indicatorsIdentified": list(truth.indicators),
        "recommendedAction": "delete_and_report",
        "reasoning": f"Clear signs: {truth.indicators[0].replace('_', ' ')} and more.",
    }


async def test_perfect_answer_scores_one(
    gql: GraphQLClient, admin_token: str, learner: str
) -> None:
    scenario = await _generate(gql, admin_token, difficulty="beginner")  # server seed
    truth = await _truth(scenario["id"])
    answer = _perfect(truth)
    # accepted aliases and spellings count as the indicator
    answer["indicatorsIdentified"] = [
        {"urgency_language": "Urgency tactics", "suspicious_sender_domain": "Spoofed sender"}.get(
            i, i.upper()
        )
        for i in truth.indicators
    ]
    body = await _submit(gql, admin_token, scenario["id"], answer)
    assert "errors" not in body, body
    out = body["data"]["submitSecurityAssessment"]
    assert out["score"] == 1.0
    assert out["scoreBreakdown"] == {"detection": 1.0, "indicators": 1.0, "precision": 1.0,
                                     "recall": 1.0, "threatType": 1.0, "action": 1.0,
                                     "calibration": 1.0}  # fmt: skip
    assert out["feedback"]["overall"] == "Excellent threat detection and analysis"
    assert "Appropriate recommended action" in out["feedback"]["strengths"]
    assert "Good reasoning provided" in out["feedback"]["strengths"]
    assert out["feedback"]["improvements"] == []
    assert [f["indicator"] for f in out["indicatorFeedback"]] == truth.indicators
    assert all(f["present"] and f["identified"] and f["correct"] for f in out["indicatorFeedback"])
    assert out["consciousnessAdaptation"] == {
        "difficultyAdjustment": "increase",
        "nextScenarioType": "intermediate_phishing",
    }
    # awareness moves a quarter of the way to the score from the security skill (0.2)
    assert out["securityAwarenessUpdate"] == {"previousLevel": 0.2, "newLevel": 0.4,
                                              "improvement": 0.2}  # fmt: skip
    user = await models.User.get("user123")
    assert user is not None and user.learning.skill_levels["security"] == 0.4
    assert out["answerKey"]["indicators"] == truth.indicators
    assert out["timeTakenSeconds"] == 180 and out["elapsedSeconds"] >= 0


async def test_practice_scenario_leaves_awareness(
    gql: GraphQLClient, admin_token: str, learner: str
) -> None:
    scenario = await _generate(gql, admin_token, difficulty="beginner", seed=5)
    body = await _submit(gql, admin_token, scenario["id"], _perfect(await _truth(scenario["id"])))
    out = body["data"]["submitSecurityAssessment"]
    assert out["score"] == 1.0
    assert out["securityAwarenessUpdate"] == {"previousLevel": 0.2, "newLevel": 0.2,
                                              "improvement": 0.0}  # fmt: skip
    user = await models.User.get("user123")
    assert user is not None and user.learning.skill_levels["security"] == 0.2


async def test_partial_answer_is_precision_recall_scored(
    gql: GraphQLClient, admin_token: str, learner: str
) -> None:
    scenario = await _generate(gql, admin_token, difficulty="beginner", seed=5)
    truth = await _truth(scenario["id"])
    planted = truth.indicators
    absent = next(i.id for i in TEMPLATES["phishing"].indicators if i.id not in planted)
    answer = {
        "threatDetected": True,
        "threatType": "spear_phishing",
        "confidence": 0.8,
        "indicatorsIdentified": [planted[0], planted[1], absent],
        "recommendedAction": "report",
        "reasoning": "Looks off.",
    }
    body = await _submit(gql, admin_token, scenario["id"], answer)
    out = body["data"]["submitSecurityAssessment"]
    precision, recall = 2 / 3, 2 / len(planted)
    f1 = 2 * precision * recall / (precision + recall)
    expected = 0.25 * 1 + 0.45 * f1 + 0.10 * 1 + 0.10 * 0.5 + 0.10 * 0.8
    assert out["score"] == pytest.approx(expected, abs=1e-4)
    assert out["scoreBreakdown"]["precision"] == pytest.approx(precision, abs=1e-4)
    assert out["scoreBreakdown"]["recall"] == pytest.approx(recall, abs=1e-4)
    feedback = {f["indicator"]: f for f in out["indicatorFeedback"]}
    assert len(feedback) == len(planted) + 1
    assert feedback[planted[0]]["correct"] and not feedback[planted[2]]["identified"]
    assert feedback[absent] == {**feedback[absent], "present": False, "identified": True,
                                "correct": False}  # fmt: skip
    hints = {i.id: i.hint for i in TEMPLATES["phishing"].indicators}
    improvements = out["feedback"]["improvements"]
    assert all(hints[i] in improvements for i in planted[2:])
    assert f"'{absent}' is not present in this scenario" in improvements
    assert "Acceptable recommended action" in out["feedback"]["strengths"]


async def test_empty_answer_scores_calibration_only(
    gql: GraphQLClient, admin_token: str, learner: str
) -> None:
    scenario = await _generate(gql, admin_token, difficulty="beginner", seed=5)
    body = await _submit(gql, admin_token, scenario["id"], {})
    out = body["data"]["submitSecurityAssessment"]
    # no detection, no indicators, no type, no action; confidence unknown → calibration 0.5
    assert out["score"] == pytest.approx(0.05)
    assert out["consciousnessAdaptation"] == {
        "difficultyAdjustment": "decrease",
        "nextScenarioType": "beginner_phishing",
    }
    assert out["feedback"]["overall"] == "The scenario was not assessed correctly"
    assert "This was a phishing attempt" in out["feedback"]["improvements"]
    assert not any(f["identified"] for f in out["indicatorFeedback"])


async def test_benign_scenario_rewards_restraint(
    gql: GraphQLClient, admin_token: str, learner: str
) -> None:
    template = TEMPLATES["phishing"]
    seed = next(
        s for s in range(500) if not training.generate(template, "advanced", s, {}).is_threat
    )
    scenario = await _generate(gql, admin_token, difficulty="advanced", seed=seed, context={})
    truth = await _truth(scenario["id"])
    assert not truth.is_threat and truth.indicators == []
    body = await _submit(gql, admin_token, scenario["id"], {
        "threatDetected": False, "confidence": 0.9, "indicatorsIdentified": [],
        "recommendedAction": "no_action"})  # fmt: skip
    out = body["data"]["submitSecurityAssessment"]
    assert out["score"] == pytest.approx(0.25 + 0.45 + 0.10 + 0.10 + 0.09)
    assert "Correctly recognised a legitimate situation" in out["feedback"]["strengths"]


async def test_expired_scenario_cannot_be_assessed(
    gql: GraphQLClient, admin_token: str, learner: str
) -> None:
    scenario = await _generate(gql, admin_token, seed=1)
    await models.SecurityScenario.get_pymongo_collection().update_one(
        {"_id": scenario["id"]}, {"$set": {"expires_at": utcnow() - timedelta(seconds=1)}}
    )
    before = await models.User.get_pymongo_collection().find_one({"_id": "user123"})
    body = await _submit(gql, admin_token, scenario["id"], {"threatDetected": True})
    assert error_codes(body) == ["SECURITY_SCENARIO_EXPIRED"]
    assert body["errors"][0]["extensions"]["status"] == 410
    assert await models.SecurityAssessment.count() == 0
    assert await models.User.get_pymongo_collection().find_one({"_id": "user123"}) == before
    fetched = await gql(SCENARIO, {"id": scenario["id"]}, admin_token)
    assert fetched["data"]["securityScenario"]["status"] == "expired"


async def test_second_submission_is_refused(
    gql: GraphQLClient, admin_token: str, learner: str
) -> None:
    scenario = await _generate(gql, admin_token, seed=2)
    first = await _submit(gql, admin_token, scenario["id"], {"threatDetected": True})
    assert "errors" not in first, first
    again = await _submit(gql, admin_token, scenario["id"], {"threatDetected": False})
    assert error_codes(again) == ["ASSESSMENT_ALREADY_SUBMITTED"]
    assert await models.SecurityAssessment.count() == 1
    fetched = (await gql(SCENARIO, {"id": scenario["id"]}, admin_token))["data"]
    assert fetched["securityScenario"]["status"] == "assessed"
    assert (
        fetched["securityScenario"]["assessment"]["assessmentId"]
        == (first["data"]["submitSecurityAssessment"]["assessmentId"])
    )

    # concurrent submissions: exactly one wins
    racing = await _generate(gql, admin_token, seed=3)
    bodies = await asyncio.gather(
        *(_submit(gql, admin_token, racing["id"], {"threatDetected": True}) for _ in range(5))
    )
    codes = [error_codes(b) for b in bodies]
    assert codes.count([]) == 1 and codes.count(["ASSESSMENT_ALREADY_SUBMITTED"]) == 4
    assert await models.SecurityAssessment.find({"scenario_id": racing["id"]}).count() == 1


async def test_assessments_listing(gql: GraphQLClient, admin_token: str, learner: str) -> None:
    ids = [(await _generate(gql, admin_token, seed=s))["id"] for s in (1, 2)]
    for sid in ids:
        await _submit(gql, admin_token, sid, {"threatDetected": True})
    query = """query($u: ID, $s: ID) { securityAssessments(userId: $u, scenarioId: $s)
               { scenarioId userId } }"""
    body = await gql(query, {"u": "user123"}, admin_token)
    assert [a["scenarioId"] for a in body["data"]["securityAssessments"]] == ids[::-1]
    body = await gql(query, {"s": ids[0]}, admin_token)
    assert [a["scenarioId"] for a in body["data"]["securityAssessments"]] == [ids[0]]
    body = await gql(query, {"u": "someone_else"}, admin_token)
    assert body["data"]["securityAssessments"] == []


async def test_difficulty_prefix_in_type(
    gql: GraphQLClient, admin_token: str, learner: str
) -> None:
    scenario = await _generate(gql, admin_token, scenarioType="advanced_phishing",
                               difficulty=None, seed=4)  # fmt: skip
    assert (scenario["scenarioType"], scenario["difficulty"]) == ("phishing", "advanced")
    assert scenario["timeLimitSeconds"] == 180


BAD_GENERATE = [
    pytest.param({"userId": "nobody"}, "USER_NOT_FOUND", id="unknown user"),
    pytest.param({"scenarioType": "tailgating"}, "VALIDATION_ERROR", id="unknown type"),
    pytest.param({"difficulty": "insane"}, "VALIDATION_ERROR", id="unknown difficulty"),
    pytest.param({"scenarioType": "advanced_phishing", "difficulty": "beginner"},
                 "VALIDATION_ERROR", id="conflicting difficulty"),
    pytest.param({"seed": -1}, "VALIDATION_ERROR", id="negative seed"),
    pytest.param({"context": [1, 2]}, "VALIDATION_ERROR", id="context not an object"),
]  # fmt: skip


@pytest.mark.parametrize(("patch", "code"), BAD_GENERATE)
async def test_bad_generate_input(
    gql: GraphQLClient, admin_token: str, learner: str, patch: dict[str, Any], code: str
) -> None:
    body = await gql(GENERATE, {"input": {**SEED_REQUEST, **patch}}, admin_token)
    assert error_codes(body) == [code]
    assert await models.SecurityScenario.count() == 0


BAD_ANSWERS = [
    pytest.param({"confidence": 1.5}, "VALIDATION_ERROR", id="confidence above 1"),
    pytest.param({"indicatorsIdentified": [""]}, "VALIDATION_ERROR", id="blank indicator"),
    pytest.param({"indicatorsIdentified": ["x"] * 101}, "VALIDATION_ERROR", id="too many"),
    pytest.param({"reasoning": "x" * 5001}, "VALIDATION_ERROR", id="reasoning too long"),
]


@pytest.mark.parametrize(("answer", "code"), BAD_ANSWERS)
async def test_bad_answer_changes_nothing(
    gql: GraphQLClient, admin_token: str, learner: str, answer: dict[str, Any], code: str
) -> None:
    scenario = await _generate(gql, admin_token, seed=6)
    body = await _submit(gql, admin_token, scenario["id"], answer)
    assert error_codes(body) == [code]
    assert await models.SecurityAssessment.count() == 0
    assert (await _truth(scenario["id"])).status == "open"


async def test_wrong_user_unknown_scenario_and_scope(
    gql: GraphQLClient, admin_token: str, learner: str, settings: Any
) -> None:
    scenario = await _generate(gql, admin_token, seed=6)
    await models.User(id="other", username="other").insert()
    body = await _submit(gql, admin_token, scenario["id"], {}, user="other")
    assert error_codes(body) == ["VALIDATION_ERROR"]
    body = await _submit(gql, admin_token, scenario["id"], {}, user="ghost")
    assert error_codes(body) == ["USER_NOT_FOUND"]
    body = await _submit(gql, admin_token, "scenario_missing", {})
    assert error_codes(body) == ["RESOURCE_NOT_FOUND"]
    assert (await _truth(scenario["id"])).status == "open"
    token = await token_for(settings, ["user:manage"], user_id="user_learner")
    body = await gql(GENERATE, {"input": SEED_REQUEST}, token)
    assert error_codes(body) == ["AUTHORIZATION_DENIED"]


@pytest.mark.parametrize("seed", range(12))
def test_planted_phishing_indicators_show_in_the_content(seed: int) -> None:
    made = training.generate(TEMPLATES["phishing"], "intermediate", seed, {})
    planted, content = set(made.indicators), made.content
    dangerous = any(a.endswith((".exe", ".docm")) for a in content["attachments"])
    assert dangerous == ("suspicious_attachment" in planted)
    link = content["links"][0]
    assert (link["text"] != link["href"]) == ("mismatched_link" in planted)
    assert content["sender_address"].endswith("@acme-corp.com") == (
        "suspicious_sender_domain" not in planted
    )
    assert content["email_body"].startswith("Dear customer,") == ("generic_greeting" in planted)
    assert ("password" in content["email_body"]) == ("request_for_credentials" in planted)
