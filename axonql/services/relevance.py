"""Portable relevance ranking: TF-IDF cosine similarity in 0–1 over a candidate set.

Used wherever text is searched (memories, documentation) so that scores mean the same on
every database; the database's own text index, where it has one, only narrows the candidates.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

_WORD = re.compile(r"[a-z0-9]+")
STOPWORDS = frozenset(
    {
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "for",
        "from",
        "has",
        "have",
        "in",
        "is",
        "it",
        "its",
        "of",
        "on",
        "or",
        "that",
        "the",
        "this",
        "to",
        "was",
        "were",
        "will",
        "with",
        "about",
        "into",
        "over",
        "than",
        "then",
    }
)
TITLE_WEIGHT = 2


_FOLDED = str.maketrans({"ſ": "s", "K": "k", "İ": "i", "ı": "i"})
"""The four letters outside a–z that a case-insensitive match takes for one of them."""


def _lowered(text: str) -> str:
    return text.translate(_FOLDED).lower()


def _term(word: str) -> str | None:
    """A word as it is scored: None for a stop word, else lightly stemmed (plural `s`)."""
    if word in STOPWORDS:
        return None
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def tokens(text: str) -> list[str]:
    """Lower-case words without stop words, lightly stemmed (plural `s`)."""
    return [term for word in _WORD.findall(_lowered(text)) if (term := _term(word)) is not None]


def enclosed(text: str) -> list[str]:
    """The terms of the words with a character of `text` on each side: any text holding
    `text` (in any case) holds each of them as a whole word, so it has them as `tokens`."""
    lowered = _lowered(text)
    return [
        term
        for found in _WORD.finditer(lowered)
        if found.start() > 0 and found.end() < len(lowered)
        if (term := _term(found.group())) is not None
    ]


Bag = tuple[str, Mapping[str, int]]
"""One candidate as the ranking scores it: its key and how often it holds each term
(`Searchable.terms`, kept beside memories by `memory_terms`)."""


@dataclass(frozen=True)
class Searchable:
    """One candidate: an id and its weighted text fields."""

    key: str
    title: str = ""
    body: str = ""
    tags: Sequence[str] = ()

    def terms(self) -> list[str]:
        return tokens(self.title) * TITLE_WEIGHT + tokens(self.body) + tokens(" ".join(self.tags))

    def bag(self) -> Bag:
        return self.key, Counter(self.terms())


def rank(query: str, candidates: Sequence[Searchable]) -> list[tuple[str, float]]:
    """(key, score) pairs, best first; score is the cosine of TF-IDF vectors, 0–1."""
    return rank_bags(query, [c.bag() for c in candidates])


def rank_bags(query: str, candidates: Sequence[Bag]) -> list[tuple[str, float]]:
    """As `rank`, from each candidate's term counts (so its text need not be read)."""
    query_terms = tokens(query)
    if not query_terms or not candidates:
        return []
    count = len(candidates)
    frequency: Counter[str] = Counter()
    for _, doc in candidates:
        frequency.update(term for term, n in doc.items() if n > 0)

    def idf(term: str) -> float:
        return math.log((1 + count) / (1 + frequency[term])) + 1.0

    query_vector = {t: n * idf(t) for t, n in Counter(query_terms).items()}
    query_norm = math.sqrt(sum(w * w for w in query_vector.values()))
    scored: list[tuple[str, float]] = []
    for key, doc in candidates:
        weights = {t: (1 + math.log(n)) * idf(t) for t, n in doc.items() if n > 0}
        norm = math.sqrt(sum(w * w for w in weights.values()))
        if not norm:
            continue
        dot = sum(w * weights.get(t, 0.0) for t, w in query_vector.items())
        score = dot / (norm * query_norm)
        if score > 0:
            scored.append((key, round(min(1.0, score), 6)))
    scored.sort(key=lambda pair: (-pair[1], pair[0]))
    return scored
