"""Each CQL2 1.0 class declared on ``/conformance`` (``api.ogc.landing.CQL2_CONFORMANCE``) tested by
requests on both stores (PostGIS runs the spatial functions in SQL, the GeoPackage store tests the
rows its R-tree preselects), on the communes of Bến Tre city in the real 2009 boundaries. The
answers of the spatial functions are checked against shapely on the features' own geometries."""

from __future__ import annotations

import json
import unicodedata

import pytest
import shapely
from fastapi.testclient import TestClient
from pyproj import Transformer
from shapely.geometry import shape

from api.app import create_app
from api.ogc.landing import CQL2_CONFORMANCE
from geo_ntm.settings import Settings

PLACE = {"province": "Bến Tre", "district": "Bến Tre", "limit": 1000}
CQL2 = "http://www.opengis.net/spec/cql2/1.0/conf/"


@pytest.fixture(scope="module")
def client(backend, new_location):
    settings = Settings.from_env().model_copy(update=dict(db=new_location(backend)))
    with TestClient(create_app(settings)) as c:
        yield c


@pytest.fixture(scope="module")
def communes(client) -> dict[str, shapely.Geometry]:
    """Code -> geometry (CRS84) of the communes of Bến Tre city, as the service gives them."""
    answer = client.get("/collections/communes/items", params=PLACE)
    assert answer.status_code == 200, answer.text
    found = {f["id"]: shape(f["geometry"]) for f in answer.json()["features"]}
    assert len(found) >= 10  # the city's phường and xã
    return found


def codes(client, filter_: str, lang: str = "cql2-text", **params) -> set[str]:
    answer = client.get(
        "/collections/communes/items", params={**PLACE, "filter": filter_, "filter-lang": lang, **params}
    )
    assert answer.status_code == 200, answer.text
    return {f["id"] for f in answer.json()["features"]}


def expected(communes, predicate: str, literal: shapely.Geometry) -> set[str]:
    return {code for code, geom in communes.items() if getattr(shapely, predicate)(geom, literal)}


def test_conformance_declares_the_cql2_classes_tested_here(client):
    declared = {c for c in client.get("/conformance").json()["conformsTo"] if c.startswith(CQL2)}
    assert declared == set(CQL2_CONFORMANCE)
    assert {c.removeprefix(CQL2) for c in declared} == {
        "basic-cql2",
        "cql2-text",
        "cql2-json",
        "advanced-comparison-operators",
        "case-insensitive-comparison",
        "accent-insensitive-comparison",
        "basic-spatial-functions",
        "basic-spatial-functions-plus",
        "spatial-functions",
    }


def test_basic_cql2_text_and_json_give_the_same_answer(client, communes):
    code = sorted(communes)[0]
    assert codes(client, f"code = '{code}'") == {code}
    as_json = json.dumps({"op": "=", "args": [{"property": "code"}, code]})
    assert codes(client, as_json, "cql2-json") == {code}
    negated = json.dumps({"op": "not", "args": [{"op": "=", "args": [{"property": "code"}, code]}]})
    assert codes(client, negated, "cql2-json") == set(communes) - {code}
    assert codes(client, f"NOT code = '{code}' AND population IS NULL OR code = '{code}'") >= {code}


def test_advanced_comparison_case_and_accent_insensitive(client, communes):
    first, second = sorted(communes)[:2]
    assert codes(client, f"code IN ('{first}', '{second}', 'nothing')") == {first, second}
    assert codes(client, f"code BETWEEN '{first}' AND '{second}'") == {first, second}
    named = client.get(f"/collections/communes/items/{first}", params={"province": "Bến Tre"}).json()
    name = named["properties"]["name"]
    assert codes(client, f"name LIKE '{name[:-1]}_'") >= {first}
    assert codes(client, f"CASEI(name) = CASEI('{name.upper()}')") >= {first}
    typed = "".join(c for c in unicodedata.normalize("NFD", name) if not unicodedata.combining(c))
    typed = typed.replace("đ", "d").replace("Đ", "D")  # as typed without tone marks
    assert typed != name and codes(client, f"name = '{typed}'") == set()
    assert codes(client, f"ACCENTI(name) = ACCENTI('{typed}')") >= {first}


def test_basic_spatial_functions_point_and_bbox(client, communes):
    code, geom = sorted(communes.items())[0]
    inside = geom.representative_point()
    assert codes(client, f"S_INTERSECTS(geometry, POINT({inside.x} {inside.y}))") == {code}
    box = shapely.box(inside.x - 0.001, inside.y - 0.001, inside.x + 0.001, inside.y + 0.001)
    found = codes(client, "S_INTERSECTS(geometry, BBOX({}, {}, {}, {}))".format(*box.bounds))
    assert found == expected(communes, "intersects", box) and code in found
    as_json = json.dumps({"op": "s_intersects", "args": [{"property": "geometry"}, {"bbox": list(box.bounds)}]})
    assert codes(client, as_json, "cql2-json") == found


def test_basic_spatial_functions_plus_every_geometry_type(client, communes):
    (a, ga), (_, gb) = sorted(communes.items())[:2]
    pa, pb = ga.representative_point(), gb.representative_point()
    line = shapely.LineString([pa, pb])
    literals = {
        f"LINESTRING({pa.x} {pa.y}, {pb.x} {pb.y})": line,
        f"MULTIPOINT(({pa.x} {pa.y}), ({pb.x} {pb.y}))": shapely.MultiPoint([pa, pb]),
        shapely.to_wkt(line.buffer(0.002), rounding_precision=-1): line.buffer(0.002),
        f"GEOMETRYCOLLECTION(POINT({pa.x} {pa.y}))": shapely.GeometryCollection([pa]),
    }
    for wkt, literal in literals.items():
        found = codes(client, f"S_INTERSECTS(geometry, {wkt})")
        assert found == expected(communes, "intersects", literal) and a in found, wkt
    as_json = json.dumps({"op": "s_intersects", "args": [{"property": "geometry"}, shapely.geometry.mapping(line)]})
    assert codes(client, as_json, "cql2-json") == expected(communes, "intersects", line)


def test_spatial_functions_agree_with_shapely(client, communes):
    (a, ga), (b, gb) = sorted(communes.items())[:2]
    pa, pb = ga.representative_point(), gb.representative_point()
    line = shapely.LineString([pa, pb])
    whole = shapely.box(*shapely.union_all(list(communes.values())).bounds).buffer(0.01)
    half = shapely.box(*whole.bounds[:2], (whole.bounds[0] + whole.bounds[2]) / 2, whole.bounds[3])
    cases = [
        ("S_WITHIN", "within", whole),
        ("S_WITHIN", "within", half),
        ("S_CONTAINS", "contains", pa),
        ("S_CONTAINS", "contains", line),
        ("S_DISJOINT", "disjoint", pa),
        ("S_EQUALS", "equals", pa),
        ("S_TOUCHES", "touches", pa),
        ("S_OVERLAPS", "overlaps", half),
        ("S_CROSSES", "crosses", line),
    ]
    for function, predicate, literal in cases:
        want = expected(communes, predicate, literal)
        assert codes(client, f"{function}(geometry, {literal.wkt})") == want, function
    assert codes(client, f"S_WITHIN(geometry, {whole.wkt})") == set(communes)
    assert codes(client, f"S_DISJOINT(geometry, {pa.wkt})") == set(communes) - {a}
    assert codes(client, f"S_CONTAINS(geometry, {pa.wkt})") == {a}
    # the literal first: S_CONTAINS(literal, geometry) is S_WITHIN(geometry, literal)
    assert codes(client, f"S_CONTAINS({whole.wkt}, geometry)") == set(communes)
    # with another filter term, in an OR and under NOT
    assert codes(client, f"S_INTERSECTS(geometry, {pa.wkt}) OR code = '{b}'") == {a, b}
    assert codes(client, f"NOT S_INTERSECTS(geometry, {pa.wkt}) AND code IN ('{a}', '{b}')") == {b}


def test_filter_crs_is_honoured(client, communes):
    code, geom = sorted(communes.items())[0]
    p = geom.representative_point()
    # EPSG:4326 is latitude first
    assert codes(client, f"S_INTERSECTS(geometry, POINT({p.y} {p.x}))", **{"filter-crs": "EPSG:4326"}) == {code}
    utm = Transformer.from_crs("OGC:CRS84", "EPSG:3405", always_xy=True)  # VN-2000 / UTM 48N: easting first
    x, y = utm.transform(p.x, p.y)
    uri = "http://www.opengis.net/def/crs/EPSG/0/3405"
    assert codes(client, f"S_INTERSECTS(geometry, POINT({x} {y}))", **{"filter-crs": uri}) == {code}


@pytest.mark.parametrize(
    ("filter_", "lang", "words"),
    [
        (
            "S_INTERSECTS(geometry, POLYGON((106 10, 106.1 10, 106.1 10.1)))",
            "cql2-text",
            ["S_INTERSECTS", "not closed"],
        ),
        (
            "S_INTERSECTS(geometry, POLYGON((106 10, 106.1 10.1, 106.1 10, 106 10.1, 106 10)))",
            "cql2-text",
            ["not valid", "Self-intersection"],
        ),
        ("S_WITHIN(geometry, POINT(10.2 106.3))", "cql2-text", ["outside longitude"]),
        ("S_INTERSECTS(name, POINT(106 10))", "cql2-text", ["'geometry'"]),
        ("S_INTERSECTS(geometry, POINT(106))", "cql2-text", ["POINT", "not a geometry literal"]),
        ("S_WITHIN(geometry, BBOX(106.5, 10, 106, 10.1))", "cql2-text", ["lower corner"]),
        (
            json.dumps(
                {
                    "op": "s_intersects",
                    "args": [{"property": "geometry"}, {"type": "LineString", "coordinates": [[1, 2]]}],
                }
            ),
            "cql2-json",
            ["S_INTERSECTS", "LineString"],
        ),
    ],
)
def test_a_bad_geometry_literal_is_a_400_saying_what(client, filter_, lang, words):
    answer = client.get("/collections/communes/items", params={**PLACE, "filter": filter_, "filter-lang": lang})
    assert answer.status_code == 400, answer.text
    text = json.dumps(answer.json(), ensure_ascii=False)
    for word in words:
        assert word in text, (word, text)
