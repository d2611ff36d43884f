"""Three-character pieces of a text, so a substring search is an indexed equality.

A search for "deploy" can only match a name holding every piece of it ("dep", "epl", "plo",
"loy"); the task lists read the tasks holding the piece least likely to be common (`rarest`)
from a multikey index and check the search itself on them. Pieces are case-folded (`ß` as `ss`,
`ς` as `σ`), a superset of what a case-insensitive match equates, so no match is missed.
"""

from __future__ import annotations

GRAM = 3

# letters by how often they appear in English text, most common first (rarer scores higher)
_COMMON = "etaoinsrhldcumfpgwybvkxjqz"


def grams(text: str) -> list[str]:
    """Every distinct piece of `text` (case-folded), in order of first appearance."""
    folded = text.casefold()
    return list(dict.fromkeys(folded[i : i + GRAM] for i in range(len(folded) - GRAM + 1)))


def _rarity(piece: str) -> int:
    """How unlikely a piece is to be common: spaces and common letters score low, digits,
    punctuation and other characters high."""
    score = 0
    for char in piece:
        if char == " ":
            continue
        rank = _COMMON.find(char)
        score += 30 if rank < 0 else rank
    return score


def rarest(search: str) -> str | None:
    """The piece of `search` least likely to be common (None: shorter than a piece)."""
    pieces = grams(search)
    return max(pieces, key=_rarity) if pieces else None
