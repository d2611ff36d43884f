"""Root fields for user: arguments in, one service call, a schema type out."""

from __future__ import annotations

import strawberry

from axonql import models
from axonql.schema.context import Info
from axonql.schema.pagination_types import Connection, SortDirection, list_window, to_connection
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
from axonql.services.pagination import paginate


@strawberry.type
class UserQuery:
    @query(Scope.USER_MANAGE)
    async def user(self, info: Info, id: strawberry.ID) -> User | None:
        return User.from_document(await logic.get_user(id))

    @query(Scope.USER_MANAGE, description="Users matching a filter, newest first.")
    async def users(self, info: Info, filter: UserFilter | None = None) -> list[User]:
        f = filter or UserFilter()
        size, skip = list_window(info, f.limit, f.offset)
        page = await paginate(
            models.User,
            logic.user_query(f.to_args()),
            sort_field="created_at",
            descending=True,
            first=size,
            offset=skip,
        )
        return [User.from_document(d) for d in page.items]

    @query(Scope.USER_MANAGE, description="Users as a Relay connection, sorted and paged.")
    async def users_connection(
        self,
        info: Info,
        filter: UserFilter | None = None,
        sort: UserSort | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> Connection[User]:
        order = sort or UserSort()
        size, _ = list_window(info, first, 0)
        page = await paginate(
            models.User,
            logic.user_query((filter or UserFilter()).to_args()),
            sort_field=order.field.value,
            descending=order.direction is SortDirection.DESC,
            first=size,
            after=after,
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
            info.context.settings, info.context.require_principal(), id, draft_from(input)
        )
        info.context.state.token_validity.forget()  # this instance sees the change at once
        return User.from_document(doc)

    @mutation(Scope.USER_MANAGE, description="Delete a user with its sessions and credentials.")
    async def delete_user(self, info: Info, id: strawberry.ID) -> bool:
        deleted = await logic.delete_user(info.context.require_principal(), id)
        info.context.state.token_validity.forget()
        return deleted
