"""Request dependencies: the current snapshot, the authenticated key, and the v1 guards.

Every ``/v1`` route runs ``V1_GUARDS`` before its own parameters, in this order:

1. ``authenticate``: 401 without a valid key in the ``Authorization`` header (never a query
   parameter or a cookie);
2. ``enforce_client_scope``: 403 for an ``ingest`` key on any route not marked with
   ``accepts_ingest_keys`` (such a key posts answers and reads nothing); for a route with a
   ``{client_id}`` path parameter, 403 when the key may not see that client — the same answer
   whether or not the client exists — and 404 for an unknown client only to a key that could
   see it (an admin). A route cannot forget it;
3. ``reject_unknown_query``: 400 for a query parameter the route does not take, or one given
   twice, so a typo (``metrc=nps``) never silently widens an answer.

The dependencies are ``async`` on purpose: they are quick and in-memory, and running them on
the event loop spares each request three hops through the thread pool.

The path and query parameters several routes share are declared here once, as ``Annotated``
types; a query filter that must name something the live snapshot has (a metric, a period…) is a
dependency (``snapshot_choice``) that answers 422 for an unknown value, so a route cannot take
the parameter and forget the check.
"""

from __future__ import annotations

import os
import threading
import typing
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path as FilePath
from typing import Annotated, Any

from fastapi import Depends, Path, Query, Request
from fastapi.dependencies.models import Dependant
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from cxbench import keys as key_store
from cxbench.api.problems import DEFAULT_DETAILS, Problem, echo
from cxbench.api.representation import PRINCIPAL_STATE, SNAPSHOT_STATE
from cxbench.api.snapshot import LoadedSnapshot, SnapshotStore
from cxbench.settings import Settings
from cxbench.targets.rules import PERIOD_PATTERN


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_snapshot(request: Request) -> LoadedSnapshot:
    """The snapshot this request answers from: the one the replay middleware saw, if it ran."""
    snapshot: LoadedSnapshot | None = getattr(request.state, SNAPSHOT_STATE, None)
    if snapshot is None:
        store: SnapshotStore = request.app.state.snapshots
        snapshot = store.get()
    if snapshot is None:
        raise Problem(503, "No benchmark snapshot is published yet; run `cxbench build`.")
    return snapshot


Snapshot = Annotated[LoadedSnapshot, Depends(get_snapshot)]


# Parameters several routes share ----------------------------------------------------------

ClientId = Annotated[str, Path(description="A client id, e.g. c011")]


def check_choice(name: str, value: str | None, allowed: Collection[str]) -> None:
    """A query value must be one that /v1/meta lists."""
    if value is not None and value not in allowed:
        raise Problem(422, f"Unknown {name} {echo(value)}; /v1/meta lists the values available.")


def snapshot_choice(
    name: str, description: str, allowed: Callable[[LoadedSnapshot], Collection[str]], **query: Any
) -> Any:
    """An optional query parameter ``name`` whose value must be in ``allowed(snapshot)``."""

    async def choice(snapshot: Snapshot, value: str | None = None) -> str | None:
        check_choice(name, value, allowed(snapshot))
        return value

    # Set as an object, not the string this module's annotations are: FastAPI evaluates strings
    # in the module's namespace, where ``name`` and ``description`` are not.
    choice.__annotations__["value"] = Annotated[
        str | None, Query(alias=name, description=description, **query)
    ]
    return Depends(choice)


def _metrics(snapshot: LoadedSnapshot) -> Collection[str]:
    return snapshot.metric_codes


def _touchpoints(snapshot: LoadedSnapshot) -> Collection[str]:
    return snapshot.touchpoint_codes


def _periods(snapshot: LoadedSnapshot) -> Collection[str]:
    return snapshot.all_periods


MetricChoice = Annotated[
    str | None, snapshot_choice("metric", "a benchmarked metric code from /v1/meta", _metrics)
]
MetricFilter = Annotated[str | None, snapshot_choice("metric", "only this metric", _metrics)]
TouchpointFilter = Annotated[
    str | None, snapshot_choice("touchpoint", "only this touchpoint", _touchpoints)
]
PeriodChoice = Annotated[
    str | None,
    snapshot_choice("period", "2025-07, 2025-Q3 or 2025", _periods, pattern=PERIOD_PATTERN),
]


@dataclass(frozen=True)
class AuthenticatedKey:
    key_id: str
    role: str
    client_ids: frozenset[str]

    def may_see_client(self, client_id: str) -> bool:
        return self.role == "admin" or client_id in self.client_ids


class KeyCache:
    """The key store, re-read when its file changes (a revoked key stops working at once)."""

    def __init__(self, path: FilePath) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._stamp: tuple[int, int, int] | None = None
        self._keys: dict[str, key_store.ApiKey] = {}

    def keys(self) -> dict[str, key_store.ApiKey]:
        try:
            stat = os.stat(self.path)
            stamp = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        except FileNotFoundError:
            return {}
        if stamp != self._stamp:
            with self._lock:
                self._keys = key_store.load_keys(self.path)
                self._stamp = stamp
        return self._keys


bearer = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    bearerFormat="cxb_<key id>_<secret>",
    description="An API key from `cxbench keys create`, sent as `Authorization: Bearer <key>`.",
)
UNAUTHORIZED = {"WWW-Authenticate": "Bearer"}


async def authenticate(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> AuthenticatedKey:
    if credentials is None:
        raise Problem(401, "An API key is required: Authorization: Bearer <key>.", UNAUTHORIZED)
    cache: KeyCache = request.app.state.keys
    key = key_store.verify(cache.keys(), credentials.credentials)
    if key is None:
        # Never repeat the key: not in the answer, not in a log.
        raise Problem(401, "The API key is not valid or has been revoked.", UNAUTHORIZED)
    principal = AuthenticatedKey(
        key_id=key.key_id, role=key.role, client_ids=frozenset(key.client_ids)
    )
    setattr(request.state, PRINCIPAL_STATE, principal)
    return principal


Principal = Annotated[AuthenticatedKey, Depends(authenticate)]

CLIENT_FORBIDDEN = DEFAULT_DETAILS[403]


def require_client_access(principal: AuthenticatedKey, client_id: str) -> None:
    """403 unless the key may see ``client_id``.

    The answer is the same whether or not the client exists, so a key cannot probe for other
    clients; a 404 for an unknown client is only given to keys that could see it.
    ``enforce_client_scope`` already calls this for every ``/v1`` route with a ``{client_id}``.
    """
    if not principal.may_see_client(client_id):
        raise Problem(403, CLIENT_FORBIDDEN)


ADMIN_ONLY = "This needs an admin API key."


async def require_admin(principal: Principal) -> AuthenticatedKey:
    """403 unless the key is an admin's: for routes about the service itself (data quality),
    which no client's or consultant's key may read. Client scope stays ``enforce_client_scope``'s
    job alone."""
    if principal.role != "admin":
        raise Problem(403, ADMIN_ONLY)
    return principal


AdminKey = Annotated[AuthenticatedKey, Depends(require_admin)]


INGEST_MARK = "_cxb_accepts_ingest_keys"
INGEST_ONLY = "An ingest key may only post answers for its own client."
EndpointT = typing.TypeVar("EndpointT", bound=typing.Callable[..., Any])


def accepts_ingest_keys(endpoint: EndpointT) -> EndpointT:
    """Mark a route an ``ingest`` key may call (its client scope is still checked)."""
    setattr(endpoint, INGEST_MARK, True)
    return endpoint


WRITER_ROLES = frozenset({"admin", "consultant", "ingest"})
WRITERS_ONLY = "Posting answers needs an ingest, consultant or admin API key."


async def require_answer_writer(principal: Principal) -> AuthenticatedKey:
    """403 for a ``client`` key: it reads its scorecard but does not deliver answers."""
    if principal.role not in WRITER_ROLES:
        raise Problem(403, WRITERS_ONLY)
    return principal


AnswerWriter = Annotated[AuthenticatedKey, Depends(require_answer_writer)]


async def enforce_client_scope(request: Request, principal: Principal, snapshot: Snapshot) -> None:
    if principal.role == "ingest":
        endpoint = getattr(request.scope.get("route"), "endpoint", None)
        if not getattr(endpoint, INGEST_MARK, False):
            raise Problem(403, INGEST_ONLY)
    client_id = request.path_params.get("client_id")
    if client_id is None:
        return
    require_client_access(principal, client_id)
    if client_id not in snapshot.clients:
        raise Problem(404, f"There is no client {echo(client_id)}.")


def _query_fields(dependant: Dependant) -> dict[str, bool]:
    """Query parameter names a route takes (with its dependencies), and whether each is a list."""
    fields: dict[str, bool] = {}
    pending = [dependant]
    while pending:
        current = pending.pop()
        for field in current.query_params:
            annotation: Any = field.field_info.annotation
            origins = {typing.get_origin(annotation)} | {
                typing.get_origin(a) for a in typing.get_args(annotation)
            }
            fields[field.alias] = bool(origins & {list, tuple, set, frozenset})
        pending.extend(current.dependencies)
    return fields


async def reject_unknown_query(request: Request) -> None:
    if not request.query_params:
        return
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return
    fields: dict[str, bool] | None = getattr(route, "_cxb_query_fields", None)
    if fields is None:
        fields = _query_fields(dependant)
        setattr(route, "_cxb_query_fields", fields)  # noqa: B010 (computed once per route)
    given = request.query_params.multi_items()
    names = list(dict.fromkeys(name for name, _ in given))
    unknown = [name for name in names if name not in fields]
    repeated = [
        name
        for name in names
        if name in fields
        and not fields[name]
        and sum(1 for given_name, _ in given if given_name == name) > 1
    ]
    if not unknown and not repeated:
        return
    accepted = ", ".join(sorted(fields)) or "none"
    problems = [f"unknown query parameter {echo(name)}" for name in unknown]
    problems += [f"query parameter {echo(name)} given more than once" for name in repeated]
    listed = "; ".join(problems)
    detail = f"{listed[0].upper()}{listed[1:]}. This endpoint takes: {accepted}."
    raise Problem(400, detail)


# The dependencies every /v1 route runs before its own (see the module docstring).
V1_GUARDS = [Depends(authenticate), Depends(enforce_client_scope), Depends(reject_unknown_query)]
