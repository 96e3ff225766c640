"""Commune groups over HTTP (issue 13 §2): POST /groups (editor), the group on items (a queryable:
``filter=ntm_group = 2``), on downloads, in the profile, the map filtered by group and the report
split by group; real 2025 units of Tỉnh Lai Châu with TEST groups, on both stores."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from boundaries.importer import import_boundaries
from cli.main import main
from geo_ntm.report import province_report
from geo_ntm.settings import Settings
from geo_ntm.store import open_store
from geo_ntm.where import resolve_where
from tests.geo_ntm.test_groups import TEST_FILE, lai_chau_2025  # noqa: F401  (a fixture)
from tests.support.tokens import bearer, token_file

PLACE = {"province": "Lai Châu", "year": 2026}


@pytest.fixture
def location(empty_db_location, lai_chau_2025):  # noqa: F811
    with open_store(empty_db_location) as store:
        import_boundaries(store, lai_chau_2025, dt.date(2025, 7, 1), measure_quality=False)
    return empty_db_location


@pytest.fixture
def client(location, tmp_path):
    settings = Settings.from_env().model_copy(update=dict(db=location, tokens_file=token_file(tmp_path)))
    with TestClient(create_app(settings)) as c:
        yield c


def _upload(client, role: str, **data):
    files = {"file": (TEST_FILE.name, TEST_FILE.read_bytes(), "text/csv")}
    return client.post("/groups", files=files, data=data, headers=bearer(role))


def test_editor_uploads_groups_and_items_maps_profile_carry_them(client):
    assert _upload(client, "reader").status_code == 403
    dry = _upload(client, "editor", dry_run="true")
    assert dry.status_code == 200 and not dry.json()["stored"] and dry.json()["matched"] == 5
    done = _upload(client, "editor")
    assert done.status_code == 200 and done.json()["stored"] and done.json()["import_kind"] == "groups"

    items = client.get("/collections/communes/items", params={**PLACE, "limit": 100}).json()["features"]
    by_code = {f["properties"]["code"]: f["properties"] for f in items}
    assert len(by_code) == 38
    assert by_code["03390"]["ntm_group"] == 3 and by_code["03390"]["ethnic_area"] == "III"
    assert by_code["03424"]["ntm_group"] == 3  # the decision of 2026-09-15 holds on 31 December
    assert by_code["03388"]["ntm_group"] is None and by_code["03388"]["admin_class"] is None
    two = client.get("/collections/communes/items", params={**PLACE, "filter": "ntm_group = 2"}).json()
    assert [f["properties"]["code"] for f in two["features"]] == ["03394"]

    download = client.get(
        "/collections/communes/download", params={**PLACE, "format": "geojson", "filter": "ntm_group = 3"}
    )
    assert download.status_code == 200, download.text
    shipped = {f["properties"]["code"]: f["properties"] for f in download.json()["features"]}
    assert {c: (p["ntm_group"], p["ethnic_area"]) for c, p in shipped.items()} == {
        "03390": (3, "III"),
        "03424": (3, "II"),
    }

    mapped = client.get("/map/data", params={**PLACE, "group": 3})
    assert mapped.status_code == 200, mapped.text
    assert sorted(f["properties"]["code"] for f in mapped.json()["features"]) == ["03390", "03424"]
    assert {f["properties"]["ntm_group"] for f in mapped.json()["features"]} == {3}

    profile = client.get("/profile/03424", params={"year": 2026}).json()
    assert profile["ntm_group"]["group"] == 3 and profile["ntm_group"]["decision"] == "TEST-07/QĐ-UBND"
    assert profile["ethnic_area"]["value"] == "II" and profile["admin_class"] is None
    assert client.get("/profile/03424", params={"year": 2025}).json()["ntm_group"] is None


def test_report_splits_by_group_and_cli_imports(location, capsys):
    assert main(["--db", location, "groups", "import", str(TEST_FILE), "--dry-run"]) == 0
    printed = capsys.readouterr().out
    assert "5 rows read, 5 matched; dry run, stored nothing" in printed
    assert "per group: nhóm 1: 1, nhóm 2: 2, nhóm 3: 2" in printed
    with open_store(location) as store:
        assert store.imports()[-1].kind == "boundaries"  # a dry run stores nothing
    assert main(["--db", location, "groups", "import", str(TEST_FILE)]) == 0
    with open_store(location) as store:
        report = province_report(store, resolve_where(store, year=2026, province="Lai Châu"))
    counts = {g["ntm_group"]: g["communes"] for g in report["groups"]}
    assert counts == {1: 1, 2: 1, 3: 2, None: report["total"]["communes"] - 4}
    capsys.readouterr()
    assert main(["--db", location, "report", "--province", "Lai Châu", "--year", "2026", "--by-group"]) == 0
    table = capsys.readouterr().out
    assert "nhóm 3" in table and "chưa xếp nhóm" in table


def test_cli_refuses_a_file_without_numbering_source(location, tmp_path, capsys):
    path = tmp_path / "no_numbering_TEST.csv"
    path.write_text("code,group,decision,decision_date\n03390,1,TEST-01,2026-03-01\n", encoding="utf-8")
    assert main(["--db", location, "groups", "import", str(path)]) == 2
    assert "other way round" in capsys.readouterr().err
