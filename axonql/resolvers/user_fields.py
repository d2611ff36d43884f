"""Root fields for user: arguments in, one service call, a schema type out."""

from __future__ import annotations

import strawberry

from axonql.schema.context import Info
from axonql.schema.pagination_types import Connection, sort_order, to_connection
from axonql.schema.permissions import mutation, query
from axonql.schema.user_types import (
    CreateUserInput,
    UpdateUserInput,
    User,
    UserFilter,
    UserSort,
    draft_from,
)
from axonql.scopes import Scope
from axonql.services import user_management as logic


@strawberry.type
class UserQuery:
    @query(Scope.USER_MANAGE)
    async def user(self, info: Info, id: strawberry.ID) -> User | None:
        return User.from_document(await logic.get_user(id))

    @query(Scope.USER_MANAGE, description="Users matching a filter, newest first.")
    async def users(self, info: Info, filter: UserFilter | None = None) -> list[User]:
        f = filter or UserFilter()
        docs = await logic.USERS.newest_first(
            info.context.settings, info.context.state.value_samples, f.to_args(), f.limit, f.offset
        )
        return [User.from_document(d) for d in docs]

    @query(Scope.USER_MANAGE, description="Users as a Relay connection, sorted and paged.")
    async def users_connection(
        self,
        info: Info,
        filter: UserFilter | None = None,
        sort: UserSort | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> Connection[User]:
        args = (filter or UserFilter()).to_args()
        order = sort_order(sort or UserSort())
        page = await logic.USERS.page(
            info.context.settings, info.context.state.value_samples, args, order, first, after
        )
        return to_connection(page, User.from_document)


@strawberry.type
class UserMutation:
    @mutation(Scope.USER_MANAGE, description="Create a user (the one way to create accounts).")
    async def create_user(self, info: Info, input: CreateUserInput) -> User:
        doc = await logic.create_user(
            info.context.settings,
            info.context.require_principal(),
            draft_from(input),
            user_id=input.id,
        )
        return User.from_document(doc)

    @mutation(Scope.USER_MANAGE)
    async def update_user(self, info: Info, id: strawberry.ID, input: UpdateUserInput) -> User:
        doc = await logic.update_user(
            info.context.settings,
            info.context.require_principal(),
            id,
            draft_from(input),
            info.context.state.token_validity,
        )
        return User.from_document(doc)

    @mutation(Scope.USER_MANAGE, description="Delete a user with its sessions and credentials.")
    async def delete_user(self, info: Info, id: strawberry.ID) -> bool:
        principal = info.context.require_principal()
        return await logic.delete_user(principal, id, info.context.state.token_validity)
