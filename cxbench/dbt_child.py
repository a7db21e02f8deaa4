"""dbt through its programmatic runner: the child process of a build, and the warm build worker.

A build runs dbt as ``python -m cxbench.dbt_child <project dir> <dbt arguments>`` (started by
cxbench/dbt_runner.py) rather than as the ``dbt`` command, because the command spends CPU on
what nobody reads; measured on an incremental build of the default demo (docs/BENCHMARKS.md):

- its console logger turns every event into a JSON line, the ~4,700 debug events of a build
  included, before the level filter drops them (~500 are kept). Here a callback serialises only
  the events at info level or above, in the same JSON line format, with secrets scrubbed as
  dbt scrubs them;
- ``dbt build`` writes manifest.json (with semantic_manifest.json) twice, after its parse and at
  its end. Here the project is parsed on its own without writing it, and the command, handed
  that manifest, writes it once at its end, beside run_results.json; or not at all when the
  arguments say ``--no-write-json`` (an incremental build: cxbench.build), and then only
  run_results.json is written, here (dbt's switch drops both);
- each unit test parses its model's whole SQL with sqlparse to put its fixtures after the
  first ``with``; here that place is found without the parse (cxbench/dbt_cte_injection.py).

dbt's file log (``dbt_logs/dbt.log``) still gets every event at debug level, as plain text.
Exit codes are the ``dbt`` command's: 0 success, 1 failed nodes, 2 dbt could not run.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

# The command's options that change what a parse makes of the project: the parse gets them too.
PARSE_OPTIONS = frozenset({"--target", "-t", "--vars", "--profile"})
# dbt's levels at or above its default (info): what a terminal would show.
SHOWN_LEVELS = ("info", "warn", "error")
# The console logger off (the callback shows what it would have); the file log at debug level
# (given explicitly: it would follow the console's "none").
LOG_OPTIONS = ("--log-level", "none", "--log-level-file", "debug", "--no-use-colors-file")

# dbt's switch that leaves out manifest.json, and run_results.json with it (written here then).
NO_WRITE_JSON = "--no-write-json"
RUN_RESULTS = "run_results.json"

# ``python -m cxbench.dbt_child WAIT …``: parse, then wait for GO on stdin before running.
WAIT = "--wait-for-go"
GO = "go"

Show = Callable[[dict[str, Any]], None]


def forwarder(show: Show) -> Callable[[Any], None]:
    """A dbt callback that hands ``show`` each event at info level or above as the dict of its
    ``--log-format json`` line; debug events are dropped before any serialisation."""
    from dbt_common.events.functions import env_scrubber, msg_to_dict

    def forward(message: Any) -> None:
        if message.info.level in SHOWN_LEVELS:
            show(json.loads(env_scrubber(json.dumps(msg_to_dict(message), default=str))))

    return forward


def parse(project: list[str], show: Show) -> Any:
    """The project's manifest (partial parsing as the command does it), None when dbt cannot
    parse it; manifest.json is left to the command that uses it. ``project``: the project and
    profile options, and those of the command that change a parse (parse_options)."""
    from dbt.cli.main import dbtRunner

    parsed = dbtRunner(callbacks=[forwarder(show)]).invoke(
        ["parse", NO_WRITE_JSON, *LOG_OPTIONS, *project]
    )
    if not parsed.success:
        note_exception(parsed.exception, show)
        return None
    return parsed.result


def invoke(manifest: Any, dbt_args: list[str], show: Show) -> int:
    """``dbt <dbt_args>`` on a parsed ``manifest``: 0 success, 1 failed nodes, 2 dbt stopped.
    run_results.json is written in the target folder (``DBT_TARGET_PATH``) either way."""
    from dbt.artifacts.schemas.run import RunExecutionResult
    from dbt.cli.main import dbtRunner

    from cxbench.dbt_cte_injection import install_fast_cte_injection

    install_fast_cte_injection()  # the unit tests' fixtures injected without a full sqlparse parse
    result = dbtRunner(manifest=manifest, callbacks=[forwarder(show)]).invoke(
        [*dbt_args, *LOG_OPTIONS]
    )
    if NO_WRITE_JSON in dbt_args and isinstance(result.result, RunExecutionResult):
        result.result.write(str(Path(os.environ.get("DBT_TARGET_PATH", "target")) / RUN_RESULTS))
    if result.exception is not None:
        note_exception(result.exception, show)
        return 2
    return 0 if result.success else 1


def note_exception(exception: BaseException | None, show: Show) -> None:
    if exception is not None:
        show({"info": {"level": "error", "msg": f"dbt: {type(exception).__name__}: {exception}"}})


# dbt calls the callback from each of its threads: one write per whole line, one at a time
# (print() writes the text and its newline separately, so two threads' lines could share one).
_STDOUT_LOCK = threading.Lock()


def _print_line(line: dict[str, Any]) -> None:
    text = json.dumps(line, sort_keys=True) + "\n"
    with _STDOUT_LOCK:
        sys.stdout.write(text)
        sys.stdout.flush()


def parse_options(dbt_args: list[str]) -> list[str]:
    """The options of ``dbt_args`` in PARSE_OPTIONS, with their values."""
    found: list[str] = []
    for index, arg in enumerate(dbt_args):
        if arg.split("=", 1)[0] in PARSE_OPTIONS:
            found.extend(dbt_args[index : index + (1 if "=" in arg else 2)])
    return found


def project_options(project_dir: str) -> list[str]:
    """dbt's options naming the project folder, which is also the profiles folder."""
    return ["--project-dir", project_dir, "--profiles-dir", project_dir]


def main(argv: list[str]) -> int:
    """``argv``: ``WAIT`` or not, the project folder (also the profiles folder), then dbt's
    arguments. With ``WAIT`` the child imports dbt and parses, then runs only once ``GO`` comes
    on stdin (a build starts it while it lands and audits its batch); anything else ends it."""
    wait = argv[:1] == [WAIT]
    project_dir, dbt_args = argv[int(wait)], argv[int(wait) + 1 :]
    project = project_options(project_dir)
    manifest = parse([*project, *parse_options(dbt_args)], _print_line)
    if manifest is None:
        return 2
    if wait and sys.stdin.readline().strip() != GO:
        return 2
    return invoke(manifest, [*dbt_args, *project], _print_line)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
