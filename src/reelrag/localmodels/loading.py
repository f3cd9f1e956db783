"""Loading local open models: extras, devices, dtypes and where the weights come from.

Owns the rules every local backend (diffusers video, transformers captions, CLIP embeddings,
diffusers in-painting) shares:

* :func:`require` imports an optional module or raises a one-line
  :class:`~reelrag.errors.MissingDependencyError` naming ``pip install 'reelrag[local]'``;
* :func:`resolve_device` / :func:`resolve_dtype` turn the ``device`` / ``dtype`` settings into
  torch values, refusing devices this machine does not have;
* :func:`model_source` finds a model's files: a folder path, ``<models_dir>/<org>/<name>`` (or
  ``<org>--<name>``), the Hugging Face cache, or -- only when downloads are allowed -- the Hub.
  ``HF_HUB_OFFLINE=1`` (read by huggingface_hub itself) and the ``local_files_only`` setting both
  forbid downloads, and a missing model then says exactly where to put its folder;
* :func:`load_pretrained` calls ``cls.from_pretrained`` on that source and translates the
  libraries' exceptions at this boundary.
"""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from reelrag.errors import ConfigError, MissingDependencyError, first_line
from reelrag.settings import Settings

log = logging.getLogger(__name__)

INSTALL_HINT = "pip install 'reelrag[local]'"
DTYPES = {
    "bfloat16": "bfloat16",
    "bf16": "bfloat16",
    "float16": "float16",
    "fp16": "float16",
    "half": "float16",
    "float32": "float32",
    "fp32": "float32",
    "float": "float32",
}


def require(module: str) -> ModuleType:
    """Import ``module`` (torch, diffusers, transformers, ...) or say which extra installs it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        missing = (getattr(exc, "name", None) or module).split(".")[0]
        raise MissingDependencyError(
            f"local models need the Python package {missing!r}, which is not installed",
            hint=f"{INSTALL_HINT} (or pip install {missing})",
        ) from exc


def resolve_device(name: str) -> str:
    """The torch device for the ``device`` setting: auto | cuda | cuda:N | mps | cpu."""
    torch: Any = require("torch")
    wanted = (name or "auto").strip().lower()
    if wanted == "auto":
        if torch.cuda.is_available():
            return "cuda"
        mps = getattr(torch.backends, "mps", None)
        return "mps" if mps is not None and mps.is_available() else "cpu"
    if wanted == "cpu":
        return "cpu"
    if wanted == "mps":
        mps = getattr(torch.backends, "mps", None)
        if mps is None or not mps.is_available():
            raise ConfigError(
                "device 'mps' is not available on this machine",
                hint="set device=auto or device=cpu",
            )
        return "mps"
    if wanted == "cuda" or wanted.startswith("cuda:"):
        return _cuda_device(torch, wanted)
    raise ConfigError(f"unknown device {name!r}", hint="use auto, cuda, cuda:N, mps or cpu")


def _cuda_device(torch: Any, wanted: str) -> str:
    if not torch.cuda.is_available():
        why = "this torch build has no CUDA" if torch.version.cuda is None else "no CUDA GPU found"
        raise ConfigError(
            f"device {wanted!r} is not available: {why}",
            hint="set device=cpu (slow) or run on a machine with an NVIDIA GPU",
        )
    index = wanted.partition(":")[2]
    if index and (not index.isdigit() or int(index) >= torch.cuda.device_count()):
        raise ConfigError(
            f"device {wanted!r} does not exist: {torch.cuda.device_count()} CUDA device(s) found",
            hint="use cuda:0 .. cuda:N-1",
        )
    return wanted


def resolve_dtype(name: str, device: str) -> Any:
    """The torch dtype for the ``dtype`` setting on ``device``.

    ``auto`` is bfloat16 on GPUs that support it (float16 otherwise and on Apple MPS) and float32
    on the CPU, where half precision is slow or unsupported.
    """
    torch: Any = require("torch")
    wanted = (name or "auto").strip().lower()
    if wanted == "auto":
        if device.startswith("cuda"):
            return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        return torch.float16 if device == "mps" else torch.float32
    if wanted not in DTYPES:
        raise ConfigError(f"unknown dtype {name!r}", hint="use auto, bfloat16, float16 or float32")
    if DTYPES[wanted] == "float16" and device == "cpu":
        raise ConfigError(
            "dtype float16 is not supported on the CPU",
            hint="use dtype=float32 (or bfloat16) with device=cpu",
        )
    return getattr(torch, DTYPES[wanted])


@dataclass(frozen=True)
class ModelSource:
    """Where a model's files are: ``location`` is a folder (``local``) or a Hub repository id."""

    model: str  # what the user asked for
    location: str
    local: bool
    offline: bool  # downloads forbidden

    def describe(self) -> dict[str, Any]:
        return {"model": self.model, "location": self.location, "local": self.local}


def downloads_forbidden(settings: Settings) -> bool:
    """True when ``local_files_only`` is set or huggingface_hub runs offline (HF_HUB_OFFLINE)."""
    if settings.local_files_only:
        return True
    try:
        from huggingface_hub import constants
    except ImportError:
        return True  # without the hub client nothing can be downloaded anyway
    return bool(constants.HF_HUB_OFFLINE)


def local_candidates(model: str, models_dir: str) -> list[Path]:
    """Folders that may hold ``model``: itself as a path, then under ``models_dir``."""
    candidates = [Path(model).expanduser()]
    if models_dir:
        root = Path(models_dir).expanduser()
        candidates += [root / model, root / model.replace("/", "--"), root / model.split("/")[-1]]
    return candidates


def model_source(model: str, settings: Settings) -> ModelSource:
    """Find ``model`` (hub id or folder) without downloading anything.

    Raises :class:`MissingDependencyError` when the files are not on this machine and downloads
    are forbidden; otherwise a hub id not found locally is returned for ``from_pretrained`` to
    fetch into the Hugging Face cache.
    """
    if not model.strip():
        raise ConfigError("no model was configured", hint="set the model id or folder in settings")
    offline = downloads_forbidden(settings)
    for folder in local_candidates(model, settings.models_dir):
        if folder.is_dir():
            return ModelSource(model, str(folder), True, offline)
    if _looks_like_path(model):
        raise MissingDependencyError(
            f"model folder {model} does not exist",
            hint="check the path, or give a Hugging Face model id",
        )
    cached = _hf_cached(model)
    if cached is not None:
        return ModelSource(model, cached, True, offline)
    if offline:
        raise MissingDependencyError(
            f"the weights of {model!r} are not on this machine and downloads are off "
            "(HF_HUB_OFFLINE or local_files_only)",
            hint=_where_hint(model, settings),
        )
    return ModelSource(model, model, False, offline)


def _looks_like_path(model: str) -> bool:
    return model.startswith((".", "/", "~")) or model.count("/") > 1 or "\\" in model


def _hf_cached(repo_id: str) -> str | None:
    """The Hugging Face cache's snapshot folder for ``repo_id``, if it was downloaded before."""
    try:
        from huggingface_hub import snapshot_download
        from huggingface_hub.errors import HFValidationError, LocalEntryNotFoundError
    except ImportError:
        return None
    try:
        return str(snapshot_download(repo_id, local_files_only=True))
    except (LocalEntryNotFoundError, HFValidationError, OSError, ValueError):
        return None


def _where_hint(model: str, settings: Settings) -> str:
    models_dir = settings.models_dir
    place = (
        f"put its folder at {Path(models_dir).expanduser() / model}"
        if models_dir
        else "set models_dir and put its folder at <models_dir>/" + model
    )
    return f"{place}, or run `huggingface-cli download {model}` on a machine with network"


def load_pretrained(cls: Any, source: ModelSource, **kwargs: Any) -> Any:
    """``cls.from_pretrained(source)`` with the library errors translated to ReelRAG errors."""
    log.info("loading %s from %s", getattr(cls, "__name__", cls), source.location)
    try:
        return cls.from_pretrained(
            source.location, local_files_only=source.offline or source.local, **kwargs
        )
    except ImportError as exc:
        raise MissingDependencyError(
            f"loading {source.model} needs a package that is missing: {exc}",
            hint=INSTALL_HINT,
        ) from exc
    except (OSError, ValueError, KeyError) as exc:
        first = first_line(exc)
        raise MissingDependencyError(
            f"cannot load {source.model} from {source.location}: {first}",
            hint="check the folder holds a complete save_pretrained() copy of the model"
            if source.local
            else f"check the network, or download it first with "
            f"`huggingface-cli download {source.model}` and set models_dir",
        ) from exc
