"""The response schemas and examples of the OpenAPI document (``api.openapi_document``): the OGC
API documents as OGC API - Features Part 1 and Tiles define them (landing page, conformance,
collections, features, tile sets), the service's own JSON answers, and the error body with an
example of a 400 and a 404. Every example is an answer the service gave on the 2009 boundaries
with the Bến Tre city sample (``/work/shared/data/samples``), cut to one element of each list.

The schemas say what every answer holds and let the rest be (``additionalProperties`` stays open):
``tests/api/test_schemathesis.py`` checks every generated answer against them."""

from __future__ import annotations

from api.ogc.crs import CRS84


def ref(name: str) -> dict:
    """A reference to the component schema ``name`` (``COMPONENTS``)."""
    return {"$ref": f"#/components/schemas/{name}"}


_LINKS = {"type": "array", "items": ref("Link")}
_STRINGS = {"type": "array", "items": {"type": "string"}}
_OBJECTS = {"type": "array", "items": {"type": "object"}}

#: Component schemas (OpenAPI 3.0 Schema Objects), added to ``components.schemas``.
COMPONENTS: dict[str, dict] = {
    "Link": {
        "type": "object",
        "required": ["href"],
        "properties": {
            "href": {"type": "string"},
            "rel": {"type": "string"},
            "type": {"type": "string"},
            "title": {"type": "string"},
            "hreflang": {"type": "string"},
        },
    },
    "LandingPage": {
        "type": "object",
        "required": ["links"],
        "properties": {"title": {"type": "string"}, "description": {"type": "string"}, "links": _LINKS},
    },
    "ConfClasses": {"type": "object", "required": ["conformsTo"], "properties": {"conformsTo": _STRINGS}},
    "Collection": {
        "type": "object",
        "required": ["id", "links"],
        "properties": {
            "id": {"type": "string"},
            "title": {"type": "string"},
            "description": {"type": "string"},
            "links": _LINKS,
            "itemType": {"type": "string"},
            "crs": _STRINGS,
            "storageCrs": {"type": "string"},
            "extent": {
                "type": "object",
                "properties": {
                    "spatial": {
                        "type": "object",
                        "properties": {
                            "bbox": {"type": "array", "items": {"type": "array", "items": {"type": "number"}}},
                            "crs": {"type": "string"},
                        },
                    },
                    "temporal": {
                        "type": "object",
                        "properties": {
                            "interval": {
                                "type": "array",
                                "items": {"type": "array", "items": {"type": "string", "nullable": True}},
                            },
                            "trs": {"type": "string"},
                        },
                    },
                },
            },
        },
    },
    "Collections": {
        "type": "object",
        "required": ["links", "collections"],
        "properties": {"links": _LINKS, "collections": {"type": "array", "items": ref("Collection")}},
    },
    "Feature": {
        "type": "object",
        "required": ["type", "geometry", "properties"],
        "properties": {
            "type": {"type": "string", "enum": ["Feature"]},
            "id": {"type": "string"},
            "geometry": {"type": "object", "nullable": True, "description": "GeoJSON geometry (RFC 7946)"},
            "properties": {"type": "object", "nullable": True},
            "links": _LINKS,
        },
    },
    "FeatureCollection": {
        "type": "object",
        "required": ["type", "features"],
        "properties": {
            "type": {"type": "string", "enum": ["FeatureCollection"]},
            "features": {"type": "array", "items": ref("Feature")},
            "links": _LINKS,
            "timeStamp": {"type": "string", "format": "date-time"},
            "numberMatched": {"type": "integer", "minimum": 0},
            "numberReturned": {"type": "integer", "minimum": 0},
            "vintage": {
                "type": "object",
                "nullable": True,
                "description": "the boundaries drawn: name and validity",
            },
        },
    },
    "JsonSchema": {
        "type": "object",
        "required": ["type", "properties"],
        "description": "a JSON Schema (2020-12) document: the queryables, or the schema of the features",
        "properties": {
            "$schema": {"type": "string"},
            "$id": {"type": "string"},
            "type": {"type": "string", "enum": ["object"]},
            "title": {"type": "string"},
            "properties": {"type": "object", "additionalProperties": {"type": "object"}},
        },
    },
    "TileMatrixSets": {
        "type": "object",
        "required": ["tileMatrixSets"],
        "properties": {"tileMatrixSets": _OBJECTS, "links": _LINKS},
    },
    "TileMatrixSet": {
        "type": "object",
        "required": ["id", "crs", "tileMatrices"],
        "properties": {
            "id": {"type": "string"},
            "crs": {"type": "string"},
            "uri": {"type": "string"},
            "tileMatrices": _OBJECTS,
        },
    },
    "TileSet": {
        "type": "object",
        "required": ["dataType", "crs", "links"],
        "properties": {
            "title": {"type": "string"},
            "dataType": {"type": "string", "enum": ["map", "vector", "coverage"]},
            "crs": {"type": "string"},
            "tileMatrixSetURI": {"type": "string"},
            "links": _LINKS,
        },
    },
    "TileSets": {
        "type": "object",
        "required": ["tilesets"],
        "properties": {"tilesets": {"type": "array", "items": ref("TileSet")}, "links": _LINKS},
    },
    "MapSummary": {
        "type": "object",
        "required": ["year", "communes"],
        "properties": {
            "province": {"type": "string", "nullable": True},
            "district": {"type": "string", "nullable": True},
            "year": {"type": "integer"},
            "vintage": {"type": "string"},
            "communes": {"type": "integer", "minimum": 0},
            "communes_with_data": {"type": "integer", "minimum": 0},
        },
    },
    "Report": {
        "type": "object",
        "required": ["year", "districts"],
        "properties": {
            "province": {"type": "string", "nullable": True},
            "district": {"type": "string", "nullable": True},
            "year": {"type": "integer"},
            "vintage": {"type": "string"},
            "framework": {"type": "string", "nullable": True},
            "districts": _OBJECTS,
        },
    },
}

_SELF = "http://127.0.0.1:8000"
_WEB = "WebMercatorQuad"
_LINK = {"rel": "self", "type": "application/json", "href": f"{_SELF}/collections/communes"}
_FEATURE = {
    "type": "Feature",
    "id": "8110101",
    "geometry": {
        "type": "MultiPolygon",
        "coordinates": [
            [
                [
                    [106.38213929, 10.24210551],
                    [106.37928871, 10.24436797],
                    [106.37959176, 10.23417926],
                    [106.38225271, 10.23638226],
                    [106.38213929, 10.24210551],
                ]
            ]
        ],
    },
    "properties": {
        "admin_level": "commune",
        "code": "8110101",
        "name": "Phường 1",
        "unit_type": "phuong",
        "province": "Tỉnh Bến Tre",
        "district": "Thành phố Bến Tre",
        "assessed": False,
        "year": 2020,
        "level": None,
    },
}
_COLLECTION = {
    "id": "communes",
    "title": "Xã, phường, thị trấn với kết quả NTM / Communes with NTM status",
    "itemType": "feature",
    "extent": {
        "spatial": {"bbox": [[102.14412884, 8.40903616, 109.46890593, 23.39220557]], "crs": CRS84},
        "temporal": {"interval": [["2009-04-01T00:00:00Z", None]]},
    },
    "links": [_LINK],
}
_QUERYABLES = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": f"{_SELF}/collections/communes/queryables",
    "type": "object",
    "properties": {
        "code": {"type": "string", "title": "Mã đơn vị (mã của nguồn ranh giới) / Unit code"},
        "name": {"type": "string", "title": "Tên đầy đủ / Full name"},
    },
}
_TILESET = {
    "title": "Xã, phường, thị trấn với kết quả NTM / Communes with NTM status (WebMercatorQuad)",
    "dataType": "vector",
    "crs": "http://www.opengis.net/def/crs/EPSG/0/3857",
    "tileMatrixSetURI": "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad",
    "links": [{"rel": "self", "type": "application/json", "href": f"{_SELF}/collections/communes/tiles/{_WEB}"}],
}
_FEATURES = {
    "type": "FeatureCollection",
    "numberMatched": 17,
    "numberReturned": 1,
    "timeStamp": "2026-12-06T14:28:09Z",
    "links": [{"rel": "self", "type": "application/geo+json", "href": f"{_SELF}/collections/communes/items?limit=1"}],
    "features": [_FEATURE],
    "vintage": {"name": "2009-04-01 vn_admin_2009", "valid_from": "2009-04-01", "valid_to": None},
}

#: The JSON answer of each path: (schema, example); None keeps the schema FastAPI writes for it.
RESPONSES: dict[str, tuple[dict | None, dict]] = {
    "/": (
        ref("LandingPage"),
        {
            "title": "geo_ntm — Bản đồ nông thôn mới / New Rural Development maps",
            "links": [{"rel": "conformance", "type": "application/json", "href": f"{_SELF}/conformance"}],
        },
    ),
    "/conformance": (
        ref("ConfClasses"),
        {"conformsTo": ["http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core"]},
    ),
    "/collections": (ref("Collections"), {"links": [_LINK], "collections": [_COLLECTION]}),
    "/collections/{collectionId}": (ref("Collection"), _COLLECTION),
    "/collections/{collectionId}/items": (ref("FeatureCollection"), _FEATURES),
    "/collections/{collectionId}/items/{featureId}": (ref("Feature"), _FEATURE),
    "/collections/{collectionId}/queryables": (ref("JsonSchema"), _QUERYABLES),
    "/collections/{collectionId}/schema": (ref("JsonSchema"), _QUERYABLES),
    "/collections/{collectionId}/download": (ref("FeatureCollection"), _FEATURES),
    "/tileMatrixSets": (
        ref("TileMatrixSets"),
        {"tileMatrixSets": [{"id": "WebMercatorQuad", "title": "Google Maps Compatible for the World"}]},
    ),
    "/tileMatrixSets/{tileMatrixSetId}": (
        ref("TileMatrixSet"),
        {
            "id": "WebMercatorQuad",
            "crs": "http://www.opengis.net/def/crs/EPSG/0/3857",
            "tileMatrices": [{"id": "0", "tileWidth": 256, "tileHeight": 256, "matrixWidth": 1, "matrixHeight": 1}],
        },
    ),
    "/collections/{collectionId}/tiles": (ref("TileSets"), {"tilesets": [_TILESET]}),
    "/collections/{collectionId}/tiles/{tileMatrixSetId}": (ref("TileSet"), _TILESET),
    "/map/data": (
        ref("FeatureCollection"),
        {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "id": "8110101",
                    "geometry": _FEATURE["geometry"],
                    "properties": {"code": "8110101", "name": "Phường 1", "class": "not_assessed"},
                }
            ],
        },
    ),
    "/map/summary": (
        ref("MapSummary"),
        {
            "province": "Tỉnh Bến Tre",
            "district": None,
            "year": 2020,
            "vintage": "2009-04-01 vn_admin_2009",
            "communes": 147,
            "communes_with_data": 6,
        },
    ),
    "/report": (
        ref("Report"),
        {
            "province": "Tỉnh Bến Tre",
            "district": None,
            "year": 2020,
            "vintage": "2009-04-01 vn_admin_2009",
            "framework": "qd1980_2016",
            "districts": [{"district": "Thành phố Bến Tre", "communes": 7, "communes_with_data": 6}],
        },
    ),
    "/health": ({"type": "object", "required": ["status"]}, {"status": "ok", "vintages": ["2009-04-01 vn_admin_2009"]}),
    "/vintages": (
        {"type": "object", "required": ["vintages"], "properties": {"vintages": _OBJECTS}},
        {"vintages": [{"id": 1, "name": "2009-04-01 vn_admin_2009", "valid_from": "2009-04-01", "valid_to": None}]},
    ),
    "/lookup": (
        None,
        {
            "lon": 106.38,
            "lat": 10.24,
            "vintage": "2009-04-01 vn_admin_2009",
            "commune": {"code": "8110101", "name": "Phường 1", "unit_type": "phuong"},
        },
    ),
    "/jobs/{job_id}": (
        ref("JobState"),
        {
            "id": "5f0c2a9d41b7e3c8",
            "state": "running",
            "progress": {"fraction": 0.05, "message": "reading the communes"},
            "url": f"{_SELF}/jobs/5f0c2a9d41b7e3c8",
        },
    ),
    "/lineage/{code}": (
        {"type": "object", "required": ["code"], "properties": {"came_from": _OBJECTS, "became": _OBJECTS}},
        {"code": "8110101", "came_from": [], "became": []},
    ),
}

RESPONSES |= {
    "/issues": (
        None,
        {"province": "Tỉnh Bến Tre", "district": None, "year": 2020, "count": 0, "issues": []},
    ),
    "/layers": (None, {"layers": []}),
    "/indicator-sets": (None, {"indicator_sets": []}),
    "/frameworks": (
        None,
        {
            "frameworks": [
                {
                    "framework_id": "qd1980_2016",
                    "title_en": "National New Rural commune criteria 2016-2020",
                    "legal_act": "QĐ 1980/QĐ-TTg ngày 17/10/2016",
                    "scope": "national",
                    "applies_to": "commune",
                    "years": [2016, 2020],
                    "criteria_total": 19,
                    "criteria": [{"number": 1, "name_vi": "Quy hoạch", "name_en": "Planning"}],
                }
            ]
        },
    ),
    "/profile/{code}": (
        None,
        {
            "code": "8110101",
            "name": "Phường 1",
            "unit_type": "phuong",
            "district": "Thành phố Bến Tre",
            "province": "Tỉnh Bến Tre",
            "vintage": "2009-04-01 vn_admin_2009",
            "assessed": False,
            "year": 2020,
            "level": None,
        },
    ),
}

#: Examples of the error body (``api.errors.ErrorBody``) by status.
ERROR_EXAMPLES: dict[str, dict] = {
    "400": {
        "code": "InvalidParameterValue",
        "description": "datetime 'yesterday': 'yesterday' is not a date or date-time (RFC 3339)",
    },
    "404": {
        "code": "NotFound",
        "description": "no collection 'nothing'; collections are provinces, districts, communes, units",
    },
}
