"""What a newcomer needs on first start: how to sign in, and a GraphiQL page that shows it.

A first query that answers AUTHENTICATION_FAILED teaches nothing; the start-up output names
the accounts that exist and links to GraphiQL with a document that signs in, reads and
subscribes.
"""

from __future__ import annotations

from urllib.parse import quote

from axonql.services.demo import DEMO_PASSWORD
from axonql.settings import Settings

DEMO_ACCOUNTS = (("demo", "every scope"), ("reader", "read-only"))

DEFAULT_DOCUMENT = f"""# Welcome to AxonQL.
#
# 1. Sign in: press the run button and pick SignIn. `make run` (axonql serve --demo)
#    creates the users "demo" (every scope) and "reader" (read-only),
#    password "{DEMO_PASSWORD}".
# 2. Open the Headers tab below and paste the accessToken from the result:
#      {{"Authorization": "Bearer <accessToken>"}}
# 3. Run RecentTasks; run TaskChanges and change a task from another tab:
#    each change arrives here live.

mutation SignIn {{
  login(username: "demo", password: "{DEMO_PASSWORD}") {{
    accessToken
    expiresIn
  }}
}}

query RecentTasks {{
  tasks(filter: {{limit: 5}}) {{
    id
    name
    status
  }}
}}

subscription TaskChanges {{
  taskUpdated {{
    id
    type
    payload
  }}
}}
"""


SIGN_IN = (
    f'mutation SignIn {{ login(username: "demo", password: "{DEMO_PASSWORD}") {{ accessToken }} }}'
)


def graphiql_link(base: str, document: str) -> str:
    """GraphiQL opened on `document` (the page reads its editor's text from `?q=`)."""
    return f"{base}?q={quote(document, safe='')}"


def sign_in_help(settings: Settings, *, demo: bool) -> str:
    """The lines that end `axonql serve`'s start-up output."""
    where = f"http://{settings.host}:{settings.port}/graphql"
    lines = ["", "AxonQL is ready."]
    if settings.graphiql_enabled:
        lines.append(f"  GraphiQL:  {where}")
    else:
        lines.append(f"  GraphQL:   {where} (GraphiQL is off in production)")
    if demo:
        accounts = ", ".join(f'"{name}" ({what})' for name, what in DEMO_ACCOUNTS)
        lines.append(f'  Sign in:   demo users {accounts}, password "{DEMO_PASSWORD}"')
    admin, _, _ = settings.bootstrap_admin.partition(":")
    if admin:
        lines.append(f'  Sign in:   "{admin}" (every scope), password from AXONQL_BOOTSTRAP_ADMIN')
    if not demo and not admin:
        lines.append(
            "  Sign in:   no account yet: `axonql user create NAME --admin`,"
            " or set AXONQL_BOOTSTRAP_ADMIN=name:password"
        )
    lines.append(
        "  Then:      mutation { login(username: …, password: …) { accessToken } }, and send"
        " `Authorization: Bearer <accessToken>`"
    )
    if settings.graphiql_enabled and demo:
        lines.append(f"  Sign in now: {graphiql_link(where, SIGN_IN)}")
    return "\n".join(lines)
