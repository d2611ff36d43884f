"""One route table per legacy API (pure data); `APIS` lists them in mount order."""

from __future__ import annotations

from axonql.rest_compat.route import Api
from axonql.rest_compat.tables import drift, lukhas, nexusnet, octospine, synapticos

APIS: tuple[Api, ...] = (synapticos.API, octospine.API, lukhas.API, nexusnet.API, drift.API)
