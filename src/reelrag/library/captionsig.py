"""Caption-input signatures: how ingest notices an edited sidecar or metadata file.

A captioner that reads files beside the image (``Captioner.reads_side_files``, the metadata
captioner) gets, per local source file, a short signature of those inputs: the sidecar
``photo.txt``'s size and mtime_ns, and a digest of the image's own row in the folder's
``metadata.jsonl`` / ``metadata.csv`` (so editing one row re-captions that image only). The
catalog keeps the signature beside the file's size and mtime; a different one means "re-caption".

Cost on the unchanged path: each folder is listed once per run; a sidecar is stat'ed only when
the listing shows one, and a metadata file is parsed once per folder when there is one.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reelrag.captioning.metadata import METADATA_FILES, load_metadata_table
from reelrag.library.sources import SourceFile

log = logging.getLogger(__name__)


@dataclass
class _Folder:
    names: frozenset[str]
    rows: dict[str, dict[str, Any]] = field(default_factory=dict)


class CaptionSignatures:
    """Signatures of caption inputs, caching one listing per folder (one ingest run)."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._folders: dict[str, _Folder] = {}

    def of(self, file: SourceFile) -> str:
        """``""`` when the file has no side inputs (or the captioner reads none)."""
        if not self.enabled or "://" in file.uri:
            return ""  # side files are only read next to local files
        folder_path = os.path.dirname(file.uri)
        folder = self._folder(folder_path)
        parts = []
        sidecar = os.path.splitext(file.name)[0] + ".txt"
        if sidecar != file.name and sidecar in folder.names:
            stamp = _stamp(os.path.join(folder_path, sidecar))
            if stamp:
                parts.append(f"txt:{stamp}")
        row = folder.rows.get(file.name)
        if row is not None:
            parts.append(f"row:{_digest(row)}")
        return " ".join(parts)

    def _folder(self, path: str) -> _Folder:
        found = self._folders.get(path)
        if found is None:
            found = self._folders[path] = _list_folder(path)
        return found


def _list_folder(path: str) -> _Folder:
    try:
        names = frozenset(os.listdir(path))
    except OSError as exc:  # the image read reports the real problem
        log.debug("cannot list %s: %s", path, exc)
        return _Folder(frozenset())
    folder = _Folder(names)
    if any(name in names for name in METADATA_FILES):
        folder.rows = load_metadata_table(Path(path))
    return folder


def _stamp(path: str) -> str:
    try:
        info = os.stat(path)
    except OSError:
        return ""
    return f"{info.st_size}:{info.st_mtime_ns}"


def _digest(row: dict[str, Any]) -> str:
    text = json.dumps(row, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]
