"""GET /baseline, GET /progress, POST /targets and the profile's baseline over HTTP, on both stores:
the real 2009 and 2025 boundaries, the real recognitions of Hồng Ngự (shared sample) and a small
target file labelled TEST DATA."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from geo_ntm.settings import Settings
from tests.support.tokens import bearer, token_file

TARGETS = (
    "Tỉnh,Xã,Mức,Năm,Tỷ lệ,Năm gốc,Tỷ lệ năm gốc\n"
    "Đồng Tháp,,đạt chuẩn NTM,2030,65%,2026,15%\n"
    "Đồng Tháp,Phường Hồng Ngự,ntm,2028,,,\n"
)


@pytest.fixture(scope="module")
def client(backend, new_location, tmp_path_factory):
    location = new_location(backend, with_2025=True)
    tokens = token_file(tmp_path_factory.mktemp("tokens"))
    with TestClient(create_app(Settings.from_env().model_copy(update=dict(db=location, tokens_file=tokens)))) as c:
        yield c


def test_baseline_endpoint_is_history(client):
    body = client.get("/baseline", params={"province": "Đồng Tháp", "vintage": "2025-07-01 vn_admin_2025"}).json()
    assert body["history"] is True and "before the merger" in body["note_en"].lower()
    hong_ngu = next(c for c in body["communes"] if c["code"] == "29955")
    assert hong_ngu["area_share"]["ntm_nang_cao"] == pytest.approx(0.909, abs=0.005)
    decisions = {d["decision"] for f in hong_ngu["former_units"] for d in f["decisions"]}
    assert decisions == {"694/QĐ-UBND-HC", "141/QĐ-UBND-HC"}
    assert all("recognised_level" not in c for c in body["communes"])
    shown = client.get(
        "/map/data",
        params={
            "province": "Đồng Tháp",
            "year": 2026,
            "measure": "baseline_recognised_share_ntm_nang_cao",
            "lang": "en",
        },
    ).json()
    assert "before the merger" in shown["legend"]["heading"]
    assert next(f for f in shown["features"] if f["id"] == "29955")["properties"]["class"] == "share_75"
    assert client.get("/baseline", params={"vintage": "2025-07-01 vn_admin_2025"}).status_code == 400


def test_profile_has_the_baseline_apart_from_its_recognition(client):
    body = client.get("/profile/29955", params={"vintage": "2025-07-01 vn_admin_2025", "year": 2026}).json()
    assert body["recognised_level"] is None  # no decision names the new ward
    assert body["baseline"]["history"] is True and body["baseline"]["area_share"]["ntm"] > 0.9
    old = client.get("/profile/8030807", params={"vintage": "2009-04-01 vn_admin_2009", "year": 2022}).json()
    assert old["baseline"] is None and old["recognised_level"] == "ntm_nang_cao"  # no boundaries before 2009


def test_targets_upload_and_progress(client):
    before = client.get("/progress", params={"province": "Đồng Tháp", "year": 2026}).json()
    assert before["targets_loaded"] is False and "no target loaded" in before["message"]
    files = {"file": ("targets_TEST.csv", TARGETS.encode())}
    assert client.post("/targets", files=files, data={"source": "TEST DATA"}).status_code == 401
    done = client.post("/targets", files=files, data={"source": "TEST DATA"}, headers=bearer("editor"))
    assert done.status_code == 200 and done.json()["province_targets"] == 1 and done.json()["commune_targets"] == 1
    assert done.json()["source_file"] == "targets_TEST.csv"  # the upload's name, never the server's folder
    body = client.get("/progress", params={"province": "Đồng Tháp", "year": 2028}).json()
    assert body["targets_loaded"] is True and body["message"] is None
    (p,) = body["province_targets"]
    assert p["path_share"] == pytest.approx(0.40) and p["status"] == "behind" and p["recognised"] == 0
    (c,) = body["communes"]
    assert (c["code"], c["years_left"], c["status"]) == ("29955", 0, "no_data")
    bad = client.post(
        "/targets",
        files={"file": ("bad.csv", b"province,level,year\nKh\xc3\xb4ng C\xc3\xb3,ntm,2030\n")},
        headers=bearer("editor"),
    )
    assert bad.status_code == 400 and "row 2" in bad.json()["description"]
