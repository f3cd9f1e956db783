"""The one registry of backends, by kind and name.

Built-in backends and third-party ones are registered the same way: a ``kind.name`` key mapped to
a lazy ``"module:attribute"`` target, so heavy dependencies (torch, boto3) load only when the
backend is used. Third-party packages add targets through the ``reelrag`` entry-point group, e.g.
``generator.mymodel = mypkg.video:MyGenerator``.

Every backend class exposes ``from_settings(settings, **context) -> instance``; build one with
:meth:`Registry.create`.
"""

from __future__ import annotations

import importlib
import logging
from importlib.metadata import entry_points
from typing import Any

from reelrag.errors import MissingDependencyError, NotFoundError
from reelrag.settings import Settings

log = logging.getLogger(__name__)

KINDS = (
    "store",
    "source",
    "captioner",
    "embedder",
    "index",
    "editor",
    "generator",
    "voice",
    "verifier",
)

BUILTINS: dict[str, str] = {
    "store.file": "reelrag.storage.local:LocalStore",
    "store.memory": "reelrag.storage.memory:MemoryStore",
    "source.file": "reelrag.library.sources:FileSource",
    "captioner.metadata": "reelrag.captioning.metadata:MetadataCaptioner",
    "embedder.minilm": "reelrag.embeddings.minilm:MiniLMEmbedder",
    "index.lancedb": "reelrag.index.lance.index:LanceIndex",
    "generator.camera": "reelrag.generation.camera.render:CameraGenerator",
    "store.s3": "reelrag.storage.s3:S3Store",
    "captioner.bedrock": "reelrag.captioning.bedrock:BedrockCaptioner",
    "embedder.titan": "reelrag.embeddings.titan:TitanEmbedder",
    "embedder.nova": "reelrag.embeddings.nova:NovaEmbedder",
    "generator.bedrock": "reelrag.generation.bedrock.generator:BedrockGenerator",
    "generator.diffusers": "reelrag.generation.diffusers.generator:DiffusersVideoGenerator",
    "captioner.transformers": "reelrag.captioning.transformers:TransformersCaptioner",
    "embedder.clip": "reelrag.embeddings.clip:ClipEmbedder",
    "editor.opencv": "reelrag.editing.opencv:OpenCVEditor",
    "editor.bedrock": "reelrag.editing.bedrock.stability:StabilityEditor",
    "editor.diffusers": "reelrag.editing.diffusers:DiffusersEditor",
    "index.opensearch": "reelrag.index.opensearch.index:OpenSearchIndex",
    "source.s3": "reelrag.library.s3source:S3Source",
    "voice.espeak": "reelrag.reel.voice:EspeakVoice",
    "voice.polly": "reelrag.reel.polly:PollyVoice",
    "verifier.minilm": "reelrag.matching.minilm_verifier:MiniLMVerifier",
    "verifier.onnx": "reelrag.matching.onnx_verifier:OnnxVerifier",
    "verifier.transformers": "reelrag.matching.transformers_verifier:TransformersVerifier",
}

# Which pip extra provides the modules a backend needs, for the error message on a miss.
EXTRAS: dict[str, str] = {
    "torch": "local",
    "diffusers": "local",
    "transformers": "local",
    "boto3": "aws",
    "botocore": "aws",
    "opensearchpy": "aws",
}


class Registry:
    """Backends by ``kind.name``; lookups list the known names on a miss."""

    def __init__(self) -> None:
        self._targets: dict[str, object] = {}
        self._loaded_entry_points = False

    def register(self, kind: str, name: str, target: object) -> None:
        if kind not in KINDS:
            raise ValueError(f"unknown backend kind {kind!r}; kinds are {', '.join(KINDS)}")
        self._targets[f"{kind}.{name}"] = target

    def unregister(self, kind: str, name: str) -> None:
        """Forget ``kind.name`` (a backend registered for a while, as tests do)."""
        self._targets.pop(f"{kind}.{name}", None)

    def names(self, kind: str) -> list[str]:
        self._load_entry_points()
        prefix = f"{kind}."
        return sorted(k[len(prefix) :] for k in self._targets if k.startswith(prefix))

    def get(self, kind: str, name: str) -> Any:
        """The backend class (or factory) registered as ``kind.name``."""
        self._load_entry_points()
        target = self._targets.get(f"{kind}.{name}")
        if target is None:
            known = ", ".join(self.names(kind)) or "none"
            raise NotFoundError(f"unknown {kind} backend {name!r}", hint=f"known: {known}")
        return _resolve(target) if isinstance(target, str) else target

    def create(self, kind: str, name: str, settings: Settings, **context: Any) -> Any:
        """Instantiate ``kind.name``: ``from_settings(settings, **context)``, the one factory.

        ``context`` carries what a kind needs beyond settings (an index: the embedder's
        ``identity``).
        """
        return self.get(kind, name).from_settings(settings, **context)

    def _load_entry_points(self) -> None:
        if self._loaded_entry_points:
            return
        self._loaded_entry_points = True
        for ep in entry_points(group="reelrag"):
            kind, _, name = ep.name.partition(".")
            if kind in KINDS and name:
                self._targets.setdefault(ep.name, ep.value)
            else:
                log.warning("ignoring entry point %r: name must be 'kind.name'", ep.name)


def _resolve(target: str) -> Any:
    module_name, _, attr = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        missing = (exc.name or "").split(".")[0]
        if missing == "reelrag":
            raise NotFoundError(
                f"backend module {module_name} is missing from this install"
            ) from exc
        extra = EXTRAS.get(missing)
        hint = f"pip install 'reelrag[{extra}]'" if extra else f"pip install {missing}"
        raise MissingDependencyError(f"{target} needs the module {missing!r}", hint=hint) from exc
    return getattr(module, attr)


registry = Registry()
for _key, _target in BUILTINS.items():
    _kind, _, _name = _key.partition(".")
    registry.register(_kind, _name, _target)
