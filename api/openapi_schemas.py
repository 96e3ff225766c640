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
_NUMBER = {"type": "number"}
_TEXT = {"type": "string"}
_MAYBE_TEXT = {"type": "string", "nullable": True}
_INTEGER = {"type": "integer", "minimum": 0}
_OBJECT = {"type": "object"}


def _object(required: list[str], **properties: dict) -> dict:
    """An object schema requiring ``required``, its ``properties`` typed."""
    return {"type": "object", "required": required, "properties": properties}


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

#: The JSON answer of each path: (schema, example).
RESPONSES: dict[str, tuple[dict, dict]] = {
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
    "/health": (
        _object(["status"], status=_TEXT, vintages=_STRINGS),
        {"status": "ok", "vintages": ["2009-04-01 vn_admin_2009"]},
    ),
    "/vintages": (
        {"type": "object", "required": ["vintages"], "properties": {"vintages": _OBJECTS}},
        {"vintages": [{"id": 1, "name": "2009-04-01 vn_admin_2009", "valid_from": "2009-04-01", "valid_to": None}]},
    ),
    "/lookup": (
        _object(
            ["lon", "lat", "vintage"], lon=_NUMBER, lat=_NUMBER, vintage=_TEXT, commune={**_OBJECT, "nullable": True}
        ),
        {
            "lon": 106.38,
            "lat": 10.24,
            "vintage": "2009-04-01 vn_admin_2009",
            "commune": {"code": "8110101", "name": "Phường 1", "unit_type": "phuong"},
        },
    ),
    "/lineage/{code}": (
        {"type": "object", "required": ["code"], "properties": {"came_from": _OBJECTS, "became": _OBJECTS}},
        {"code": "8110101", "came_from": [], "became": []},
    ),
}

RESPONSES |= {
    "/issues": (
        _object(["year", "count", "issues"], year={"type": "integer"}, count=_INTEGER, issues=_OBJECTS),
        {"province": "Tỉnh Bến Tre", "district": None, "year": 2020, "count": 0, "issues": []},
    ),
    "/profile/{code}": (
        _object(["code", "name", "unit_type", "vintage"], code=_TEXT, name=_TEXT, unit_type=_TEXT, vintage=_TEXT),
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

# The rest of the service's answers: the writes (import reports), the coverage tables, the
# planner's options, the audit log, baseline, progress and crosswalk, the job answer (202).
COMPONENTS |= {
    "ImportReport": _object(
        ["import_kind", "ok", "source_file", "rows_read", "rows_stored", "stored", "dry_run", "warnings"],
        import_kind={"type": "string", "enum": ["status", "groups", "lineage", "layer"]},
        ok={"type": "boolean"},
        source_file=_TEXT,
        rows_read=_INTEGER,
        rows_stored=_INTEGER,
        stored={"type": "boolean"},
        dry_run={"type": "boolean"},
        warnings=_OBJECTS,
        notes=_OBJECTS,
        unmatched=_OBJECTS,
        ambiguous=_OBJECTS,
        invalid=_OBJECTS,
    ),
    "TargetImportReport": _object(
        ["source_file", "rows_read", "commune_targets", "province_targets", "import_id"],
        source_file=_TEXT,
        rows_read=_INTEGER,
        commune_targets=_INTEGER,
        province_targets=_INTEGER,
        import_id={"type": "integer", "nullable": True},
    ),
    "Framework": _object(
        ["framework_id", "legal_act", "scope", "applies_to", "years", "criteria"],
        framework_id=_TEXT,
        title_vi=_TEXT,
        title_en=_TEXT,
        legal_act=_TEXT,
        scope={"type": "string", "enum": ["national", "provincial"]},
        province=_MAYBE_TEXT,
        applies_to=_TEXT,
        years={"type": "array", "items": {"type": "integer"}, "minItems": 2, "maxItems": 2},
        criteria_total={"type": "integer", "nullable": True},
        criteria=_OBJECTS,
    ),
    "IndicatorSet": _object(
        ["set_id", "framework", "source_file", "imported_at", "indicators"],
        set_id={"type": "integer"},
        framework=_TEXT,
        source_file=_TEXT,
        imported_at=_TEXT,
        actor=_TEXT,
        indicators=_OBJECTS,
    ),
    "CoverageTable": _object(
        ["totals", "communes"],
        totals=_object(["topic", "day", "communes"], topic=_TEXT, day=_TEXT, communes=_INTEGER, layer=_TEXT),
        communes={"type": "array", "items": _object(["code", "name", "assessed"], code=_TEXT, name=_TEXT)},
    ),
}

#: The coverage answers' communes are cut to the first commune and to its first columns (the rows
#: hold every class of road, kind of facility, indicator and verdict).
_COVERAGE_COMMUNE = {
    "unit_id": 1,
    "code": "9990101",
    "name": "Xã A",
    "unit_type": "xa",
    "district": "Huyện Thử",
    "province": "Tỉnh Thử",
    "assessed": True,
}
#: The 202 answer of ``POST /statuses`` while its import ran (the same ``JobState`` as ``/jobs/{id}``).
JOB_ACCEPTED = {
    "id": "67e0406b4b495c51",
    "state": "running",
    "progress": {"fraction": 0.0, "message": "started"},
    "url": "/jobs/67e0406b4b495c51",
    "answer": None,
    "error": None,
    "result": None,
}
RESPONSES["/jobs/{job_id}"] = (ref("JobState"), JOB_ACCEPTED)  # the job as the 202 gave it

_FRAMEWORK_QD1980 = {
    "framework_id": "qd1980_2016",
    "title_vi": "Bộ tiêu chí quốc gia về xã nông thôn mới giai đoạn 2016-2020",
    "title_en": "National New Rural commune criteria 2016-2020",
    "legal_act": "QĐ 1980/QĐ-TTg ngày 17/10/2016",
    "act_date": "2016-10-17",
    "source_act": None,
    "scope": "national",
    "province": None,
    "applies_to": "commune",
    "years": [2016, 2020],
    "levels": [{"level": "ntm", "label_vi": "Đạt chuẩn NTM", "label_en": "NTM"}],
    "criteria_known": True,
    "criteria_total": 19,
    "criteria": [{"number": 1, "name_vi": "Quy hoạch", "name_en": "Planning"}],
}
#: The indicator set of ``UPLOAD_EXAMPLES`` (an example's shape, not QĐ 51/2025 Annex I) as stored.
_INDICATOR_SET = {
    "set_id": 1,
    "framework": "qd51_2025",
    "source_file": "indicator_set.csv",
    "imported_at": "2026-12-06T14:57:56+00:00",
    "actor": "admin-user",
    "indicators": [
        {
            "criterion": 2,
            "indicator": "2.1",
            "name_vi": "Ví dụ (không phải Phụ lục I)",
            "name_en": "Example (not Annex I)",
            "unit": None,
            "thresholds": {},
            "source_act": "VÍ DỤ / EXAMPLE",
        }
    ],
}
_ROADS_LAYER = {
    "id": 1,
    "name": "example roads",
    "kind": "roads",
    "date": "2020-12-31",
    "features": 1,
    "crs": "EPSG:4326",
    "source": "roads.geojson",
}
_WARNING = {
    "row": 2,
    "message": "year 2011 is outside the period of qd1980_2016 (2016-2020, QĐ 1980/QĐ-TTg ngày 17/10/2016); "
    "check the framework column",
    "column": "year",
    "value": "2011",
    "place": "Bến Tre / Thành phố Bến Tre / Nhơn Thạnh",
    "candidates": [],
}
_REPORT = {"ok": True, "rows_read": 1, "rows_stored": 1, "stored": True, "dry_run": False, "warnings": [], "notes": []}

RESPONSES |= {
    "/api": (
        _object(["openapi", "info", "paths"], openapi=_TEXT, info=_OBJECT, paths=_OBJECT),
        {"openapi": "3.0.3", "info": {"title": "geo_ntm", "version": "0.1.0"}, "paths": {}},
    ),
    "/frameworks": (
        _object(["frameworks"], frameworks={"type": "array", "items": ref("Framework")}),
        {"frameworks": [_FRAMEWORK_QD1980]},
    ),
    "/indicator-sets": (
        _object(["indicator_sets"], indicator_sets={"type": "array", "items": ref("IndicatorSet")}),
        {"indicator_sets": [_INDICATOR_SET]},
    ),
    "/layers": (
        _object(
            ["layers"],
            layers={"type": "array", "items": _object(["id", "name", "kind", "date"], id={"type": "integer"})},
        ),
        {"layers": [_ROADS_LAYER]},
    ),
    "/audit": (
        _object(
            ["imports"],
            imports={
                "type": "array",
                "items": _object(
                    ["import_id", "actor", "imported_at", "kind", "rows_read", "rows_stored"],
                    import_id={"type": "integer"},
                    actor=_TEXT,
                    imported_at=_TEXT,
                    kind=_TEXT,
                    source_file=_MAYBE_TEXT,
                    rows_read=_INTEGER,
                    rows_stored=_INTEGER,
                ),
            },
        ),
        {
            "imports": [
                {
                    "import_id": 4,
                    "actor": "editor-user",
                    "imported_at": "2026-12-06T14:57:18+00:00",
                    "kind": "groups",
                    "source_file": "groups.csv",
                    "rows_read": 1,
                    "rows_stored": 1,
                }
            ]
        },
    ),
    # after the lineage example's 2020 An Hội merge: Phường An Hội and the first of its former units
    "/baseline": (
        _object(["history", "province", "vintage", "communes"], history={"type": "boolean"}, communes=_OBJECTS),
        {
            "history": True,
            "note_vi": "Trước sáp nhập (lịch sử của các xã cũ), không phải công nhận của xã mới",
            "note_en": "Before the merger (history of the former communes), not the new commune's recognition",
            "province": "Tỉnh Bến Tre",
            "vintage": "2020-02-01 derived: lineage",
            "communes": [
                {
                    "code": "28777",
                    "name": "Phường An Hội",
                    "former_vintage": "2009-04-01 vn_admin_2009",
                    "as_of": "2020-01-31",
                    "area_share": {"ntm": 0.0, "ntm_nang_cao": 0.0, "ntm_kieu_mau": 0.0, "ntm_hien_dai": 0.0},
                    "coverage": 1.0,
                    "former_units": [
                        {
                            "code": "8110105",
                            "name": "Phường 3",
                            "unit_type": "phuong",
                            "shared_ha": 39.55,
                            "share_of_new": 0.43293,
                            "share_of_old": 0.999999,
                            "population": 5617.0,
                            "recognised_level": None,
                            "decisions": [],
                        }
                    ],
                }
            ],
        },
    ),
    # the target of the targets example (its source "example": no plan)
    "/progress": (
        _object(
            ["province", "year", "targets_loaded", "communes", "province_targets", "rule"],
            year={"type": "integer"},
            targets_loaded={"type": "boolean"},
            communes=_OBJECTS,
            province_targets=_OBJECTS,
            message=_MAYBE_TEXT,
        ),
        {
            "province": "Tỉnh Bến Tre",
            "province_code": "811",
            "year": 2020,
            "vintage": "2020-02-01 derived: lineage",
            "targets_loaded": True,
            "communes": [
                {
                    "code": "8110125",
                    "name": "Xã Nhơn Thạnh",
                    "level": "ntm_nang_cao",
                    "target_year": 2024,
                    "years_left": 4,
                    "recognised_level": None,
                    "criteria_met": 19,
                    "criteria_total": 19,
                    "unmet": None,
                    "unmet_per_year": None,
                    "status": "no_data",
                    "source": "example",
                }
            ],
            "province_targets": [],
            "rule": "commune: on track while at most 2 unmet criteria per year left; province: recognised share "
            "against a straight path between its baseline and target points",
            "message": None,
        },
    ),
    "/crosswalk": (
        _object(["from", "to", "pairs"], pairs=_OBJECTS, slivers=_OBJECTS, area_crs=_TEXT),
        {
            "from": {"date": "2009-04-01", "vintage": "2009-04-01 vn_admin_2009"},
            "to": {"date": "2009-04-01", "vintage": "2009-04-01 vn_admin_2009"},
            "sliver_tolerance": 0.01,
            "area_crs": "+proj=aea +lat_1=9.8018 +lat_2=10.2697 +lat_0=10.0358 +lon_0=106.3763 +ellps=WGS84 "
            "+towgs84=0,0,0 +units=m +no_defs +type=crs",
            "pairs": [
                {
                    "old_code": "8110101",
                    "old_name": "Phường 1",
                    "new_code": "8110101",
                    "new_name": "Phường 1",
                    "shared_ha": 26.5613282766,
                    "share_of_old": 1.0,
                    "share_of_new": 1.0,
                    "population": 5039.0,
                    "population_share": 0.984184205,
                }
            ],
            "slivers": [
                {
                    "old_code": "8110107",
                    "old_name": "Phường 4",
                    "new_code": "8110111",
                    "new_name": "Phường 6",
                    "shared_ha": 0.0088676013,
                    "share_of_old": 0.000248506,
                    "share_of_new": 5.42223e-05,
                    "population": 1.345908594,
                    "population_share": None,
                }
            ],
        },
    ),
    # texts and lists cut to their first entries
    "/map/options": (
        _object(
            ["lang", "texts", "years", "measures"],
            lang=_TEXT,
            texts=_OBJECT,
            provinces=_OBJECTS,
            districts=_OBJECTS,
            years={"type": "array", "items": {"type": "integer"}},
            measures=_OBJECTS,
        ),
        {
            "lang": "vi",
            "texts": {"title": "Bản đồ nông thôn mới"},
            "levels": {"ntm": "Đạt chuẩn NTM"},
            "basemap": None,
            "empty": False,
            "province": "811",
            "national": False,
            "year": 2020,
            "vintage": "",
            "provinces": [{"code": "811", "name": "Tỉnh Bến Tre", "has_data": True}],
            "has_districts": True,
            "districts": [{"code": "81113", "name": "Huyện Ba Tri"}],
            "years": [2009, 2030],
            "data_years": [2011, 2020],
            "vintages": [{"id": "1", "name": "2009-04-01 vn_admin_2009", "valid_from": "2009-04-01"}],
            "rules": ["all", "share_area", "share_population"],
            "carried": False,
            "measures": [
                {
                    "id": "level",
                    "label": "Mức đạt chuẩn nông thôn mới",
                    "group": "Kết quả đánh giá",
                    "schemes": ["standard"],
                }
            ],
            "groups": [],
            "schemes": [{"id": "standard", "label": "Nhóm chuẩn"}],
            "class_counts": [3, 4, 5, 6, 7],
        },
    ),
    # the hand-made test world of tests/geo_ntm/infrastructure/reach_world.py (Tỉnh Thử, made up)
    "/coverage/{topic}": (
        ref("CoverageTable"),
        {
            "totals": {
                "topic": "water",
                "day": "2020-12-31",
                "framework": "qd1980_2016",
                "communes": 3,
                "distance_m": 250.0,
                "households": 8,
                "households_within": 3,
                "households_within_share": 0.375,
                "ind_17_1_basis": "households within 250 m of the water network or a supply point",
                "layer": "pipes",
                "layer_date": "2020-06-30",
                "vintage": "2009-04-01 boundaries",
            },
            "communes": [
                {
                    **_COVERAGE_COMMUNE,
                    "households": 4,
                    "households_within": 2,
                    "households_within_share": 0.5,
                    "ind_17_1_value": 0.5,
                    "ind_17_1_threshold": None,
                    "ind_17_1_verdict": "unknown",
                }
            ],
        },
    ),
}

#: The answer of each write (its 200, or 201 for a framework or an indicator set): (schema,
#: example), the reports of ``api.openapi_document.UPLOAD_EXAMPLES`` imported in turn.
WRITE_RESPONSES: dict[str, tuple[dict, dict]] = {
    "/statuses": (
        ref("ImportReport"),
        {
            **_REPORT,
            "import_kind": "status",
            "source_file": "statuses.csv",
            "rows_stored": 0,
            "warnings": [_WARNING],
            "layout": "long",
            "matched": 1,
            "already_stored": 1,
            "import_id": 3,
            "vintages": {"2009-04-01 vn_admin_2009": [2011]},
            "unmatched": [],
            "ambiguous": [],
            "invalid": [],
            "conflicts": [],
        },
    ),
    "/groups": (
        ref("ImportReport"),
        {**_REPORT, "import_kind": "groups", "source_file": "groups.csv", "matched": 1, "groups_stored": 1},
    ),
    "/lineage": (
        ref("ImportReport"),
        {
            **_REPORT,
            "import_kind": "lineage",
            "source_file": "lineage.csv",
            "base_vintage": "2009-04-01 vn_admin_2009",
            "derived": ["2020-02-01 derived: lineage"],
            "events": 1,
        },
    ),
    "/layers": (
        ref("ImportReport"),
        {
            **_REPORT,
            "import_kind": "layer",
            "source_file": "roads.geojson",
            "name": "example roads",
            "kind": "roads",
            "mapping": "osm",
            "layer_id": 1,
        },
    ),
    # source_file: the upload's name, as the other reports give it (the service answers the path of
    # its temporary copy of the upload today: a fault of api.jobs.targets_job, left to its owner)
    "/targets": (
        ref("TargetImportReport"),
        {"source_file": "targets.csv", "rows_read": 1, "commune_targets": 1, "province_targets": 0, "import_id": 7},
    ),
    "/frameworks": (
        ref("Framework"),
        {
            "framework_id": "dong_thap_qd863_2022",
            "title_vi": "Bộ tiêu chí xã NTM tỉnh Đồng Tháp giai đoạn 2021-2025",
            "title_en": "Đồng Tháp New Rural commune criteria 2021-2025",
            "legal_act": "QĐ 318/QĐ-TTg ngày 08/3/2022",
            "source_act": "QĐ 863/QĐ-UBND-HC năm 2022",
            "scope": "provincial",
            "province": "Đồng Tháp",
            "applies_to": "commune",
            "years": [2021, 2025],
            "criteria_known": False,
            "criteria_total": None,
            "criteria": [],
        },
    ),
    "/indicator-sets": (ref("IndicatorSet"), _INDICATOR_SET),
}

#: Writes whose 400 is the import report when rows have problems and nothing was stored (else the
#: error body, ``ErrorBody``), with an example: the statuses example's row naming a commune that
#: does not exist.
REPORT_400: dict[str, dict] = {
    "/statuses": {
        "import_kind": "status",
        "ok": False,
        "source_file": "statuses.csv",
        "rows_read": 1,
        "rows_stored": 0,
        "stored": False,
        "dry_run": False,
        "warnings": [],
        "notes": [],
        "matched": 0,
        "import_id": None,
        "unmatched": [
            {
                "row": 2,
                "message": "commune 'Nothing' not found in Tỉnh Bến Tre",
                "column": None,
                "value": None,
                "place": "Ben Tre / Nowhere / Nothing",
                "candidates": [
                    {
                        "name": "Xã Nhơn Thạnh",
                        "district": "Thành phố Bến Tre",
                        "province": "Tỉnh Bến Tre",
                        "code": "8110125",
                    }
                ],
            }
        ],
        "ambiguous": [],
        "invalid": [],
    },
}
REPORT_400["/groups"] = {
    "import_kind": "groups",
    "ok": False,
    "source_file": "groups.csv",
    "rows_read": 1,
    "rows_stored": 0,
    "stored": False,
    "dry_run": False,
    "warnings": [],
    "notes": [],
    "matched": 0,
    "groups_stored": 0,
    "unmatched": [{**REPORT_400["/statuses"]["unmatched"][0], "place": "Bến Tre / Nothing"}],
    "ambiguous": [],
    "invalid": [],
    "skipped": 0,
}

#: The errors of some operations as they answer them (the uploads' 400 for a file not of the kind
#: asked, a unit, job or place that does not exist), by (method, path, status); the others show
#: ``ERROR_EXAMPLES``.
OPERATION_ERROR_EXAMPLES: dict[tuple[str, str, str], dict] = {
    ("post", "/lineage", "400"): {
        "code": "InvalidParameterValue",
        "description": "lineage file lineage.csv: line 1 lacks the column(s) event_id, effective_date, legal_act, "
        "kind, before, after, after_name, after_type, parent_after, note; the header must be event_id,"
        "effective_date,legal_act,kind,before,after,after_name,after_type,parent_after,note",
    },
    ("post", "/targets", "400"): {
        "code": "InvalidParameterValue",
        "description": "targets.csv: no header row found in the first 20 rows; a target file needs the columns "
        "province (Tỉnh), level (Mức) and year (Năm), with commune (Xã) for a commune's target or share (Tỷ lệ) "
        "for a province's",
    },
    ("post", "/frameworks", "400"): {
        "code": "InvalidParameterValue",
        "description": "framework file framework.toml: framework_id 'dong_thap_qd863_2022' is already loaded",
    },
    ("post", "/indicator-sets", "400"): {
        "code": "InvalidParameterValue",
        "description": "indicator set file indicator_set.csv, row 1 (header): columns must be framework, criterion, "
        "indicator, name_vi, name_en, unit, comparison, group1, group2, group3, source_act; missing framework, "
        "criterion, indicator, name_vi, name_en, unit, comparison, group1, group2, group3, source_act; unknown "
        "province;commune",
    },
    ("get", "/profile/{code}", "404"): {
        "code": "NotFound",
        "description": "no commune with code '9999999' in the boundaries 2020-02-01 derived: lineage",
    },
    ("get", "/jobs/{job_id}", "404"): {
        "code": "NotFound",
        "description": "no job 'nothing': this service started no such job, or forgot it (each process keeps its "
        "latest 1000 computations and 100 uploads)",
    },
    ("get", "/map/summary", "404"): {
        "code": "NotFound",
        "description": "no province named 'Nowhere'; closest: Tỉnh Bến Tre",
    },
    ("get", "/coverage/{topic}", "404"): {
        "code": "NotFound",
        "description": "no boundary vintage is in force on 1990-12-31; the earliest starts on 2009-04-01",
    },
}
