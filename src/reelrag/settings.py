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
    min_score: float = 0.45  # 'no good match' threshold on the match confidence in [0, 1]
    match_every_word: bool = False  # a caption must support each word of a multi-word query
    match_objects: bool = True  # a caption naming no kind of the query's object must stand out more
    match_learned: bool = True  # the fitted acceptance model weighs the evidence (MiniLM only)
    verifier: str = "auto"  # caption + query pair classifier: auto | minilm | onnx | transformers
    verifier_model: str = ""  # folder with tokenizer.json + model.onnx, or a hub id
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
    server_allowed_hosts: str = ""  # extra Host names the server answers to (comma-separated)
    server_json_max_mb: float = 8.0  # largest JSON request body `reelrag serve` accepts
    backend_concurrency: str = ""  # per-backend job limits, e.g. "bedrock=2,diffusers=1"
    fit_mode: str = "cover"  # images to the model size: cover | pad | blur | extend | auto
    camera_max_crop_zoom: float = 1.4  # camera moves: most extra crop-in beyond a plain cover
    qa_check: bool = True  # check every output (reelrag check) and record it in the manifest
    qa_retries: int = 0  # generative backends: new-seed re-generations when the check fails
    fit_min_saliency: float = 0.8  # auto mode pads when a crop would keep less of the subject
    aws_region: str = ""  # AWS region for Bedrock/S3; else AWS_REGION, else the SDK's own chain
    aws_profile: str = ""  # named AWS profile; "" means the default credential chain
    aws_max_attempts: int = 5  # tries per AWS call, the first included (botocore retries)
    aws_read_timeout_s: float = 300.0  # socket read timeout for AWS calls
    s3_output_uri: str = ""  # s3://bucket/prefix where Bedrock writes generated videos
    bedrock_video_model: str = "luma.ray-v2:0"  # amazon.nova-reel-v1:0 | v1:1 | luma.ray-v2:0
    bedrock_caption_model: str = "us.amazon.nova-2-lite-v1:0"  # Converse model or profile id
    bedrock_caption_prompt: str = ""  # "" means the built-in captioning prompt
    titan_dim: int = 1024  # Titan multimodal embedding length: 256 | 384 | 1024
    lifecycle_check: bool = True  # check Bedrock model lifecycle (warn Legacy, refuse EOL)
    lifecycle_cache_s: float = 86400.0  # keep lifecycles read from AWS this long; 0 = each process
    nova_dim: int = 1024  # Nova Multimodal Embeddings length: 256 | 384 | 1024 | 3072
    nova_batch_role_arn: str = ""  # service role for Nova batch inference; "" = never batch
    nova_batch_min: int = 100  # texts/images in one embed call from which a batch job is used
    nova_batch_uri: str = ""  # s3:// prefix for batch input/output; "" = <s3_output_uri>/nova-batch
    bedrock_price_per_second_usd: float = 0.0  # video price override; 0 uses the model default
    bedrock_poll_s: float = 15.0  # seconds between status polls of a Bedrock video job
    hybrid_text_weight: float = 0.5  # weight of an all-terms keyword match in the hybrid score
    ann_nprobes: int = 32  # IVF partitions probed per vector query once an ANN index exists
    video_x264_params: str = "bframes=0"  # extra x264 options; no B-frames = even frame quality
    models_dir: str = ""  # folder of local model folders (<org>/<name>); "" means the HF cache only
    local_files_only: bool = False  # never download model files (HF_HUB_OFFLINE=1 does the same)
    device: str = "auto"  # torch device for local models: auto | cuda | cuda:N | mps | cpu
    dtype: str = "auto"  # torch dtype for local models: auto | bfloat16 | float16 | float32
    diffusers_video_model: str = "Lightricks/LTX-Video"  # hub id or folder (see diffusers/rules)
    diffusion_steps: int = 0  # denoising steps per clip; 0 means the model's recommended count
    cpu_offload: str = "none"  # none | model | sequential (diffusers offloading; needs a GPU)
    vae_tiling: bool = False  # decode video latents in tiles (less GPU memory, a little slower)
    vae_slicing: bool = False  # decode one video of a batch at a time
    attention_backend: str = ""  # diffusers attention backend (e.g. flash, sage); "" = default SDPA
    clip_model: str = "openai/clip-vit-base-patch32"  # CLIP or SigLIP id/folder for embedder "clip"
    caption_model: str = "florence-community/Florence-2-base"  # Florence-2 or BLIP id/folder
    caption_batch: int = 8  # images per forward pass of the transformers captioner
    model_idle_s: float = 300.0  # free a loaded local model after this long unused; 0 = keep
    mask_threshold: int = 128  # mask grey levels >= this mean "edit" (binarised, reported)
    inpaint_radius_px: int = 5  # neighbourhood radius of the OpenCV in-painting editor
    bedrock_edit_model: str = "us.stability.stable-image-inpaint-v1:0"  # or amazon.nova-canvas-v1:0
    upload_max_mb: float = 25.0  # largest upload `reelrag serve` accepts (images, prompt files)
    opensearch_endpoint: str = ""  # https URL of an OpenSearch domain or Serverless collection
    opensearch_index: str = "reelrag-assets"  # OpenSearch index name for index = "opensearch"
    opensearch_serverless: bool = False  # Serverless collection: no custom ids, SigV4 "aoss"
    opensearch_engine: str = "faiss"  # k-NN engine, always set explicitly: faiss | lucene | nmslib
    opensearch_space: str = "innerproduct"  # k-NN space: innerproduct | cosinesimil | l2
    opensearch_auth: str = "sigv4"  # sigv4 (AWS IAM) | none (local cluster; URL may hold user:pass)
    opensearch_knn: bool = True  # k-NN queries on the server; false scores vectors in the client
    opensearch_timeout_s: float = 30.0  # socket timeout of one OpenSearch request
    s3_endpoint_url: str = ""  # custom S3 endpoint (MinIO, moto); "" means AWS's own
    diffusers_inpaint_model: str = "stable-diffusion-v1-5/stable-diffusion-inpainting"  # id/folder
    inpaint_steps: int = 0  # denoising steps per diffusers edit; 0 = the model's recommended
    inpaint_guidance: float = 0.0  # prompt guidance of diffusers edits; 0 = the model's own
    minilm_runtime: str = "auto"  # MiniLM runtime: auto (onnx if installed) | onnx | numpy
    minilm_threads: int = 0  # MiniLM onnxruntime threads; 0: min(2, CPUs), 1 for one query
    cache_dir: str = ""  # built-model cache; "" means $XDG_CACHE_HOME/reelrag or ~/.cache/reelrag
    jobs_url: str = ""  # job store: "" = <workspace>/jobs.sqlite, a SQLite path, or postgresql://…
    backend_caps: str = ""  # running jobs per backend across all workers, e.g. "bedrock=20"
    executor: str = "local"  # where jobs run: local (threads in the worker) | ray
    ray_address: str = ""  # Ray cluster to join (e.g. "auto", "ray://head:10001"); "" = start one
    reel_loudness_lufs: float = -16.0  # integrated loudness of a reel's mix (BS.1770 / EBU R128)
    reel_duck_db: float = 12.0  # how far the music bed drops under a voice-over line
    reel_voice: str = "espeak"  # TTS backend for voice-over text: espeak (offline) | polly
    espeak_voice: str = "en"  # espeak-ng voice name (espeak-ng --voices)
    polly_voice: str = "Joanna"  # Amazon Polly voice id (neural engine)
    bedrock_storyboard_model: str = ""  # Converse model for `reel --brief`; "" = caption model
    sign_outputs: bool = True  # sign clips, edited images and reels with Content Credentials
    sign_cert: str = ""  # PEM certificate chain for signing; "" = the workspace's test cert
    sign_key: str = ""  # PEM private key matching sign_cert; "" = the workspace's test key
    sign_alg: str = "es256"  # signature algorithm of sign_key: es256 | es384 | ps256 | ed25519
    trust_anchors: str = ""  # PEM file of root certificates `reelrag verify` trusts
    sources: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)

    @property
    def cache_path(self) -> Path:
        """The cache folder: ``cache_dir``, else ``~/.cache/reelrag``."""
        return (
            Path(self.cache_dir).expanduser() if self.cache_dir else Path.home() / ".cache/reelrag"
        )

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
        """The SQLite job store's file (unused when ``jobs_url`` names a PostgreSQL database)."""
        if self.jobs_url and not self.jobs_on_postgres:
            return Path(self.jobs_url.removeprefix("sqlite://")).expanduser()
        return self.workspace / "jobs.sqlite"

    @property
    def jobs_on_postgres(self) -> bool:
        return self.jobs_url.startswith(("postgresql://", "postgres://"))

    @property
    def backend_limits(self) -> dict[str, int]:
        """``backend_concurrency`` parsed: jobs at once per backend in one worker."""
        return parse_limits(self.backend_concurrency, "backend_concurrency")

    @property
    def backend_cap_limits(self) -> dict[str, int]:
        """``backend_caps`` parsed: running jobs per backend across every worker."""
        return parse_limits(self.backend_caps, "backend_caps")

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
            elif name == "jobs_url":
                value = redact_url(value)
            out[name] = str(value) if isinstance(value, Path) else value
        return out


def redact_url(url: str) -> str:
    """``url`` without its password, for messages and ``reelrag config``.

    >>> redact_url("postgresql://me:secret@db:5432/jobs")
    'postgresql://me:***@db:5432/jobs'
    """
    scheme, sep, rest = url.partition("://")
    creds, at, host = rest.rpartition("@")
    if not at or ":" not in creds:
        return url
    return f"{scheme}{sep}{creds.split(':', 1)[0]}:***@{host}"


def parse_limits(text: str, setting: str = "backend_concurrency") -> dict[str, int]:
    """``"simulated=5,bedrock=2"`` -> {"simulated": 5, "bedrock": 2}.

    >>> parse_limits("simulated=5, bedrock=2")
    {'simulated': 5, 'bedrock': 2}
    """
    limits: dict[str, int] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, sep, value = part.partition("=")
        if not sep or not value.strip().isdigit() or int(value) < 1:
            raise ConfigError(
                f"{setting} entry {part!r} is not NAME=N", hint="e.g. simulated=5,camera=1"
            )
        limits[name.strip()] = int(value)
    return limits


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
    if "aws_region" not in values and env.get("AWS_REGION"):  # the AWS SDKs' own variable
        values["aws_region"] = env["AWS_REGION"]  # (boto3 itself reads AWS_DEFAULT_REGION only)
        sources["aws_region"] = "env:AWS_REGION"
    if "cache_dir" not in values and env.get("XDG_CACHE_HOME"):  # the XDG base-dir convention
        values["cache_dir"] = str(Path(env["XDG_CACHE_HOME"]) / "reelrag")
        sources["cache_dir"] = "env:XDG_CACHE_HOME"
    return Settings(**values, sources=sources)


def config_file_path(environ: Mapping[str, str] | None = None) -> Path:
    """The config file that settings are read from (``REELRAG_CONFIG``, else ./reelrag.toml),
    whether it exists yet or not: where ``reelrag calibrate --apply`` writes."""
    env = os.environ if environ is None else environ
    return Path(env.get(f"{ENV_PREFIX}CONFIG") or CONFIG_FILE)


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


_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


def _boolean(raw: str) -> bool:
    """A boolean from text; anything but the usual words is an error, not a silent false."""
    word = raw.strip().lower()
    if word not in _TRUE + _FALSE:
        raise ValueError(f"{raw!r} is not one of {', '.join(_TRUE + _FALSE)}")
    return word in _TRUE


def _convert(name: str, raw: Any, source: str) -> Any:
    if name not in field_names():
        raise ConfigError(f"unknown setting {name!r} (from {source})", hint="see docs/settings.md")
    target = typing.get_type_hints(Settings)[name]
    try:
        if target is Path:
            return Path(raw).expanduser()
        if target is bool and isinstance(raw, str):
            return _boolean(raw)
        return target(raw)
    except (TypeError, ValueError) as exc:
        raise ConfigError(
            f"setting {name}={raw!r} (from {source}) is not a valid {target.__name__}"
        ) from exc
