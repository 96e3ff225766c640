"""Token files the service cannot trust are refused at start with the reason (and ``geo-ntm serve``
exits 2 with it, no traceback); ``GEO_NTM_READ_TOKEN_REQUIRED=1`` protects every path the service
answers but ``/health``; the OpenAPI document lists the errors the service sends."""

from __future__ import annotations

import shutil

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.auth import MIN_TOKEN_LENGTH, TokenFileError, load_tokens
from cli.main import main
from geo_ntm.settings import Settings

GOOD = "r" * MIN_TOKEN_LENGTH


def _token_file(tmp_path, text: str, mode: int = 0o600):
    path = tmp_path / "tokens.txt"
    path.write_text(text)
    path.chmod(mode)
    return path


def test_a_good_file_with_comments(tmp_path):
    path = _token_file(tmp_path, f"# name role token\n\nann reader {GOOD}  # the planner\nbob editor {'e' * 40}\n")
    assert [(p.name, p.role) for _, p in load_tokens(path)] == [("ann", "reader"), ("bob", "editor")]


@pytest.mark.parametrize(
    "text, mode, reason",
    [
        (f"ann reader {GOOD[:-1]}\n", 0o600, "at least 32"),
        (f"ann reader short#{GOOD}\n", 0o600, "cannot hold '#'"),
        (f"ann reader {GOOD}\n", 0o644, "open to other users"),
        (f"ann reader {GOOD}\n", 0o640, "open to other users"),
        (f"ann reader {GOOD}\n", 0o602, "open to other users"),
        (f"ann boss {GOOD}\n", 0o600, "expected 'name role token'"),
    ],
)
def test_untrusted_files_are_refused_with_the_reason(tmp_path, text, mode, reason):
    path = _token_file(tmp_path, text, mode)
    with pytest.raises(TokenFileError, match=reason):
        load_tokens(path)


def test_a_missing_file_is_refused(tmp_path):
    with pytest.raises(TokenFileError, match="cannot be read"):
        load_tokens(tmp_path / "nope.txt")


def test_serve_exits_2_with_the_reason(tmp_path, monkeypatch, capsys):
    path = _token_file(tmp_path, f"ann reader {GOOD}\n", 0o644)
    monkeypatch.setenv("GEO_NTM_TOKENS", str(path))
    assert main(["--db", str(tmp_path / "s.gpkg"), "serve", "--port", "0"]) == 2
    err = capsys.readouterr().err
    assert "open to other users" in err and "chmod 600" in err and "Traceback" not in err


@pytest.fixture(scope="module")
def gated(tmp_path_factory, boundaries_2009_template):
    folder = tmp_path_factory.mktemp("gated")
    shutil.copy(boundaries_2009_template, folder / "store.gpkg")
    tokens = folder / "tokens.txt"
    tokens.write_text(f"ann reader {GOOD}\n")
    tokens.chmod(0o600)
    settings = Settings.from_env().model_copy(
        update=dict(db=str(folder / "store.gpkg"), tokens_file=tokens, read_token_required=True)
    )
    with TestClient(create_app(settings)) as c:
        yield c


PROTECTED = [
    "/",
    "/?f=json",
    "/api",
    "/openapi.json",
    "/docs",
    "/static/swagger-ui/swagger-ui.css",
    "/static/leaflet/leaflet.js",
    "/static/planner/planner.js",
    "/collections",
    "/collections/communes/items?limit=1",
    "/vintages",
    "/map/options",
    "/no/such/path",
]


@pytest.mark.parametrize("path", PROTECTED)
def test_read_token_required_protects_everything(gated, path):
    r = gated.get(path)
    assert r.status_code == 401, r.text
    assert r.json()["code"] == "Unauthorized" and r.headers["WWW-Authenticate"] == "Bearer"
    assert gated.get(path, headers={"Authorization": "Bearer " + "x" * 40}).status_code == 401
    assert gated.get(path, headers={"Authorization": "Basic " + GOOD}).status_code == 401
    assert gated.get(path, headers={"Authorization": "Bearer " + GOOD}).status_code in (200, 404)


def test_openapi_lists_the_errors_the_service_sends(tmp_path_factory, boundaries_2009_template):
    folder = tmp_path_factory.mktemp("openapi")
    shutil.copy(boundaries_2009_template, folder / "store.gpkg")
    with TestClient(create_app(Settings.from_env().model_copy(update=dict(db=str(folder / "store.gpkg"))))) as c:
        doc = c.get("/openapi.json").json()
    schema = doc["components"]["schemas"]["ErrorBody"]
    assert set(schema["required"]) == {"code", "description"}
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            assert {"400", "401", "403", "404", "503"} <= set(operation["responses"]), (method, path)
            assert "422" not in operation["responses"], (method, path)  # invalid parameters are 400s
