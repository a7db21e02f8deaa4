"""``cxbench keys create|list|revoke``: API keys, shown once and stored as hashes only."""

from __future__ import annotations

import csv
from enum import StrEnum
from typing import Annotated

import typer

from cxbench.cli_io import get_settings, out, report

keys_app = typer.Typer(help="Manage API keys (only their hashes are stored).", no_args_is_help=True)


class Role(StrEnum):
    admin = "admin"
    consultant = "consultant"
    client = "client"
    ingest = "ingest"


@keys_app.command(
    "create",
    epilog=(
        "Examples:\n\n  cxbench keys create --role admin --label ops\n\n"
        "  cxbench keys create --role consultant --client-id c001 --client-id c002\n\n"
        "  cxbench keys create --role ingest --client-id c001"
    ),
)
def keys_create(
    role: Annotated[Role, typer.Option(help="What the key may do.")],
    client_id: Annotated[
        list[str] | None,
        typer.Option("--client-id", help="A client the key may see (repeat for several)."),
    ] = None,
    label: Annotated[str | None, typer.Option(help="Who or what the key is for.")] = None,
) -> None:
    """Print a new API key once; only its hash is kept."""
    from cxbench import keys

    settings = get_settings()
    token = keys.create_key(
        settings.keys_file,
        role.value,
        client_id or (),
        known_clients=_known_clients(),
        label=label,
    )
    report("Store this key now; only its hash is kept and it cannot be shown again.")
    out(token)


@keys_app.command("list")
def keys_list() -> None:
    """List keys: id, role, clients, created, state, label (never the keys)."""
    from cxbench import keys

    for key in keys.load_keys(get_settings().keys_file).values():
        state = "active" if key.is_active else f"revoked {key.revoked_at}"
        scope = ",".join(key.client_ids) or "-"
        out(f"{key.key_id}\t{key.role}\t{scope}\t{key.created_at}\t{state}\t{key.label or ''}")


@keys_app.command("revoke", epilog="Example:\n\n  cxbench keys revoke k_3f9a1c")
def keys_revoke(key_id: Annotated[str, typer.Argument(help="The key's id (`keys list`).")]) -> None:
    """Revoke a key by its id; requests with it get 401 from then on."""
    from cxbench import keys

    key = keys.revoke_key(get_settings().keys_file, key_id)
    out(f"Revoked key {key.key_id} ({key.role}).")


def _known_clients() -> set[str]:
    with (get_settings().seeds_dir / "clients.csv").open(newline="", encoding="utf-8") as handle:
        return {row["client_id"] for row in csv.DictReader(handle)}
