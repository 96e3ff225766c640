"""Versioned schema migrations of the PostGIS store.

Each migration is a file ``migrations/postgis/NNNN_name.sql`` of this package; the table
``schema_migrations`` lists those applied. ``upgrade`` applies the missing ones in order, all in
one transaction under an advisory lock, so that two services starting at once migrate once and a
failed migration changes nothing. Opening a store calls it; so does ``geo-ntm db upgrade``.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from importlib import resources
from typing import Any

import psycopg

from geo_ntm.errors import GeoNtmError

log = logging.getLogger(__name__)

#: Advisory lock held while migrating (any constant shared by every geo_ntm process).
_LOCK = 0x67656F5F6E746D  # "geo_ntm"
_FILE = re.compile(r"(\d{4})_(\w+)\.sql")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def migrations() -> list[Migration]:
    """The migrations shipped with this version, in order."""
    folder = resources.files("geo_ntm.store") / "migrations" / "postgis"
    found = [(_FILE.fullmatch(f.name), f) for f in folder.iterdir()]
    return sorted(
        (Migration(int(m[1]), m[2], f.read_text(encoding="utf-8")) for m, f in found if m), key=lambda m: m.version
    )


def _value(conn: psycopg.Connection, query: str) -> Any:
    """The one value of ``query``, a query that always returns one row (its type is the column's)."""
    row = conn.execute(query).fetchone()
    if row is None:
        raise GeoNtmError(f"no row from {query!r}")
    return row[0]


def current_version(conn: psycopg.Connection) -> int:
    """The version of the database's schema; 0 when it has none yet."""
    if _value(conn, "SELECT to_regclass('schema_migrations')") is None:
        return 0
    return _value(conn, "SELECT coalesce(max(version), 0) FROM schema_migrations")


def upgrade(conn: psycopg.Connection) -> int:
    """Apply the missing migrations (``conn`` in autocommit mode); returns the schema version."""
    known = migrations()
    latest = known[-1].version
    version = current_version(conn)
    if version > latest:
        raise GeoNtmError(
            f"the store's schema is at version {version}, newer than this geo_ntm knows ({latest}); upgrade geo_ntm"
        )
    if version == latest:
        return version
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK,))
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())"
        )
        done = {row[0] for row in conn.execute("SELECT version FROM schema_migrations")}
        for m in known:
            if m.version not in done:
                conn.execute(m.sql)
                conn.execute("INSERT INTO schema_migrations (version, name) VALUES (%s, %s)", (m.version, m.name))
                log.info("store schema: applied migration %04d_%s", m.version, m.name)
    return latest
