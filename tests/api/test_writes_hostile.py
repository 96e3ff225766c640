"""Hostile uploads over HTTP (issue 11): file names that are only dots or too long, a CSV field
over Python's csv limit, an implausible year, a raster declaring billions of cells. Each is a 400
naming the field or row, and the store is left as it was. On both backends."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from geo_ntm.settings import Settings
from geo_ntm.store import open_store
from tests.support.tokens import bearer, token_file

EDITOR = bearer("editor")
LONG = "province,district,commune,year,framework,level,criterion,status,source\n"
ROW = "Bến Tre,Thành phố Bến Tre,Phú Hưng,{year},qd1980_2016,ntm,1,đạt,{source}\n"


@pytest.fixture
def client(db_location, tmp_path):
    tokens = token_file(tmp_path, ("editor",))
    settings = Settings.from_env().model_copy(update=dict(db=db_location, tokens_file=tokens, max_upload_mb=1))
    with TestClient(create_app(settings)) as c:
        yield c


def _counts(db_location) -> tuple[int, int, int, int]:
    with open_store(db_location) as store:
        return len(store.imports()), len(store.statuses()), len(store.vintages()), len(store.layers())


@pytest.mark.parametrize(
    "name, message",
    [("..", "names no file"), ("x/..", "names no file"), ("a" * 296 + ".csv", "300 characters long, over 200")],
)
def test_file_names_that_name_no_file_or_are_too_long_are_400(client, db_location, name, message):
    before = _counts(db_location)
    body = (LONG + ROW.format(year=2020, source="A")).encode()
    for path, data in (("/statuses", {}), ("/lineage", {}), ("/layers", {"name": "r", "kind": "roads"})):
        data = {**data, "valid_date": "2020-01-01"} if path == "/layers" else data
        response = client.post(path, files={"file": (name, body, "text/csv")}, data=data, headers=EDITOR)
        assert response.status_code == 400, response.text
        assert "upload field 'file'" in response.json()["description"] and message in response.json()["description"]
    assert _counts(db_location) == before


def test_a_field_over_the_csv_limit_and_implausible_years_are_400(client, db_location):
    before = _counts(db_location)
    huge = client.post(
        "/statuses",
        files={"file": ("s.csv", (LONG + ROW.format(year=2020, source="A" * 140_000)).encode())},
        headers=EDITOR,
    )
    assert huge.status_code == 400 and "row 2 cannot be read as CSV" in huge.json()["description"]
    years = LONG + "".join(ROW.format(year=y, source="A") for y in ("99999", "-5", "1e300"))
    response = client.post("/statuses", files={"file": ("s.csv", years.encode())}, headers=EDITOR)
    assert response.status_code == 400
    assert [(i["row"], i["column"]) for i in response.json()["invalid"]] == [(2, "year"), (3, "year"), (4, "year")]
    assert _counts(db_location) == before


def test_a_raster_declaring_billions_of_cells_is_400(client, db_location, tmp_path):
    import rasterio
    from rasterio.transform import from_origin

    bomb = tmp_path / "bomb.tif"
    profile = dict(driver="GTiff", width=60_000, height=60_000, count=1, dtype="float32", crs="EPSG:4326",
                   transform=from_origin(106, 10.5, 0.001, 0.001), tiled=True, blockxsize=1024, blockysize=1024,
                   sparse_ok=True)  # fmt: skip
    with rasterio.open(bomb, "w", **profile):
        pass
    before = _counts(db_location)
    response = client.post(
        "/layers",
        files={"file": ("bomb.tif", bomb.read_bytes())},
        data={"name": "pop", "kind": "population", "valid_date": "2020-01-01"},
        headers=EDITOR,
    )
    assert response.status_code == 400 and "3,600,000,000 cells, over the ceiling" in response.json()["description"]
    assert _counts(db_location) == before
