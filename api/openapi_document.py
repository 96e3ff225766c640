"""The service's one OpenAPI document, OpenAPI 3.0.3, served at ``/openapi.json`` (Swagger UI at
``/docs`` reads it) and at ``/api`` (the OGC API's ``service-desc``): FastAPI's document completed
once when first built with what it leaves out (the grammar of parameters declared as plain strings,
``bbox``, ``limit`` and ``datetime`` as OGC API - Features Part 1 defines them, the upload examples
of the write operations, the media types of the answers, a tag on every operation, the bearer
token as a security scheme, and no 422: invalid parameters are 400s here), then written as 3.0
(``api.ogc.openapi.openapi30``) for 3.0 clients (GDAL, OWSLib, the OGC test suites)."""

from __future__ import annotations

from fastapi import FastAPI

from api.download_formats import FORMATS
from api.errors import ERROR_RESPONSES
from api.ogc.collections import registry
from api.ogc.crs import SUPPORTED_CRS
from api.ogc.media import F_VALUES, GEOJSON, HTML, JSON, OPENAPI30, SCHEMA_JSON
from api.ogc.openapi import openapi30
from api.openapi_schemas import (
    COMPONENTS,
    ERROR_EXAMPLES,
    JOB_ACCEPTED,
    OPERATION_ERROR_EXAMPLES,
    REPORT_400,
    RESPONSES,
    WRITE_RESPONSES,
    ref,
)
from geo_ntm.carry import RULES
from geo_ntm.domain import LEVELS
from geo_ntm.infrastructure.queries import TOPICS

#: What the service accepts of parameters declared as plain strings elsewhere (``api.deps``,
#: ``api.ogc.query``, the routers), as the document says it: the allowed values, or the format.
#: Parameters whose grammar JSON Schema cannot say (place names, vintages, ``bbox``, ``datetime``,
#: CQL2) stay strings; ``tests/api/test_schemathesis.py`` is tolerant only of those.
_DATE = {"format": "date"}
_CRS = {"enum": SUPPORTED_CRS}
PARAMETER_SCHEMAS: dict[str, dict] = {
    "date": _DATE,
    "from": _DATE,
    "to": _DATE,
    "crs": _CRS,
    "bbox-crs": _CRS,
    "filter-crs": _CRS,
    "rule": {"enum": list(RULES)},
    "rule_level": {"enum": list(LEVELS)},
    "topic": {"enum": list(TOPICS)},
    "collectionId": {"enum": [c.id for c in registry.served()]},
}
#: Parameters named alike with other grammars on some paths: (path, name) -> schema.
PATH_PARAMETER_SCHEMAS: dict[tuple[str, str], dict] = {("/crosswalk", "f"): {"enum": ["json", "csv"]}}
#: The parameters OGC API - Features Part 1 defines (its ``bbox``, ``datetime`` and ``limit``
#: parameter fragments), replacing what FastAPI writes for them (the description is kept).
_FORM = {"in": "query", "required": False, "style": "form", "explode": False}
OGC_PARAMETERS: dict[str, dict] = {
    "bbox": {
        **_FORM,
        "schema": {"type": "array", "minItems": 4, "maxItems": 6, "items": {"type": "number"}},
    },
    "datetime": {**_FORM, "schema": {"type": "string"}},
    "limit": {**_FORM, "schema": {"type": "integer", "minimum": 1, "maximum": 10_000, "default": 100}},
}
#: The tag of each operation, by the first segment of its path; a path holding ``/tiles`` is
#: ``OGC API - Tiles``, the downloads are ``Downloads``. ``tests/api/ogc/test_openapi.py`` checks
#: every operation has one of ``TAGS``.
FEATURES, TILES = "OGC API - Features", "OGC API - Tiles"
TAGS = {
    FEATURES: "Landing page, conformance, API definition, collections, queryables and features",
    TILES: "Vector tiles of the boundary collections",
    "Downloads": "A collection as a file (GeoPackage, Shapefile, GeoJSON, CSV, XLSX) with its styles",
    "Boundaries": "Boundary vintages, lineage of units and the crosswalk between vintages",
    "Infrastructure": "Infrastructure layers and the coverage measured on them",
    "Planner": "The planner's page, its map and its data",
    "Status and plans": "Uploads of statuses, commune groups, lineage and targets; the audit log",
    "Frameworks": "Criteria frameworks and indicator sets",
    "Progress": "Issues, baseline, progress and the district/province report",
    "Service": "Health and background jobs",
}
_SEGMENT_TAGS = {
    "": FEATURES,
    "conformance": FEATURES,
    "api": FEATURES,
    "collections": FEATURES,
    "tileMatrixSets": TILES,
    "vintages": "Boundaries",
    "lineage": "Boundaries",
    "crosswalk": "Boundaries",
    "layers": "Infrastructure",
    "coverage": "Infrastructure",
    "lookup": "Planner",
    "planner": "Planner",
    "map.html": "Planner",
    "map": "Planner",
    "map.png": "Planner",
    "profile": "Planner",
    "statuses": "Status and plans",
    "groups": "Status and plans",
    "targets": "Status and plans",
    "audit": "Status and plans",
    "frameworks": "Frameworks",
    "indicator-sets": "Frameworks",
    "issues": "Progress",
    "baseline": "Progress",
    "progress": "Progress",
    "report": "Progress",
    "health": "Service",
    "jobs": "Service",
}
#: The bearer token (``api.auth``): writes need an editor's or admin's; reads need a reader's only
#: when ``GEO_NTM_READ_TOKEN_REQUIRED`` is set.
BEARER = "bearerToken"
SECURITY_SCHEMES = {
    BEARER: {
        "type": "http",
        "scheme": "bearer",
        "description": "a token from the service's token file (GEO_NTM_TOKENS): reader, editor (may write) or admin",
    }
}


def operation_tag(path: str) -> str:
    """The tag of the operations of ``path`` (``TAGS``); ``Other`` for a path no table names."""
    if "/tiles" in path:
        return TILES
    if path.endswith("/download"):
        return "Downloads"
    return _SEGMENT_TAGS.get(path.strip("/").split("/")[0], "Other")


#: Media types of answers FastAPI documents as JSON only.
RESPONSE_MEDIA = {
    "/api": [OPENAPI30, HTML],
    "/collections/{collectionId}/queryables": [SCHEMA_JSON, HTML],
    "/collections/{collectionId}/schema": [SCHEMA_JSON],
    "/collections/{collectionId}/download": [media.split(";")[0] for media, _ in FORMATS.values()],
    "/crosswalk": [JSON, "text/csv"],  # f=csv
}

#: Upload examples of the write operations (small real files, test data the way the samples are): a
#: status row and a made-up commune group of Xã Nhơn Thạnh, Thành phố Bến Tre; the 2020 An Hội
#: merge of the Bến Tre lineage (``boundaries/examples/ben_tre_city_lineage.csv``); two road
#: segments in Thành phố Bến Tre; a target of Xã Nhơn Thạnh.
UPLOAD_EXAMPLES: dict[str, dict] = {
    "/statuses": {
        "file": "province,district,commune,year,framework,level,criterion,status,source\n"
        "Bến Tre,Thành phố Bến Tre,Nhơn Thạnh,2011,qd1980_2016,ntm,9,chưa đạt,example\n",
    },
    # a made-up group on Xã Nhơn Thạnh, named as an example (no such decision exists)
    "/groups": {
        "file": "province,commune,group,decision,decision_date,numbering_source,source\n"
        "Bến Tre,Nhơn Thạnh,2,example (not a decision),2026-03-01,QĐ 51/2025/QĐ-TTg,example\n",
    },
    "/lineage": {
        "file": "event_id,effective_date,legal_act,kind,before,after,after_name,after_type,parent_after,note\n"
        "bt-2020-an-hoi,2020-02-01,856/NQ-UBTVQH14 (10/01/2020),merge,8110101;8110103;8110105,28777,"
        "Phường An Hội,phuong,,Phường 1; 2; 3 form Phường An Hội\n",
    },
    "/layers": {
        "file": '{"type": "FeatureCollection", "features": ['
        '{"type": "Feature", "properties": {"highway": "residential", "surface": "asphalt"}, "geometry": '
        '{"type": "LineString", "coordinates": [[106.37, 10.24], [106.38, 10.24]]}}]}',
        "name": "example roads",
        "kind": "roads",
        "valid_date": "2020-12-31",
        "mapping": "osm",
    },
    # a commune's target (the example's figure is no plan: labelled "example" as its source)
    "/targets": {"file": "province,commune,level,year,source\nBến Tre,Nhơn Thạnh,ntm_nang_cao,2024,example\n"},
    # Đồng Tháp's own 2021-2025 set (NTM.md names QĐ 863/QĐ-UBND-HC 2022); its criteria are not listed
    "/frameworks": {
        "file": 'framework_id = "dong_thap_qd863_2022"\n'
        'title_vi = "Bộ tiêu chí xã NTM tỉnh Đồng Tháp giai đoạn 2021-2025"\n'
        'title_en = "Đồng Tháp New Rural commune criteria 2021-2025"\n'
        'legal_act = "QĐ 318/QĐ-TTg ngày 08/3/2022"\n'
        'source_act = "QĐ 863/QĐ-UBND-HC năm 2022"\n'
        'province = "Đồng Tháp"\n'
        'applies_to = "commune"\nyears = [2021, 2025]\nlevels = ["ntm"]\n'
        "criteria_known = false\ncriteria = []\n",
    },
    # the shape of an indicator set only: QĐ 51/2025 Annex I is not in the shipped material
    "/indicator-sets": {
        "file": "framework,criterion,indicator,name_vi,name_en,unit,comparison,group1,group2,group3,source_act\n"
        "qd51_2025,2,2.1,Ví dụ (không phải Phụ lục I),Example (not Annex I),,yes/no,,,,VÍ DỤ / EXAMPLE\n",
    },
}

UPLOAD_NAMES = {
    "/statuses": "statuses.csv",
    "/groups": "groups.csv",
    "/lineage": "lineage.csv",
    "/layers": "roads.geojson",
    "/frameworks": "framework.toml",
    "/indicator-sets": "indicator_set.csv",
    "/targets": "targets.csv",
}


def _document_parameters(path: str, method: str, operation: dict) -> None:
    """``PARAMETER_SCHEMAS`` written into the operation's parameters (the non-null option of an
    optional one), ``UPLOAD_EXAMPLES`` into its upload body, the media types its answers have, the
    schema and example of each successful JSON answer (``api.openapi_schemas``; other media a string)
    and of its errors (an upload's 400 may be its import report)."""
    parameters = operation.get("parameters", [])
    for parameter in parameters:
        name = parameter.get("name", "")
        if name in OGC_PARAMETERS:
            parameter.update(OGC_PARAMETERS[name])
            continue
        extra = PATH_PARAMETER_SCHEMAS.get((path, name)) or PARAMETER_SCHEMAS.get(name)
        if not extra:
            continue
        schema = parameter.setdefault("schema", {})
        options = [o for o in schema.get("anyOf", []) if o.get("type") == "string"]
        (options[0] if options else schema).update(extra)
    if path in UPLOAD_EXAMPLES:
        name = UPLOAD_NAMES[path]  # the service reads the file's type from its name's extension
        disposition = {"schema": {"type": "string", "example": f'form-data; name="file"; filename="{name}"'}}
        for media_type in operation.get("requestBody", {}).get("content", {}).values():
            media_type["example"] = UPLOAD_EXAMPLES[path]
            media_type["encoding"] = {"file": {"headers": {"Content-Disposition": disposition}}}
    responses = operation.get("responses", {})
    for status in ERROR_RESPONSES:  # errors are JSON on every path, HTML pages' too
        content = responses.get(str(status), {}).get("content")
        if content:
            responses[str(status)]["content"] = {JSON: next(iter(content.values()))}
            example = OPERATION_ERROR_EXAMPLES.get((method, path, str(status))) or ERROR_EXAMPLES.get(str(status))
            if example:
                responses[str(status)]["content"][JSON]["example"] = example
    if method == "post" and path in REPORT_400:  # rows with problems: the report, nothing stored
        schema = {"anyOf": [ref("ErrorBody"), ref("ImportReport")]}
        responses["400"]["content"][JSON].update(schema=schema, example=REPORT_400[path])
    ok = responses.get("200", {})
    media = RESPONSE_MEDIA.get(path)
    if media is None and any(p.get("name") == "f" and p.get("schema", {}).get("enum") == F_VALUES for p in parameters):
        media = [GEOJSON if "/items" in path else JSON, HTML]  # the OGC pages: json or html by f/Accept
    if media and "content" in ok:
        first: dict = next(iter(ok["content"].values()), {})
        schema = first.get("schema", {})
        ok["content"] = {
            m: {"schema": schema if m.split(";")[0].endswith("json") else {"type": "string"}} for m in media
        }
    for status, answer in responses.items():  # each success: its JSON's schema and example, else a string
        if not status.startswith("2"):
            continue
        documented = _success(path, method, status)
        for m, content in answer.get("content", {}).items():
            if m.split(";")[0].endswith("json") and documented is not None:
                schema, example = documented
                content.update(schema=schema, example=example)
            elif not content.get("schema"):
                content["schema"] = {"type": "string", **({} if m.startswith("text/") else {"format": "binary"})}


def _success(path: str, method: str, status: str) -> tuple[dict, dict] | None:
    """The schema and example of the JSON answer of ``method path`` with
    ``status``: a job (202), a read's answer (``RESPONSES``) or a write's (``WRITE_RESPONSES``)."""
    if status == "202":
        return ref("JobState"), JOB_ACCEPTED
    return (RESPONSES if method == "get" else WRITE_RESPONSES).get(path)


def complete_openapi(app: FastAPI) -> None:
    """Make ``app``'s OpenAPI document FastAPI's, completed and written as 3.0.3 as the module
    docstring says (``/openapi.json`` and ``/api`` both serve it)."""

    def openapi() -> dict:
        """FastAPI's document without its 422 (invalid parameters are 400s here, ``ERROR_RESPONSES``),
        completed, as OpenAPI 3.0.3."""
        if app.openapi_schema is None:
            doc = FastAPI.openapi(app)
            for path, operations in doc.get("paths", {}).items():
                for method, operation in operations.items():
                    if isinstance(operation, dict):
                        operation.get("responses", {}).pop("422", None)
                        _document_parameters(path, method, operation)
                        operation["tags"] = [operation_tag(path)]
                        if method != "get":  # writes always need a token
                            operation["security"] = [{BEARER: []}]
            doc["tags"] = [{"name": name, "description": text} for name, text in TAGS.items()]
            doc.setdefault("components", {})["securitySchemes"] = SECURITY_SCHEMES
            doc["components"].setdefault("schemas", {}).update(COMPONENTS)
            doc["security"] = [{}, {BEARER: []}]  # reads: a token only where the service asks one
            app.openapi_schema = openapi30(doc)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way to extend its OpenAPI
