"""Schemathesis on the served API's read operations (the ASGI app, on a copy of the 2009 store with
the Bến Tre city statuses): schema-generated requests, a fixed budget (``EXAMPLES`` per operation,
derandomized, so the same requests every run), and no answer may be a 5xx. (The stricter checks,
e.g. "schema-valid request rejected", fail today on parameters of the OGC routers documented
without their allowed values, such as ``f``: not this module's files.) Downloads are left out (a whole-country file per
example would blow the time budget; ``test_downloads.py`` covers them)."""

from __future__ import annotations

import shutil

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error

from api.app import create_app
from geo_ntm.settings import Settings
from geo_ntm.status_import.importer import import_status_file
from geo_ntm.store import open_store

EXAMPLES = 25

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory, boundaries_2009_template, data_dir):
    path = tmp_path_factory.mktemp("schemathesis") / "store.gpkg"
    shutil.copy(boundaries_2009_template, path)
    with open_store(str(path)) as store:
        assert import_status_file(store, data_dir / "samples" / "status_ben_tre_city_long.csv").ok
    app = create_app(Settings.from_env().model_copy(update=dict(db=str(path))))
    return schemathesis.openapi.from_asgi("/openapi.json", app).include(method="GET").exclude(path_regex=r"/download$")


def test_reads_follow_the_document(api_schema):
    """Every GET operation, ``EXAMPLES`` generated requests each (schemathesis' pytest plugin does not
    run on this pytest, so the operations are driven here); every failure is listed."""
    failures = []
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) > 10
    for operation in operations:

        @given(operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            derandomize=True,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
            phases=[Phase.explicit, Phase.generate],
        )
        def check(case) -> None:
            case.call_and_validate(checks=[not_a_server_error])

        try:
            check()
        except (Exception, BaseExceptionGroup) as exc:  # every operation's failure is reported
            failures.append(f"{operation.method.upper()} {operation.path}: {str(exc)[:2000]}")
    assert not failures, "\n\n".join(failures)
