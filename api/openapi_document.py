"""What FastAPI's OpenAPI document leaves out, added once when the document is first built: the
grammar of parameters declared as plain strings, the upload examples of the write operations,
the media types of the answers, and no 422 (invalid parameters are 400s here)."""

from __future__ import annotations

from fastapi import FastAPI

from api.download_formats import FORMATS
from api.errors import ERROR_RESPONSES
from api.ogc.collections import registry
from api.ogc.crs import CRS84, SUPPORTED_CRS
from api.ogc.media import F_VALUES, GEOJSON, HTML, JSON, OPENAPI30, SCHEMA_JSON
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
    "filter-crs": {"enum": [CRS84]},
    "rule": {"enum": list(RULES)},
    "rule_level": {"enum": list(LEVELS)},
    "topic": {"enum": list(TOPICS)},
    "collectionId": {"enum": [c.id for c in registry.served()]},
}
#: Parameters named alike with other grammars on some paths: (path, name) -> schema.
PATH_PARAMETER_SCHEMAS: dict[tuple[str, str], dict] = {("/crosswalk", "f"): {"enum": ["json", "csv"]}}
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


def _document_parameters(path: str, operation: dict) -> None:
    """``PARAMETER_SCHEMAS`` written into the operation's parameters (the non-null option of an
    optional one), ``UPLOAD_EXAMPLES`` into its upload body, and the media types its answers have."""
    parameters = operation.get("parameters", [])
    for parameter in parameters:
        name = parameter.get("name", "")
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


def complete_openapi(app: FastAPI) -> None:
    """Make ``app``'s OpenAPI document FastAPI's, completed as the module docstring says."""

    def openapi() -> dict:
        """FastAPI's document without its 422 (invalid parameters are 400s here, ``ERROR_RESPONSES``)."""
        if app.openapi_schema is None:
            doc = FastAPI.openapi(app)
            for path, operations in doc.get("paths", {}).items():
                for operation in operations.values():
                    if isinstance(operation, dict):
                        operation.get("responses", {}).pop("422", None)
                        _document_parameters(path, operation)
        return app.openapi_schema or {}

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way to extend its OpenAPI
