"""OGC API - Features points the suite (``test_ogctests.py``) does not reach or cannot test: the one
OpenAPI 3.0.3 document and its OGC parameters, tags and security scheme; ``datetime`` before the
first boundaries; unknown parameters; ``Link`` headers; HEAD; the orientation of rings (RFC 7946).
On the live server of ``conftest.py`` (boundaries from 2009-04-01)."""

from __future__ import annotations

import pytest
import shapely
from openapi_spec_validator import validate
from shapely.geometry import shape

from api.openapi_document import TAGS

pytestmark = pytest.mark.e2e  # reads the uvicorn subprocess (the `server` fixture)

ITEMS = "/collections/communes/items"
BEN_TRE_CITY = "106.3,10.2,106.45,10.3"


@pytest.fixture(scope="module")
def document(http) -> dict:
    return http.get("/api").json()


def test_one_openapi_document_at_api_and_openapi_json(http, document):
    assert document["openapi"] == "3.0.3"
    assert http.get("/openapi.json").json() == document
    validate(document)


@pytest.mark.parametrize("path", ["/collections/{collectionId}/items", ITEMS])
def test_the_items_parameters_and_answers_are_the_standards(document, path):
    operation = document["paths"][path]["get"]
    parameters = {p["name"]: p for p in operation["parameters"]}
    for name in ("bbox", "limit", "datetime"):
        assert (parameters[name]["in"], parameters[name]["style"], parameters[name]["explode"]) == (
            "query",
            "form",
            False,
        )
        assert not parameters[name]["required"]
    assert parameters["bbox"]["schema"] == {"type": "array", "minItems": 4, "maxItems": 6, "items": {"type": "number"}}
    assert parameters["limit"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 10_000, "default": 100}
    assert parameters["datetime"]["schema"] == {"type": "string"}
    assert set(operation["responses"]["200"]["content"]) == {"application/geo+json", "text/html"}
    assert {"400", "404"} <= set(operation["responses"]) and "422" not in operation["responses"]


def test_every_operation_is_tagged_and_the_token_is_a_security_scheme(document):
    assert [t["name"] for t in document["tags"]] == list(TAGS)
    untagged = [
        (method, path)
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if len(operation.get("tags", [])) != 1 or operation["tags"][0] not in TAGS
    ]
    assert not untagged
    scheme = document["components"]["securitySchemes"]["bearerToken"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    assert document["paths"]["/statuses"]["post"]["security"] == [{"bearerToken": []}]
    assert {} in document["security"]  # reads need no token unless the service is set to ask one


@pytest.mark.parametrize("datetime", ["2000-01-01", "2000-01-01T00:00:00Z", "../2009-03-31", "1990-01-01/2001-12-31"])
def test_a_datetime_before_the_first_boundaries_is_an_empty_answer(http, datetime):
    r = http.get(ITEMS, params={"datetime": datetime})
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["numberMatched"], body["numberReturned"], body["features"]) == (0, 0, [])
    assert http.get(f"{ITEMS}/8110125", params={"datetime": datetime}).status_code == 404


def test_a_datetime_in_force_still_finds_features(http):
    body = http.get(ITEMS, params={"datetime": "2020-06-01", "bbox": BEN_TRE_CITY, "limit": 1}).json()
    assert body["numberMatched"] > 0 and body["vintage"]["valid_from"] == "2020-02-01"


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/conformance",
        "/api",
        "/collections",
        "/collections/communes",
        "/collections/communes/queryables",
        "/collections/communes/schema",
        ITEMS,
        f"{ITEMS}/8110125",
        "/collections/communes/tiles",
        "/tileMatrixSets",
    ],
)
def test_an_unknown_parameter_is_refused_alike_on_every_ogc_route(http, path):
    r = http.get(path, params={"f": "json", "colour": "red"})
    assert r.status_code == 400 and r.json()["code"] == "InvalidParameterValue"
    assert "unknown parameter 'colour'" in r.json()["description"]
    # what a GDAL or QGIS connection URL carries to every request is no unknown parameter
    assert http.get(path, params={"f": "json", "year": 2020}).status_code == 200


def test_items_answer_link_headers(http):
    r = http.get(ITEMS, params={"bbox": BEN_TRE_CITY, "limit": 2, "offset": 2, "year": 2020})
    body = r.json()
    assert body["numberMatched"] > 4
    links = r.links  # httpx's RFC 8288 parser
    assert {"self", "alternate", "next", "prev", "http://www.opengis.net/def/rel/ogc/1.0/queryables"} <= set(links)
    assert "," not in r.headers["link"].split(">")[0]  # the bbox's commas are percent-encoded
    in_body = {link["rel"]: link for link in body["links"]}
    following = http.get(links["next"]["url"]).json()
    assert following["features"] == http.get(in_body["next"]["href"]).json()["features"]
    assert links["next"]["type"] == "application/geo+json"
    queryables = http.get(links["http://www.opengis.net/def/rel/ogc/1.0/queryables"]["url"])
    assert queryables.status_code == 200 and "criteria_met" in queryables.json()["properties"]
    one = http.get(f"{ITEMS}/8110125", params={"year": 2020})
    assert one.links["self"]["type"] == "application/geo+json" and "alternate" in one.links


@pytest.mark.parametrize("path", ["/", "/conformance", "/collections", ITEMS, f"{ITEMS}/8110125", "/api"])
def test_head_answers_the_headers_of_get(http, path):
    get = http.get(path, params={"limit": 3} if path == ITEMS else {})
    head = http.head(path, params={"limit": 3} if path == ITEMS else {})
    assert head.status_code == 200 == get.status_code
    assert head.content == b""
    assert head.headers["content-type"] == get.headers["content-type"]
    assert head.headers.get("link") == get.headers.get("link")


def _orientations(features) -> tuple[set[bool], set[bool]]:
    """(whether each exterior ring is counter-clockwise, whether each hole is)."""
    exteriors, holes = set(), set()
    for feature in features:
        for polygon in shapely.get_parts(shape(feature["geometry"])):
            exteriors.add(polygon.exterior.is_ccw)
            holes.update(ring.is_ccw for ring in polygon.interiors)
    return exteriors, holes


def test_exterior_rings_are_counter_clockwise_in_items_and_downloads(http):
    items = http.get(ITEMS, params={"bbox": BEN_TRE_CITY, "limit": 50}).json()["features"]
    download = http.get("/collections/communes/download", params={"format": "geojson", "bbox": BEN_TRE_CITY}).json()
    for features in (items, download["features"]):
        assert len(features) > 10
        exteriors, holes = _orientations(features)
        assert exteriors == {True} and holes <= {False}
