"""What a starting instance makes sure exists: the server's own System and the admin."""

from __future__ import annotations

from pymongo.errors import DuplicateKeyError

from axonql import __version__, models
from axonql.models.system import SERVER_SYSTEM_ID
from axonql.services import latest_metrics, tallies
from axonql.services.api_records import ensure_api_records
from axonql.services.events import KEPT_WORDS
from axonql.services.memory_ops import ensure_text_index
from axonql.services.users import ensure_admin
from axonql.state import AppState


async def ensure_server_system(state: AppState) -> models.System:
    """The server's own System; instances starting together on one database create it once."""
    existing = await models.System.get(SERVER_SYSTEM_ID)
    if existing is not None:
        return existing
    system = models.System(
        id=SERVER_SYSTEM_ID,
        name="AxonQL",
        kind="axonql",
        version=__version__,
        environment=state.settings.env,
        description="This AxonQL server",
        consciousness_level=0.5,
    )
    try:
        await system.insert()
    except DuplicateKeyError:
        created = await models.System.get(SERVER_SYSTEM_ID)
        if created is None:
            raise
        return created
    return system


async def bootstrap(state: AppState, *, load_demo: bool = False) -> None:
    await ensure_server_system(state)
    await tallies.ensure()
    for kept in KEPT_WORDS:
        await kept.ensure()
    await ensure_api_records(state.settings)
    await latest_metrics.ensure()
    state.text_search = await ensure_text_index()
    await ensure_admin(state.settings, state.settings.bootstrap_admin)
    if load_demo:
        from axonql.services.demo import load_demo as load

        await load(state.settings, progress=False, only_if_empty=True)
