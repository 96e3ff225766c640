"""The service's read snapshots and an unreachable database, through the API.

Every request reads from one snapshot: responses during a lineage import are each the answer of
before or of after, never a mix; the pool gets its connections back idle (no transaction left
open, as ``pg_stat_activity`` shows). A PostGIS server that cannot be reached is a 503 with
``Retry-After`` that names no host, port or user."""

from __future__ import annotations

import socket
import threading
from importlib import resources

import psycopg
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from boundaries.vintages import import_lineage
from geo_ntm.errors import StoreUnavailableError
from geo_ntm.settings import Settings
from geo_ntm.status_import.importer import import_status_file
from geo_ntm.store import StoreFactory, open_store

LINEAGE = resources.files("boundaries") / "examples" / "ben_tre_city_lineage.csv"
# the city's communes in 2020: their boundaries and statuses both change with the lineage import
ITEMS = "/collections/communes/items?province=Bến Tre&district=Bến Tre&year=2020&limit=100"


def _client(location: str, pool_size: int = 2) -> TestClient:
    return TestClient(create_app(Settings.from_env().model_copy(update=dict(db=location, db_pool_size=pool_size))))


def _answer(response) -> tuple[int, object]:
    body = response.json()
    if isinstance(body, dict):
        body.pop("timeStamp", None)
    return response.status_code, body


def test_responses_during_a_lineage_import_are_before_or_after(db_location, data_dir):
    with open_store(db_location) as store:
        assert import_status_file(store, data_dir / "samples" / "status_ben_tre_city_long.csv").ok
    with _client(db_location) as client:
        before = _answer(client.get(ITEMS))
        assert before[0] == 200
        done, seen = threading.Event(), []

        def read():
            while not done.is_set():
                seen.append(_answer(client.get(ITEMS)))

        readers = [threading.Thread(target=read) for _ in range(2)]
        for t in readers:
            t.start()
        try:
            with open_store(db_location) as store:
                import_lineage(store, LINEAGE)
        finally:
            done.set()
            for t in readers:
                t.join()
        after = _answer(client.get(ITEMS))
        if "postgresql" in db_location:
            _assert_no_open_transaction(db_location)
    assert after != before
    mixed = [s for s in seen if s not in (before, after)]
    assert seen and not mixed, f"{len(mixed)} of {len(seen)} responses were neither before nor after"
    print(f"{len(seen)} responses: {seen.count(before)} before, {seen.count(after)} after")


def _assert_no_open_transaction(url: str) -> None:
    with psycopg.connect(url, autocommit=True, application_name="snapshot_test") as conn:
        states = [
            r[0]
            for r in conn.execute(
                "SELECT state FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'geo_ntm'"
            )
        ]
    assert states and set(states) == {"idle"}, states


def test_the_pool_gets_its_connections_back_idle(db_location):
    if "postgresql" not in db_location:
        pytest.skip("a GeoPackage store has no pool")
    with _client(db_location, pool_size=1) as client:
        for path in ("/health", "/vintages", "/collections/communes/items?province=nowhere"):
            client.get(path)
            _assert_no_open_transaction(db_location)
            conn = client.app.state.stores._pool._pool.getconn()
            try:
                assert conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
            finally:
                client.app.state.stores._pool._pool.putconn(conn)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("pool_size", [0, 2])
def test_an_unreachable_database_is_a_503_naming_no_server(pool_size):
    port = _closed_port()
    url = f"postgresql://planner:s3cret@127.0.0.1:{port}/ntm"
    with _client(url, pool_size) as client:
        answer = client.get("/health")
    assert answer.status_code == 503 and answer.headers["retry-after"] == "30"
    assert answer.json() == {"code": "ServiceUnavailable", "description": StoreUnavailableError.MESSAGE}
    for secret in ("127.0.0.1", str(port), "planner", "s3cret"):
        assert secret not in answer.text


def test_the_store_says_unreachable_and_the_operator_sees_where():
    port = _closed_port()
    factory = StoreFactory(f"postgresql://planner:s3cret@127.0.0.1:{port}/ntm", pool_size=2)
    with pytest.raises(StoreUnavailableError) as err:
        factory.open()
    factory.close()
    assert err.value.message == "the database is not reachable; try again later"
    assert f"postgresql://planner@127.0.0.1:{port}/ntm" in str(err.value) and "s3cret" not in str(err.value)
