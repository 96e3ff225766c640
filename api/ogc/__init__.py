"""OGC API - Features: landing page, conformance, the OpenAPI 3.0 definition, collections with
their extent and CRSs, queryables, items and single features in GeoJSON and HTML.

- Part 1 Core, GeoJSON, HTML, OpenAPI 3.0: ``bbox``, ``datetime`` (an instant = the boundary
  vintage in force that day), ``limit``/``offset`` paging with ``next``/``prev`` links, and
  equality filters on properties as query parameters (``?unit_type=xa&name=...``).
- Part 2 CRS by reference: ``crs`` and ``bbox-crs`` (``api.ogc.crs``), with a ``Content-Crs`` header.
- Part 3 Filtering: ``filter`` in CQL2 text or JSON (``geo_ntm.filters``) on the queryables of the collection.

One module per job: ``landing`` (landing page, conformance), ``openapi`` (``/api``), ``catalog``
(``/collections``), ``schema`` (queryables, schema), ``items`` (items, one item), ``query`` (the
feature query and its run), ``crs``, ``media`` (media types, links, negotiation), ``features``
(GeoJSON encoding), ``html`` (the HTML encodings), ``tiles`` (OGC API - Tiles: vector tiles of the
collections); the collections are objects behind one interface
(``api.ogc.collections``)."""

from __future__ import annotations

from fastapi import Depends, FastAPI

from api.ogc import catalog, items, landing, openapi, schema, tiles
from api.ogc.query import known_parameters


def install(app: FastAPI) -> None:
    """Add the OGC API routes and the landing page (a middleware in front of the planner's ``/``) to
    ``app``; every route refuses a query parameter it does not take (``api.ogc.query.refuse_unknown``:
    the items by their queryables)."""
    for module in (landing, schema, catalog, tiles, openapi):
        app.include_router(module.router, dependencies=[Depends(known_parameters)])
    app.include_router(items.router)
    app.add_middleware(landing.LandingPage)
