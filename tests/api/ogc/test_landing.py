"""The landing page (JSON for clients, the planner's page for browsers), the conformance classes
and the OpenAPI 3.0 definition (validated), on the uvicorn server."""

from __future__ import annotations

import pytest
from openapi_spec_validator import validate

pytestmark = pytest.mark.e2e  # every test reads the uvicorn subprocess (the `server` fixture)


def test_landing_page_is_json_when_asked_and_the_planner_page_otherwise(http, server):
    landing = http.get("/", headers={"Accept": "application/json"})
    assert landing.status_code == 200 and landing.headers["content-type"].startswith("application/json")
    rels = {link["rel"]: link for link in landing.json()["links"]}
    assert {"self", "service-desc", "service-doc", "conformance", "data"} <= set(rels)
    assert rels["service-desc"]["type"] == "application/vnd.oai.openapi+json;version=3.0"
    assert http.get("/?f=json").json()["links"] == landing.json()["links"]
    browser = http.get("/", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert browser.headers["content-type"].startswith("text/html") and "OGC" not in browser.text[:200]
    assert "service-desc" in http.get("/?f=html").text  # the HTML landing page lists the links
    for program in ({"Accept": "*/*"}, {"Accept": ""}):  # OWSLib, requests, curl: no HTML named
        assert http.get("/", headers=program).json()["links"] == landing.json()["links"], program
    refused_html = http.get("/", headers={"Accept": "text/html;q=0, */*"})
    assert refused_html.headers["content-type"].startswith("application/json")


def test_conformance_and_openapi_30(http):
    classes = http.get("/conformance").json()["conformsTo"]
    for part in (
        "ogcapi-features-1/1.0/conf/core",
        "ogcapi-features-1/1.0/conf/geojson",
        "ogcapi-features-1/1.0/conf/html",
        "ogcapi-features-1/1.0/conf/oas30",
        "ogcapi-features-2/1.0/conf/crs",
        "ogcapi-features-3/1.0/conf/filter",
        "ogcapi-features-3/1.0/conf/features-filter",
        "cql2/1.0/conf/cql2-text",
        "cql2/1.0/conf/basic-cql2",
    ):
        assert f"http://www.opengis.net/spec/{part}" in classes
    r = http.get("/api")
    assert r.headers["content-type"] == "application/vnd.oai.openapi+json;version=3.0"
    doc = r.json()
    assert doc["openapi"] == "3.0.3"
    validate(doc)  # a valid OpenAPI 3.0 document
    params = {p["name"] for p in doc["paths"]["/collections/communes/items"]["get"]["parameters"]}
    assert {
        "bbox",
        "datetime",
        "limit",
        "crs",
        "bbox-crs",
        "filter",
        "filter-lang",
        "criteria_met",
        "unit_type",
    } <= params
