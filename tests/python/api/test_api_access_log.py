"""The API's access log (one JSON line a request, never a key), ETag revalidation (304) on
cached answers, through the full stack and the replay fast path, and gzip for large answers."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from cxbench.build import BuildRecord
from cxbench.keys import create_key
from cxbench.settings import Settings
from tests.python.api.fixtures import auth, make_app


@pytest.fixture(scope="module")
def logged(
    built: tuple[Settings, BuildRecord], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[TestClient, Path]]:
    folder = tmp_path_factory.mktemp("access")
    log = folder / "logs" / "access.jsonl"
    settings = built[0].model_copy(update={"access_log": str(log)})
    with TestClient(make_app(settings, folder / "keys.json")) as client:
        yield client, log


def lines(log: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in log.read_text().splitlines()]


def test_one_line_per_request_with_key_id_role_route_and_never_the_key(
    logged: tuple[TestClient, Path], built: tuple[Settings, BuildRecord]
) -> None:
    client, log = logged
    keys_file = client.app.state.keys.path
    admin = create_key(keys_file, "admin", [])
    own = create_key(keys_file, "client", ["c001"])
    before = len(lines(log)) if log.exists() else 0
    requests = [
        ("/health", None, 200),
        ("/v1/benchmarks?metric=nps", admin, 200),
        ("/v1/benchmarks?metric=nps", admin, 200),  # replayed by the fast path
        ("/v1/clients/c001/scorecard?metric=nps", own, 200),
        ("/v1/clients/c002/scorecard?metric=nps", own, 403),
        ("/v1/meta", None, 401),
        ("/v1/meta", "cxb_notakey_Zq9secretZq9", 401),
    ]
    for path, key, status in requests:
        response = client.get(path, headers=auth(key) if key else {})
        assert response.status_code == status, (path, response.text)
    written = lines(log)[before:]
    assert len(written) == len(requests)
    admin_id, own_id = admin.split("_")[1], own.split("_")[1]
    expected = [
        ("/health", None, None, None, 200),
        ("/v1/benchmarks", admin_id, "admin", None, 200),
        ("/v1/benchmarks", admin_id, "admin", None, 200),
        ("/v1/clients/{client_id}/scorecard", own_id, "client", "c001", 200),
        ("/v1/clients/{client_id}/scorecard", own_id, "client", "c002", 403),
        ("/v1/meta", None, None, None, 401),
        ("/v1/meta", None, None, None, 401),
    ]
    got = [(e["route"], e["key_id"], e["role"], e["client_id"], e["status"]) for e in written]
    assert got == expected
    for entry in written:
        assert set(entry) == {
            *("time", "method", "route", "client_id", "key_id", "role"),
            *("status", "duration_ms", "build_id"),
        }
        assert isinstance(entry["duration_ms"], float) and entry["duration_ms"] >= 0
        assert str(entry["time"]).endswith("+00:00")
    assert {e["build_id"] for e in written[1:]} == {built[1].build_id}
    text = log.read_text()
    for key in (admin, own, "cxb_notakey_Zq9secretZq9"):
        assert key not in text and key.split("_", 2)[2] not in text


def test_etag_revalidates_with_304_on_the_full_stack_and_the_fast_path(
    logged: tuple[TestClient, Path],
) -> None:
    client, _ = logged
    keys_file = client.app.state.keys.path
    first_key, second_key = (create_key(keys_file, "consultant", ["c001"]) for _ in range(2))
    path = "/v1/clients/c001/scorecard?metric=nps"
    plain = {"Accept-Encoding": "identity"}
    first = client.get(path, headers={**auth(first_key), **plain})
    etag = first.headers["etag"]
    assert first.status_code == 200 and etag.startswith('"') and first.content
    # The same key again: answered by the replay fast path, which must honour If-None-Match.
    replayed = client.get(path, headers={**auth(first_key), **plain, "If-None-Match": etag})
    assert replayed.status_code == 304 and replayed.content == b""
    assert replayed.headers["etag"] == etag
    # Another key, same question: the full stack (guards, then the answer cache).
    full = client.get(path, headers={**auth(second_key), **plain, "If-None-Match": etag})
    assert full.status_code == 304 and full.content == b"" and full.headers["etag"] == etag
    # A stale tag gets the answer, with the same ETag.
    stale = client.get(path, headers={**auth(second_key), **plain, "If-None-Match": '"old"'})
    assert stale.status_code == 200 and stale.content == first.content
    assert stale.headers["etag"] == etag
    # CSV is another representation with its own tag.
    as_csv = client.get(path, headers={**auth(first_key), **plain, "Accept": "text/csv"})
    assert as_csv.status_code == 200 and as_csv.headers["etag"] != etag


def test_large_answers_are_gzipped_for_clients_that_accept_it(
    logged: tuple[TestClient, Path],
) -> None:
    client, _ = logged
    key = create_key(client.app.state.keys.path, "admin", [])
    path = "/v1/benchmarks?metric=nps"
    raw = client.get(path, headers={**auth(key), "Accept-Encoding": "identity"})
    assert raw.status_code == 200 and "content-encoding" not in raw.headers
    assert len(raw.content) > 1400
    for _ in range(2):  # rendered by the full stack, then replayed by the fast path
        with client.stream("GET", path, headers={**auth(key), "Accept-Encoding": "gzip"}) as zipped:
            body = b"".join(zipped.iter_raw())
            assert zipped.headers["content-encoding"] == "gzip"
            assert "Accept-Encoding" in zipped.headers["vary"]
            assert int(zipped.headers["content-length"]) == len(body) < len(raw.content) / 3
            assert gzip.decompress(body) == raw.content
            assert zipped.headers["etag"] == raw.headers["etag"][:-1] + '-gz"'
    # Either tag revalidates.
    again = client.get(path, headers={**auth(key), "If-None-Match": raw.headers["etag"]})
    assert again.status_code == 304
    # A small answer stays as it is.
    own = auth(create_key(client.app.state.keys.path, "client", ["c001"]))
    small = client.get("/v1/clients", headers={**own, "Accept-Encoding": "gzip"})
    assert small.status_code == 200 and len(small.content) < 1400
    assert "content-encoding" not in small.headers
