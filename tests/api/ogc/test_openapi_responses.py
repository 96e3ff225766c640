"""The OpenAPI document gives every answer the brief of issue 15 names a schema and an example
(``api.openapi_schemas``), each example valid against its schema, and the errors their JSON body
with an example of a 400 and a 404; the document stays valid OpenAPI 3.0. Whether the service's
real answers follow the schemas is ``tests/api/test_schemathesis.py``'s check."""

from __future__ import annotations

import pytest
from openapi_schema_validator import OAS30Validator
from openapi_spec_validator import validate
from referencing import Registry, Resource

from api.app import create_app
from api.openapi_schemas import RESPONSES
from geo_ntm.settings import Settings

#: Operations whose JSON answer must be documented with a schema and an example.
NAMED = [
    "/",
    "/conformance",
    "/collections",
    "/collections/{collectionId}",
    "/collections/{collectionId}/items",
    "/collections/communes/items",
    "/collections/{collectionId}/items/{featureId}",
    "/collections/{collectionId}/queryables",
    "/collections/{collectionId}/schema",
    "/tileMatrixSets",
    "/collections/{collectionId}/tiles",
    "/collections/{collectionId}/tiles/{tileMatrixSetId}",
    "/map/data",
    "/map/summary",
    "/report",
    "/collections/{collectionId}/download",
    "/jobs/{job_id}",
    "/issues",
    "/frameworks",
    "/indicator-sets",
    "/layers",
    "/profile/{code}",
    "/lookup",
    "/vintages",
    "/health",
]


@pytest.fixture(scope="module")
def document() -> dict:
    return create_app(Settings.from_env()).openapi()


def _validator(document: dict, schema: dict) -> OAS30Validator:
    """A validator of ``schema``, its ``#/components/...`` references read in ``document``."""
    registry = Registry().with_resource("urn:doc", Resource.opaque(document))
    rooted = {"$ref": "urn:doc" + schema["$ref"]} if "$ref" in schema else schema
    return OAS30Validator(rooted, registry=registry)


def _json_answer(document: dict, path: str) -> dict:
    ok = document["paths"][path]["get"]["responses"]["200"]["content"]
    (media,) = [m for m in ok if m.split(";")[0].endswith("json")]
    return ok[media]


def test_the_document_stays_valid_openapi_30(document):
    validate(document)
    assert document["openapi"] == "3.0.3"


@pytest.mark.parametrize("path", NAMED)
def test_each_named_answer_has_a_schema_and_an_example_that_follows_it(document, path):
    answer = _json_answer(document, path)
    assert answer["schema"] not in ({}, {"type": "object"}) and "example" in answer, answer
    errors = list(_validator(document, answer["schema"]).iter_errors(answer["example"]))
    assert errors == [], [e.message for e in errors]


def test_a_wrong_example_would_be_caught(document):
    schema = _json_answer(document, "/collections/{collectionId}/items")["schema"]
    errors = list(_validator(document, schema).iter_errors({"type": "FeatureCollection", "features": [{}]}))
    assert errors  # a feature without type, geometry and properties


def test_errors_are_the_json_error_body_with_examples(document):
    for path, operations in document["paths"].items():
        for operation in operations.values():
            for status in ("400", "404"):
                content = operation["responses"][status]["content"]
                assert list(content) == ["application/json"], (path, status)
                body = content["application/json"]
                assert body["schema"] == {"$ref": "#/components/schemas/ErrorBody"}
                assert set(body["example"]) == {"code", "description"}
    assert {"InvalidParameterValue", "NotFound"} == {
        document["paths"]["/collections"]["get"]["responses"][s]["content"]["application/json"]["example"]["code"]
        for s in ("400", "404")
    }
    assert set(RESPONSES) <= set(document["paths"])
