"""Memory behaviour on a real database: ranked search, recall and drift, usage, consolidation."""

from __future__ import annotations

from datetime import timedelta

from axonql import models
from axonql.models.base import utcnow
from axonql.services import memory_ops, relevance, tallies
from axonql.services.memory_ops import ConsolidationPlan, SearchFilters
from tests.support import imported

CAPACITY = {"short_term": 10, "long_term": 20, "episodic": 5}

CORPUS = [
    ("m_qe", "Quantum entanglement", "User learned about quantum entanglement and physics"),
    ("m_qc", "Quantum computing", "Qubits and quantum gates explained"),
    ("m_ml", "Machine learning", "Machine learning is a subset of AI"),
    ("m_cook", "Cooking", "A recipe for bread with flour and water"),
]


async def _store(corpus: list[tuple[str, str, str]] = CORPUS, **fields: object) -> None:
    """Memories inserted directly, as a bulk import would: their search terms are rebuilt."""
    await imported(
        *(
            models.Memory(id=mid, title=title, content=content, **fields)
            for mid, title, content in corpus
        )
    )


async def test_search_ranks_a_known_corpus() -> None:
    await _store()
    result = await memory_ops.search("quantum physics", SearchFilters(), limit=10)
    ids = [m.id for m, _ in result.hits]
    assert ids == ["m_qe", "m_qc"]
    scores = [s for _, s in result.hits]
    assert scores[0] > scores[1] > 0 and all(0 < s <= 1 for s in scores)
    assert result.total_matches == 2
    only_best = await memory_ops.search(
        "quantum physics", SearchFilters(), limit=10, threshold=scores[0]
    )
    assert [m.id for m, _ in only_best.hits] == ["m_qe"]
    nothing = await memory_ops.search("the and of", SearchFilters(), limit=10)
    assert nothing.hits == [] and nothing.total_matches == 0


async def test_search_filters() -> None:
    await _store(CORPUS[:2], type="semantic", importance=0.9)
    await _store([("m_low", "Quantum notes", "quantum")], importance=0.1)
    hits = await memory_ops.search("quantum", SearchFilters(min_importance=0.5), limit=10)
    assert {m.id for m, _ in hits.hits} == {"m_qe", "m_qc"}
    typed = await memory_ops.search("quantum", SearchFilters(types=["episodic"]), limit=10)
    assert [m.id for m, _ in typed.hits] == ["m_low"]
    future = utcnow() + timedelta(days=1)
    assert (await memory_ops.search("quantum", SearchFilters(start=future), limit=10)).hits == []


def test_relevance_is_in_unit_range_and_title_weighs_more() -> None:
    ranked = relevance.rank(
        "bread",
        [
            relevance.Searchable("body", body="bread bread flour"),
            relevance.Searchable("title", title="bread"),
        ],
    )
    assert ranked[0][0] == "title" and all(0 < s <= 1 for _, s in ranked)


async def test_recall_counts_access_drifts_and_alerts_once() -> None:
    old = utcnow() - timedelta(days=60)
    await models.Memory(
        id="m_r",
        content="x",
        importance=0.0,
        drift_score=0.2,
        created_at=old,
        related_ids=["m_b", "m_a"],
    ).insert()
    await models.Memory(id="m_a", content="a").insert()
    await models.Memory(id="m_b", content="b").insert()
    memory, related = await memory_ops.recall("m_r", alert_level=0.25)
    assert memory.access_count == 1 and memory.last_accessed is not None
    assert memory.drift_score == 0.26  # 0.2 + 0.01 + 0.05 · 1 · 1
    assert [m.id for m in related] == ["m_b", "m_a"]
    memory, _ = await memory_ops.recall("m_r", alert_level=0.25)
    assert memory.access_count == 2 and memory.drift_score > 0.26
    events = await models.Event.find(models.Event.type == "MEMORY_DRIFT").to_list()
    assert len(events) == 1 and events[0].memory_id == "m_r"
    assert events[0].payload["drift_level"] == 0.26


async def test_usage_per_pool() -> None:
    await models.Memory(content="a", pool="short_term").insert()
    await models.Memory(content="b", pool="short_term", drift_score=0.9).insert()
    await models.Memory(content="c", pool="long_term").insert()
    await tallies.rebuild()  # inserted directly, as a bulk import would
    report = await memory_ops.usage(CAPACITY, alert_level=0.3)
    by_pool = {p.pool: (p.used, p.utilization) for p in report.pools}
    assert by_pool == {"short_term": (2, 0.2), "long_term": (1, 0.05), "episodic": (0, 0.0)}
    assert report.total == 35 and report.used == 3
    assert report.fragmentation == round(1 / 3, 6)


async def test_consolidation_merges_promotes_prunes_and_reports_counts() -> None:
    now = utcnow()
    day = timedelta(days=1)
    await models.Memory(
        id="dup1",
        content="Same fact!",
        importance=0.9,
        created_at=now - 2 * day,
        tags=["a"],
        access_count=2,
    ).insert()
    await models.Memory(
        id="dup2",
        content="same fact",
        importance=0.4,
        created_at=now - 2 * day,
        tags=["b"],
        access_count=3,
    ).insert()
    await models.Memory(
        id="other", content="points at dup2", related_ids=["dup2"], pool="long_term"
    ).insert()
    await models.Memory(
        id="stale", content="old trivia", importance=0.1, created_at=now - 10 * day
    ).insert()
    await models.Memory(id="fresh", content="just now", importance=0.1).insert()
    await models.Memory(
        id="mid", content="middling", importance=0.5, created_at=now - 2 * day
    ).insert()
    report = await memory_ops.consolidate(ConsolidationPlan(), CAPACITY, alert_level=0.3)
    assert (report.merged, report.promoted, report.pruned) == (1, 1, 1)
    assert report.consolidated == 2
    assert report.merged_into == {"dup1": ["dup2"]}
    assert report.bytes_freed == len("same fact") + len("old trivia")
    keeper = await models.Memory.get("dup1")
    assert keeper is not None and keeper.pool == "long_term"
    assert keeper.tags == ["a", "b"] and keeper.access_count == 5
    assert await models.Memory.get("dup2") is None and await models.Memory.get("stale") is None
    other = await models.Memory.get("other")
    assert other is not None and other.related_ids == []
    remaining = {m.id for m in await models.Memory.find_all().to_list()}
    assert remaining == {"dup1", "other", "fresh", "mid"}
    again = await memory_ops.consolidate(ConsolidationPlan(), CAPACITY, alert_level=0.3)
    assert (again.merged, again.promoted, again.pruned) == (0, 0, 0)
