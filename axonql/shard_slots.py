"""Which tally shard each unit of work on this instance adds to, so that none meet on one.

A transaction that writes a shard conflicts with any other that wrote it after its own
snapshot was taken, even one that has committed since (first committer wins), so random shards
made 8 concurrent writers retry about two units of work in three. A slot is taken before the
transaction starts and given back once it has ended: the next unit of work to write that shard
starts after the last one committed, so within one instance they never conflict. Each instance
hands its slots out in its own random order (most recently returned first), so instances
sharing a database mostly keep to different shards.
"""

from __future__ import annotations

import random


class ShardSlots:
    """Shard numbers `0..count-1`, each lent to at most one unit of work at a time."""

    def __init__(self, count: int) -> None:
        self.count = count
        self._free = random.sample(range(count), count)  # spreads instances; not a secret

    def take(self) -> int:
        """A free slot; a random one when all are lent (it may conflict, and be retried)."""
        return self._free.pop() if self._free else random.randrange(self.count)

    def give_back(self, slot: int) -> None:
        if slot not in self._free and len(self._free) < self.count:
            self._free.append(slot)
