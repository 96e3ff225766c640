"""What only the PostGIS store has: its schema created and migrated by the service (versioned
migrations, ``geo-ntm db upgrade``), PostGIS geometry columns with GiST indexes, and clear
errors for a server that cannot be reached or a schema newer than the code."""

from __future__ import annotations

import threading

import psycopg
import pytest

from cli.main import main
from geo_ntm.errors import GeoNtmError
from geo_ntm.store import open_store
from geo_ntm.store.postgis_migrations import migrations


@pytest.fixture
def bare_url(postgis_cluster):
    """A new database without PostGIS and without any table (a copy of template0)."""
    url = postgis_cluster.create_database("template0")
    yield url
    postgis_cluster.drop_database(url)


def _applied(url: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT version, name, applied_at FROM schema_migrations ORDER BY version").fetchall()


def test_opening_creates_postgis_and_the_schema_once(bare_url, capsys):
    shipped = migrations()
    versions = [m.version for m in shipped]
    assert versions == list(range(1, len(shipped) + 1))  # numbered 1..n without a gap
    with open_store(bare_url) as store:
        assert store.schema_version == versions[-1] and store.vintages() == []
    applied = _applied(bare_url)
    assert [(v, n) for v, n, _ in applied] == [(m.version, m.name) for m in shipped]
    assert main(["--db", bare_url, "db", "upgrade"]) == 0
    assert capsys.readouterr().out == f"store schema at version {versions[-1]}\n"
    assert _applied(bare_url) == applied  # nothing applied twice
    with psycopg.connect(bare_url) as conn:
        assert conn.execute("SELECT extname FROM pg_extension WHERE extname = 'postgis'").fetchone()
        columns = conn.execute("SELECT f_table_name, type, srid FROM geometry_columns ORDER BY 1").fetchall()
        gist = {r[0] for r in conn.execute("SELECT tablename FROM pg_indexes WHERE indexdef LIKE '%USING gist%'")}
    assert ("units", "MULTIPOLYGON", 4326) in columns
    assert {table for table, _, _ in columns} <= gist  # every geometry column has a GiST index


def test_services_starting_together_migrate_once(bare_url):
    errors = []

    def open_and_close():
        try:
            open_store(bare_url).close()
        except GeoNtmError as exc:
            errors.append(exc)

    threads = [threading.Thread(target=open_and_close) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(_applied(bare_url)) == len(migrations())


def test_db_upgrade_reads_geo_ntm_db(bare_url, monkeypatch, capsys):
    monkeypatch.setenv("GEO_NTM_DB", bare_url)
    assert main(["db", "upgrade"]) == 0
    assert capsys.readouterr().out.startswith("store schema at version ")


def test_failed_migration_changes_nothing(bare_url):
    with psycopg.connect(bare_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE units (x integer)")  # in the way of the first migration
    with pytest.raises(GeoNtmError, match=r"nothing was changed.*units"):
        open_store(bare_url)
    with psycopg.connect(bare_url) as conn:
        assert conn.execute("SELECT to_regclass('schema_migrations'), to_regclass('vintages')").fetchone() == (
            None,
            None,
        )


def test_schema_newer_than_the_code_is_refused(bare_url):
    open_store(bare_url).close()
    with psycopg.connect(bare_url, autocommit=True) as conn:
        conn.execute("INSERT INTO schema_migrations (version, name) VALUES (9999, 'from_the_future')")
    with pytest.raises(GeoNtmError, match="version 9999, newer than this geo_ntm knows"):
        open_store(bare_url)


def test_unreachable_server_is_named_without_the_password():
    url = "postgresql://planner:s3cret@127.0.0.1:1/ntm"
    with pytest.raises(GeoNtmError) as err:
        open_store(url)
    assert "cannot open the store postgresql://planner@127.0.0.1:1/ntm" in str(err.value)
    assert "s3cret" not in str(err.value)
