"""POST /indicator-sets (admin) validates a TOML or CSV indicator set and stores it with its source;
a refused file gets 400 naming the file, the row and the field and stores nothing; GET
/indicator-sets lists the stored sets. On both backends. The files are TEST data, not Annex I."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from geo_ntm.settings import Settings
from tests.support.tokens import bearer, token_file

TEST_CSV = Path(__file__).parent.parent / "data" / "indicator_set_qd51_TEST.csv"


@pytest.fixture
def client(empty_db_location, tmp_path):
    settings = Settings.from_env().model_copy(update=dict(db=empty_db_location, tokens_file=token_file(tmp_path)))
    with TestClient(create_app(settings)) as c:
        yield c


def upload(text: str, name: str = TEST_CSV.name) -> dict:
    return {"file": (name, text.encode("utf-8"), "text/csv")}


def test_qd51_is_listed_with_its_indicators_to_be_loaded(client):
    listed = {f["framework_id"]: f for f in client.get("/frameworks").json()["frameworks"]}
    qd51 = listed["qd51_2025"]
    assert (qd51["criteria_total"], qd51["years"], qd51["indicators_to_load"]) == (10, [2026, 2030], True)
    assert [lv["level"] for lv in qd51["levels"]] == ["ntm", "ntm_hien_dai"] and qd51["indicators"] == []
    assert listed["qd318_2022"]["indicators_to_load"] is False


def test_an_admin_stores_a_set_and_everyone_reads_it(client):
    text = TEST_CSV.read_text(encoding="utf-8")
    for headers, status in (({}, 401), (bearer("reader"), 403), (bearer("editor"), 403)):
        assert client.post("/indicator-sets", files=upload(text), headers=headers).status_code == status
    assert client.get("/indicator-sets", headers=bearer("reader")).json() == {"indicator_sets": []}
    response = client.post("/indicator-sets", files=upload(text), headers=bearer("admin"))
    assert response.status_code == 201
    body = response.json()
    assert (body["framework"], body["source_file"], body["actor"]) == ("qd51_2025", TEST_CSV.name, "admin-user")
    road = body["indicators"][0]
    assert road["indicator"] == "2.1" and road["thresholds"] == {
        "1": {"comparison": ">=", "value": 100.0},
        "2": {"comparison": ">=", "value": 90.0},
    }
    listed = client.get("/indicator-sets", params={"framework": "qd51_2025"}, headers=bearer("reader")).json()
    assert [s["set_id"] for s in listed["indicator_sets"]] == [body["set_id"]]
    assert client.get("/indicator-sets", params={"framework": "qd318_2022"}, headers=bearer("reader")).json() == {
        "indicator_sets": []
    }


def test_a_refused_set_gets_400_naming_file_row_and_field_and_stores_nothing(client):
    text = TEST_CSV.read_text(encoding="utf-8").replace(",>=,100,90,", ",>=,100,ninety,")
    response = client.post("/indicator-sets", files=upload(text, "mine.csv"), headers=bearer("admin"))
    assert response.status_code == 400
    message = "indicator set file mine.csv, row 2: field 'group2': 'ninety' is not a number"
    assert message in response.json()["description"]
    assert client.get("/indicator-sets", headers=bearer("reader")).json() == {"indicator_sets": []}
