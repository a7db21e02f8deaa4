"""What every ``cxbench`` command shares: its settings, loaded when it runs (pydantic takes a
second to import, and ``--help`` must not wait for it), and printing results to stdout and
messages to stderr."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from cxbench.settings import Settings


def get_settings() -> Settings:
    from cxbench.settings import get_settings as load

    return load()


def report(message: str) -> None:
    """A message for the person (stderr), apart from the command's result."""
    print(message, file=sys.stderr, flush=True)


def out(text: str) -> None:
    """A result (stdout); a reader that went away (``cxbench status | head``) ends us quietly."""
    try:
        print(text, flush=True)
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        raise typer.Exit(0) from None
