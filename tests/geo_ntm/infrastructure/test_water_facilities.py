"""Water and facility coverage on the hand-made world of ``reach_world.py`` (answers known by
construction), on both stores: people and households within a distance, facilities by kind,
criterion 17.1 with shipped and user thresholds, errors, and the CLI."""

from __future__ import annotations

import csv
import json
import math

import geopandas as gpd
import numpy as np
import pytest
import shapely

from cli.main import main
from geo_ntm.domain import LayerKind
from geo_ntm.errors import InputError, NotFoundError
from geo_ntm.infrastructure.layers import import_layer
from geo_ntm.infrastructure.queries import coverage
from geo_ntm.infrastructure.thresholds import load_thresholds
from geo_ntm.settings import Settings
from geo_ntm.store import open_store
from tests.support.questions import coverage_request


def ask(location: str, measure: str, thresholds=None, **options):
    with open_store(location) as store:
        table, totals = coverage(store, coverage_request(store, measure, year=2020, **options), thresholds)
    return table.set_index("code"), totals


def test_people_within_the_pipe_and_the_well(world_db, world):
    table, totals = ask(world_db, "water", distance=250)
    # A: the pipe on its west edge reaches the strip 0 <= x <= 250: raster columns 10 and 11 whole
    # (x 0-200), column 12 (x 200-300) cut in half by the buffer's edge; rows 10-29 (y 2000-0)
    strip = world.GRID[10:30, 10].sum() + world.GRID[10:30, 11].sum() + 0.5 * world.GRID[10:30, 12].sum()
    assert strip == pytest.approx(world.people_in(shapely.box(0, 0, 250, 2000)))
    assert table.loc[world.A, "population_within"] == pytest.approx(strip, rel=1e-5)
    # B: the disc of 250 m around the well (the buffer is a 128-gon: 0.04% less than the circle)
    disc = world.people_in(world.WELL.buffer(250, quad_segs=256))
    assert table.loc[world.B, "population_within"] == pytest.approx(disc, rel=1e-3)
    assert table.loc[world.C, "population_within"] == 0
    for code, square in world.SQUARES.items():
        assert table.loc[code, "population"] == pytest.approx(world.people_in(square), rel=1e-9)
    assert (table["population_within_share"] == table["population_within"] / table["population"]).all()
    assert totals["distance_m"] == 250 and totals["population"] == pytest.approx(world.GRID[10:30, 10:70].sum())
    assert totals["layers"]["water_lines"] == {"name": "pipes", "date": "2020-06-30"} and totals["layer"] == "pipes"
    assert totals["layers"]["water_points"]["name"] == "wells" and totals["framework"] == "qd1980_2016"


def test_households_within_reach_are_counted_once_on_the_right_side(world_db, world):
    table, totals = ask(world_db, "water", distance=250, households_layer="households")
    for code in world.SQUARES:
        mine = [within for _, owner, within in world.HOUSEHOLDS if owner == code]
        assert table.loc[code, "households"] == len(mine), code
        assert table.loc[code, "households_within"] == sum(mine), code
    assert list(table["households"]) == [4, 3, 1]  # the border household in A only, not in B too
    assert totals["households"] == 8 and totals["households_outside_every_commune"] == 1
    # 17.1 is the households' share when a household layer is given; no threshold is shipped
    assert list(table["ind_17_1_value"]) == pytest.approx([0.5, 1 / 3, 0.0])
    assert set(table["ind_17_1_verdict"]) == {"unknown"} and table["ind_17_1_threshold"].isna().all()
    assert table["ind_17_1_source"].str.contains("not transcribed").all()
    assert totals["ind_17_1_basis"].startswith("households within 250 m")
    assert list(table["assessed"]) == [True, True, False]  # the phường is listed, not assessed


def test_distance_zero_reaches_nobody_and_a_huge_distance_everybody(world_db):
    none, _ = ask(world_db, "water", distance=0, households_layer="households")
    assert (none["population_within"] == 0).all() and (none["households_within"] == 0).all()
    assert (none["ind_17_1_value"] == 0).all()
    everybody, totals = ask(world_db, "water", distance=10_000, households_layer="households")
    assert np.allclose(everybody["population_within"], everybody["population"], rtol=1e-9)
    assert np.allclose(everybody["population_within_share"], 1.0, rtol=1e-9)
    assert (everybody["households_within"] == everybody["households"]).all() and totals["households_within"] == 8


def test_without_a_household_layer_17_1_is_the_share_of_people(world_db, world):
    table, totals = ask(world_db, "water", distance=250)  # households are used only when named
    assert "households" not in table and totals["layers"]["households"] is None
    assert list(table["ind_17_1_value"]) == list(table["population_within_share"])
    assert totals["ind_17_1_basis"].startswith("population within 250 m")


def test_facilities_by_kind_and_people_near_a_school(world_db, world):
    table, totals = ask(world_db, "facilities")
    assert table.loc[world.A, ["facilities_school", "facilities_market", "facilities_total"]].tolist() == [2, 1, 3]
    assert table.loc[world.B, "facilities_health_station"] == 1 and table.loc[world.B, "facilities_total"] == 1
    assert table.loc[world.C, ["facilities_post_office", "facilities_unknown"]].tolist() == [1, 1]
    assert "population_within" not in table and totals["facilities_total"] == 6
    schools, totals = ask(world_db, "facilities", kind="school", distance=250)
    discs = shapely.union_all(
        [shapely.Point(xy).buffer(250, quad_segs=256) for k, xy in world.FACILITIES if k == "school"]
    )
    assert schools.loc[world.A, "population_within"] == pytest.approx(world.people_in(discs), rel=1e-3)
    assert schools.loc[[world.B, world.C], "population_within"].tolist() == [0, 0]
    assert totals["kind"] == "school" and totals["layers"]["population"]["name"] == "population"


def test_reach_across_a_border_is_split_and_counted_once(world_db, world):
    """Any facility within 250 m: the market's disc on the A|B border is cut between A and B."""
    table, totals = ask(world_db, "facilities", distance=250)
    discs = shapely.union_all([shapely.Point(xy).buffer(250, quad_segs=256) for _, xy in world.FACILITIES])
    for code, square in world.SQUARES.items():
        expected = world.people_in(discs & square)
        assert table.loc[code, "population_within"] == pytest.approx(expected, rel=1e-3), code
    assert totals["population_within"] == pytest.approx(
        world.people_in(discs & shapely.box(0, 0, 6000, 2000)), rel=1e-3
    )


@pytest.mark.parametrize(
    "measure, options, error, message",
    [
        ("water", {}, InputError, "needs a distance in metres"),
        ("water", {"distance": -1}, InputError, "between 0 and 100,000"),
        ("water", {"distance": math.nan}, InputError, "not usable"),
        ("water", {"distance": 1e7}, InputError, "not usable"),
        ("water", {"distance": 250, "layer": "wells"}, InputError, "holds water_points, not water_lines"),
        ("water", {"distance": 250, "kind": "school"}, InputError, "does not take --kind / kind="),
        ("facilities", {"kind": "hospital", "distance": 500}, InputError, r"kinds: health_station \(1\), market"),
        ("facilities", {"kind": "school"}, InputError, "add a distance"),
        ("facilities", {"layer": "households"}, InputError, "holds households, not facilities"),
        ("roads", {"distance": 10}, InputError, "roads coverage does not take --distance"),
        (
            "water",
            {"distance": 250, "year": 2019},
            NotFoundError,
            "no water_lines or water_points layer dated on or before 2019-12-31",
        ),
    ],
)
def test_bad_questions_say_what_to_change(world_db, measure, options, error, message):
    options = {"year": 2020, **options}
    with open_store(world_db) as store, pytest.raises(error, match=message):
        coverage(store, coverage_request(store, measure, **options))


def test_imports_of_the_water_and_facility_kinds(world_db, world, tmp_path):
    with open_store(world_db) as store:
        layers = {x.name: x for x in store.layers()}
        assert {n: layers[n].kind for n in ("pipes", "wells", "households", "facilities")} == {
            "pipes": LayerKind.WATER_LINES,
            "wells": LayerKind.WATER_POINTS,
            "households": LayerKind.HOUSEHOLDS,
            "facilities": LayerKind.FACILITIES,
        }
        assert layers["facilities"].summary["kinds"] == {
            "school": 2,
            "health_station": 1,
            "market": 1,
            "post_office": 1,
            "unknown": 1,
        }
        assert layers["households"].feature_count == len(world.HOUSEHOLDS)
        wrong = world.write_frame(tmp_path, "pipe_as_points", {"name": ["x"]}, [world.PIPE])
        with pytest.raises(InputError, match="a water_points layer must hold points"):
            import_layer(store, wrong, "bad", LayerKind.WATER_POINTS, world.DAY)
        assert "bad" not in {x.name for x in store.layers()}


NATIONAL_THRESHOLD = """
[[threshold]]
framework = "qd1980_2016"
indicator = "17.1"
region = "all"
value = 0.9
source = "test: a national value for every province"
"""
USER_THRESHOLDS = (
    NATIONAL_THRESHOLD
    + """
[[threshold]]
framework = "qd1980_2016"
indicator = "17.1"
province = "999"
value = 0.5
source = "QĐ 999/QĐ-UBND tỉnh Thử (test)"

[[threshold]]
framework = "qd1980_2016"
indicator = "2.2"
province = "999"
value = 1.0
source = "QĐ 999/QĐ-UBND tỉnh Thử (test), 2.2"
"""
)


def test_user_thresholds_scoped_to_a_province_win_and_keep_their_source(world_db, tmp_path):
    national = tmp_path / "national.toml"
    national.write_text(NATIONAL_THRESHOLD, encoding="utf-8")
    table, _ = ask(world_db, "water", load_thresholds(national), distance=250, households_layer="households")
    assert list(table["ind_17_1_verdict"]) == ["not_met", "not_met", "not_met"]
    assert (table["ind_17_1_threshold"] == 0.9).all() and (
        table["ind_17_1_source"] == "test: a national value for every province"
    ).all()
    scoped = tmp_path / "scoped.toml"
    scoped.write_text(USER_THRESHOLDS, encoding="utf-8")
    table, _ = ask(world_db, "water", load_thresholds(scoped), distance=250, households_layer="households")
    assert list(table["ind_17_1_verdict"]) == ["met", "not_met", "not_met"]  # A: 2 of 4 households >= 50%
    assert (table["ind_17_1_threshold"] == 0.5).all()
    assert (table["ind_17_1_source"] == "QĐ 999/QĐ-UBND tỉnh Thử (test)").all()
    roads, _ = ask(world_db, "roads", load_thresholds(scoped))  # road indicators take user thresholds too
    assert list(roads["ind_2_2_verdict"]) == ["met", "no_data", "no_data"]
    assert roads["ind_2_2_source"].iloc[0].endswith(", 2.2") and (roads["ind_2_1_threshold"] == 1.0).all()
    shipped, _ = ask(world_db, "roads")
    assert shipped["ind_2_2_threshold"].isna().all() and set(shipped["ind_2_2_verdict"]) == {"unknown", "no_data"}


@pytest.mark.parametrize(
    "text, message",
    [
        ('[[threshold]]\nframework = "qd1980_2016"\nindicator = "17.1"\nvalue = 0.5\n', "entry 1 .*source"),
        (
            USER_THRESHOLDS
            + '[[threshold]]\nframework = "qd1980_2016"\nindicator = "17.1"\nvalue = 95\nsource = "x"\n',
            "entry 4 .*value 95.0 is not a share between 0 and 1",
        ),
        (
            '[[threshold]]\nframework = "qd1980_2016"\nindicator = "17.1"\n'
            'provice = "811"\nvalue = 0.5\nsource = "x"\n',
            r"unexpected key\(s\) \['provice'\]",
        ),
        (
            '[[threshold]]\nframework = "qd1980_2016"\nindicator = "17.1"\nprovince = 811\nvalue = 0.5\nsource = "x"\n',
            "must be a code in quotes",
        ),
        ('[[threshold]]\nframework = "qd2030"\nindicator = "17.1"\nvalue = 0.5\nsource = "x"\n', "unknown framework"),
        (
            '[[threshold]]\nframework = "qd1980_2016"\nindicator = "17.9"\nvalue = 0.5\nsource = "x"\n',
            "unknown indicator",
        ),
        ('[[threshold]\nframework = "qd1980_2016"\n', "cannot read the thresholds file"),
        ('[[indicator]]\nid = "17.1"\n', "holds \\['indicator'\\]"),
    ],
)
def test_a_malformed_thresholds_file_names_the_file_and_the_entry(tmp_path, text, message):
    path = tmp_path / "thresholds.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=message) as caught:
        load_thresholds(path)
    assert str(path.resolve()) in str(caught.value) or str(path) in str(caught.value)
    with pytest.raises(InputError, match="cannot be read"):
        load_thresholds(tmp_path / "missing.toml")


def test_cli_water_and_facilities_to_csv_and_geopackage(world_db, world, tmp_path, capsys, monkeypatch):
    out = tmp_path / "water.csv"
    water = [
        "--db",
        world_db,
        "coverage",
        "water",
        "--year",
        "2020",
        "--distance",
        "250",
        "--households-layer",
        "households",
        "-o",
        str(out),
    ]
    assert main([*water[:4], "--province", "999", *water[4:]]) == 0
    totals = json.loads(capsys.readouterr().out.splitlines()[0])
    rows = {r["code"]: r for r in csv.DictReader(out.open(encoding="utf-8-sig"))}
    assert totals["distance_m"] == 250 and len(rows) == 3
    assert float(rows[world.A]["households_within_share"]) == 0.5 and rows[world.A]["ind_17_1_verdict"] == "unknown"
    gpkg = tmp_path / "schools.gpkg"
    assert (
        main(
            [
                "--db",
                world_db,
                "coverage",
                "facilities",
                "--year",
                "2020",
                "--kind",
                "school",
                "--distance",
                "250",
                "-o",
                str(gpkg),
            ]
        )
        == 0
    )
    frame = gpd.read_file(gpkg, layer="coverage_facilities").set_index("code")
    assert frame.loc[world.A, "facilities_school"] == 2 and frame.loc[world.A, "population_within"] > 0
    assert frame.geometry.geom_type.isin(["MultiPolygon", "Polygon"]).all() and frame.crs.to_epsg() == 4326
    capsys.readouterr()
    thresholds = tmp_path / "user.toml"
    thresholds.write_text(USER_THRESHOLDS, encoding="utf-8")
    monkeypatch.setenv("GEO_NTM_THRESHOLDS", str(thresholds))
    assert Settings.from_env().thresholds_file == thresholds
    assert main(water) == 0
    rows = {r["code"]: r for r in csv.DictReader(out.open(encoding="utf-8-sig"))}
    assert rows[world.A]["ind_17_1_verdict"] == "met" and "tỉnh Thử" in rows[world.A]["ind_17_1_source"]
    thresholds.write_text(USER_THRESHOLDS.replace('source = "QĐ 999/QĐ-UBND tỉnh Thử (test)"', ""), encoding="utf-8")
    assert main(water) == 2
    assert "entry 2" in capsys.readouterr().err
    monkeypatch.delenv("GEO_NTM_THRESHOLDS")
    assert main(water[:6] + water[8:]) == 2  # no distance
    assert "needs a distance in metres" in capsys.readouterr().err
