"""``cxbench targets list|set|retire|history``: agreed targets for scripts, on this machine.

The commands use the same store and the same rules as the API (cxbench/targets/rules.py,
checked against the live snapshot). Changes are recorded as made by ``cli:<user>``; like the
API, changing an existing target needs its current ETag (``--if-match v3``), so a script never
overwrites a change it has not seen. Output is tab-separated with a header, or ``--json``.
"""

from __future__ import annotations

import getpass
import json
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from cxbench.cli_io import get_settings
from cxbench.errors import CxbenchError
from cxbench.targets.rules import (
    BASES,
    CLIENT_SCORECARDS,
    TargetRequest,
    facts_from_snapshot,
    resolve_target,
)
from cxbench.targets.store import (
    AgreedTarget,
    Precondition,
    TargetEvent,
    TargetStore,
    open_target_store,
    parse_if_match,
)

if TYPE_CHECKING:
    from cxbench.settings import Settings

T = TypeVar("T")
LIST_COLUMNS = (
    *("client_id", "touchpoint", "metric", "target_value", "due_period", "baseline_period"),
    *("basis", "basis_period", "basis_value", "status", "version", "etag", "updated_at"),
    *("updated_by", "note"),
)
HISTORY_COLUMNS = (
    *("event_id", "at", "key_id", "action", "client_id", "touchpoint", "metric", "version"),
    *("target_value", "due_period", "baseline_period", "basis", "basis_value", "note"),
    *("previous_version", "previous_target_value", "previous_due_period"),
)


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return f"cli:uid{os.getuid()}"


def _store(settings: Settings) -> TargetStore:
    return open_target_store(settings.targets_url, settings.targets_database)


def _target_row(target: AgreedTarget) -> dict[str, Any]:
    return {
        "client_id": target.client_id,
        "touchpoint": target.touchpoint,
        "metric": target.metric,
        **asdict(target.fields),
        "status": target.status,
        "version": target.version,
        "etag": target.etag,
        "created_at": target.created_at,
        "updated_at": target.updated_at,
        "updated_by": target.updated_by,
    }


def _event_row(event: TargetEvent) -> dict[str, Any]:
    row = asdict(event)
    fields = row.pop("fields")
    return {**row, **fields}


def _cell(value: Any) -> str:
    if value is None:
        return ""
    text = str(value)
    return text.replace("\t", " ").replace("\n", " ").replace("\r", " ")


def _print(rows: list[dict[str, Any]], columns: tuple[str, ...], as_json: bool) -> None:
    if as_json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    print("\t".join(columns))
    for row in rows:
        print("\t".join(_cell(row.get(c)) for c in columns))


def _etag(value: str | None) -> str | None:
    """``v3``, ``"v3"`` or ``*`` as an If-Match header value."""
    if value is None or value == "*" or value.startswith('"'):
        return value
    return f'"{value}"'


targets_app = typer.Typer(
    help="Agreed targets: list, set, retire, history (the API's rules, on this machine).",
    no_args_is_help=True,
)
JsonOption = Annotated[bool, typer.Option("--json", help="JSON instead of tab-separated.")]
ClientOption = Annotated[str | None, typer.Option(help="One client (default: all).")]


@targets_app.command("list", epilog="Examples:\n\n  cxbench targets list --client-id c001 --json")
def list_command(
    client_id: ClientOption = None,
    metric: Annotated[str | None, typer.Option(help="One metric code.")] = None,
    include_retired: Annotated[bool, typer.Option(help="Retired targets too.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Agreed targets (tab-separated with a header, or --json)."""
    targets = _store(get_settings()).list_targets(
        client_id, metric=metric, include_retired=include_retired
    )
    _print([_target_row(t) for t in targets], LIST_COLUMNS, as_json)


@targets_app.command("history", epilog="Example:\n\n  cxbench targets history --client-id c001")
def history_command(
    client_id: ClientOption = None,
    touchpoint: Annotated[str | None, typer.Option(help="One touchpoint code.")] = None,
    metric: Annotated[str | None, typer.Option(help="One metric code.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Every change, oldest first."""
    events = _store(get_settings()).history(client_id, touchpoint=touchpoint, metric=metric)
    _print([_event_row(e) for e in events], HISTORY_COLUMNS, as_json)


Basis = StrEnum("Basis", {basis: basis for basis in BASES})  # type: ignore[misc]
CUSTOM = Basis("custom")


@targets_app.command(
    "set",
    epilog=(
        "Examples:\n\n  cxbench targets set c001 '*' nps --value 35 --due 2027-Q4\n\n"
        "  cxbench targets set c001 web csat --basis p75 --due 2027 --if-match v2"
    ),
)
def set_command(
    client_id: Annotated[str, typer.Argument(help="The client.")],
    touchpoint: Annotated[str, typer.Argument(help="A touchpoint code, or '*' for all.")],
    metric: Annotated[str, typer.Argument(help="A metric code.")],
    due: Annotated[str, typer.Option(help="Due period: 2027-07, 2027-Q4 or 2027.")],
    value: Annotated[
        float | None, typer.Option(help="The target (optional with a pNN basis).")
    ] = None,
    baseline: Annotated[
        str | None, typer.Option(help="Baseline period (default: the client's latest).")
    ] = None,
    basis: Annotated[Basis, typer.Option(help="Where the target comes from.")] = CUSTOM,
    basis_period: Annotated[
        str | None, typer.Option(help="Benchmark period of a pNN basis.")
    ] = None,
    note: Annotated[str | None, typer.Option(help="Why, for the history.")] = None,
    if_match: Annotated[
        str | None, typer.Option(help="The current ETag (v3) to change an existing target.")
    ] = None,
) -> None:
    """Agree a target, or change one (--if-match)."""
    settings = get_settings()
    snapshot = _live_facts(settings, client_id)
    request = TargetRequest(
        target_value=value,
        due_period=due,
        baseline_period=baseline,
        basis=basis.value,
        basis_period=basis_period,
        note=note,
    )
    fields = resolve_target(request, touchpoint, metric, facts_from_snapshot(snapshot, client_id))
    target, created = _store(settings).put(
        client_id,
        touchpoint,
        metric,
        fields,
        actor=_actor(),
        precondition=Precondition(if_match=parse_if_match(_etag(if_match))),
    )
    verb = "Created" if created else "Changed"
    print(
        f"{verb} the {target.metric} target of {target.client_id} at {target.touchpoint}: "
        f"{target.fields.target_value:g} by {target.fields.due_period} (from "
        f"{target.fields.baseline_period}); ETag {target.etag}."
    )


@targets_app.command(
    "retire", epilog="Example:\n\n  cxbench targets retire c001 '*' nps --if-match v3"
)
def retire_command(
    client_id: Annotated[str, typer.Argument(help="The client.")],
    touchpoint: Annotated[str, typer.Argument(help="A touchpoint code, or '*'.")],
    metric: Annotated[str, typer.Argument(help="A metric code.")],
    if_match: Annotated[str, typer.Option(help="The current ETag (v3).")],
) -> None:
    """Retire a target (it stays in the history)."""
    target = _store(get_settings()).retire(
        client_id,
        touchpoint,
        metric,
        actor=_actor(),
        precondition=Precondition(if_match=parse_if_match(_etag(if_match))),
    )
    print(f"Retired the {target.metric} target of {target.client_id} at {target.touchpoint}.")


@dataclass
class _LiveFacts:
    """The few tables of the live snapshot that the target rules read (``SnapshotLike``),
    the client's own rows only: a command need not load the whole snapshot as the API does."""

    metrics: list[dict[str, Any]]
    cells: list[dict[str, Any]]
    clients: dict[str, dict[str, Any]]
    tables: dict[str, list[dict[str, Any]]]
    periods: dict[str, list[str]]
    manifest: dict[str, Any]
    touchpoint_codes: frozenset[str]

    def memo(self, key: str, build: Callable[[Any], T]) -> T:
        return build(self)


def _live_facts(settings: Settings, client_id: str) -> _LiveFacts:
    import pyarrow.parquet as pq

    from cxbench.publish import MANIFEST, current_build_id

    build_id = current_build_id(settings.published)
    if build_id is None:
        raise CxbenchError("Nothing is published yet; run `cxbench build` first.")
    folder = settings.published / build_id

    def read(name: str, filters: list[tuple[str, str, str]] | None = None) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = pq.read_table(
            folder / f"{name}.parquet", filters=filters
        ).to_pylist()
        return rows

    clients = {c["client_id"]: c for c in read("dim_clients")}
    if client_id not in clients:
        raise CxbenchError(f"There is no client {client_id!r} in the live snapshot.")
    industry = clients[client_id]["industry_code"]
    grains: dict[str, set[str]] = {grain: set() for grain in ("month", "quarter", "year")}
    cells_file = folder / "fct_benchmark_cells.parquet"
    listed = pq.read_table(cells_file, columns=["period_grain", "period"])
    for cell in listed.to_pylist():
        grains[cell["period_grain"]].add(cell["period"])
    return _LiveFacts(
        metrics=read("dim_metrics"),
        cells=read("fct_benchmark_cells", [("industry_code", "=", industry)]),
        clients=clients,
        tables={CLIENT_SCORECARDS: read(CLIENT_SCORECARDS, [("client_id", "=", client_id)])},
        periods={grain: sorted(periods) for grain, periods in grains.items()},
        manifest=json.loads((folder / MANIFEST).read_text()),
        touchpoint_codes=frozenset(t["touchpoint_code"] for t in read("dim_touchpoints")) | {"*"},
    )
