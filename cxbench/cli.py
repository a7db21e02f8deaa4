"""The ``cxbench`` command (DESIGN §6). Errors are one sentence on stderr and exit code 1."""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Sequence
from types import FrameType

from cxbench.errors import CxbenchError
from cxbench.settings import ENGINES, get_settings


def _report(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def cmd_demo(args: argparse.Namespace) -> int:
    from cxbench.demo import generate_demo

    settings = get_settings()

    def progress(done: int, total: int) -> None:
        if done == total or done % max(total // 10, 1) == 0:
            _report(f"  {done}/{total} files")

    try:
        summary = generate_demo(
            settings.landing,
            settings.seeds_dir,
            clients=args.clients,
            answers=args.answers,
            seed=args.seed,
            progress=progress,
        )
    except ValueError as exc:
        raise CxbenchError(str(exc)) from exc
    print(
        f"Wrote {summary.answers:,} answers of {summary.clients} clients in {summary.files} files "
        f"to {summary.landing_dir}."
    )
    return 0


def _interrupt_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def cmd_build(args: argparse.Namespace) -> int:
    from cxbench.build import run_build

    # `kill` (SIGTERM) stops a build like Ctrl-C: dbt is stopped and the record says so.
    signal.signal(signal.SIGTERM, _interrupt_on_sigterm)
    record = run_build(
        get_settings(), full_refresh=args.full_refresh, engine=args.engine, report=_report
    )
    rec = record.reconciliation
    print(
        f"Published build {record.published_build_id}: {rec.get('rows_accepted', 0):,} answers "
        f"accepted, {rec.get('rows_quarantined', 0):,} quarantined, "
        f"{rec.get('rows_superseded', 0):,} superseded."
    )
    return 0


def cmd_rollback(args: argparse.Namespace) -> int:
    from cxbench.rollback import roll_back

    done = roll_back(get_settings(), args.to)
    print(f"Rolled back: {done.live} is live again (was {done.previous}).")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from cxbench.publish import current_build_id

    settings = get_settings()
    if current_build_id(settings.published) is None:
        raise CxbenchError("Nothing is published yet; run `cxbench build` first.")
    from cxbench.targets.store import open_target_store

    open_target_store(settings.targets_url, settings.targets_database)  # a bad URL: one sentence
    if args.build_every is not None:
        from cxbench.builder import BackgroundBuilder

        if args.build_every <= 0:
            raise CxbenchError("--build-every needs a positive number of seconds.")
        BackgroundBuilder(settings, args.build_every, report=_report).start()
    uvicorn.run(
        "cxbench.api.main:create_served_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level="info",
        access_log=False,
    )
    return 0


def cmd_keys(args: argparse.Namespace) -> int:
    from cxbench import keys

    settings = get_settings()
    if args.keys_command == "create":
        token = keys.create_key(
            settings.keys_file,
            args.role,
            args.client_id or (),
            known_clients=_known_clients(),
            label=args.label,
        )
        _report("Store this key now; only its hash is kept and it cannot be shown again.")
        print(token)
    elif args.keys_command == "list":
        for key in keys.load_keys(settings.keys_file).values():
            state = "active" if key.is_active else f"revoked {key.revoked_at}"
            scope = ",".join(key.client_ids) or "-"
            print(
                f"{key.key_id}\t{key.role}\t{scope}\t{key.created_at}\t{state}\t{key.label or ''}"
            )
    elif args.keys_command == "revoke":
        key = keys.revoke_key(settings.keys_file, args.key_id)
        print(f"Revoked key {key.key_id} ({key.role}).")
    return 0


def _known_clients() -> set[str]:
    import csv

    with (get_settings().seeds_dir / "clients.csv").open(newline="", encoding="utf-8") as handle:
        return {row["client_id"] for row in csv.DictReader(handle)}


def cmd_status(args: argparse.Namespace) -> int:
    from cxbench.status import render_status

    print(render_status(get_settings(), all_files=args.files))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cxbench", description="Open CX benchmarking warehouse: demo, build, serve."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="write realistic demo deliveries into the landing folder")
    demo.add_argument("--clients", type=int, default=96, help="number of demo clients (default 96)")
    demo.add_argument("--answers", type=int, default=500_000, help="approximate answers in total")
    demo.add_argument("--seed", type=int, default=7, help="random seed (same seed, same files)")
    demo.set_defaults(func=cmd_demo)

    build = sub.add_parser("build", help="audit raw → dbt build → audit marts → publish")
    build.add_argument("--full-refresh", action="store_true", help="rebuild incremental models")
    build.add_argument(
        "--engine",
        choices=ENGINES,
        default="duckdb",
        help="run the dbt models on DuckDB (default) or Spark (the spark extra; README 'Spark')",
    )
    build.set_defaults(func=cmd_build)

    rollback = sub.add_parser(
        "rollback", help="make the previous retained snapshot live again (or --to BUILD_ID)"
    )
    rollback.add_argument("--to", metavar="BUILD_ID", help="a retained snapshot to make live")
    rollback.set_defaults(func=cmd_rollback)

    serve = sub.add_parser("serve", help="serve the API from the current published snapshot")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument(
        "--build-every",
        type=float,
        metavar="SECONDS",
        help="also build in the background when new deliveries have landed, checking this often",
    )
    serve.set_defaults(func=cmd_serve)

    keys = sub.add_parser("keys", help="manage API keys")
    keys_sub = keys.add_subparsers(dest="keys_command", required=True)
    create = keys_sub.add_parser("create", help="print a new API key once")
    create.add_argument(
        "--role", required=True, choices=("admin", "consultant", "client", "ingest")
    )
    create.add_argument("--client-id", action="append", help="a client the key may see")
    create.add_argument("--label", help="who or what the key is for")
    keys_sub.add_parser("list", help="list keys (ids, roles, scopes; never the keys)")
    revoke = keys_sub.add_parser("revoke", help="revoke a key by its id")
    revoke.add_argument("key_id")
    keys.set_defaults(func=cmd_keys)

    status = sub.add_parser("status", help="current snapshot, last build, gates, quarantine")
    status.add_argument(
        "--files", action="store_true", help="reconcile every file, not only those with problems"
    )
    status.set_defaults(func=cmd_status)

    from cxbench.targets.commands import add_parser as add_targets_parser

    add_targets_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except CxbenchError as exc:
        _report(f"cxbench: {exc}")
        return 1
    except KeyboardInterrupt:
        _report("cxbench: interrupted.")
        return 130
    except BrokenPipeError:
        # The reader went away (`cxbench status | head`): nothing more to say to it.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except Exception as exc:  # the last resort: one sentence, the traceback only on request
        if os.environ.get("CXB_DEBUG"):
            raise
        _report(f"cxbench: unexpected {type(exc).__name__}: {exc} (set CXB_DEBUG=1 for details).")
        return 2


def skip_noisy_teardown(code: int) -> None:
    """Exit at once once Great Expectations has been loaded.

    After a GX audit, DuckDB's nanobind bindings print a wall of "leaked instances" warnings
    during interpreter teardown (module constants freed after nanobind's own check; no real
    leak). Everything is flushed and every file closed by then, so skipping the teardown only
    drops that noise.
    """
    if "great_expectations" in sys.modules:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def entry_point() -> None:
    code = main()
    skip_noisy_teardown(code)
    sys.exit(code)


if __name__ == "__main__":
    entry_point()
