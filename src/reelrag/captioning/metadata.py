"""The offline default captioner: captions from metadata people already wrote.

Preference order, first non-empty wins and is recorded as ``Caption.source``:

1. ``sidecar``: ``photo.txt`` beside ``photo.jpg``;
2. ``metadata-file``: ``metadata.jsonl`` or ``metadata.csv`` in the same folder (Hugging Face
   imagefolder format: ``file_name`` plus ``text`` / ``caption`` / ``description``, optional
   ``keywords`` / ``tags``), parsed once per folder;
3. ``iptc`` / ``xmp``: the embedded description (IPTC 2:120, XMP dc:description);
4. ``filename``: words from the file name (folder words join the keywords).

Keywords from every source are merged (metadata file, IPTC 2:25, XMP dc:subject, folder words).
"""

from __future__ import annotations

import csv
import json
import logging
import re
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from reelrag.captioning.base import Caption, Captioner, CaptionInput
from reelrag.captioning.sidefiles import open_regular, read_head, text_lines
from reelrag.settings import Settings

log = logging.getLogger(__name__)

TEXT_COLUMNS = ("text", "caption", "description", "prompt", "alt_text", "title")
KEYWORD_COLUMNS = ("keywords", "tags", "subjects")
METADATA_FILES = ("metadata.jsonl", "metadata.csv")
MAX_CAPTION_CHARS = 2000
SIDECAR_READ_BYTES = 16 * MAX_CAPTION_CHARS
# Camera and export prefixes that say nothing about the picture.
NOISE_WORDS = frozenset(
    {"img", "image", "dsc", "dscn", "dscf", "dsf", "pxl", "mvimg", "photo", "pic", "pict",
     "dcim", "scan", "copy", "final", "edit", "edited", "export", "jpg", "jpeg", "png", "heic",
     "webp", "tif", "tiff", "gif", "bmp", "raw", "screenshot", "untitled", "new", "file",
     "frame", "burst", "cover", "hdr", "tmp", "temp"}
)  # fmt: skip
# Folders that cameras, phones and sync apps name: their words say nothing about the picture.
# DCF folders ("100APPLE", "101_PANA", "100MSDCF"), DCIM, Android's "Camera", dated folders.
CAMERA_ROLL_FOLDER = re.compile(
    r"^(\d{3}[A-Za-z0-9_]{5}|dcim|camera|camera[ _-]?roll|camera[ _-]?uploads|screenshots"
    r"|whatsapp[ _-]?images|pictures|photos|[\d\s_.\-]+)$",
    re.IGNORECASE,
)
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_SPLIT = re.compile(r"[\s\d_\-.,;+()\[\]{}]+")  # digits split words too: "shoes2x"

MetadataTable = dict[str, dict[str, Any]]


class MetadataCaptioner(Captioner):
    """Captions from sidecars, metadata files, IPTC/XMP and file names (no pixels needed)."""

    name = "metadata"
    needs_pixels = False
    reads_side_files = True

    def __init__(self) -> None:
        # Per folder: the metadata files' (size, mtime_ns) when parsed, and their rows.
        self._tables: dict[Path, tuple[tuple[tuple[int, int], ...], MetadataTable]] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> MetadataCaptioner:
        return cls()

    def caption_batch(self, items: Sequence[CaptionInput]) -> list[Caption]:
        return [self.caption_one(item) for item in items]

    def caption_one(self, item: CaptionInput) -> Caption:
        """The best caption for one item; falls back to file-name words, never raises."""
        path = _local_path(item.path)
        found = self._from_sidecar(path) or self._from_metadata_file(path)
        found = found or _from_embedded(item.metadata)
        name_words = words_from_name(Path(item.name).stem)
        folder_words = folder_words_of(path.parent.name) if path else []
        if found is None:
            found = Caption(" ".join(name_words), tuple(name_words), "filename")
        extra = _embedded_keywords(item.metadata)
        keywords = _unique([*found.keywords, *extra, *folder_words])
        return Caption(found.text, tuple(keywords), found.source)

    def _from_sidecar(self, path: Path | None) -> Caption | None:
        if path is None:
            return None
        sidecar = path.with_suffix(".txt")
        if sidecar == path:
            return None
        # A regular file only, and only as much as a caption keeps (plus room for whitespace).
        text = read_head(sidecar, SIDECAR_READ_BYTES)
        if text is None:
            return None
        text = clean_text(text)
        return Caption(text, (), "sidecar") if text else None

    def _from_metadata_file(self, path: Path | None) -> Caption | None:
        if path is None:
            return None
        row = self._table(path.parent).get(path.name)
        if not row:
            return None
        text = clean_text(next((str(row[c]) for c in TEXT_COLUMNS if row.get(c)), ""))
        keywords = _split_keywords(next((row[c] for c in KEYWORD_COLUMNS if row.get(c)), None))
        if not text:
            return None
        return Caption(text, tuple(keywords), "metadata-file")

    def _table(self, folder: Path) -> MetadataTable:
        """The folder's metadata.jsonl / .csv rows by file name, parsed again when edited."""
        stamp = _stamps(folder)
        with self._lock:
            cached = self._tables.get(folder)
            if cached is None or cached[0] != stamp:
                cached = self._tables[folder] = (stamp, load_metadata_table(folder))
            return cached[1]


def _stamps(folder: Path) -> tuple[tuple[int, int], ...]:
    """(size, mtime_ns) of each metadata file, (-1, -1) when absent: the parse cache key."""
    out = []
    for filename in METADATA_FILES:
        try:
            info = (folder / filename).stat()
            out.append((info.st_size, info.st_mtime_ns))
        except OSError:
            out.append((-1, -1))
    return tuple(out)


def load_metadata_table(folder: Path) -> MetadataTable:
    """Rows of ``metadata.jsonl`` or ``metadata.csv`` keyed by ``file_name`` (both merged)."""
    table: MetadataTable = {}
    for filename in METADATA_FILES:
        path = folder / filename
        handle = open_regular(path)
        if handle is None:
            continue
        try:
            with handle:
                lines = text_lines(path, handle)
                rows = (
                    _read_jsonl(path, lines)
                    if filename.endswith(".jsonl")
                    else _read_csv(path, lines)
                )
        except (OSError, csv.Error) as exc:
            log.warning("ignoring %s: %s", path, exc)
            continue
        for row in rows:
            name = str(row.get("file_name") or "").replace("\\", "/")
            if name:
                table.setdefault(name.removeprefix("./"), row)
    return table


def _read_jsonl(path: Path, lines: Iterator[tuple[int, str]]) -> list[dict[str, Any]]:
    rows = []
    for number, line in lines:
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            log.warning("%s line %d is not JSON; skipped", path, number)
            continue
        if isinstance(row, dict):
            rows.append(row)
    return rows


def _read_csv(path: Path, lines: Iterator[tuple[int, str]]) -> list[dict[str, Any]]:
    """Rows by header; a row with more cells than the header (often an unquoted comma in a
    caption) is reported by its line and skipped, the others are kept."""
    numbers: list[int] = []

    def texts() -> Iterator[str]:
        for number, line in lines:
            numbers.append(number)
            yield line

    rows = []
    for row in csv.DictReader(texts()):
        if None in row:  # DictReader's key for cells beyond the header
            log.warning(
                "%s line %d has more cells than the header; skipped (quote cells with commas)",
                path,
                numbers[-1] if numbers else 0,
            )
            continue
        rows.append(dict(row))
    return rows


def _from_embedded(metadata: dict[str, Any]) -> Caption | None:
    if metadata.get("iptc_caption"):
        return Caption(clean_text(metadata["iptc_caption"]), (), "iptc")
    if metadata.get("xmp_description"):
        return Caption(clean_text(metadata["xmp_description"]), (), "xmp")
    return None


def _embedded_keywords(metadata: dict[str, Any]) -> list[str]:
    return [*metadata.get("iptc_keywords", ()), *metadata.get("xmp_subject", ())]


def _split_keywords(value: Any) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, list | tuple) else re.split(r"[,;|]", str(value))
    return [str(item).strip() for item in items if str(item).strip()]


def _unique(keywords: Sequence[str]) -> list[str]:
    seen: dict[str, None] = {}
    for keyword in keywords:
        key = clean_text(keyword).lower()
        if key:
            seen.setdefault(key, None)
    return list(seen)


def _local_path(path: str) -> Path | None:
    # Sidecars and metadata files are looked up next to local files only.
    return None if "://" in path else Path(path)


def clean_text(text: str) -> str:
    """Whitespace collapsed, trimmed, at most MAX_CAPTION_CHARS characters."""
    return re.sub(r"\s+", " ", text).strip()[:MAX_CAPTION_CHARS]


def folder_words_of(name: str) -> list[str]:
    """The words of a folder name, none for a camera-roll folder (see CAMERA_ROLL_FOLDER).

    >>> folder_words_of("100APPLE"), folder_words_of("Camera"), folder_words_of("beach trip")
    ([], [], ['beach', 'trip'])
    """
    return [] if CAMERA_ROLL_FOLDER.match(name.strip()) else words_from_name(name)


def words_from_name(stem: str) -> list[str]:
    """Meaningful lower-case words of a file or folder name.

    >>> words_from_name("IMG_2041_redShoes-on.the_BEACH2")
    ['red', 'shoes', 'on', 'the', 'beach']
    >>> words_from_name("DSC01234")
    []
    """
    words = []
    for part in _SPLIT.split(stem):
        for word in _CAMEL.split(part):
            word = word.lower()
            if len(word) >= 2 and word not in NOISE_WORDS:
                words.append(word)
    return words
