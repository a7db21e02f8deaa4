"""The ``cxbench`` command (DESIGN §6), on Typer and Rich.

Errors are one sentence on stderr: exit 1 for a cxbench error (a failed gate, bad input),
2 for a command line Typer cannot parse or an unexpected error, 130 when interrupted.
Heavy modules (DuckDB, dbt, Great Expectations, pandas) are imported inside the commands, so
``--help``, ``--version`` and shell completion answer at once, and ``build`` shows its first
progress line before it spends seconds importing them.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from collections.abc import Sequence
from enum import Enum
from types import FrameType
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cxbench.cli_io import get_settings, out, report
from cxbench.errors import CxbenchError
from cxbench.setting_docs import ENGINES, SETTING_DOCS, UNIT_TEST_MODES

# The choices of `build --engine`, from the one list (cxbench/setting_docs.py).
Engine = Enum("Engine", {name: name for name in ENGINES}, type=str)  # type: ignore[misc]
DEFAULT_ENGINE = Engine(ENGINES[0])
# The choices of `build --unit-tests`, from the one list (cxbench/incremental.py).
UnitTests = Enum("UnitTests", {name: name for name in UNIT_TEST_MODES}, type=str)  # type: ignore[misc]
DEFAULT_UNIT_TESTS = UnitTests(UNIT_TEST_MODES[0])

if TYPE_CHECKING:
    from cxbench.build import BuildRecord


def _settings_help() -> str:
    """The ``CXB_*`` settings with their descriptions (cxbench/setting_docs.py)."""
    rows = [f"[bold]CXB_{name.upper()}[/]  {text}" for name, text in SETTING_DOCS.items()]
    return "\n\n".join(["[bold]Settings[/] (environment variables):", *rows])


app = typer.Typer(
    name="cxbench",
    help=(
        "Open CX benchmarking warehouse: demo data, build (audit → dbt → audit → publish), "
        "serve the API.\n\n"
        "A first run: [cyan]cxbench demo && cxbench build && cxbench serve[/]"
    ),
    epilog=_settings_help(),
    rich_markup_mode="rich",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            print(f"cxbench {version('cxbench')}")
        except PackageNotFoundError:
            print("cxbench (not installed)")
        raise typer.Exit(0)


@app.callback()
def _root(
    show_version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Options that apply before any command."""


@app.command(
    epilog="Examples:\n\n  cxbench demo\n\n  cxbench demo --clients 20 --answers 20000 --seed 3"
)
def demo(
    clients: Annotated[int, typer.Option(help="Number of demo clients.")] = 96,
    answers: Annotated[int, typer.Option(help="Approximate answers in total.")] = 500_000,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same files).")] = 7,
) -> None:
    """Write realistic demo deliveries into the landing folder ([bold]CXB_LANDING_DIR[/])."""
    from cxbench.demo import generate_demo
    from cxbench.progress import StepFinished, StepProgress, StepStarted, renderer_for

    settings = get_settings()
    render = renderer_for()
    started = time.perf_counter()
    render(StepStarted("demo", f"writing demo deliveries to {settings.landing}"))
    try:
        summary = generate_demo(
            settings.landing,
            settings.seeds_dir,
            clients=clients,
            answers=answers,
            seed=seed,
            progress=lambda done, total: render(StepProgress("demo", done, total, "files")),
        )
        render(StepFinished("demo", time.perf_counter() - started))
    except ValueError as exc:
        render(StepFinished("demo", time.perf_counter() - started, ok=False))
        raise CxbenchError(str(exc)) from exc
    finally:
        render.close()
    out(
        f"Wrote {summary.answers:,} answers of {summary.clients} clients in {summary.files} files "
        f"to {summary.landing_dir}."
    )


def _interrupt_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


@app.command(
    epilog=(
        "Examples:\n\n  cxbench build\n\n  cxbench build --full-refresh\n\n"
        "  cxbench build --unit-tests always\n\n"
        "  cxbench build --json 2>/dev/null | jq .status\n\n"
        "Progress goes to stderr: a live display on a terminal, plain lines otherwise. "
        "Exit 1 when a gate fails (nothing is published; the last good snapshot stays live)."
    )
)
def build(
    full_refresh: Annotated[
        bool, typer.Option("--full-refresh", help="Rebuild incremental models from scratch.")
    ] = False,
    engine: Annotated[
        Engine,
        typer.Option(
            help="Run the dbt models on DuckDB or on Spark (the spark extra; README 'Spark').",
        ),
    ] = DEFAULT_ENGINE,
    unit_tests: Annotated[
        UnitTests,
        typer.Option(
            "--unit-tests",
            help=(
                "When dbt's unit tests run. auto: on a full refresh, unless they already passed "
                "under this project fingerprint (project files, dbt and DuckDB versions) in any "
                "warehouse; always: on every build, incremental ones too (CI, make test-dbt)."
            ),
        ),
    ] = DEFAULT_UNIT_TESTS,
    as_json: Annotated[
        bool,
        typer.Option("--json", help="Print the build record as JSON on stdout (also on failure)."),
    ] = False,
) -> None:
    """Land → audit raw → dbt build → audit marts → attack gate → publish."""
    from cxbench.progress import StepFinished, StepStarted, renderer_for

    # `kill` (SIGTERM) stops a build like Ctrl-C: dbt is stopped and the record says so.
    signal.signal(signal.SIGTERM, _interrupt_on_sigterm)
    render = renderer_for()
    record: BuildRecord | None = None
    try:
        started = time.perf_counter()
        render(StepStarted("prepare"))  # seen at once: the imports below take seconds
        from cxbench.build import run_build

        render(StepFinished("prepare", time.perf_counter() - started))
        record = run_build(
            get_settings(),
            full_refresh=full_refresh,
            engine=engine.value,
            report=render,
            unit_tests=unit_tests.value,
        )
    finally:
        render.close()
        if as_json:
            _print_last_record(record)
    rec = record.reconciliation
    if not as_json:
        out(
            f"Published build {record.published_build_id}: {rec.get('rows_accepted', 0):,} "
            f"answers accepted, {rec.get('rows_quarantined', 0):,} quarantined, "
            f"{rec.get('rows_superseded', 0):,} superseded."
        )


def _print_last_record(record: Any) -> None:
    """The build's record as JSON: this one, or the one a failed build left on disk."""
    if record is not None:
        out(json.dumps(record.__dict__, indent=2, default=str))
        return
    from cxbench.status import load_last_build

    last = load_last_build(get_settings())
    if last is not None:
        out(json.dumps(last, indent=2, default=str))


@app.command(
    epilog="Examples:\n\n  cxbench rollback\n\n  cxbench rollback --to 20261201T101500Z-ab12cd"
)
def rollback(
    to: Annotated[
        str | None, typer.Option(metavar="BUILD_ID", help="A retained snapshot to make live.")
    ] = None,
) -> None:
    """Make the previous retained snapshot live again (or --to BUILD_ID)."""
    from cxbench.rollback import roll_back

    done = roll_back(get_settings(), to)
    out(f"Rolled back: {done.live} is live again (was {done.previous}).")


@app.command(
    epilog=(
        "Examples:\n\n  cxbench serve\n\n  cxbench serve --host 0.0.0.0 --port 8080 --workers 2\n\n"
        "  cxbench serve --build-every 60\n\n"
        "Then open http://127.0.0.1:8000/docs (API), /app/ (pages); admins: /admin/dbt-docs/ "
        "and /admin/audits (after `cxbench docs`). One JSON access-log line per request goes "
        "to [bold]CXB_ACCESS_LOG[/] (stderr by default)."
    )
)
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
    build_every: Annotated[
        float | None,
        typer.Option(
            metavar="SECONDS",
            help="Also build in the background when new deliveries have landed, checking this "
            "often.",
        ),
    ] = None,
) -> None:
    """Serve the API from the current published snapshot."""
    import uvicorn

    from cxbench.publish import current_build_id

    settings = get_settings()
    if current_build_id(settings.published) is None:
        raise CxbenchError("Nothing is published yet; run `cxbench build` first.")
    from cxbench.targets.store import open_target_store

    open_target_store(settings.targets_url, settings.targets_database)  # a bad URL: one sentence
    if build_every is not None:
        from cxbench.builder import BackgroundBuilder

        if build_every <= 0:
            raise CxbenchError("--build-every needs a positive number of seconds.")
        BackgroundBuilder(settings, build_every, report=report).start()
    uvicorn.run(
        "cxbench.api.main:create_served_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        access_log=False,  # cxbench writes its own (cxbench/api/access_log.py)
    )


@app.command(
    epilog=(
        "Example:\n\n  cxbench docs && cxbench serve   # then open /admin/dbt-docs/ with an admin "
        "key as the password"
    )
)
def docs() -> None:
    """Build dbt's docs site (models, tests, lineage, the API exposure) for the live build."""
    from cxbench.docs import build_docs
    from cxbench.progress import StepFinished, StepStarted, renderer_for

    render = renderer_for()
    started = time.perf_counter()
    render(StepStarted("docs", "dbt docs generate (static, offline)"))
    try:
        site = build_docs(get_settings(), report=render)
        render(StepFinished("docs", time.perf_counter() - started))
    except BaseException:
        render(StepFinished("docs", time.perf_counter() - started, ok=False))
        raise
    finally:
        render.close()
    out(
        f"Wrote the docs site of build {site.build_id} to {site.path}; `cxbench serve` shows it "
        "to admins at /admin/dbt-docs/ (and each build's Great Expectations results at "
        "/admin/audits)."
    )


@app.command(
    epilog=(
        "Examples:\n\n  cxbench status\n\n  cxbench status --files\n\n"
        "  cxbench status --json | jq .last_build.status"
    )
)
def status(
    files: Annotated[
        bool, typer.Option("--files", help="Reconcile every file, not only those with problems.")
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="The live snapshot and last build record as JSON.")
    ] = False,
) -> None:
    """Live snapshot, last build, gates, quarantine, freshness (never opens the DuckDB file)."""
    from cxbench.status import render_status, status_data

    if as_json:
        out(json.dumps(status_data(get_settings()), indent=2, default=str))
    else:
        out(render_status(get_settings(), all_files=files))


def _add_subcommands() -> None:
    from cxbench.keys_commands import keys_app
    from cxbench.targets.commands import targets_app

    app.add_typer(keys_app, name="keys")
    app.add_typer(targets_app, name="targets")


_add_subcommands()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; the exit code (see the module docstring), never an exception."""
    from typer._click.exceptions import ClickException

    try:
        code = app(
            args=list(argv) if argv is not None else None,
            prog_name="cxbench",
            standalone_mode=False,
        )
    except CxbenchError as exc:
        report(f"cxbench: {exc}")
        return 1
    except ClickException as exc:  # the command line itself: unknown option, missing value
        ctx = getattr(exc, "ctx", None)
        where = ctx.command_path if ctx is not None else "cxbench"
        report(f"cxbench: {exc.format_message()} (`{where} --help` says more).")
        return exc.exit_code
    except (KeyboardInterrupt, typer.Abort):
        report("cxbench: interrupted.")
        return 130
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except Exception as exc:  # the last resort: one sentence, the traceback only on request
        if os.environ.get("CXB_DEBUG"):
            raise
        report(f"cxbench: unexpected {type(exc).__name__}: {exc} (set CXB_DEBUG=1 for details).")
        return 2
    if code == 130:  # Typer turns Ctrl-C into exit code 130
        report("cxbench: interrupted.")
    return code if isinstance(code, int) else 0


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
