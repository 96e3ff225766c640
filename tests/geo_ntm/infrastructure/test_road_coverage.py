"""Road coverage per commune on the real Bến Tre boundaries with a SYNTHETIC network: the store's
partition, the table, the CLI and the API (including the point lookup)."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from cli.main import main
from geo_ntm.infrastructure.geodesy import geodesic_lengths
from geo_ntm.infrastructure.queries import coverage
from geo_ntm.infrastructure.thresholds import threshold, verdict
from geo_ntm.settings import Settings
from geo_ntm.store import open_store
from tests.support.questions import coverage_request


def test_province_table_adds_up_and_is_consistent(ben_tre_db):
    with open_store(ben_tre_db) as store:
        table, totals = coverage(store, coverage_request(store, "roads", province="Bến Tre", year=2020))
        roads = store.layer_features(store.layer_named("synthetic_roads").layer_id)
        cells = store.partition(store.vintages()[0].vintage_id)
    assert len(table) == 164 and len(cells) == 164 and totals["framework"] == "qd1980_2016"
    classes = [c for c in table.columns if c.startswith("km_") and c.count("_") == 1 and c != "km_total"]
    assert np.allclose(table[classes].sum(axis=1), table["km_total"], rtol=1e-12)
    network_km = geodesic_lengths(roads.geometry.array).sum() / 1000
    assert totals["km_total"] <= network_km and totals["km_total"] > 0.95 * network_km  # a few run out to sea
    share = table["hardened_share_hamlet"].dropna()
    assert ((share >= 0) & (share <= 1)).all()
    assert set(table["ind_2_1_verdict"]) <= {"met", "not_met", "unknown", "no_data"}
    assert (table["ind_2_1_threshold"].dropna() == 1.0).all() and table["ind_2_2_threshold"].isna().all()


def test_a_district_gives_the_same_figures_as_its_province(ben_tre_db):
    with open_store(ben_tre_db) as store:
        province, _ = coverage(store, coverage_request(store, "roads", province="Bến Tre", year=2020))
        city, _ = coverage(
            store, coverage_request(store, "roads", province="Bến Tre", district="Thành phố Bến Tre", year=2020)
        )
    same = province.set_index("code").loc[city["code"], "km_total"].to_numpy()
    assert len(city) == 17 and np.allclose(city["km_total"], same, rtol=1e-12)


def test_the_whole_layer_is_computed_once_and_stored(ben_tre_db, monkeypatch):
    """A national question stores the km per commune; later questions (any scope) sum them and
    give what clipping the scope gives."""
    km_columns = lambda t: t.set_index("code").filter(regex=r"^km_").sort_index()  # noqa: E731
    with open_store(ben_tre_db) as store:
        layer, vintage = store.layer_named("synthetic_roads").layer_id, store.vintages()[0].vintage_id
        clipped, _ = coverage(store, coverage_request(store, "roads", province="Bến Tre", year=2020))
        assert store.road_km(layer, vintage) is None  # a province is clipped, not stored
        national, totals = coverage(store, coverage_request(store, "roads", year=2020))
        stored = store.road_km(layer, vintage)
        assert stored is not None and (stored["km"] > 0).all()
        assert stored["km"].sum() == pytest.approx(totals["km_total"], rel=1e-12)
        monkeypatch.setattr("geo_ntm.infrastructure.roads.road_km", None)  # no clipping from here on
        # a question not asked before (the province's answer is stored as a whole: see test_coverage_results)
        again, _ = coverage(
            store, coverage_request(store, "roads", province="Bến Tre", district="Thành phố Bến Tre", year=2020)
        )
        store.add_road_km(layer, vintage, stored.iloc[:1])  # already stored: nothing changes
        assert len(store.road_km(layer, vintage)) == len(stored)
    assert np.allclose(km_columns(national), km_columns(clipped), rtol=1e-12, atol=1e-12)
    assert len(again) == 17
    assert np.allclose(km_columns(again), km_columns(clipped).loc[sorted(again["code"])], rtol=1e-12, atol=1e-12)


def test_thresholds_are_cited_or_unknown():
    assert threshold("qd1980_2016", "2.1").value == 1.0 and "1980" in threshold("qd1980_2016", "2.1").source
    assert threshold("qd318_2022", "2.1").value is None and threshold("qd1980_2016", "2.2").value is None
    assert verdict(1.0, 0.0, 1.0) == "met" and verdict(0.9, 0.0, 1.0) == "not_met"
    assert verdict(0.9, 0.1, 1.0) == "unknown" and verdict(float("nan"), 0, 1.0) == "no_data"
    assert verdict(0.5, 0.0, None) == "unknown"


def test_cli_layers_and_coverage(ben_tre_db, ben_tre_files, tmp_path, capsys):
    assert (
        main(
            [
                "--db",
                ben_tre_db,
                "layers",
                "import",
                str(ben_tre_files["roads"]),
                "--kind",
                "roads",
                "--date",
                "2021-01-01",
                "--name",
                "again",
                "--dry-run",
            ]
        )
        == 0
    )
    assert "dry run: nothing stored" in capsys.readouterr().out
    assert main(["--db", ben_tre_db, "layers", "list"]) == 0
    assert "synthetic_roads\troads\t2020-06-30" in capsys.readouterr().out
    out = tmp_path / "roads.csv"
    assert (
        main(
            [
                "--db",
                ben_tre_db,
                "coverage",
                "roads",
                "--province",
                "Bến Tre",
                "--district",
                "Thành phố Bến Tre",
                "--year",
                "2020",
                "-o",
                str(out),
            ]
        )
        == 0
    )
    totals = json.loads(capsys.readouterr().out.splitlines()[0])
    rows = list(csv.DictReader(out.open(encoding="utf-8-sig")))
    assert len(rows) == 17 and totals["communes"] == 17
    assert sum(float(r["km_total"]) for r in rows) == pytest.approx(totals["km_total"])
    assert (
        main(
            [
                "--db",
                ben_tre_db,
                "coverage",
                "roads",
                "--province",
                "Bến Tre",
                "--year",
                "2019",
                "-o",
                str(tmp_path / "x.csv"),
            ]
        )
        == 2
    )  # the only layer is dated 2020
    assert "no roads layer dated on or before 2019-12-31" in capsys.readouterr().err


@pytest.fixture
def client(ben_tre_db):
    settings = Settings.from_env().model_copy(update=dict(db=ben_tre_db))
    with TestClient(create_app(settings)) as c:
        yield c


def test_api_coverage_layers_and_lookup(client):
    assert client.get("/layers").json()["layers"][0]["name"] == "synthetic_roads"
    body = client.get(
        "/coverage/roads", params={"province": "Bến Tre", "district": "Thành phố Bến Tre", "year": 2020}
    ).json()
    assert len(body["communes"]) == 17 and body["totals"]["km_total"] > 0
    assert {"km_hamlet_concrete", "hardened_share_commune", "ind_2_1_verdict"} <= set(body["communes"][0])
    csv_text = client.get("/coverage/roads", params={"province": "Bến Tre", "year": 2020, "f": "csv"}).text
    assert csv_text.count("\n") == 165
    assert client.get("/coverage/rivers", params={"province": "Bến Tre"}).status_code == 400
    where = client.get("/lookup", params={"lon": 106.3756, "lat": 10.2415, "year": 2020}).json()
    assert where["province"]["name"] == "Tỉnh Bến Tre" and where["district"]["name"] == "Thành phố Bến Tre"
    assert where["commune"]["code"].startswith("81101")
    assert client.get("/lookup", params={"lon": 100.0, "lat": 10.0}).status_code == 404
    assert client.get("/lookup", params={"lon": 500, "lat": 10.0}).status_code == 400
