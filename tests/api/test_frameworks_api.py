"""GET /frameworks lists every set with its act; POST /frameworks (admin) adds a province's set to
GEO_NTM_FRAMEWORKS_DIR after validating it, and a refused file writes nothing. On both backends
(the service opens its store; the frameworks live in the folder, not in it)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from geo_ntm.settings import Settings
from tests.support.tokens import bearer, token_file

TEST_SET = Path(__file__).parent.parent / "data" / "frameworks" / "test_nang_cao_20.toml"


@pytest.fixture
def folder(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "frameworks"
    path.mkdir()
    monkeypatch.setenv("GEO_NTM_FRAMEWORKS_DIR", str(path))
    return path


@pytest.fixture
def client(db_location, tmp_path, folder):
    settings = Settings.from_env().model_copy(update=dict(db=db_location, tokens_file=token_file(tmp_path)))
    with TestClient(create_app(settings)) as c:
        yield c


def upload(text: str, name: str = "test_nang_cao_20.toml") -> dict:
    return {"file": (name, text.encode("utf-8"), "application/toml")}


def test_the_shipped_sets_are_listed_with_their_acts_and_dates(client):
    listed = {f["framework_id"]: f for f in client.get("/frameworks").json()["frameworks"]}
    assert {"qd491_2009", "qd1980_2016", "qd558_2016", "qd318_2022", "qd691_2018", "qd319_2022"} <= set(listed)
    district = listed["qd320_2022"]
    assert (district["legal_act"], district["act_date"], district["applies_to"]) == (
        "QĐ 320/QĐ-TTg ngày 08/3/2022",
        "2022-03-08",
        "district",
    )
    assert district["completion_types"] == ["thi_xa", "thanh_pho"] and [lv["level"] for lv in district["levels"]] == [
        "ntm",
        "ntm_nang_cao",
    ]
    assert district["criteria_known"] is False and district["criteria"] == [] and "not known" in district["note"]
    assert listed["qd321_2022"]["applies_to"] == "province" and listed["qd1980_2016"]["criteria_total"] == 19
    assert all(f["scope"] == "national" for f in listed.values())


def test_an_admin_adds_a_provincial_set(client, folder):
    text = TEST_SET.read_text(encoding="utf-8")
    for headers, status in (({}, 401), (bearer("reader"), 403), (bearer("editor"), 403)):
        assert client.post("/frameworks", files=upload(text), headers=headers).status_code == status
    assert list(folder.iterdir()) == []
    response = client.post("/frameworks", files=upload(text), headers=bearer("admin"))
    assert response.status_code == 201
    body = response.json()
    assert (body["framework_id"], body["scope"], body["province"], body["criteria_total"]) == (
        "test_nang_cao_20",
        "provincial",
        "Bến Tre",
        20,
    )
    assert [p.name for p in folder.iterdir()] == ["test_nang_cao_20.toml"]
    listed = [f["framework_id"] for f in client.get("/frameworks").json()["frameworks"]]
    assert listed[-1] == "test_nang_cao_20"
    again = client.post("/frameworks", files=upload(text), headers=bearer("admin"))
    assert again.status_code == 400 and "'test_nang_cao_20' is already loaded" in again.json()["description"]


@pytest.mark.parametrize(
    "text, message",
    [
        (TEST_SET.read_text(encoding="utf-8").replace('"test_nang_cao_20"', '"qd318_2022"'), "a shipped framework's"),
        (TEST_SET.read_text(encoding="utf-8").replace('province = "Bến Tre"\n', ""), "field(s) province missing"),
        ("not = toml = at all", "is not valid TOML"),
    ],
)
def test_a_refused_file_gets_400_naming_it_and_writes_nothing(client, folder, text, message):
    response = client.post("/frameworks", files=upload(text, "mine.toml"), headers=bearer("admin"))
    assert response.status_code == 400
    assert "framework file mine.toml" in response.json()["description"] and message in response.json()["description"]
    assert list(folder.iterdir()) == []
