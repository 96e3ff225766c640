"""Media types, link objects and content negotiation shared by the OGC API - Features endpoints:
``json`` or ``html`` from the ``f`` parameter, else from the ``Accept`` header."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request

from geo_ntm.errors import InputError

GEOJSON = "application/geo+json"
JSON = "application/json"
HTML = "text/html"
OPENAPI30 = "application/vnd.oai.openapi+json;version=3.0"
SCHEMA_JSON = "application/schema+json"
REL_CONFORMANCE = "http://www.opengis.net/def/rel/ogc/1.0/conformance"
REL_DATA = "http://www.opengis.net/def/rel/ogc/1.0/data"
REL_QUERYABLES = "http://www.opengis.net/def/rel/ogc/1.0/queryables"

#: The values ``wants`` takes for ``f`` (case ignored), as the API definition lists them.
F_VALUES = ["json", "html", "geojson", JSON, GEOJSON, HTML]
FParam = Annotated[
    str | None,
    Query(
        description="encoding: json or html (default: from the Accept header)",
        json_schema_extra={"enum": F_VALUES},
    ),
]


def base_url(request: Request) -> str:
    """The service's root URL without the trailing slash; every link is built on it."""
    return str(request.base_url).rstrip("/")


def link(rel: str, media: str, href: str, title: str | None = None) -> dict:
    """A link object (``rel``, ``type``, ``title`` when given, ``href``), in the order the documents list them."""
    out = {"rel": rel, "type": media}
    if title is not None:
        out["title"] = title
    out["href"] = href
    return out


def encodings(url: str, what: str | None = None) -> list[dict]:
    """``self`` (JSON) and ``alternate`` (HTML) links of a document at ``url`` (``?f=`` appended),
    titled "This <what> (JSON)" / "(HTML)" when ``what`` is given."""
    return [
        link("self", JSON, f"{url}?f=json", f"This {what} (JSON)" if what else None),
        link("alternate", HTML, f"{url}?f=html", f"This {what} (HTML)" if what else None),
    ]


def twin_links(rels: tuple[str, str], media: str, href: str, title: str) -> list[dict]:
    """The same link under two relations: the short one most clients read and the OGC URI."""
    return [link(rel, media, href, title) for rel in rels]


def accept_q(accept: str, media: str) -> float:
    """The quality an ``Accept`` header gives ``media``: its most specific matching range wins."""
    best, specificity = 0.0, -1
    main = media.split("/")[0]
    for part in accept.split(","):
        fields = [p.strip() for p in part.split(";")]
        rng = fields[0].lower()
        q = 1.0
        for p in fields[1:]:
            if p.startswith("q="):
                try:
                    q = float(p[2:])
                except ValueError:
                    q = 0.0
        spec = 2 if rng == media else 1 if rng == f"{main}/*" else 0 if rng == "*/*" else -1
        if spec > specificity:
            best, specificity = q, spec
    return best


def names_html(accept: str) -> bool:
    """Whether an ``Accept`` header names HTML itself (``text/html``, ``application/xhtml+xml`` or
    ``text/*`` with a quality above 0), as browsers do; ``*/*`` alone is a program's."""
    for part in accept.split(","):
        fields = [p.strip().lower() for p in part.split(";")]
        if fields[0] in (HTML, "application/xhtml+xml", "text/*") and not any(
            p.replace(" ", "") in ("q=0", "q=0.0", "q=0.00", "q=0.000") for p in fields[1:]
        ):
            return True
    return False


def wants(request: Request, f: str | None, default: str = "json") -> str:
    """``json`` or ``html``: the ``f`` parameter, else the ``Accept`` header, else ``default``."""
    if f:
        if f.lower() in ("json", "geojson", "application/json", GEOJSON):
            return "json"
        if f.lower() in ("html", HTML):
            return "html"
        raise InputError(f"f={f!r}: available encodings are json and html")
    accept = request.headers.get("accept", "")
    if not accept:
        return default
    q_json = max(accept_q(accept, JSON), accept_q(accept, GEOJSON))
    q_html = accept_q(accept, HTML)
    if q_json == q_html:
        return default
    return "json" if q_json > q_html else "html"


def self_links(request: Request, encoding: str, collection_url: str) -> list[dict]:
    """``self`` and ``alternate`` (the other encoding) links of an items or item response, and its collection."""
    url = request.url
    return [
        link("self", GEOJSON if encoding == "json" else HTML, str(url)),
        link(
            "alternate",
            HTML if encoding == "json" else GEOJSON,
            str(url.include_query_params(f="html" if encoding == "json" else "json")),
        ),
        link("collection", JSON, collection_url),
    ]
