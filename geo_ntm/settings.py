"""All settings in one place, read from environment variables prefixed ``GEO_NTM_``."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

#: The repository (or install) root: the folder holding geo_ntm/, api/, maps/.
PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    db: str  # a file path (embedded GeoPackage store) or a postgresql:// URL
    data_dir: Path  # the shared data folder with the boundary files and status samples
    assets_dir: Path  # node_modules folder holding Leaflet, installed from the npm registry
    host: str
    port: int
    log_level: str
    tokens_file: Path | None = None  # lines "name role token" (see api/auth.py); no file: every write is refused
    read_token_required: bool = False  # reads need a valid token too
    max_upload_mb: float = 50  # largest request body (an upload) accepted, in MB
    thresholds_file: Path | None = None  # a TOML file of thresholds over the shipped ones (infrastructure.thresholds)
    db_pool_size: int = 10  # PostGIS: connections the service keeps and shares (0: a new connection per request)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> "Settings":
        env = os.environ if environ is None else environ
        return cls(
            db=env.get("GEO_NTM_DB", str(PROJECT_ROOT / "var" / "geo_ntm.gpkg")),
            data_dir=Path(env.get("GEO_NTM_DATA_DIR", str(PROJECT_ROOT.parent / "shared" / "data"))),
            assets_dir=Path(env.get("GEO_NTM_ASSETS_DIR", str(PROJECT_ROOT / "node_modules"))),
            host=env.get("GEO_NTM_HOST", "127.0.0.1"),
            port=int(env.get("GEO_NTM_PORT", "8000")),
            log_level=env.get("GEO_NTM_LOG_LEVEL", "INFO"),
            tokens_file=Path(env["GEO_NTM_TOKENS"]) if env.get("GEO_NTM_TOKENS") else None,
            read_token_required=env.get("GEO_NTM_READ_TOKEN_REQUIRED", "0").lower() in ("1", "true", "yes"),
            max_upload_mb=float(env.get("GEO_NTM_MAX_UPLOAD_MB", "50")),
            thresholds_file=Path(env["GEO_NTM_THRESHOLDS"]) if env.get("GEO_NTM_THRESHOLDS") else None,
            db_pool_size=int(env.get("GEO_NTM_DB_POOL_SIZE", "10")),
        )
