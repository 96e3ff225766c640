"""The dialect seam: every backend gives every point of ``Dialect``, and ``SqlStore`` answers the
same whichever way a dialect takes them (here: the exact box test in SQL, which PostGIS does, or on
the geometries read, which the GeoPackage does)."""

from __future__ import annotations

import inspect

import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal

from geo_ntm.domain import AdminTier
from geo_ntm.store import gpkg_geometry as gg
from geo_ntm.store.base import BBox
from geo_ntm.store.dialect import Dialect
from geo_ntm.store.gpkg import GeoPackageDialect, GeoPackageStore
from geo_ntm.store.postgis import PostgisDialect
from geo_ntm.store.sql import SqlStore

BEN_TRE_CITY = (106.33, 10.20, 106.42, 10.30)
DIALECT_POINTS = [name for name, value in vars(Dialect).items() if inspect.isfunction(value) and name[0] != "_"]


@pytest.mark.parametrize("dialect", [GeoPackageDialect, PostgisDialect])
def test_backends_give_every_dialect_point(dialect):
    assert len(DIALECT_POINTS) == 14
    for name in DIALECT_POINTS:
        assert name in vars(dialect), name
        expected = list(inspect.signature(getattr(Dialect, name)).parameters)
        assert list(inspect.signature(getattr(dialect, name)).parameters) == expected, name


def test_postgis_marks_escape_percent_signs():
    assert PostgisDialect().sql("a = ? AND b LIKE 'x%'") == "a = %s AND b LIKE 'x%%'"
    assert GeoPackageDialect().sql("a = ?") == "a = ?"


class BoxInSqlDialect(GeoPackageDialect):
    """SQLite testing boxes exactly in SQL, as a spatial extension would (a Python function here)."""

    def intersects_filter(self, geom: str, bbox: BBox) -> tuple[str, list]:
        return f"test_intersects_box({geom}, ?, ?, ?, ?)", list(bbox)


class BoxInSqlStore(SqlStore):
    """The queries of ``SqlStore`` on ``BoxInSqlDialect`` (whole-layer reads are each backend's own
    and not what these tests compare)."""

    def layer_feature_batches(self, layer_id, attributes=(), size=1):
        raise NotImplementedError("not compared here")


def _intersects_box(blob: bytes | None, *bbox: float) -> int:
    box = shapely.envelope(shapely.linestrings([bbox[:2], bbox[2:]]))
    return int(blob is not None and shapely.intersects(gg.decode_many([blob])[0], box))


@pytest.mark.parametrize(
    "query",
    [
        {"bbox": BEN_TRE_CITY},
        {"bbox": BEN_TRE_CITY, "limit": 5, "offset": 3, "geometry": False},
        {"level": AdminTier.COMMUNE, "bbox": (106.3756, 10.2415, 106.3756, 10.2415), "limit": 4},  # a point
        {"level": AdminTier.DISTRICT, "province_code": "811", "limit": 3, "offset": 2},
    ],
)
def test_the_box_test_in_sql_or_on_the_geometries_read_gives_the_same_units(new_location, query):
    with GeoPackageStore(new_location("gpkg")) as store:
        store._conn.create_function("test_intersects_box", 5, _intersects_box, deterministic=True)
        in_sql = BoxInSqlStore(store._conn, BoxInSqlDialect(), store.schema_version)
        vintage = store.vintages()[0].vintage_id
        expected, found = store.units(vintage, **query), in_sql.units(vintage, **query)
    assert len(found) > 0
    assert_geodataframe_equal(found, expected)
