"""Verify any file's Content Credentials and walk its chain of ingredients.

Validation is c2pa-python's: the claim signature, the certificate chain, and the hashes that
bind the manifest to the file's bytes (an edited byte makes it Invalid). Trust comes from
``settings.trust_anchors`` plus the workspace's test CA when present -- so our own test-signed
files read "Trusted" here and "Valid" (signature sound, signer unknown) anywhere else.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reelrag.errors import ConfigError, InputError, NotFoundError
from reelrag.provenance.certs import ORG, local_ca_dir
from reelrag.provenance.sign import _c2pa
from reelrag.settings import Settings
from reelrag.types import Record

__all__ = ["Link", "Verification", "verify_file"]

MAX_DEPTH = 16


@dataclass(frozen=True)
class Link(Record):
    """One ingredient in the chain, ``depth`` levels below the file."""

    depth: int
    title: str
    relationship: str
    role: str = ""
    sha256: str = ""
    credentials: bool = False  # it carries its own signed manifest
    signer: str = ""
    source_type: str = ""


@dataclass(frozen=True)
class Verification(Record):
    """What :func:`verify_file` found."""

    path: str
    state: str  # Trusted | Valid | Invalid | Unsigned
    valid: bool
    trusted: bool
    test_certificate: bool = False
    signer: str = ""
    title: str = ""
    actions: tuple[str, ...] = ()
    source_type: str = ""
    ai_generated: bool | None = None
    failures: tuple[str, ...] = ()
    chain: tuple[Link, ...] = ()
    photos: tuple[str, ...] = ()  # every source photo in the chain


def verify_file(path: Path | str, settings: Settings | None = None) -> Verification:
    """Validate ``path``'s credentials; ``Unsigned`` when it has none."""
    c2pa = _c2pa()
    path = Path(path)
    if not path.is_file():
        raise NotFoundError(f"no file at {path}")
    try:
        reader = c2pa.Reader.try_create(str(path), context=_context(c2pa, settings))
    except c2pa.C2paError as exc:
        raise InputError(f"cannot read credentials of {path.name}: {exc}") from exc
    if reader is None:
        return Verification(str(path), "Unsigned", False, False)
    with reader:
        store = json.loads(reader.json())
        results = reader.get_validation_results() or {}
        state = reader.get_validation_state() or "Invalid"
    return _verification(path, store, results, state)


def _context(c2pa: Any, settings: Settings | None) -> Any:
    if settings is None:
        return None
    anchors = b""
    if settings.trust_anchors:
        try:
            anchors += Path(settings.trust_anchors).expanduser().read_bytes()
        except OSError as exc:
            raise ConfigError(f"cannot read trust_anchors {settings.trust_anchors}") from exc
    if (local_ca_dir(settings) / "test-ca.pem").is_file():
        anchors += (local_ca_dir(settings) / "test-ca.pem").read_bytes()
    if not anchors:
        return None
    config = {"verify": {"verify_trust": True}, "trust": {"trust_anchors": anchors.decode()}}
    return c2pa.Context.from_dict(config)


def _verification(
    path: Path, store: dict[str, Any], results: dict[str, Any], state: str
) -> Verification:
    manifests = store.get("manifests", {})
    active = manifests.get(store.get("active_manifest", ""), {})
    info = active.get("signature_info", {})
    actions = _actions(active)
    chain: list[Link] = []
    _walk(active, manifests, 1, chain)
    disclosure = _assertion(active, "org.reelrag.disclosure") or {}
    failures = [s.get("code", "") for s in store.get("validation_status", []) or []]
    failures += [
        f.get("code", "") for f in (results.get("activeManifest") or {}).get("failure", [])
    ]
    return Verification(
        path=str(path),
        state=state,
        valid=state in ("Valid", "Trusted"),
        trusted=state == "Trusted",
        test_certificate=ORG in str(info.get("issuer", "")),
        signer=f"{info.get('common_name', '')} ({info.get('issuer', '')})",
        title=str(active.get("title", "")),
        actions=tuple(a.get("action", "") for a in actions),
        source_type=next((a["digitalSourceType"] for a in actions if "digitalSourceType" in a), ""),
        ai_generated=disclosure.get("ai_generated"),
        failures=tuple(dict.fromkeys(f for f in failures if f)),
        chain=tuple(chain),
        photos=tuple(link.title for link in chain if link.role == "source photo"),
    )


def _assertion(manifest: dict[str, Any], label: str) -> Any:
    for assertion in manifest.get("assertions", []):
        if assertion.get("label") == label:
            return assertion.get("data")
    return None


def _actions(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    for label in ("c2pa.actions.v2", "c2pa.actions"):
        data = _assertion(manifest, label)
        if data:
            return list(data.get("actions", []))
    return []


def _walk(manifest: dict[str, Any], manifests: dict[str, Any], depth: int, out: list[Link]) -> None:
    if depth > MAX_DEPTH:
        return
    ours = list((_assertion(manifest, "org.reelrag.ingredients") or {}).get("ingredients", []))
    for ingredient in manifest.get("ingredients", []):
        title = str(ingredient.get("title", ""))
        entry: dict[str, Any] = next((e for e in ours if e.get("title") == title), {})
        if entry:
            ours.remove(entry)
        child = manifests.get(ingredient.get("active_manifest", ""), {})
        child_actions = _actions(child)
        out.append(
            Link(
                depth=depth,
                title=title,
                relationship=str(ingredient.get("relationship", "")),
                role=str(entry.get("role", "")),
                sha256=str(entry.get("sha256", "")),
                credentials=bool(child),
                signer=str(child.get("signature_info", {}).get("common_name", "")),
                source_type=next(
                    (a["digitalSourceType"] for a in child_actions if "digitalSourceType" in a), ""
                ),
            )
        )
        if child:
            _walk(child, manifests, depth + 1, out)
