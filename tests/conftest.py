"""Shared fixtures: the real shared data folder, a throwaway PostgreSQL cluster with PostGIS, and
stores holding the 2009 boundaries on both backends (loaded once per session per backend and
copied for each test that needs one).

Tests that take ``backend`` (directly or through ``db_location``, ``store_2009`` or
``empty_db_location``) run twice: on the GeoPackage store and on the PostGIS store."""

from __future__ import annotations

import datetime as dt
import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

from boundaries.importer import import_boundaries
from geo_ntm.settings import Settings
from geo_ntm.store import open_store

VINTAGE_2009 = dt.date(2009, 4, 1)
INSTALL_HINT = ("`make test` installs PostgreSQL and PostGIS (Debian packages postgresql and postgresql-15-postgis-3, "
                "when run as root)")


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The shared data folder (GEO_NTM_DATA_DIR, default ../shared/data beside the repo)."""
    path = Settings.from_env().data_dir
    if not (path / "vn_admin_2009.gpkg").exists():
        pytest.fail(f"shared data not found at {path}; set GEO_NTM_DATA_DIR")
    return path


@pytest.fixture(scope="session")
def boundaries_2009_template(tmp_path_factory, data_dir) -> Path:
    """A store file holding the national 2009 vintage (valid from 2009-04-01)."""
    path = tmp_path_factory.mktemp("template") / "store_2009.gpkg"
    with open_store(str(path)) as store:
        import_boundaries(store, data_dir / "vn_admin_2009.gpkg", VINTAGE_2009, measure_quality=False)
    return path


# -- PostgreSQL with PostGIS -----------------------------------------------------------------
class PostgisCluster:
    """A throwaway PostgreSQL cluster on 127.0.0.1 in a temporary directory, PostGIS in every new
    database. The server runs as the ``postgres`` system user when the tests run as root."""

    def __init__(self, bindir: Path):
        self.bindir = bindir
        self.dir = Path(tempfile.mkdtemp(prefix="geo_ntm_pg_"))
        self.port = _free_port()
        self._as_owner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self._as_owner:
            shutil.chown(self.dir, "postgres", "postgres")
        self._names = (f"test_{i}" for i in itertools.count(1))

    def start(self) -> None:
        data = self.dir / "data"
        self._run("initdb", "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-locale", "--no-sync")
        options = (f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.dir} -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off")
        log = self.dir / "server.log"
        try:
            self._run("pg_ctl", "start", "-w", "-D", data, "-l", log, "-o", options)
        except RuntimeError as exc:
            raise RuntimeError(f"{exc}\n{log.read_text() if log.exists() else ''}") from None

    def stop(self) -> None:
        if (self.dir / "data" / "postmaster.pid").exists():
            self._run("pg_ctl", "stop", "-D", self.dir / "data", "-m", "immediate")
        shutil.rmtree(self.dir, ignore_errors=True)

    def _run(self, program: str, *args) -> None:
        done = subprocess.run([*self._as_owner, str(self.bindir / program), *map(str, args)], cwd=self.dir,
                              capture_output=True, text=True)
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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _server_bindir() -> Path | None:
    """The newest installed PostgreSQL server's bin folder (Debian's layout), if any."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


@pytest.fixture(scope="session")
def postgis_cluster():
    """The throwaway cluster, started once per session (only when a test needs it) and stopped at
    the end; ``template1`` has PostGIS, so every database made from it has it too."""
    bindir = _server_bindir()
    if bindir is None:
        pytest.fail(f"the PostgreSQL server (initdb, pg_ctl) is not installed; {INSTALL_HINT}")
    cluster = PostgisCluster(bindir)
    try:
        cluster.start()
        cluster.execute("CREATE EXTENSION postgis", dbname="template1")
    except (RuntimeError, psycopg.Error) as exc:
        cluster.stop()
        hint = f"\n{INSTALL_HINT}" if "postgis" in str(exc).lower() else ""
        pytest.fail(f"cannot start a PostgreSQL cluster with PostGIS: {exc}{hint}")
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def postgis_2009_template(postgis_cluster, data_dir) -> str:
    """A database holding the national 2009 vintage, to copy with CREATE DATABASE ... TEMPLATE."""
    url = postgis_cluster.create_database()
    with open_store(url) as store:
        import_boundaries(store, data_dir / "vn_admin_2009.gpkg", VINTAGE_2009, measure_quality=False)
    return url.rsplit("/", 1)[1]


# -- stores on both backends -----------------------------------------------------------------
@pytest.fixture(scope="module", params=["gpkg", "postgis"])
def backend(request) -> str:
    """The store backend a test runs on: every test taking it runs on both."""
    return request.param


@pytest.fixture(scope="session")
def new_location(request, tmp_path_factory) -> Callable[[str, bool], str]:
    """``new_location(backend, with_2009)``: the location of a new private store (a file path or a
    URL), empty or holding the 2009 boundaries. The cluster and templates start only when asked."""

    def make(backend: str, with_2009: bool = True) -> str:
        if backend == "gpkg":
            path = tmp_path_factory.mktemp("store") / "store.gpkg"
            if with_2009:
                shutil.copy(request.getfixturevalue("boundaries_2009_template"), path)
            return str(path)
        cluster = request.getfixturevalue("postgis_cluster")
        return cluster.create_database(request.getfixturevalue("postgis_2009_template") if with_2009 else "template1")

    return make


def _drop_later(request, backend: str, location: str) -> str:
    if backend == "postgis":
        cluster = request.getfixturevalue("postgis_cluster")
        request.addfinalizer(lambda: cluster.drop_database(location))
    return location


@pytest.fixture
def db_location(request, backend, new_location) -> str:
    """A private store holding the 2009 boundaries, for one test: a GeoPackage path or a PostGIS URL."""
    return _drop_later(request, backend, new_location(backend))


@pytest.fixture
def empty_db_location(request, backend, new_location) -> str:
    """A private empty store location for one test, on each backend."""
    return _drop_later(request, backend, new_location(backend, with_2009=False))


@pytest.fixture
def store_2009(db_location):
    """The 2009 store, open, on each backend; closed after the test."""
    store = open_store(db_location)
    yield store
    store.close()
