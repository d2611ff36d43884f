"""Automatic persisted queries (Apollo's APQ protocol) and the trusted-documents gate.

A client sends `extensions.persistedQuery = {"version": 1, "sha256Hash": …}` without the
query; an unknown hash answers PERSISTED_QUERY_NOT_FOUND and the client resends hash and
query, which is checked, validated and stored. Queries are stored in the database so every
instance knows a hash another registered, behind a bounded in-process LRU that saves a
round trip on every hot query. With a trusted-documents manifest only the operations it
lists run, by hash or by text, and nothing new is registered.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from datetime import timedelta
from typing import Any

from graphql import GraphQLError, GraphQLSchema, parse, validate
from pymongo.errors import DuplicateKeyError, PyMongoError

from axonql.errors import (
    InvalidRequest,
    PayloadTooLarge,
    PersistedQueryNotAllowed,
    PersistedQueryNotFound,
    ServiceUnavailable,
)
from axonql.models.base import utcnow
from axonql.models.persisted_query import PersistedQuery
from axonql.services.trusted_documents import document_hash, load_manifest
from axonql.settings import Settings

EXTENSION = "persistedQuery"
_SHA256 = re.compile(r"[0-9a-fA-F]{64}")


class QueryCache:
    """Hash → query text, least recently used dropped first; bounded so hashes a client
    invents cannot grow an instance's memory."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[str, str] = OrderedDict()

    def get(self, key: str) -> str | None:
        text = self._entries.get(key)
        if text is not None:
            self._entries.move_to_end(key)
        return text

    def put(self, key: str, text: str) -> None:
        self._entries[key] = text
        self._entries.move_to_end(key)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)


def requested_hash(extensions: dict[str, Any] | None) -> str | None:
    """The hash an APQ request names (lowercased), None without the extension."""
    if not extensions or extensions.get(EXTENSION) is None:
        return None
    persisted = extensions[EXTENSION]
    if not isinstance(persisted, dict) or persisted.get("version") != 1:
        raise InvalidRequest("extensions.persistedQuery must be {version: 1, sha256Hash}")
    found = persisted.get("sha256Hash")
    if not isinstance(found, str) or not _SHA256.fullmatch(found):
        raise InvalidRequest("extensions.persistedQuery.sha256Hash must be 64 hex digits")
    return found.lower()


class PersistedQueries:
    """One instance's view of the persisted queries: its LRU, the database, the manifest."""

    def __init__(self, settings: Settings) -> None:
        self.max_bytes = settings.max_request_bytes
        self.ttl = timedelta(seconds=settings.persisted_query_ttl_seconds)
        self.cache = QueryCache(settings.persisted_query_cache_size)
        self.trusted = (
            load_manifest(settings.trusted_documents) if settings.trusted_documents else None
        )

    async def resolve(
        self, query: str | None, extensions: dict[str, Any] | None, schema: GraphQLSchema
    ) -> str | None:
        """The query text to run for a request's `query` and `extensions`, or refused."""
        wanted = requested_hash(extensions)
        if self.trusted is not None:
            return self._trusted(query, wanted)
        if wanted is None:
            return query
        if query is None:
            return await self._stored(wanted)
        if document_hash(query) != wanted:
            raise InvalidRequest("provided sha does not match query")
        await self._register(wanted, query, schema)
        return query

    def _trusted(self, query: str | None, wanted: str | None) -> str | None:
        assert self.trusted is not None
        key = wanted if wanted is not None else document_hash(query) if query else None
        if key is None:
            return query  # no query at all: Strawberry's own 400
        listed = self.trusted.get(key)
        if listed is None:
            raise PersistedQueryNotAllowed(
                "only trusted documents run on this server; this operation is not one"
            )
        if query is not None and document_hash(query) != key:
            raise InvalidRequest("provided sha does not match query")
        return listed

    async def _stored(self, key: str) -> str:
        text = self.cache.get(key)
        if text is None:
            try:
                found = await PersistedQuery.get(key)
            except PyMongoError as exc:
                raise ServiceUnavailable("the database is unavailable") from exc
            if found is None:
                raise PersistedQueryNotFound
            text = found.query
            self.cache.put(key, text)
        return text

    async def _register(self, key: str, query: str, schema: GraphQLSchema) -> None:
        """Store a query that validates against the schema (junk is run, never stored)."""
        if self.cache.get(key) is not None:
            return
        if len(query.encode("utf-8")) > self.max_bytes:
            raise PayloadTooLarge(f"a persisted query may hold at most {self.max_bytes} bytes")
        try:
            if validate(schema, parse(query)):
                return
        except GraphQLError:
            return
        entry = PersistedQuery(id=key, query=query, expires_at=utcnow() + self.ttl)
        try:
            await entry.insert()
        except DuplicateKeyError:
            pass  # another instance registered it first
        except PyMongoError as exc:
            raise ServiceUnavailable("the database is unavailable") from exc
        self.cache.put(key, query)
