"""Property filters run in SQL give the same rows on SQLite and PostgreSQL as the Python evaluator
(differential): LIKE with ``%``, ``_``, escapes and case, NFC and NFD input, Vietnamese tone marks
with CASEI/ACCENTI, NULLs, IN, BETWEEN, NOT, and ordered text comparisons. The rows are TEST DATA
(made-up names in a ``units`` table of the store's shape), not places."""

from __future__ import annotations

import sqlite3
import unicodedata

import pandas as pd
import psycopg
import pytest

from geo_ntm import filters
from geo_ntm.domain import AdminTier
from geo_ntm.store import filter_sql
from geo_ntm.store.postgis import PostgisDialect
from geo_ntm.views import unit_view

COLUMNS = ("vintage_id", "level", "code", "name", "unit_type", "flag", "province_code", "district_code")
NUMBERS = ("population", "area_ha")
#: TEST DATA: (level, code, name, unit_type, province_code, district_code, population)
ROWS = [
    ("province", "P1", "Tỉnh Thử Nghiệm", "tinh", "P1", None, 1000.0),
    ("district", "D1", "Huyện Đức Thử", "huyen", "P1", "D1", 500.0),
    ("commune", "C1", "Xã Nhơn Thạnh", "xa", "P1", "D1", 120.0),
    ("commune", "C2", "xã nhơn thạnh", "xa", "P1", "D1", None),
    ("commune", "C3", "a%b", "xa", "P1", "D1", 3.0),
    ("commune", "C4", "a_b", "phuong", "P1", "D1", 4.0),
    ("commune", "C5", "aXb", None, "P1", "D1", 5.0),
    ("commune", "C6", "A*B?[c]", "xa", "P1", "D1", 6.0),
    ("commune", "C7", None, "xa", "P1", "D1", 7.0),
    ("commune", "C8", "Xã Đức Hòa", "xa", "P1", "D1", 8.0),
    ("commune", "C9", "back\\slash", "thi_tran", "P1", "D1", 9.0),
    ("commune", "C10", "Phường 1", "phuong", "P1", None, 10.0),
]
TYPES = {
    "code": "string",
    "name": "string",
    "unit_type": "string",
    "flag": "string",
    "admin_level": "string",
    "province": "string",
    "district": "string",
    "population": "number",
    "area_ha": "number",
}
NFD_NHON = unicodedata.normalize("NFD", "Xã Nhơn Thạnh")
FILTERS = [
    "name LIKE 'a_b'",
    r"name LIKE 'a\_b'",
    r"name LIKE 'a\%b'",
    "name LIKE 'a%'",
    "name LIKE 'A%'",
    "name LIKE '%'",
    "name LIKE '%%%%b'",
    r"name LIKE 'A*B?[c]'",
    r"name LIKE 'A*%'",
    r"name LIKE 'back\\slash'",
    "name LIKE 'Xã Nh_n%'",
    "name ILIKE 'xã nhơn%'",
    "name NOT ILIKE 'XÃ%'",
    "CASEI(name) LIKE CASEI('XÃ NHƠN%')",
    "ACCENTI(name) = ACCENTI('Xa Nhon Thanh')",
    "CASEI(ACCENTI(name)) = 'xa nhon thanh'",
    "ACCENTI(name) LIKE 'Xa Duc%'",
    "ACCENTI(district) = 'Huyen Duc Thu'",
    f"name = '{NFD_NHON}'",
    "name = 'Xa Nhon Thanh'",
    "name IS NULL",
    "NOT name IS NULL AND unit_type IS NULL",
    "NOT name LIKE 'a%'",
    "NOT (population > 5)",
    "population BETWEEN 4 AND 8",
    "population NOT BETWEEN 4 AND 8",
    "code IN ('C1', 'C7', 'nothing')",
    "unit_type NOT IN ('xa')",
    "name > 'a'",
    "name < 'Xã Đ'",
    "name BETWEEN 'A' AND 'a'",
    "province = 'Tỉnh Thử Nghiệm' AND admin_level = 'commune'",
    "district IS NULL",
    "(name LIKE 'a%' OR population >= 8) AND NOT unit_type = 'phuong'",
    "TRUE AND NOT FALSE",
]


def _frame() -> pd.DataFrame:
    frame = pd.DataFrame(
        [(1, r[0], r[1], r[2], r[3], None, r[4], r[5], r[6], 1.0) for r in ROWS], columns=[*COLUMNS, *NUMBERS]
    )
    names = {(r[0], r[1]): r[2] for r in ROWS}
    frame["province"] = [names.get(("province", c)) for c in frame["province_code"]]
    frame["district"] = [
        names.get(("district", c)) if lv == "commune" else None
        for lv, c in zip(frame["level"], frame["district_code"], strict=True)
    ]
    return frame.rename(columns={"level": "admin_level"})


def _create(conn) -> None:
    conn.execute(
        "CREATE TABLE units (vintage_id integer, level text, code text, name text, unit_type text, flag text,"
        " province_code text, district_code text, population double precision, area_ha double precision)"
    )
    for r in ROWS:
        conn.execute(
            "INSERT INTO units VALUES (1, ?, ?, ?, ?, NULL, ?, ?, ?, 1.0)".replace("?", "%s")
            if isinstance(conn, psycopg.Connection)
            else "INSERT INTO units VALUES (1, ?, ?, ?, ?, NULL, ?, ?, ?, 1.0)",
            r,
        )


@pytest.fixture(scope="module")
def sqlite_conn():
    conn = sqlite3.connect(":memory:")
    filter_sql.register(conn)
    _create(conn)
    yield conn
    conn.close()


@pytest.fixture(scope="module")
def pg_conn(postgis_cluster):
    url = postgis_cluster.create_database()
    conn = psycopg.connect(url, autocommit=True)
    _create(conn)
    yield conn
    conn.close()
    postgis_cluster.drop_database(url)


def _sqlite_codes(conn, expr) -> list[str]:
    condition, params = filter_sql.condition(expr, filter_sql.SqliteFilters())
    return sorted(r[0] for r in conn.execute(f"SELECT code FROM units WHERE {condition}", params))


def _pg_codes(conn, expr) -> list[str]:
    condition, params = filter_sql.condition(expr, filter_sql.PostgresFilters())
    query = PostgisDialect().sql(f"SELECT code FROM units WHERE {condition}")
    return sorted(r[0] for r in conn.execute(query, params).fetchall())


@pytest.mark.parametrize("text", FILTERS)
def test_sql_on_both_stores_answers_as_python(sqlite_conn, pg_conn, text):
    expr = filters.parse_text(text, TYPES)
    frame = _frame()
    expected = sorted(frame["code"][filters.select(expr, frame, TYPES)])
    assert _sqlite_codes(sqlite_conn, expr) == expected
    assert _pg_codes(pg_conn, expr) == expected


def test_the_differential_cases_mean_what_they_say(sqlite_conn):
    def codes(text: str) -> list[str]:
        return _sqlite_codes(sqlite_conn, filters.parse_text(text, TYPES))

    assert codes("name LIKE 'a_b'") == ["C3", "C4", "C5"]
    assert codes(r"name LIKE 'a\_b'") == ["C4"]
    assert codes("name LIKE 'A%'") == ["C6"]  # case-sensitive, unlike SQLite's own LIKE
    assert codes("name ILIKE 'xã nhơn%'") == ["C1", "C2"]
    assert codes(f"name = '{NFD_NHON}'") == ["C1"]  # NFD input is NFC
    assert codes("ACCENTI(name) = ACCENTI('Xa Nhon Thanh')") == ["C1"]
    assert codes("ACCENTI(name) LIKE 'Xa Duc%'") == ["C8"]  # đ folds to d
    assert codes("NOT name LIKE 'a%'") == ["C1", "C10", "C2", "C6", "C8", "C9", "D1", "P1"]  # NULL name never chosen
    assert codes("population NOT BETWEEN 4 AND 8") == ["C1", "C10", "C3", "C9", "D1", "P1"]


def test_split_keeps_the_store_terms_of_the_top_level_and():
    expr = filters.parse_text(
        "name LIKE 'Xã%' AND criteria_met >= 15 AND (province = 'x' OR level = 'ntm')",
        TYPES | {"criteria_met": "integer", "level": "string"},
    )
    held, rest = filters.split(expr, set(filter_sql.HELD))
    assert held == filters.Like(filters.Prop("name"), "Xã%")
    assert isinstance(rest, filters.And) and filters.properties(rest) == {"criteria_met", "province", "level"}


REAL_FILTERS = [
    "name LIKE 'Xã Nhơn%'",
    "ACCENTI(province) = 'Tinh Ben Tre' AND population > 10000",
    "district LIKE 'Huyện Châu%' AND NOT unit_type = 'xa'",
    "CASEI(name) LIKE '%an hội' OR code IN ('8110125', '8110128')",
    "area_ha BETWEEN 1000 AND 1500 AND flag IS NULL AND admin_level = 'commune'",
]


@pytest.mark.parametrize("text", REAL_FILTERS)
def test_the_store_runs_a_filter_as_the_view_would_on_the_2009_communes(store_2009, text):
    vintage = store_2009.vintages()[0]
    expr = filters.parse_text(text, TYPES)
    every = unit_view(store_2009, vintage, AdminTier.COMMUNE, geometry=False).rename(columns={"level": "admin_level"})
    expected = sorted(every["code"][filters.select(expr, every, TYPES)])
    found = unit_view(store_2009, vintage, AdminTier.COMMUNE, geometry=False, expr=expr)
    assert sorted(found["code"]) == expected and expected
