"""Writes over HTTP need a token with the editor role; refusals change nothing; uploads over the
size limit get 413; every stored write is in the audit log, which only admins read. On both backends."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from geo_ntm.settings import Settings
from geo_ntm.store import open_store
from tests.support.tokens import TOKENS, bearer, token_file


@pytest.fixture
def client(db_location, tmp_path):
    tokens = token_file(tmp_path)
    settings = Settings.from_env().model_copy(update=dict(db=db_location, tokens_file=tokens, max_upload_mb=0.1))
    with TestClient(create_app(settings)) as c:
        yield c


@pytest.fixture
def sample(data_dir):
    path = data_dir / "samples" / "status_ben_tre_city_long.csv"
    return {"file": (path.name, path.read_bytes(), "text/csv")}


def _auth(role: str | None = None, token: str | None = None) -> dict:
    return bearer(role, token)


def _counts(db_location) -> tuple[int, int, int]:
    with open_store(db_location) as store:
        return len(store.imports()), len(store.statuses()), len(store.vintages())


@pytest.mark.parametrize(
    "headers, status",
    [({}, 401), (_auth(token="wrong"), 401), ({"Authorization": "Basic e-secret"}, 401), (_auth("reader"), 403)],
)
def test_refused_writes_change_nothing(client, db_location, sample, headers, status):
    before = _counts(db_location)
    lineage = resources.files("boundaries") / "examples" / "ben_tre_city_lineage.csv"
    for path, files in (("/statuses", sample), ("/lineage", {"file": ("l.csv", lineage.read_bytes())})):
        response = client.post(path, files=files, headers=headers)
        assert response.status_code == status, response.text
        assert response.json()["code"] in ("Unauthorized", "Forbidden")
        if status == 401:
            assert response.headers["WWW-Authenticate"] == "Bearer"
    assert _counts(db_location) == before


def test_editor_uploads_statuses_and_the_audit_names_them(client, db_location, sample):
    imports, statuses, _ = _counts(db_location)
    dry = client.post("/statuses", files=sample, data={"dry_run": "true"}, headers=_auth("editor"))
    assert dry.status_code == 200 and not dry.json()["stored"]
    assert _counts(db_location)[:2] == (imports, statuses)

    response = client.post("/statuses", files=sample, headers=_auth("editor"))
    body = response.json()
    assert response.status_code == 200 and body["ok"] and body["stored"]
    assert _counts(db_location)[1] == statuses + body["statuses_stored"] > statuses

    audit = client.get("/audit", headers=_auth("admin")).json()["imports"]
    assert len(audit) == imports + 1
    last = audit[-1]
    assert (last["actor"], last["kind"], last["source_file"]) == ("editor-user", "status", sample["file"][0])
    assert last["rows_read"] == body["rows_read"] and last["rows_stored"] > 0 and last["imported_at"]
    assert audit[0]["actor"] == "cli"  # the 2009 boundaries, imported outside the service


def test_editor_imports_lineage(client, db_location):
    lineage = resources.files("boundaries") / "examples" / "ben_tre_city_lineage.csv"
    response = client.post("/lineage", files={"file": (lineage.name, lineage.read_bytes())}, headers=_auth("admin"))
    assert response.status_code == 200 and response.json()["stored"], response.text
    assert _counts(db_location)[2] == 3
    last = client.get("/audit", headers=_auth("admin")).json()["imports"][-1]
    assert (last["actor"], last["kind"], last["source_file"]) == ("admin-user", "lineage", lineage.name)


def test_a_file_with_problems_gets_400_and_stores_nothing(client, db_location):
    before = _counts(db_location)
    bad = (
        "province,district,commune,year,framework,level,criterion,status\n"
        "Bến Tre,X,Nowhere,2019,qd1980_2016,ntm,1,đạt\n"
    )
    response = client.post("/statuses", files={"file": ("bad.csv", bad.encode())}, headers=_auth("editor"))
    assert response.status_code == 400 and response.json()["ok"] is False
    assert _counts(db_location) == before


def test_oversize_uploads_get_413_and_store_nothing(client, db_location):
    before = _counts(db_location)
    big = b"x" * 200_000  # the limit is 0.1 MB
    response = client.post("/statuses", files={"file": ("big.csv", big)}, headers=_auth("editor"))
    assert response.status_code == 413 and "GEO_NTM_MAX_UPLOAD_MB" in response.json()["description"]

    def chunks():  # no Content-Length: counted while read
        yield b'--b\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n\r\n'
        for _ in range(20):
            yield b"x" * 10_000
        yield b"\r\n--b--\r\n"

    response = client.post(
        "/statuses", content=chunks(), headers={**_auth("editor"), "Content-Type": "multipart/form-data; boundary=b"}
    )
    assert response.status_code == 413 and response.json()["code"] == "ContentTooLarge"
    assert _counts(db_location) == before


def test_audit_is_for_admins_only(client):
    assert client.get("/audit").status_code == 401
    assert client.get("/audit", headers=_auth("editor")).status_code == 403
    assert client.get("/audit", headers=_auth("admin")).status_code == 200


def test_reads_are_public_unless_configured(db_location, tmp_path):
    tokens = token_file(tmp_path, ("reader",))
    settings = Settings.from_env().model_copy(update=dict(db=db_location, tokens_file=tokens))
    with TestClient(create_app(settings)) as c:
        assert c.get("/health").status_code == 200
    with TestClient(create_app(settings.model_copy(update=dict(read_token_required=True)))) as c:
        assert c.get("/health").status_code == 200  # the health check stays public (issue 11)
        assert c.get("/collections").status_code == 401
        assert c.get("/collections", headers=_auth(token=TOKENS["reader"])).status_code == 200


def test_editor_uploads_a_road_layer(client, db_location):
    # two hand-made road segments in Thành phố Bến Tre, tagged as OSM extracts are (test data)
    roads = (
        '{"type": "FeatureCollection", "features": ['
        '{"type": "Feature", "properties": {"highway": "residential", "surface": "asphalt"}, "geometry": '
        '{"type": "LineString", "coordinates": [[106.37, 10.24], [106.38, 10.24]]}},'
        '{"type": "Feature", "properties": {"highway": "track", "surface": "dirt"}, "geometry": '
        '{"type": "LineString", "coordinates": [[106.38, 10.24], [106.38, 10.25]]}}]}'
    )
    upload = {"file": ("roads.geojson", roads.encode(), "application/geo+json")}
    form = {"name": "test roads", "kind": "roads", "valid_date": "2020-12-31", "mapping": "osm"}
    refused = client.post("/layers", files=upload, data=form, headers=_auth("reader"))
    assert refused.status_code == 403
    response = client.post("/layers", files=upload, data=form, headers=_auth("editor"))
    assert response.status_code == 200, response.text
    assert response.json()["layer_id"] is not None
    with open_store(db_location) as store:
        assert [layer.name for layer in store.layers()] == ["test roads"]
    last = client.get("/audit", headers=_auth("admin")).json()["imports"][-1]
    assert (last["actor"], last["source_file"]) == ("editor-user", "roads.geojson")


def test_editor_uploads_recognitions_through_statuses(client, db_location):
    """The recognitions layout is detected by POST /statuses: an editor stores decisions, others change nothing."""
    path = Path(__file__).parents[1] / "data" / "recognitions_hong_ngu_TEST.csv"
    files = {"file": (path.name, path.read_bytes(), "text/csv")}
    for headers, status in (({}, 401), (_auth("reader"), 403)):
        assert client.post("/statuses", files=files, headers=headers).status_code == status
    with open_store(db_location) as store:
        assert store.recognitions() == []
    response = client.post("/statuses", files=files, headers=_auth("editor"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["layout"] == "recognitions" and body["recognitions_stored"] == 3 and body["stored"]
    with open_store(db_location) as store:
        assert sorted(r.decision for r in store.recognitions()) == [
            "01/QĐ-KIỂM-THỬ",
            "02/QĐ-KIỂM-THỬ",
            "694/QĐ-UBND-HC",
        ]
        assert store.imports()[-1].actor is not None
