"""All settings in one place, read from environment variables prefixed ``GEO_NTM_`` and validated
(``docs/settings.md`` lists them). A value that does not fit is refused with a message naming the
variable, e.g. ``GEO_NTM_PORT='80a' is not valid: Input should be a valid integer ...``."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, EnvSettingsSource, NoDecode, PydanticBaseSettingsSource, SettingsConfigDict

from geo_ntm.errors import InputError

#: The repository (or install) root: the folder holding geo_ntm/, api/, maps/.
PROJECT_ROOT = Path(__file__).resolve().parent.parent

ENV_PREFIX = "GEO_NTM_"

#: An origin of the CORS setting: http(s)://host[:port], no path.
_ORIGIN = re.compile(r"https?://[^/\s:,]+(:\d{1,5})?")

#: Log levels both ``logging`` and uvicorn know (``trace`` is uvicorn's, below debug).
LOG_LEVELS = ("critical", "error", "warning", "info", "debug", "trace")


class SettingsError(InputError):
    """An environment variable holds a value the setting cannot take; nothing was started."""


class Settings(BaseSettings):
    """The service's and the command line's settings; ``Settings.from_env()`` reads them."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_ignore_empty=True,  # GEO_NTM_TOKENS= (empty) means "not set", as before
        extra="ignore",  # other GEO_NTM_* variables (GEO_NTM_ARTIFACTS_DIR of the tests) are not settings
        frozen=True,
        validate_default=False,
        populate_by_name=True,  # Settings(tokens_file=...) as well as GEO_NTM_TOKENS
    )

    db: str = str(PROJECT_ROOT / "var" / "geo_ntm.gpkg")  # a file path (GeoPackage store) or a postgresql:// URL
    data_dir: Path = PROJECT_ROOT.parent / "shared" / "data"  # the shared data folder: boundary files, status samples
    assets_dir: Path = PROJECT_ROOT / "node_modules"  # node_modules folder holding Leaflet (from the npm registry)
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    log_level: str = "INFO"
    # lines "name role token" (see api/auth.py); no file: every write is refused
    tokens_file: Path | None = Field(default=None, validation_alias=AliasChoices("tokens_file", "GEO_NTM_TOKENS"))
    read_token_required: bool = False  # reads need a valid token too
    max_upload_mb: float = Field(default=50, gt=0)  # largest request body (an upload) accepted, in MB
    # a TOML file of thresholds over the shipped ones (infrastructure.thresholds)
    thresholds_file: Path | None = Field(
        default=None, validation_alias=AliasChoices("thresholds_file", "GEO_NTM_THRESHOLDS")
    )
    # a folder of a province's own criteria sets (TOML, docs/status-files.md#frameworks); POST /frameworks writes there
    frameworks_dir: Path | None = None
    db_pool_size: int = Field(default=10, ge=0)  # PostGIS: connections kept and shared (0: one per request)
    # hostile-input ceilings of the importers (docs/settings.md#limits-of-imports)
    max_raster_cells: int = Field(default=250_000_000, gt=0)  # cells of a population raster's band (width x height)
    max_sheet_rows: int = Field(default=1_048_576, gt=0)  # rows of one status sheet or CSV (Excel's own limit)
    max_sheet_cells: int = Field(default=50_000_000, gt=0)  # cells (rows x columns read) of one status sheet or CSV
    max_xlsx_strings_mb: float = Field(default=200, gt=0)  # a workbook's shared strings, uncompressed, in MB
    # each upload's import runs in a worker process with these limits (docs/settings.md#limits-of-imports)
    import_max_mb: float = Field(default=1536, gt=0)  # the worker's address space (RLIMIT_AS), in MB
    import_max_seconds: float = Field(default=300, gt=0)  # the worker's wall-clock time, in seconds
    import_workers: int = Field(default=2, ge=1)  # uploads imported at once (each within import_max_mb)
    # long computations (coverage tables) run as background jobs in worker processes with these limits
    # (docs/settings.md#background-jobs)
    job_max_mb: float = Field(default=2048, gt=0)  # a job worker's address space (RLIMIT_AS), in MB
    job_max_seconds: float = Field(default=1800, gt=0)  # a job's wall-clock time, in seconds
    job_workers: int = Field(default=1, ge=1)  # jobs run at once (each within job_max_mb); others queue
    job_wait_seconds: float = Field(default=2, ge=0)  # how long a request waits for its job before 202
    # each process keeps the 200 answers of the data routes in memory, up to this size (docs/http.md); 0: none
    response_cache_mb: float = Field(default=128, ge=0)
    # a folder where the service's processes write their jobs' states, so that /jobs/{id} answers on
    # any of them; geo-ntm serve --workers N (N > 1) makes one for its run when it is not set
    jobs_dir: Path | None = None
    # whether special zones (đặc khu, commune tier from 1 July 2025) are assessed by the commune
    # criteria (QĐ 51/2025, qd51_2025): unconfirmed by any source, so not by default (docs/settings.md)
    assess_dac_khu: bool = False
    # origins (scheme://host[:port]) whose pages may call the API from a browser (CORS), a comma
    # list; none by default: no CORS header at all (docs/settings.md#cors)
    cors_origins: Annotated[tuple[str, ...], NoDecode] = ()
    # where the service's background jobs compute road, water and facility answers: local (the job's
    # process) or dask (a Dask cluster, docs/settings.md#a-dask-cluster); the CLI's --engine overrides it
    engine: Literal["local", "dask"] = "local"
    # the Dask scheduler (tcp://host:8786) of the dask engine; none: a local cluster per job
    dask_scheduler: str | None = None
    # an office's own XYZ tile server under the planner's map (https://.../{z}/{x}/{y}.png); none by
    # default: the page then fetches nothing from elsewhere
    basemap_url: str | None = None

    @field_validator("basemap_url")
    @classmethod
    def _xyz_template(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not value.startswith(("http://", "https://", "/")) or not all(
            part in value for part in ("{z}", "{x}", "{y}")
        ):
            raise ValueError("must be an http(s) or /path URL template with {z}, {x} and {y}")
        return value

    @field_validator("log_level")
    @classmethod
    def _known_log_level(cls, value: str) -> str:
        if value.lower() not in LOG_LEVELS:
            raise ValueError(f"must be one of {', '.join(level.upper() for level in LOG_LEVELS)}")
        return value

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _origins(cls, value: object) -> tuple[str, ...]:
        items = value.split(",") if isinstance(value, str) else value
        if not isinstance(items, (list, tuple)):
            raise ValueError("must be a comma-separated list of origins")
        origins = tuple(str(o).strip().rstrip("/") for o in items if str(o).strip())
        bad = [o for o in origins if o != "*" and not _ORIGIN.fullmatch(o)]
        if bad:
            raise ValueError(f"{', '.join(bad)}: an origin is scheme://host[:port] (no path), or *")
        return origins

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """The settings of ``environ`` (default: the process environment); SettingsError names every
        variable whose value was refused."""
        try:
            if environ is None:
                return cls()
            return _from_mapping(cls, environ)
        except ValidationError as exc:
            raise SettingsError("settings refused", [_explain(e, environ) for e in exc.errors()]) from None


def env_setting(field: str) -> Any:
    """One setting of the process environment (its variable ``GEO_NTM_<FIELD>``), for the hot paths
    that read it on every request or unit: cached per value of the variable (a full
    ``Settings.from_env()`` takes several milliseconds)."""
    return _env_setting(field, os.environ.get(ENV_PREFIX + field.upper(), ""))


@lru_cache(maxsize=16)
def _env_setting(field: str, value: str) -> Any:
    return getattr(Settings.from_env({ENV_PREFIX + field.upper(): value}), field)


def dac_khu_assessed() -> bool:
    """``GEO_NTM_ASSESS_DAC_KHU`` of the process environment, read for every unit assessed."""
    return bool(env_setting("assess_dac_khu"))


class _MappingEnvSource(EnvSettingsSource):
    """The environment source reading an explicit mapping instead of ``os.environ`` (tests)."""

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]):
        self._environ = environ
        super().__init__(settings_cls)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return {k.lower(): v for k, v in self._environ.items() if v != ""}  # env_ignore_empty


def _from_mapping(cls: type[Settings], environ: Mapping[str, str]) -> Settings:
    # a subclass of a class given as a value: mypy cannot check it statically
    class _Explicit(cls):  # type: ignore[valid-type, misc]
        @classmethod
        def settings_customise_sources(
            cls, settings_cls, init_settings, env_settings, dotenv_settings, file_secret_settings
        ) -> tuple[PydanticBaseSettingsSource, ...]:
            return (init_settings, _MappingEnvSource(settings_cls, environ))

    values = _Explicit().model_dump()
    return cls.model_construct(**values)


def _variable(field: str) -> str:
    alias = {"tokens_file": "TOKENS", "thresholds_file": "THRESHOLDS"}.get(field, field.upper())
    return alias if alias.startswith(ENV_PREFIX) else ENV_PREFIX + alias


def _explain(error: Any, environ: Mapping[str, str] | None) -> str:
    """``GEO_NTM_PORT='80a' is not valid: Input should be a valid integer ...``."""
    loc = str(error["loc"][0]) if error.get("loc") else "?"
    variable = _variable(loc)
    env = os.environ if environ is None else environ
    shown = env.get(variable, error.get("input"))
    return f"{variable}={shown!r} is not valid: {error['msg']}"
