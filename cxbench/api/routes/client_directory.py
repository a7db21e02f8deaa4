"""The clients a key may see, for the pages' client picker (and for scripts that loop over them).

The list is filtered with the key's own ``may_see_client``, the rule ``enforce_client_scope``
applies to every ``{client_id}`` route, so the picker never offers a client whose pages would
answer 403.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from cxbench.api.deps import Principal, Snapshot
from cxbench.api.representation import csv_documentation, csv_header, respond
from cxbench.api.schemas import ClientList, ClientRef

router = APIRouter(prefix="/clients", tags=["clients"])


@router.get(
    "",
    operation_id="list_clients",
    summary="The clients this key may see",
    response_model=ClientList,
    responses=csv_documentation(csv_header(ClientList)),
)
async def list_clients(request: Request, principal: Principal, snapshot: Snapshot) -> Response:
    """Every client for an admin key, the clients named on a consultant's key, a client key's
    own client; with the key's role. `Accept: text/csv` for CSV."""
    scope = tuple(sorted(principal.client_ids))

    def build() -> ClientList:
        items = [
            ClientRef(
                client_id=client_id,
                client_name=client["client_name"],
                industry=client["industry_code"],
            )
            for client_id, client in sorted(snapshot.clients.items())
            if principal.may_see_client(client_id)
        ]
        return ClientList(build_id=snapshot.build_id, role=principal.role, items=items)

    # The answer depends on the key's scope only: keys with the same role and clients share it.
    return await respond(
        request, snapshot, ("clients", principal.role, scope), build, filename="clients"
    )
