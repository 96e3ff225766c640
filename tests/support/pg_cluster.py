"""A throwaway PostgreSQL cluster with PostGIS, for the tests and the benchmarks (never for a real
server): ``initdb`` in a temporary directory, a server listening on 127.0.0.1 only, trust
authentication, no fsync. Needs Debian's ``postgresql`` and ``postgresql-15-postgis-3`` (or any
PostgreSQL server whose ``initdb`` is on PATH, with PostGIS installed for it)."""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import psycopg

from tests.support.local_service import free_port

INSTALL_HINT = (
    "`make test` installs PostgreSQL and PostGIS (Debian packages postgresql and postgresql-15-postgis-3, "
    "when run as root)"
)


class PostgisCluster:
    """A throwaway PostgreSQL cluster on 127.0.0.1 in a temporary directory, PostGIS in every new
    database (once ``start_with_postgis`` ran). The server runs as the ``postgres`` system user
    when run as root."""

    def __init__(self, bindir: Path, settings: dict[str, str] | None = None):
        self.bindir = bindir
        self.settings = settings or {}  # extra server settings (-c name=value)
        self.dir = Path(tempfile.mkdtemp(prefix="geo_ntm_pg_"))
        self.port = free_port()
        self._as_owner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self._as_owner:
            shutil.chown(self.dir, "postgres", "postgres")
        self._names = (f"test_{i}" for i in itertools.count(1))

    def start(self) -> None:
        data = self.dir / "data"
        self._run("initdb", "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-locale", "--no-sync")
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.dir} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off"
        )
        options += "".join(f" -c {name}={value}" for name, value in self.settings.items())
        log = self.dir / "server.log"
        try:
            self._run("pg_ctl", "start", "-w", "-D", data, "-l", log, "-o", options)
        except RuntimeError as exc:
            raise RuntimeError(f"{exc}\n{log.read_text() if log.exists() else ''}") from None

    def start_with_postgis(self) -> None:
        """Start, and create PostGIS in ``template1`` so that every new database has it; stops
        and cleans up when either fails."""
        try:
            self.start()
            self.execute("CREATE EXTENSION postgis", dbname="template1")
        except (RuntimeError, psycopg.Error) as exc:
            self.stop()
            hint = f"\n{INSTALL_HINT}" if "postgis" in str(exc).lower() else ""
            raise RuntimeError(f"cannot start a PostgreSQL cluster with PostGIS: {exc}{hint}") from None

    def stop(self) -> None:
        if (self.dir / "data" / "postmaster.pid").exists():
            self._run("pg_ctl", "stop", "-D", self.dir / "data", "-m", "immediate")
        shutil.rmtree(self.dir, ignore_errors=True)

    def _run(self, program: str, *args) -> None:
        done = subprocess.run(
            [*self._as_owner, str(self.bindir / program), *map(str, args)], cwd=self.dir, capture_output=True, text=True
        )
        if done.returncode:
            raise RuntimeError(f"{program} failed: {done.stderr or done.stdout}")

    def url(self, dbname: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{dbname}"

    def execute(self, sql: str, dbname: str = "postgres") -> None:
        with psycopg.connect(self.url(dbname), autocommit=True) as conn:
            conn.execute(sql)

    def create_database(self, template: str = "template1") -> str:
        """A new database copied from ``template``; returns its URL."""
        name = next(self._names)
        self.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}" STRATEGY file_copy')
        return self.url(name)

    def drop_database(self, url: str) -> None:
        self.execute(f'DROP DATABASE "{url.rsplit("/", 1)[1]}" WITH (FORCE)')

    def __enter__(self) -> PostgisCluster:
        self.start_with_postgis()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def server_bindir() -> Path | None:
    """The newest installed PostgreSQL server's bin folder (Debian's layout), if any."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None
