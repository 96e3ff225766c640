"""The OpenAPI document gives every operation's every success a schema, and its JSON answers an
example (``api.openapi_schemas``), each example valid against its schema, and the errors their JSON
body with an example of a 400 and a 404 (an upload's 400 may be its import report); the document
stays valid OpenAPI 3.0. Whether the service's
real answers follow the schemas is ``tests/api/test_schemathesis.py``'s check."""

from __future__ import annotations

import json

import pytest
from openapi_schema_validator import OAS30Validator
from openapi_spec_validator import validate
from referencing import Registry, Resource

from api.app import create_app
from api.openapi_schemas import OPERATION_ERROR_EXAMPLES, REPORT_400, RESPONSES, WRITE_RESPONSES
from geo_ntm.settings import Settings

#: The keywords that make a schema say something of an answer (FastAPI's ``-> dict`` gives only
#: ``type: object``, ``additionalProperties`` and a title).
SAYING = {"$ref", "properties", "required", "items", "anyOf", "oneOf", "allOf", "format", "enum"}


def _is_json(media: str) -> bool:
    return media.split(";")[0].endswith("json")


def undocumented(document: dict) -> list[str]:
    """Every operation's success (2xx) without a documented answer: a JSON answer whose schema says
    nothing (``SAYING``) or that has no example, another medium without a schema, a success other
    than 204 with no content at all; and every operation without a JSON 400 and 404 error body."""
    missing = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            name = f"{method.upper()} {path}"
            for status, answer in responses.items():
                if not status.startswith("2"):
                    continue
                content = answer.get("content", {})
                if not content and status != "204":
                    missing.append(f"{name} {status}: no content")
                for media, body in content.items():
                    if _is_json(media) and not (SAYING & set(body.get("schema", {})) and "example" in body):
                        missing.append(f"{name} {status} {media}: schema or example")
                    elif not body.get("schema"):
                        missing.append(f"{name} {status} {media}: schema")
            if not any(s.startswith("2") for s in responses):
                missing.append(f"{name}: no success")
            for status in ("400", "404"):
                if "example" not in responses.get(status, {}).get("content", {}).get("application/json", {}):
                    missing.append(f"{name} {status}: error body")
    return missing


@pytest.fixture(scope="module")
def document() -> dict:
    return create_app(Settings.from_env()).openapi()


def _validator(document: dict, schema: dict) -> OAS30Validator:
    """A validator of ``schema``, its ``#/components/...`` references read in ``document``."""
    registry = Registry().with_resource("urn:doc", Resource.opaque(document))
    rooted = (
        {"$ref": "urn:doc" + schema["$ref"]} if "$ref" in schema else {**schema, "components": document["components"]}
    )
    return OAS30Validator(rooted, registry=registry)


def _json_answer(document: dict, path: str) -> dict:
    ok = document["paths"][path]["get"]["responses"]["200"]["content"]
    (media,) = [m for m in ok if m.split(";")[0].endswith("json")]
    return ok[media]


def test_the_document_stays_valid_openapi_30(document):
    validate(document)
    assert document["openapi"] == "3.0.3"


def test_every_operation_documents_its_answers(document):
    assert undocumented(document) == []


def test_an_undocumented_answer_would_be_caught(document):
    copy = json.loads(json.dumps(document))
    del copy["paths"]["/audit"]["get"]["responses"]["200"]["content"]["application/json"]["example"]
    copy["paths"]["/map.png"]["get"]["responses"]["200"]["content"]["image/png"] = {}
    copy["paths"]["/statuses"]["post"]["responses"]["200"]["content"]["application/json"]["schema"] = {
        "type": "object",
        "additionalProperties": True,
    }
    del copy["paths"]["/health"]["get"]["responses"]["404"]
    assert sorted(undocumented(copy)) == [
        "GET /audit 200 application/json: schema or example",
        "GET /health 404: error body",
        "GET /map.png 200 image/png: schema",
        "POST /statuses 200 application/json: schema or example",
    ]


def _examples(document: dict):
    """(operation, status, schema, example) of every documented JSON answer, errors included."""
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for status, answer in operation["responses"].items():
                for media, body in answer.get("content", {}).items():
                    if _is_json(media) and "example" in body:
                        yield f"{method.upper()} {path} {status} {media}", body["schema"], body["example"]


def test_every_example_follows_its_schema(document):
    wrong = {
        name: [e.message for e in _validator(document, schema).iter_errors(example)][:3]
        for name, schema, example in _examples(document)
    }
    assert {name: errors for name, errors in wrong.items() if errors} == {}
    assert len(wrong) > 100  # every operation's answers and errors


def test_a_wrong_example_would_be_caught(document):
    schema = _json_answer(document, "/collections/{collectionId}/items")["schema"]
    errors = list(_validator(document, schema).iter_errors({"type": "FeatureCollection", "features": [{}]}))
    assert errors  # a feature without type, geometry and properties


def test_errors_are_the_json_error_body_with_examples(document):
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for status in ("400", "404"):
                content = operation["responses"][status]["content"]
                assert list(content) == ["application/json"], (path, status)
                body = content["application/json"]
                if status == "400" and path in REPORT_400 and method == "post":  # or the import report
                    assert body["schema"]["anyOf"][0] == {"$ref": "#/components/schemas/ErrorBody"}
                    assert body["example"] == REPORT_400[path] and not body["example"]["stored"]
                    continue
                assert body["schema"] == {"$ref": "#/components/schemas/ErrorBody"}
                assert set(body["example"]) == {"code", "description"}
    assert {"InvalidParameterValue", "NotFound"} == {
        document["paths"]["/collections"]["get"]["responses"][s]["content"]["application/json"]["example"]["code"]
        for s in ("400", "404")
    }
    assert set(RESPONSES) | set(WRITE_RESPONSES) | set(REPORT_400) <= set(document["paths"])
    for (method, path, status), example in OPERATION_ERROR_EXAMPLES.items():  # an operation's own error
        assert document["paths"][path][method]["responses"][status]["content"]["application/json"]["example"] == example
