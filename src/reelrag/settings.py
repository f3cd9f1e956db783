"""Frozen settings, resolved once at the edge.

Precedence, lowest first: built-in defaults < ``reelrag.toml`` (in the working directory, or the
file named by ``REELRAG_CONFIG``) < ``REELRAG_*`` environment variables < explicit overrides
(CLI flags, keyword arguments). :attr:`Settings.sources` records where each value came from, so
``reelrag config`` can show it. This is the only module that reads the environment.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reelrag.errors import ConfigError

ENV_PREFIX = "REELRAG_"
CONFIG_FILE = "reelrag.toml"


@dataclass(frozen=True)
class Settings:
    """Every tunable of ReelRAG. Each field is documented in docs/settings.md (a test checks)."""

    workspace: Path = Path("reelrag-workspace")
    store: str = ""  # object-store URI; "" means <workspace>/store
    index_uri: str = ""  # index location; "" means <workspace>/index
    captioner: str = "metadata"
    embedder: str = "minilm"
    index: str = "lancedb"
    generator: str = "camera"
    editor: str = "opencv"
    minilm_path: str = ""  # folder with the MiniLM files; "" means the bundled package
    max_image_pixels: int = 120_000_000
    normalized_max_px: int = 2048
    thumbnail_px: int = 256
    ingest_batch: int = 256
    ingest_workers: int = 0  # 0 means one per CPU core
    min_score: float = 0.35
    search_limit: int = 5
    rrf_k: int = 60
    ann_min_rows: int = 50_000
    width: int = 1280
    height: int = 720
    fps: int = 24
    duration_s: float = 6.0
    video_crf: int = 20
    video_preset: str = "veryfast"
    concurrency: int = 2
    max_attempts: int = 3
    job_timeout_s: float = 3600.0
    lease_s: float = 60.0
    server_host: str = "127.0.0.1"
    server_port: int = 8765
    server_token: str = ""
    sources: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)

    @property
    def store_uri(self) -> str:
        return self.store or str(self.workspace / "store")

    @property
    def index_location(self) -> str:
        return self.index_uri or str(self.workspace / "index")

    @property
    def catalog_path(self) -> Path:
        return self.workspace / "catalog.sqlite"

    @property
    def jobs_path(self) -> Path:
        return self.workspace / "jobs.sqlite"

    @property
    def outputs_dir(self) -> Path:
        return self.workspace / "outputs"

    def public_dict(self) -> dict[str, Any]:
        """Values as JSON-friendly strings; secrets masked."""
        out: dict[str, Any] = {}
        for name in field_names():
            value = getattr(self, name)
            if name.endswith("token") and value:
                value = "***"
            out[name] = str(value) if isinstance(value, Path) else value
        return out


def field_names() -> list[str]:
    return [f.name for f in dataclasses.fields(Settings) if f.name != "sources"]


def load_settings(
    overrides: Mapping[str, Any] | None = None,
    *,
    config_file: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Resolve settings from defaults, the config file, the environment and ``overrides``.

    ``None`` values in ``overrides`` mean "not given" and are ignored.

    >>> load_settings({"fps": 30}, environ={}).fps
    30
    """
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    sources: dict[str, str] = {name: "default" for name in field_names()}
    path = config_file or _config_path(env)
    layers = [
        (_read_toml(path) if path else {}, f"file:{path}"),
        (_from_env(env), "env"),
        ({k: v for k, v in (overrides or {}).items() if v is not None}, "flag"),
    ]
    for layer, source in layers:
        for name, raw in layer.items():
            values[name] = _convert(name, raw, source)
            sources[name] = source
    return Settings(**values, sources=sources)


def _config_path(env: Mapping[str, str]) -> Path | None:
    if env.get(f"{ENV_PREFIX}CONFIG"):
        return Path(env[f"{ENV_PREFIX}CONFIG"])
    local = Path(CONFIG_FILE)
    return local if local.is_file() else None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"config file {path} does not exist", hint="fix REELRAG_CONFIG") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from exc
    section = data.get("reelrag", data)
    unknown = set(section) - set(field_names())
    if unknown:
        raise ConfigError(
            f"unknown setting(s) in {path}: {', '.join(sorted(unknown))}",
            hint="see docs/settings.md for the names",
        )
    return dict(section)


def _from_env(env: Mapping[str, str]) -> dict[str, str]:
    out = {}
    for name in field_names():
        key = ENV_PREFIX + name.upper()
        if key in env and env[key] != "":
            out[name] = env[key]
    return out


def _convert(name: str, raw: Any, source: str) -> Any:
    if name not in field_names():
        raise ConfigError(f"unknown setting {name!r} (from {source})", hint="see docs/settings.md")
    target = typing.get_type_hints(Settings)[name]
    try:
        if target is Path:
            return Path(raw).expanduser()
        if target is bool and isinstance(raw, str):
            return raw.strip().lower() in ("1", "true", "yes", "on")
        return target(raw)
    except (TypeError, ValueError) as exc:
        raise ConfigError(
            f"setting {name}={raw!r} (from {source}) is not a valid {target.__name__}"
        ) from exc
