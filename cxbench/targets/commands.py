"""``cxbench targets list|set|retire|history``: agreed targets for scripts, on this machine.

The commands use the same store and the same rules as the API (cxbench/targets/rules.py,
checked against the live snapshot). Changes are recorded as made by ``cli:<user>``; like the
API, changing an existing target needs its current ETag (``--if-match v3``), so a script never
overwrites a change it has not seen. Output is tab-separated with a header, or ``--json``.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, TypeVar

from cxbench.errors import CxbenchError
from cxbench.settings import Settings, get_settings
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


def cmd_targets(args: argparse.Namespace) -> int:
    settings = get_settings()
    store = _store(settings)
    if args.targets_command == "list":
        targets = store.list_targets(
            args.client_id, metric=args.metric, include_retired=args.include_retired
        )
        _print([_target_row(t) for t in targets], LIST_COLUMNS, args.json)
    elif args.targets_command == "history":
        events = store.history(args.client_id, touchpoint=args.touchpoint, metric=args.metric)
        _print([_event_row(e) for e in events], HISTORY_COLUMNS, args.json)
    elif args.targets_command == "set":
        _set(settings, store, args)
    elif args.targets_command == "retire":
        target = store.retire(
            args.client_id,
            args.touchpoint,
            args.metric,
            actor=_actor(),
            precondition=Precondition(if_match=parse_if_match(_etag(args.if_match))),
        )
        print(f"Retired the {target.metric} target of {target.client_id} at {target.touchpoint}.")
    return 0


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


def _set(settings: Settings, store: TargetStore, args: argparse.Namespace) -> None:
    snapshot = _live_facts(settings, args.client_id)
    request = TargetRequest(
        target_value=args.value,
        due_period=args.due,
        baseline_period=args.baseline,
        basis=args.basis,
        basis_period=args.basis_period,
        note=args.note,
    )
    fields = resolve_target(
        request, args.touchpoint, args.metric, facts_from_snapshot(snapshot, args.client_id)
    )
    target, created = store.put(
        args.client_id,
        args.touchpoint,
        args.metric,
        fields,
        actor=_actor(),
        precondition=Precondition(if_match=parse_if_match(_etag(args.if_match))),
    )
    verb = "Created" if created else "Changed"
    print(
        f"{verb} the {target.metric} target of {target.client_id} at {target.touchpoint}: "
        f"{target.fields.target_value:g} by {target.fields.due_period} (from "
        f"{target.fields.baseline_period}); ETag {target.etag}."
    )


def add_parser(sub: Any) -> None:
    """Register ``targets`` and its subcommands on the ``cxbench`` parser."""
    targets = sub.add_parser("targets", help="agreed targets: list, set, retire, history")
    targets_sub = targets.add_subparsers(dest="targets_command", required=True)

    listing = targets_sub.add_parser("list", help="agreed targets (tab-separated, or --json)")
    listing.add_argument("--client-id", help="one client (default: all)")
    listing.add_argument("--metric")
    listing.add_argument("--include-retired", action="store_true")
    listing.add_argument("--json", action="store_true")

    setting = targets_sub.add_parser("set", help="agree a target, or change one (--if-match)")
    setting.add_argument("client_id")
    setting.add_argument("touchpoint", help="a touchpoint code, or '*' for all")
    setting.add_argument("metric")
    setting.add_argument("--value", type=float, help="the target (optional with a pNN basis)")
    setting.add_argument("--due", required=True, help="due period: 2027-07, 2027-Q4 or 2027")
    setting.add_argument("--baseline", help="baseline period (default: the client's latest)")
    setting.add_argument("--basis", choices=BASES, default="custom")
    setting.add_argument("--basis-period", help="benchmark period of a pNN basis")
    setting.add_argument("--note")
    setting.add_argument("--if-match", help="the current ETag (v3) to change an existing target")

    retire = targets_sub.add_parser("retire", help="retire a target (kept in the history)")
    retire.add_argument("client_id")
    retire.add_argument("touchpoint")
    retire.add_argument("metric")
    retire.add_argument("--if-match", required=True, help="the current ETag (v3)")

    history = targets_sub.add_parser("history", help="every change, oldest first")
    history.add_argument("--client-id", help="one client (default: all)")
    history.add_argument("--touchpoint")
    history.add_argument("--metric")
    history.add_argument("--json", action="store_true")
    targets.set_defaults(func=cmd_targets)
