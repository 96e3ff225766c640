"""Settings: the GEO_NTM_* variables, their defaults, and the refusal of values that do not fit."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from geo_ntm.errors import InputError
from geo_ntm.settings import PROJECT_ROOT, Settings, SettingsError


def test_defaults_without_any_variable():
    s = Settings.from_env({})
    assert s.db == str(PROJECT_ROOT / "var" / "geo_ntm.gpkg")
    assert s.data_dir == PROJECT_ROOT.parent / "shared" / "data"
    assert s.assets_dir == PROJECT_ROOT / "node_modules"
    assert (s.host, s.port, s.log_level) == ("127.0.0.1", 8000, "INFO")
    assert s.tokens_file is None and s.thresholds_file is None
    assert s.read_token_required is False and s.max_upload_mb == 50 and s.db_pool_size == 10
    assert s.basemap_url is None  # the page fetches no tiles from elsewhere


def test_every_variable_is_read():
    s = Settings.from_env(
        {
            "GEO_NTM_DB": "postgresql://geo_ntm@dbhost/ntm",
            "GEO_NTM_DATA_DIR": "/data",
            "GEO_NTM_ASSETS_DIR": "/nm",
            "GEO_NTM_HOST": "0.0.0.0",
            "GEO_NTM_PORT": "8080",
            "GEO_NTM_LOG_LEVEL": "debug",
            "GEO_NTM_TOKENS": "/etc/geo_ntm/tokens",
            "GEO_NTM_READ_TOKEN_REQUIRED": "1",
            "GEO_NTM_MAX_UPLOAD_MB": "2.5",
            "GEO_NTM_THRESHOLDS": "/etc/geo_ntm/thresholds.toml",
            "GEO_NTM_DB_POOL_SIZE": "0",
            "GEO_NTM_BASEMAP_URL": "https://tiles.office.example/{z}/{x}/{y}.png",
            "GEO_NTM_ARTIFACTS_DIR": "/tmp/a",  # a test's variable, not a setting: ignored
        }
    )
    assert s.db == "postgresql://geo_ntm@dbhost/ntm"
    assert (s.data_dir, s.assets_dir) == (Path("/data"), Path("/nm"))
    assert (s.host, s.port, s.log_level) == ("0.0.0.0", 8080, "debug")
    assert s.tokens_file == Path("/etc/geo_ntm/tokens") and s.read_token_required is True
    assert s.max_upload_mb == 2.5 and s.db_pool_size == 0
    assert s.thresholds_file == Path("/etc/geo_ntm/thresholds.toml")
    assert s.basemap_url == "https://tiles.office.example/{z}/{x}/{y}.png"


@pytest.mark.parametrize("value", ["1", "true", "yes", "TRUE"])
def test_read_token_required_yes(value):
    assert Settings.from_env({"GEO_NTM_READ_TOKEN_REQUIRED": value}).read_token_required is True


@pytest.mark.parametrize("value", ["0", "false", "no"])
def test_read_token_required_no(value):
    assert Settings.from_env({"GEO_NTM_READ_TOKEN_REQUIRED": value}).read_token_required is False


def test_empty_variables_mean_not_set():
    s = Settings.from_env({"GEO_NTM_TOKENS": "", "GEO_NTM_THRESHOLDS": "", "GEO_NTM_PORT": ""})
    assert s.tokens_file is None and s.thresholds_file is None and s.port == 8000


def test_the_process_environment_is_the_default(monkeypatch):
    monkeypatch.setenv("GEO_NTM_PORT", "8123")
    monkeypatch.setenv("GEO_NTM_TOKENS", "/run/tokens")
    s = Settings.from_env()
    assert s.port == 8123 and s.tokens_file == Path("/run/tokens")
    assert Settings.from_env({}).port == 8000  # an explicit environment ignores the process's


@pytest.mark.parametrize(
    ("variable", "value", "words"),
    [
        ("GEO_NTM_PORT", "80a", "valid integer"),
        ("GEO_NTM_PORT", "70000", "less than or equal to 65535"),
        ("GEO_NTM_DB_POOL_SIZE", "ten", "valid integer"),
        ("GEO_NTM_DB_POOL_SIZE", "-1", "greater than or equal to 0"),
        ("GEO_NTM_MAX_UPLOAD_MB", "lots", "valid number"),
        ("GEO_NTM_MAX_UPLOAD_MB", "0", "greater than 0"),
        ("GEO_NTM_READ_TOKEN_REQUIRED", "maybe", "valid boolean"),
        ("GEO_NTM_LOG_LEVEL", "loud", "INFO"),
        ("GEO_NTM_BASEMAP_URL", "https://tiles.office.example/tile.png", "{z}, {x} and {y}"),
        ("GEO_NTM_BASEMAP_URL", "javascript:alert(1)//{z}{x}{y}", "http(s)"),
    ],
)
def test_a_bad_value_is_refused_naming_the_variable(variable, value, words):
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({variable: value})
    assert f"{variable}={value!r} is not valid" in str(refused.value) and words in str(refused.value)
    assert isinstance(refused.value, InputError)  # the command line exits 2 with the message


def test_every_bad_value_is_named_at_once():
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({"GEO_NTM_PORT": "x", "GEO_NTM_DB_POOL_SIZE": "y"})
    assert "GEO_NTM_PORT='x'" in str(refused.value) and "GEO_NTM_DB_POOL_SIZE='y'" in str(refused.value)


def test_settings_are_frozen_and_copied_with_changes():
    s = Settings.from_env({})
    with pytest.raises(ValidationError):
        s.port = 1  # type: ignore[misc]
    t = s.model_copy(update={"db": "/tmp/x.gpkg", "db_pool_size": 3})
    assert (t.db, t.db_pool_size, t.port) == ("/tmp/x.gpkg", 3, 8000) and s.db != t.db


def test_cors_origins_are_a_comma_list():
    assert Settings.from_env({}).cors_origins == ()  # none by default: no CORS header
    s = Settings.from_env({"GEO_NTM_CORS_ORIGINS": "https://planner.example, http://127.0.0.1:8080/ ,"})
    assert s.cors_origins == ("https://planner.example", "http://127.0.0.1:8080")
    assert Settings.from_env({"GEO_NTM_CORS_ORIGINS": "*"}).cors_origins == ("*",)


@pytest.mark.parametrize("value", ["planner.example", "https://planner.example/page", "ftp://planner.example"])
def test_a_cors_origin_with_a_path_or_no_scheme_is_refused(value):
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({"GEO_NTM_CORS_ORIGINS": f"https://ok.example,{value}"})
    assert "GEO_NTM_CORS_ORIGINS=" in str(refused.value) and f"{value}: an origin is scheme://host" in str(
        refused.value
    )
