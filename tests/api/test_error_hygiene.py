"""Error bodies never show a server path, a database URL (host, port, user) or a traceback: an
unexpected error is a 500 with a generic message and an error id, logged with its traceback; a
message naming a server file says its name only; ``GET /?year=-608`` is a 400 naming ``year``."""

from __future__ import annotations

import logging
import shutil

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.errors import public_text
from geo_ntm.errors import InputError
from geo_ntm.settings import Settings

PG_URL = "postgresql://geo_ntm:s3cret@db.internal.example:5433/ntm"


@pytest.fixture(scope="module")
def app_and_store(tmp_path_factory, boundaries_2009_template, data_dir):
    store = tmp_path_factory.mktemp("hygiene") / "store.gpkg"
    shutil.copy(boundaries_2009_template, store)
    app = create_app(Settings.from_env().model_copy(update=dict(db=str(store), data_dir=data_dir)))

    def boom() -> None:
        raise RuntimeError(f"could not connect to {PG_URL}: reading {store} failed")

    def bad_file() -> None:
        raise InputError(f"cannot read {data_dir / 'samples' / 'x.csv'}: no header (store {store})")

    app.add_api_route("/test/boom", boom)
    app.add_api_route("/test/bad-file", bad_file)
    return app, str(store)


@pytest.fixture(scope="module")
def client(app_and_store):
    with TestClient(app_and_store[0], raise_server_exceptions=False) as c:
        yield c


def _clean(body: str, store: str, data_dir) -> None:
    for secret in (store, str(data_dir), "postgresql://", "s3cret", "db.internal", "5433", "Traceback", "/work/"):
        assert secret not in body, (secret, body)


def test_an_unexpected_error_is_a_generic_500_with_a_logged_id(client, app_and_store, data_dir, caplog):
    with caplog.at_level(logging.ERROR, logger="geo_ntm.api"):
        r = client.get("/test/boom")
    assert r.status_code == 500 and r.json()["code"] == "InternalServerError"
    _clean(r.text, app_and_store[1], data_dir)
    error_id = r.json()["description"].rsplit(" ", 1)[1]
    logged = [rec for rec in caplog.records if error_id in rec.getMessage()]
    assert logged and logged[0].exc_info is not None  # the traceback is in the server's log only


def test_server_paths_become_file_names(client, app_and_store, data_dir):
    r = client.get("/test/bad-file")
    assert r.status_code == 400 and "x.csv" in r.json()["description"]
    _clean(r.text, app_and_store[1], data_dir)


@pytest.mark.parametrize(
    "path",
    [
        "/planner?year=-608",
        "/planner?year=0",
        "/planner?year=10000",
        "/map/options?year=-608",
        "/collections/nope/items",
        "/collections/communes/items?limit=-1",
        "/collections/communes/items?bbox=1,2,3",
        "/collections/communes/items?filter=name%20LIKE",
        "/collections/communes/download?format=exe",
        "/collections/communes/download?geometry=wkt&format=xlsx",
        "/collections/communes/items/999999999",
        "/crosswalk?from=2020-13-01&to=x",
        "/coverage/nope",
        "/lookup?lon=500&lat=0",
        "/map.html?year=2020&province=nowhere",
        "/static/planner/../../../../etc/passwd",
        "/work/shared/data/vn_admin_2009.gpkg",
    ],
)
def test_no_error_body_shows_server_details(client, app_and_store, data_dir, path):
    r = client.get(path)
    assert 400 <= r.status_code < 500, (r.status_code, r.text)
    assert set(r.json()) == {"code", "description"}
    _clean(r.text, app_and_store[1], data_dir)


@pytest.mark.parametrize("year", [-608, 0, 10000])
def test_a_year_out_of_range_is_a_400_naming_year(client, year):
    r = client.get("/planner", params={"year": year})
    assert r.status_code == 400 and "year" in r.json()["description"]


def test_public_text_keeps_urls_and_strips_server_paths():
    assert public_text("no such resource: /collections/x/items") == "no such resource: /collections/x/items"
    assert public_text("cannot read /tmp/abc/def/upload.csv: bad") == "cannot read upload.csv: bad"
    assert public_text(f"connect {PG_URL} failed") == "connect <the store> failed"
    assert public_text("open /srv/geo/s.gpkg", ("/srv/geo/s.gpkg",)) == "open s.gpkg"
