"""Schemathesis on the served API's read operations (the ASGI app, on a copy of the 2009 store with
the Bến Tre city statuses; the vector tile routes on a store of the 2025 units of Tỉnh Vĩnh Long,
generalised once in its fixture, since a tile of the national 2009 vintage would first generalise
all of it, minutes): schema-generated requests, a fixed budget per operation (derandomized,
so the same requests every run), and schemathesis' standard checks: no 5xx, status codes, content
types and response bodies as documented, and every schema-valid request accepted (no 400).

A request the document allows may still be refused with a 400 when it names something by a grammar
JSON Schema cannot say: a place, vintage, layer or unit that does not exist as a name, a ``bbox``
whose corners are crossed, a ``datetime`` interval over two vintages, a CQL2 ``filter``, a
combination of parameters (``datetime`` with ``date``). Only for those parameters (``TOLERATED``)
a 400 whose message names the parameter or its value counts as acceptance; every other parameter
(``f``, ``crs``, ``date``, ``rule``, ``topic``, ...) is documented with its values and must be accepted."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from api.app import create_app
from boundaries.importer import import_boundaries
from geo_ntm.settings import Settings
from geo_ntm.status_import.importer import import_status_file
from geo_ntm.store import open_store
from geo_ntm.tiles import ensure_generalised
from tests.support.tokens import bearer, token_file

EXAMPLES = 10  # generated requests per read operation (the test budget of make test: 15 took 40 s)
#: Generated uploads per write operation (the document's example first).
WRITE_EXAMPLES = 5
#: The downloads write a whole file per example, a national crosswalk takes about 9 s: a few only.
BUDGET = {"/collections/{collectionId}/download": 3, "/crosswalk": 3}
#: Each collection's own items path repeats the generic one with its queryables: a few each.
OWN_ITEMS_EXAMPLES = 5
#: Seconds a request may take (schemathesis' default is 10): the national crosswalk of the 2009
#: communes (14 MB of JSON) takes about 9 s on the 2-core machine alone; this test holds the service
#: to its document, the benchmarks measure its speed.
REQUEST_TIMEOUT = 60
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
#: Parameters kept plain strings in the document (their grammar is not JSON Schema's).
TOLERATED = {
    "collectionId",
    "featureId",
    "code",
    "vintage",
    "province",
    "district",
    "level",
    "bbox",
    "datetime",
    "filter",
    "layer",
    "kind",
    "points_layer",
    "households_layer",
    "population_layer",
    "measure",
    "scheme",
    # the maps of the whole country (no province) colour provinces or districts, without a comparison
    "tier",
    "compare",
}
#: Parameters some values of another need (``/coverage/water`` needs ``distance``, ``bbox-crs`` a
#: ``bbox``): a 400 naming
#: them is accepted even when they were not sent.
NEEDED_BY_OTHERS = {"distance", "kind", "points_layer", "population_layer", "bbox"}
#: The vector tile routes (their tile sets and tiles), driven on the small store of ``tiles_schema``.
TILE_ROUTES = r"^/collections/\{collectionId\}/tiles"
#: TEST statuses of 2026 on the real communes of Tỉnh Vĩnh Long (made-up figures, tests/data).
VINH_LONG_STATUSES = Path(__file__).parents[1] / "data" / "status_vinh_long_2026_qd51_TEST.csv"
#: Refusals schemathesis' positive_data_acceptance allows.
ACCEPTED_REFUSALS = {401, 403, 404, 409, 429}

pytestmark = pytest.mark.e2e


def accepted(case, response) -> None:
    """positive_data_acceptance, tolerant of a 400 on a ``TOLERATED`` parameter the message names."""
    if response.status_code < 400 or response.status_code >= 500 or response.status_code in ACCEPTED_REFUSALS:
        return
    message = response.text
    given_ = {**(case.query or {}), **(case.path_parameters or {})}
    named = [
        name
        for name, value in given_.items()
        if name in TOLERATED and (name in message or (str(value) and str(value) in message))
    ]
    named += [name for name in NEEDED_BY_OTHERS if name in message]
    assert response.status_code == 400 and named, (
        f"schema-valid request rejected: {case.method} {case.formatted_path} {case.query} -> "
        f"{response.status_code} {message[:300]}"
    )


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory, boundaries_2009_template, data_dir):
    path = tmp_path_factory.mktemp("schemathesis") / "store.gpkg"
    shutil.copy(boundaries_2009_template, path)
    with open_store(str(path)) as store:
        assert import_status_file(store, data_dir / "samples" / "status_ben_tre_city_long.csv").ok
    return _schema(str(path)).include(method="GET").exclude(path_regex=TILE_ROUTES)


@pytest.fixture(scope="module")
def tiles_schema(tmp_path_factory, vinh_long_2025):
    """The tile routes on a store of the 1 July 2025 units of Tỉnh Vĩnh Long (with the 34
    provinces) and their TEST statuses, generalised here (seconds): tiles with communes, not 202."""
    path = tmp_path_factory.mktemp("schemathesis_tiles") / "store.gpkg"
    with open_store(str(path)) as store:
        vintage, _ = import_boundaries(store, vinh_long_2025, dt.date(2025, 7, 1), measure_quality=False)
        assert vintage is not None and import_status_file(store, VINH_LONG_STATUSES).ok
        ensure_generalised(store, vintage)
    return _schema(str(path)).include(method="GET", path_regex=TILE_ROUTES)


def _schema(location: str):
    """The API document of the app serving the store at ``location``."""
    app = create_app(Settings.from_env().model_copy(update=dict(db=location)))
    return schemathesis.openapi.from_asgi("/openapi.json", app)


def _drive(operations, examples, budget, run) -> list[str]:
    """Each operation driven through Hypothesis: the document's examples (schemathesis' explicit
    phase, which ``as_strategy`` leaves out), then generated requests up to its budget
    (derandomized); the failures, one entry per operation."""
    failures = []
    for operation in operations:

        @given(operation.as_strategy())
        @settings(
            max_examples=budget.get(operation.path, examples),
            derandomize=True,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
            phases=[Phase.explicit, Phase.generate],
        )
        def check(case) -> None:
            run(case)

        examples_ = operation.get_strategies_from_examples()

        @given(st.one_of(examples_) if examples_ else st.nothing())
        @settings(max_examples=3, derandomize=True, deadline=None, database=None, phases=[Phase.generate])
        def explicit(case) -> None:
            run(case)

        try:
            if examples_:
                explicit()  # the document's examples first
            check()
        except (Exception, BaseExceptionGroup) as exc:  # every operation's failure is reported
            causes = "".join(f"\n  - {cause!r}"[:1000] for cause in getattr(exc, "exceptions", ()))
            failures.append(f"{operation.method.upper()} {operation.path}: {str(exc)[:2000]}{causes}")
    return failures


def test_reads_follow_the_document(api_schema, tiles_schema):
    """Every GET operation, ``EXAMPLES`` generated requests each (``BUDGET`` for the downloads;
    schemathesis' pytest plugin does not run on this pytest, so the operations are driven here);
    every failure is listed."""
    tiles = [result.ok() for result in tiles_schema.get_all_operations()]
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) > 10 and len(tiles) == 3 and not {o.path for o in operations} & {o.path for o in tiles}
    operations += tiles

    def run(case) -> None:
        accepted(case, case.call_and_validate(checks=CHECKS, timeout=REQUEST_TIMEOUT))

    own_items = {o.path: OWN_ITEMS_EXAMPLES for o in operations if re.fullmatch(r"/collections/\w+/items", o.path)}
    failures = _drive(operations, EXAMPLES, {**BUDGET, **own_items}, run)
    assert not failures, "\n\n".join(failures)


def test_writes_follow_the_document(tmp_path, boundaries_2009_template, monkeypatch):
    """The uploads (POST /statuses, /groups, /lineage, /layers, /targets with an editor token, /frameworks with an
    admin's into a throwaway GEO_NTM_FRAMEWORKS_DIR, /indicator-sets with an admin's) on a throwaway store:
    the document's example (a real file, which must be accepted) and ``WRITE_EXAMPLES`` generated
    bodies each; no 5xx, status codes, content types and bodies as documented. (Generated files are
    not real tables, so their 400s are right: positive_data_acceptance is not a write check.)"""
    path = tmp_path / "store.gpkg"
    shutil.copy(boundaries_2009_template, path)
    (tmp_path / "frameworks").mkdir()
    monkeypatch.setenv("GEO_NTM_FRAMEWORKS_DIR", str(tmp_path / "frameworks"))
    settings_ = Settings.from_env().model_copy(update=dict(db=str(path), tokens_file=token_file(tmp_path)))
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(settings_)).include(method="POST")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {o.path for o in operations} == {
        "/statuses",
        "/groups",
        "/lineage",
        "/layers",
        "/frameworks",
        "/indicator-sets",
        "/targets",
    }
    answers: dict[str, list[int]] = {}

    def run(case) -> None:
        role = "admin" if case.operation.path in ("/frameworks", "/indicator-sets") else "editor"
        response = case.call_and_validate(headers=bearer(role), checks=CHECKS)
        answers.setdefault(case.operation.path, []).append(response.status_code)

    failures = _drive(operations, WRITE_EXAMPLES, {}, run)
    assert not failures, "\n\n".join(failures)
    assert all({200, 201} & set(statuses) for statuses in answers.values()), answers  # the examples were imported
