"""Group commit: units of work that arrive while another is running share the next transaction.

Every unit of work pays the same fixed price beside its own writes: its events' numbers, the
insert of its events, its tally write and its commit (`events._commit`), four of the eight
commands of a completion. Under load many of them wait at once (agents completing and
claiming together); run one after another inside one transaction, n of them pay that price
once. So the cost of a task falls as agents are added instead of staying put, and the
database process, not the agents' count, sets the queue's capacity.

A member's body is what it would pass to `atomically`: it writes through the unit's session
and can run again after a conflict. A body that fails for any other reason (a task another
agent took, a refused move) fails the whole transaction: then each member runs alone, so one
bad request never fails another's. Without transactions (a standalone mongod) members always
run alone: a failed group could not be rolled back.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from axonql.services.events import Change, atomically, joined, shares_transactions

T = TypeVar("T")

MAX_MEMBERS = 16  # units of work in one transaction: a longer one holds its documents longer


@dataclass
class _Member(Generic[T]):
    body: Callable[[Change], Awaitable[T]]
    result: asyncio.Future[T]


class GroupCommit:
    """One instance's shared transactions for one family of units of work (see the module)."""

    def __init__(self, max_members: int = MAX_MEMBERS) -> None:
        self.max_members = max_members
        self._waiting: list[_Member[Any]] = []
        self._runner: asyncio.Task[None] | None = None
        self.groups = 0  # transactions that ran more than one member (for tests)

    async def run(self, body: Callable[[Change], Awaitable[T]]) -> T:
        """`atomically(body)`, sharing its transaction with the units waiting beside it."""
        outer = joined()
        if outer is not None:  # inside a unit of work already: join it, as atomically does
            return await body(outer)
        if not shares_transactions():
            return await atomically(body)
        member: _Member[T] = _Member(body, asyncio.get_running_loop().create_future())
        self._waiting.append(member)
        if self._runner is None or self._runner.done():
            self._runner = asyncio.create_task(self._drain())
        return await member.result

    async def _drain(self) -> None:
        """Run what waits, a group at a time, until nothing does."""
        try:
            await self._groups()
        finally:  # stopped (the app is stopping): nobody is left waiting for nothing
            for member in self._waiting:
                member.result.cancel()
            self._waiting.clear()

    async def _groups(self) -> None:
        while self._waiting:
            batch = self._waiting[: self.max_members]
            del self._waiting[: self.max_members]
            members = [m for m in batch if not m.result.done()]  # a caller that left is skipped
            try:
                await self._run(members)
            except BaseException:
                for member in members:
                    member.result.cancel()  # no effect on those already settled
                raise

    async def _run(self, members: list[_Member[Any]]) -> None:
        """Together in one transaction, or (one member, or the group failed) each alone."""
        if len(members) > 1:
            try:
                results = await atomically(lambda unit: _in_turn(members, unit))
            except Exception:  # each member then meets its own outcome alone
                pass
            else:
                self.groups += 1
                for member, result in zip(members, results, strict=True):
                    _settle(member, result)
                return
        for member in members:
            await _alone(member)


async def _in_turn(members: list[_Member[Any]], unit: Change) -> list[Any]:
    return [await member.body(unit) for member in members]


async def _alone(member: _Member[Any]) -> None:
    try:
        result = await atomically(member.body)
    except Exception as exc:  # handed to the member's caller
        if not member.result.done():
            member.result.set_exception(exc)
    else:
        _settle(member, result)


def _settle(member: _Member[Any], result: Any) -> None:
    with contextlib.suppress(asyncio.InvalidStateError):  # its caller went away meanwhile
        member.result.set_result(result)
