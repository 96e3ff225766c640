"""The API definition as OpenAPI 3.0.3 (``/api``, the same document as ``/openapi.json``,
``api.openapi_document``): FastAPI's OpenAPI 3.1 document rewritten for 3.0 clients (GDAL, OWSLib,
openapi-spec-validator), with one items path per collection listing its queryables as query
parameters."""

from __future__ import annotations

import copy
import json

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from api.ogc.collections import registry
from api.ogc.collections.base import Collection
from api.ogc.media import OPENAPI30, FParam, base_url, wants
from api.ogc.query import STANDARD_PARAMS

router = APIRouter()


#: The null alone, as OpenAPI 3.0.3 can say it (``nullable`` only qualifies a ``type`` beside it).
_NULL = {"type": "object", "nullable": True, "enum": [None]}


def _nullable(node: dict) -> dict:
    """``anyOf``/``oneOf`` with a ``null`` option, and type lists with ``null``, as ``nullable``."""
    for key in ("anyOf", "oneOf"):
        options = node.get(key)
        if isinstance(options, list) and {"type": "null"} in options:
            rest = [o for o in options if o != {"type": "null"}]
            del node[key]
            node["nullable"] = True
            if len(rest) == 1 and "$ref" in rest[0]:  # 3.0.3: nullable holds only beside a type
                node.pop("nullable")
                node = {"anyOf": [*rest, _NULL], **node}
            elif len(rest) == 1:
                node = {**rest[0], **node}
            elif rest:
                node[key] = rest
    if isinstance(node.get("type"), list):
        types = [t for t in node["type"] if t != "null"]
        if len(types) < len(node["type"]):
            node["nullable"] = True
        node["type"] = types[0] if len(types) == 1 else types
        if isinstance(node["type"], list):
            node.pop("type")
    return node


def _keywords_30(node: dict) -> dict:
    """JSON Schema 2020-12 keywords written as 3.0 has them: const, files, examples, exclusive bounds."""
    if "const" in node:
        node["enum"] = [node.pop("const")]
    if "contentMediaType" in node:  # an uploaded file: 3.0 writes it as a binary string
        node.pop("contentMediaType")
        node["format"] = "binary"
    if isinstance(node.get("examples"), list):
        examples = node.pop("examples")
        if examples:
            node["example"] = examples[0]
    for bound, plain in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        if isinstance(node.get(bound), int | float) and not isinstance(node.get(bound), bool):
            node[plain] = node.pop(bound)
            node[bound] = True
    return node


def to_30(node):
    """A FastAPI (OpenAPI 3.1 / JSON Schema 2020-12) fragment rewritten as OpenAPI 3.0."""
    if isinstance(node, list):
        return [to_30(n) for n in node]
    if not isinstance(node, dict):
        return node
    return _keywords_30(_nullable({k: to_30(v) for k, v in node.items()}))


def _items_operation(generic: dict, collection: Collection) -> dict:
    """The items operation of one collection: the generic one without the path parameter, plus an
    equality parameter per queryable (GDAL reads them to send filters to the server)."""
    op = copy.deepcopy(generic)
    op["operationId"] = f"items_{collection.id}"
    op["summary"] = f"{collection.title}: features"
    op["parameters"] = [p for p in op.get("parameters", []) if p.get("in") != "path"]
    op["parameters"] += [
        {
            "name": name,
            "in": "query",
            "required": False,
            "style": "form",
            "explode": False,
            "description": f"features whose {name} equals this value",
            "schema": {"type": kind},
        }
        for name, kind in collection.queryable_types.items()
        if name not in STANDARD_PARAMS
    ]
    return op


def openapi30(document: dict) -> dict:
    """A FastAPI (OpenAPI 3.1) document as OpenAPI 3.0.3, with one items path per collection
    listing its queryables as query parameters (GDAL reads them to send filters to the server)."""
    doc = to_30(copy.deepcopy(document))
    doc["openapi"] = "3.0.3"
    paths = doc["paths"]
    generic = paths.get("/collections/{collectionId}/items", {}).get("get")
    if generic:
        for collection in registry.served():
            paths[f"/collections/{collection.id}/items"] = {"get": _items_operation(generic, collection)}
    return doc


@router.get("/api", summary="The API definition (OpenAPI 3.0)", include_in_schema=True)
def api_definition(request: Request, f: FParam = None) -> Response:
    """The OpenAPI 3.0 document as JSON; in a browser (``f=html``), the interactive documentation."""
    if wants(request, f) == "html":
        return RedirectResponse(f"{base_url(request)}/docs")
    return Response(json.dumps(request.app.openapi(), ensure_ascii=False), media_type=OPENAPI30)
