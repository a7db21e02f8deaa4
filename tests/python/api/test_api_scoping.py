"""Who may see which client, on every client route, for each role.

The routes are found in ``app.routes`` (every GET route with ``{client_id}``), so a client
route added to the app is covered without touching this file. A test-only route (``probe``,
mounted here through the production ``/v1`` guards) keeps the machinery exercised while the
app has no client route of its own.

Every client key asks every client on the probe route (every pair of demo clients). On the
other routes each client key asks for its own client (whose answer must name no other client),
the unknown ids and OTHERS_PER_ROUTE other clients, a different slice of the pairs on each
route: the scope guard is one dependency that reads only the key and the path's client_id
(test_every_client_route_runs_the_scope_guard proves each route runs it), so all pairs again
on every route repeated the probe's ~9,600 requests a dozen times without proving more.
Consultant and admin keys still ask every client on every route.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi import APIRouter, FastAPI, Query, Request
from pydantic import BaseModel
from starlette.responses import Response

from cxbench.api.deps import Snapshot
from cxbench.api.representation import respond
from cxbench.build import BuildRecord
from cxbench.keys import create_key, revoke_key
from cxbench.settings import Settings
from cxbench.targets.store import Precondition, TargetFields
from tests.python.api.fixtures import (
    PATH_DEFAULTS,
    auth,
    client_routes,
    contains_any,
    get_many,
    is_guarded,
    make_app,
    required_query,
)

UNKNOWN_CLIENTS = ("c999", "nobody", "C001", "c001 ")
ALL_PAIRS_ROUTE = "/v1/clients/{client_id}/probe"
OTHERS_PER_ROUTE = 8


class ProbeRow(BaseModel):
    metric: str
    client_name: str


class Probe(BaseModel):
    client_id: str
    items: list[ProbeRow]


probe = APIRouter(prefix="/clients", tags=["test-only"])


@probe.get("/{client_id}/probe", operation_id="test_only_probe", response_model=Probe)
async def probe_route(
    request: Request, client_id: str, snapshot: Snapshot, metric: str = Query()
) -> Response:
    """Answers with the client's own name: enough to see who got what."""

    def build() -> Probe:
        name = snapshot.clients[client_id]["client_name"]
        return Probe(client_id=client_id, items=[ProbeRow(metric=metric, client_name=name)])

    return await respond(
        request, snapshot, ("probe", client_id, metric), build, filename=f"probe-{client_id}"
    )


@dataclass
class Scoped:
    app: FastAPI
    clients: dict[str, str]  # client_id -> client_name
    client_keys: dict[str, str]  # client_id -> its client key
    consultants: list[tuple[str, frozenset[str]]]
    admin: str
    latest_year: str
    keys_file: Path


@pytest.fixture(scope="module")
def scoped(
    built: tuple[Settings, BuildRecord], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Scoped]:
    settings = built[0]
    keys_file = tmp_path_factory.mktemp("scoping") / "keys.json"
    app = make_app(settings, keys_file, probe)
    snapshot = app.state.snapshots.get()
    clients = {cid: row["client_name"] for cid, row in sorted(snapshot.clients.items())}
    ids = list(clients)
    by_industry: dict[str, list[str]] = {}
    for cid, row in sorted(snapshot.clients.items()):
        by_industry.setdefault(row["industry_code"], []).append(cid)
    spread = [members[0] for members in by_industry.values()][:4]
    # Every client has an agreed target on the default path, so its routes answer 200.
    quarters = snapshot.periods["quarter"]
    fields = TargetFields(40.0, "2030-Q4", quarters[-2], "custom")
    for cid in clients:
        app.state.targets.put(cid, "*", "nps", fields, actor="seed", precondition=Precondition())
    consultant_scopes = [ids[:1], spread, ids[10:22]]
    yield Scoped(
        app=app,
        clients=clients,
        client_keys={cid: create_key(keys_file, "client", [cid]) for cid in ids},
        consultants=[
            (create_key(keys_file, "consultant", s), frozenset(s)) for s in consultant_scopes
        ],
        admin=create_key(keys_file, "admin"),
        latest_year=snapshot.periods["year"][-1],
        keys_file=keys_file,
    )


def test_the_demo_has_many_clients_and_the_app_has_client_routes(scoped: Scoped) -> None:
    assert len(scoped.clients) >= 50
    paths = {route.path for route in client_routes(scoped.app)}
    assert "/v1/clients/{client_id}/probe" in paths
    assert "/v1/clients/{client_id}/drivers" in paths, "the drivers route is walked too"


def test_every_client_route_runs_the_scope_guard(scoped: Scoped) -> None:
    """A route with {client_id} outside /v1 (or on a router without the guards) fails here."""
    unguarded = [route.path for route in client_routes(scoped.app) if not is_guarded(route)]
    assert unguarded == []


Asker = tuple[str, str, frozenset[str] | None]


def _check_route(
    scoped: Scoped,
    path: str,
    who: list[Asker],
    targets_of: Callable[[Asker], list[str]] | None = None,
) -> None:
    """Ask ``path`` with each (label, key, scope) for the targets ``targets_of`` gives it
    (default: every client and every unknown id).

    scope None means admin. Returns nothing; asserts the rules of DESIGN §7.
    """
    route = next(r for r in client_routes(scoped.app) if r.path == path)
    params = required_query(route, scoped.latest_year)
    everyone = [*scoped.clients, *UNKNOWN_CLIENTS]
    asked = [(asker, targets_of(asker) if targets_of else everyone) for asker in who]
    concrete = path
    for name, value in PATH_DEFAULTS.items():
        concrete = concrete.replace(f"{{{name}}}", quote(value, safe=""))
    requests = [
        (concrete.replace("{client_id}", quote(target, safe="")), params, auth(key))
        for (_, key, _), targets in asked
        for target in targets
    ]
    answers = iter(get_many(scoped.app, requests))
    forbidden_bodies: set[bytes] = set()
    for (label, _, scope), targets in asked:
        for target in targets:
            answer = next(answers)
            where = f"{label} asking {path} for {target!r}"
            known = target in scoped.clients
            if scope is None or target in scope:
                if known:
                    assert answer.status == 200, f"{where}: {answer.status} {answer.body[:300]!r}"
                    others = [f'"{cid}"' for cid in scoped.clients if cid != target] + [
                        name for cid, name in scoped.clients.items() if cid != target
                    ]
                    assert contains_any(answer.body, others) == [], f"{where}: another client"
                else:
                    assert answer.status == 404, f"{where}: {answer.status}"
                    assert answer.headers["content-type"] == "application/problem+json"
            else:
                assert answer.status == 403, f"{where}: {answer.status} {answer.body[:300]!r}"
                assert answer.headers["content-type"] == "application/problem+json"
                forbidden_bodies.add(answer.body)
    # Every 403 — another existing client or one that does not exist — is the same bytes.
    assert len(forbidden_bodies) <= 1, forbidden_bodies
    if forbidden_bodies:
        (body,) = forbidden_bodies
        assert b"does not give access" in body
        assert contains_any(body, scoped.clients) == []


@pytest.fixture(scope="module")
def route_paths(scoped: Scoped) -> list[str]:
    """Every client route, the probe (ALL_PAIRS_ROUTE) first."""
    paths = [route.path for route in client_routes(scoped.app)]
    return sorted(paths, key=lambda path: path != ALL_PAIRS_ROUTE)


def test_client_keys_see_their_own_client_only_on_every_route(
    scoped: Scoped, route_paths: list[str]
) -> None:
    assert route_paths[0] == ALL_PAIRS_ROUTE
    ids = list(scoped.clients)
    who: list[Asker] = [
        (f"client key of {cid}", key, frozenset({cid})) for cid, key in scoped.client_keys.items()
    ]
    _check_route(scoped, ALL_PAIRS_ROUTE, who)
    for number, path in enumerate(route_paths[1:]):

        def own_and_a_slice(asker: Asker, number: int = number) -> list[str]:
            (own,) = asker[2] or ()
            at, first = ids.index(own), number * OTHERS_PER_ROUTE
            # The clients 1, 2, … places after its own (never its own), from where the
            # previous route's slice ended.
            steps = (1 + (first + k) % (len(ids) - 1) for k in range(OTHERS_PER_ROUTE))
            return [own, *(ids[(at + step) % len(ids)] for step in steps), *UNKNOWN_CLIENTS]

        _check_route(scoped, path, who, own_and_a_slice)


def test_consultant_keys_see_their_named_clients_only_on_every_route(
    scoped: Scoped, route_paths: list[str]
) -> None:
    for path in route_paths:
        who = [(f"consultant of {sorted(s)}", key, s) for key, s in scoped.consultants]
        _check_route(scoped, path, who)


def test_admin_keys_see_every_client_and_get_404_for_unknown_ones(
    scoped: Scoped, route_paths: list[str]
) -> None:
    for path in route_paths:
        _check_route(scoped, path, [("admin", scoped.admin, None)])


def test_a_cached_answer_is_never_replayed_to_another_key(scoped: Scoped) -> None:
    own, other = list(scoped.client_keys)[:2]
    path = f"/v1/clients/{own}/probe"
    params = {"metric": "csat"}
    first, again, intruder = get_many(
        scoped.app,
        [
            (path, params, auth(scoped.client_keys[own])),
            (path, params, auth(scoped.client_keys[own])),
            (path, params, auth(scoped.client_keys[other])),
        ],
    )
    assert first.status == again.status == 200 and first.body == again.body
    assert intruder.status == 403


def test_a_revoked_key_is_refused_even_for_an_answer_it_had(
    built: tuple[Settings, BuildRecord], tmp_path: Path
) -> None:
    keys_file = tmp_path / "keys.json"
    app = make_app(built[0], keys_file, probe)
    cid = sorted(app.state.snapshots.get().clients)[0]
    key = create_key(keys_file, "client", [cid])
    request = (f"/v1/clients/{cid}/probe", {"metric": "nps"}, auth(key))
    (before,) = get_many(app, [request])
    revoke_key(keys_file, key.split("_")[1])
    (after,) = get_many(app, [request])
    assert before.status == 200 and after.status == 401


@pytest.mark.parametrize("role", ["client", "consultant", "admin"])
def test_benchmarks_are_readable_by_every_role(scoped: Scoped, role: str) -> None:
    key = {
        "client": next(iter(scoped.client_keys.values())),
        "consultant": scoped.consultants[0][0],
        "admin": scoped.admin,
    }[role]
    params = {"metric": "nps", "period": scoped.latest_year}
    (answer, reference) = get_many(
        scoped.app,
        [("/v1/benchmarks", params, auth(key)), ("/v1/benchmarks", params, auth(scoped.admin))],
    )
    assert answer.status == 200
    assert answer.json()["items"] and answer.json() == reference.json()
    assert contains_any(answer.body, [f'"{cid}"' for cid in scoped.clients]) == []


def test_benchmarks_carry_only_published_statistics(scoped: Scoped) -> None:
    """Every cell the mart holds is listed; a suppressed one with no number at all."""
    snapshot = scoped.app.state.snapshots.get()
    (answer,) = get_many(scoped.app, [("/v1/benchmarks", {}, auth(scoped.client_keys["c001"]))])
    items = answer.json()["items"]
    assert len(items) == len(snapshot.cells)
    mart = {
        (c["industry_code"], c["touchpoint_code"], c["metric_code"], c["period"]): c
        for c in snapshot.cells
    }
    numbers = ("n_clients", "n_responses", "value", "mean", "p10", "p25", "median", "p75")
    numbers += ("p90", "moe")
    published = 0
    for item in items:
        row = mart[(item["industry"], item["touchpoint"], item["metric"], item["period"])]
        if row["is_published"]:
            published += 1
            assert item["suppressed_reason"] is None
            assert all(item[n] == row[n] for n in numbers)
        else:
            assert item["suppressed_reason"] == row["suppressed_reason"] is not None
            assert all(item[n] is None for n in numbers), item
    assert 0 < published < len(items)


def test_client_routes_export_csv_within_scope_only(scoped: Scoped) -> None:
    consultant, allowed = scoped.consultants[1]
    inside = sorted(allowed)[0]
    outside = next(cid for cid in scoped.clients if cid not in allowed)
    csv_accept = {**auth(consultant), "Accept": "text/csv"}
    ok, refused = get_many(
        scoped.app,
        [
            (f"/v1/clients/{inside}/probe", {"metric": "nps"}, csv_accept),
            (f"/v1/clients/{outside}/probe", {"metric": "nps"}, csv_accept),
        ],
    )
    assert ok.status == 200 and ok.headers["content-type"].startswith("text/csv")
    header, row = ok.body.decode("utf-8").lstrip("\ufeff").splitlines()
    assert header == "client_id,metric,client_name" and row.startswith(f"{inside},nps,")
    assert refused.status == 403 and refused.headers["content-type"] == "application/problem+json"
