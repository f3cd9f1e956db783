"""The server's guards: the access token, paths that must stay inside a root, and upload limits.

Off loopback every API call and UI page needs the token (``Authorization: Bearer``, the
``X-Reelrag-Token`` header, or the session cookie set by opening ``/?token=...``). Paths in
requests are relative to a root (the workspace, the outputs folder) and are resolved, symlinks
included, before use, so ``..`` or a link can never reach outside it. Uploads are read in chunks
up to ``upload_max_mb`` and images are decoded with the same decoder as ingest.
"""

from __future__ import annotations

import hmac
import ipaddress
import re
import secrets
import stat
from pathlib import Path

from fastapi import Request, UploadFile

from reelrag.errors import DecodeError, InputError, ReelragError
from reelrag.media.decode import DecodedImage, decode_image
from reelrag.settings import Settings

COOKIE_NAME = "reelrag_token"
TOKEN_HEADER = "x-reelrag-token"
CHUNK_BYTES = 1 << 20
ASSET_ID = re.compile(r"^[0-9a-f]{4,64}$")
IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".webp", ".tif", ".tiff", ".bmp", ".gif",
                            ".heic", ".heif"})  # fmt: skip
PROMPT_SUFFIXES = frozenset({".txt", ".csv", ".jsonl", ".json", ".yaml", ".yml"})


class AuthError(ReelragError):
    """The request lacks the server's access token."""


class TooLargeError(InputError):
    """An upload exceeds ``upload_max_mb``."""


class BadRequestError(InputError):
    """A malformed request (a header that is not what HTTP allows there): HTTP 400."""


def is_loopback(host: str) -> bool:
    """True for addresses only this machine can reach.

    >>> is_loopback("127.0.0.1"), is_loopback("localhost"), is_loopback("0.0.0.0")
    (True, True, False)
    """
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def resolve_token(settings: Settings) -> str | None:
    """The token the server demands: the configured one, a fresh one off loopback, else None."""
    if settings.server_token:
        return settings.server_token
    if not is_loopback(settings.server_host):
        return secrets.token_urlsafe(24)
    return None


def request_token(request: Request) -> str | None:
    """The token a request carries, from a header, the session cookie or ``?token=``."""
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    return (
        request.headers.get(TOKEN_HEADER)
        or request.cookies.get(COOKIE_NAME)
        or request.query_params.get("token")
    )


def check_token(expected: str | None, given: str | None) -> None:
    """Raise :class:`AuthError` unless ``given`` matches (constant-time); no token, no check."""
    if expected is None:
        return
    if not given or not hmac.compare_digest(given.encode(), expected.encode()):
        raise AuthError(
            "this server needs its access token",
            hint="open the URL `reelrag serve` printed (with ?token=...) or send "
            "'Authorization: Bearer TOKEN'",
        )


def inside(root: Path, relative: str, *, what: str = "path") -> Path:
    """``root / relative`` resolved, refusing absolute paths, URIs and anything outside ``root``.

    >>> inside(Path("/ws"), "uploads/a.png").as_posix()
    '/ws/uploads/a.png'
    """
    text = relative.strip().replace("\\", "/")
    if not text or "\x00" in text or "://" in text or text.startswith("/") or ":" in text[:3]:
        raise InputError(f"{what} {relative!r} is not a relative path", hint=_inside_hint(what))
    base = root.resolve()
    target = (base / text).resolve()
    if target != base and base not in target.parents:
        raise InputError(f"{what} {relative!r} leaves the workspace", hint=_inside_hint(what))
    return target


def served_areas(settings: Settings) -> tuple[Path, ...]:
    """The folders whose files a web request may name: uploads, outputs and the local asset
    store (the library's own copies). Never the workspace root (job and catalog databases,
    settings) nor anything outside it."""
    areas = [settings.workspace / "uploads", settings.outputs_dir]
    if "://" not in settings.store_uri:
        areas.append(Path(settings.store_uri))
    return tuple(area.resolve() for area in areas)


def request_file(settings: Settings, relative: str, *, what: str = "path") -> Path:
    """THE guard for every request field that names a file (generate, in-paint, batch rows and
    their mask/polygon cells): relative to the workspace, resolved (links included), inside one
    of :func:`served_areas`, and an existing regular file (never a FIFO or a device)."""
    target = inside(settings.workspace, relative, what=what)
    if not any(area == target or area in target.parents for area in served_areas(settings)):
        raise InputError(
            f"{what} {relative!r} is not an uploaded image or an output",
            hint="upload the file first, or give a path under uploads/ or outputs/",
        )
    try:
        regular = stat.S_ISREG(target.stat().st_mode)
    except OSError:
        regular = False
    if not regular:
        raise InputError(f"{what} {relative!r} does not exist", hint="upload it first")
    return target


def _inside_hint(what: str) -> str:
    return f"give the {what} relative to the workspace, without '..'"


def check_asset_id(asset_id: str) -> str:
    """An asset id or prefix: 4-64 lowercase hex digits."""
    value = asset_id.strip().lower()
    if not ASSET_ID.match(value):
        raise InputError(f"asset id {asset_id!r} is not hex", hint="ids come from /api/assets")
    return value


async def read_upload(upload: UploadFile, max_bytes: int, suffixes: frozenset[str]) -> bytes:
    """The upload's bytes, refusing other file types and anything over ``max_bytes``."""
    name = upload.filename or "upload"
    suffix = Path(name).suffix.lower()
    if suffix not in suffixes:
        raise InputError(
            f"{name}: {suffix or 'no extension'} files are not accepted",
            hint=f"upload one of {', '.join(sorted(suffixes))}",
        )
    chunks, total = [], 0
    while chunk := await upload.read(CHUNK_BYTES):
        total += len(chunk)
        if total > max_bytes:
            raise too_large(name, max_bytes)
        chunks.append(chunk)
    if not total:
        raise InputError(f"{name}: the upload is empty", hint="choose a file with content")
    return b"".join(chunks)


def too_large(name: str, max_bytes: int) -> TooLargeError:
    return TooLargeError(
        f"{name}: the upload is over the {max_bytes / 1e6:g} MB limit",
        hint="make it smaller or raise upload_max_mb",
    )


def decode_upload(data: bytes, name: str, settings: Settings) -> DecodedImage:
    """Decode an uploaded image exactly as ingest would (format from the bytes, size guard)."""
    try:
        return decode_image(data, max_pixels=settings.max_image_pixels, name=name)
    except DecodeError:
        raise
    except (OSError, ValueError) as exc:  # the decoder's own guards raise DecodeError already
        raise DecodeError(f"{name}: cannot decode ({exc})", hint="upload a JPEG or PNG") from exc


def max_upload_bytes(settings: Settings) -> int:
    return int(settings.upload_max_mb * 1_000_000)


def max_json_bytes(settings: Settings) -> int:
    return int(settings.server_json_max_mb * 1_000_000)


def allowed_hosts(settings: Settings) -> frozenset[str]:
    """Host names (beyond loopback and IP literals) the server answers to."""
    names = {n.strip().lower() for n in settings.server_allowed_hosts.split(",") if n.strip()}
    bound = settings.server_host.strip().lower()
    if bound and bound not in ("0.0.0.0", "::", "[::]"):
        names.add(bound.strip("[]"))
    return frozenset(names)
