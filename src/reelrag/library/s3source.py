"""``source.s3``: ingest images straight from ``s3://bucket/prefix`` (the ``aws`` extra).

What the user types is read like a local path: ``s3://bucket/photos`` (a "folder": the objects
directly under ``photos/``, or every level below with ``--recursive``), ``s3://bucket/a.jpg`` (one
object) or a glob such as ``s3://bucket/photos/*.jpg`` (``*`` and ``?`` stay inside one level,
``**`` crosses levels). Folders list image extensions only and skip names starting with ``.``.
The catalog's change check uses the object's size and ``LastModified``. Objects are only read.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from reelrag.aws.clients import make_client, parse_s3_uri, translate
from reelrag.errors import DecodeError, NotFoundError, ReelragError
from reelrag.library.sources import (
    GLOB_CHARS,
    IMAGE_EXTENSIONS,
    ScanProblem,
    Source,
    SourceFile,
)
from reelrag.settings import Settings


def glob_regex(pattern: str) -> re.Pattern[str]:
    """A key pattern as a regex: ``**`` any levels, ``*``/``?`` within one level, ``[..]`` sets.

    >>> [bool(glob_regex(p).fullmatch("a/b/c.jpg")) for p in ("a/*.jpg", "a/**.jpg")]
    [False, True]
    """
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        char = pattern[i]
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[" and "]" in pattern[i + 1 :]:
            end = pattern.index("]", i + 1)
            out.append("[" + pattern[i + 1 : end].replace("!", "^", 1) + "]")
            i = end
        else:
            out.append(re.escape(char))
        i += 1
    return re.compile("".join(out))


class S3Source(Source):
    """Image objects in S3, listed with ``ListObjectsV2`` and read with ``GetObject``."""

    def __init__(self, client: Any) -> None:
        self.client = client

    @classmethod
    def from_settings(cls, settings: Settings) -> S3Source:
        return cls(make_client("s3", settings))

    def scan(self, spec: str, recursive: bool = False) -> Iterator[SourceFile | ScanProblem]:
        try:
            bucket, key = parse_s3_uri(spec)
            if GLOB_CHARS & set(key):
                yield from self._scan_glob(bucket, key)
            elif key and not spec.endswith("/") and (entry := self._head(bucket, key)):
                yield entry
            else:
                yield from self._scan_folder(bucket, key, recursive, spec)
        except ReelragError as exc:  # a bad bucket or missing permission: report, go on
            yield ScanProblem(spec, str(exc))

    def _scan_glob(self, bucket: str, pattern: str) -> Iterator[SourceFile | ScanProblem]:
        fixed = re.split(r"[*?\[]", pattern)[0]
        regex = glob_regex(pattern)
        found = False
        for item in self._list(bucket, fixed, delimiter=False):
            if regex.fullmatch(item["Key"]):
                found = True
                yield self._entry(bucket, item)
        if not found:
            yield ScanProblem(f"s3://{bucket}/{pattern}", "no objects match this pattern")

    def _scan_folder(
        self, bucket: str, key: str, recursive: bool, spec: str
    ) -> Iterator[SourceFile | ScanProblem]:
        prefix = f"{key.rstrip('/')}/" if key else ""
        found = False
        for item in self._list(bucket, prefix, delimiter=not recursive):
            found = True
            name = posixpath.basename(item["Key"])
            if name.startswith(".") or item["Key"].endswith("/"):
                continue
            if posixpath.splitext(name)[1].lower() in IMAGE_EXTENSIONS:
                yield self._entry(bucket, item)
        if not found:
            yield ScanProblem(spec, "no such object or prefix")

    def _list(self, bucket: str, prefix: str, *, delimiter: bool) -> Iterator[dict[str, Any]]:
        extra = {"Delimiter": "/"} if delimiter else {}
        paginator = self.client.get_paginator("list_objects_v2")
        try:
            for page in paginator.paginate(Bucket=bucket, Prefix=prefix, **extra):
                yield from page.get("Contents", [])
        except (ClientError, BotoCoreError) as exc:
            raise translate(exc, action="s3:ListBucket", resource=f"s3://{bucket}") from exc

    def _head(self, bucket: str, key: str) -> SourceFile | None:
        try:
            head = self.client.head_object(Bucket=bucket, Key=key)
        except (ClientError, BotoCoreError) as exc:
            error = translate(exc, action="s3:GetObject", resource=f"s3://{bucket}/{key}")
            if isinstance(error, NotFoundError):
                return None
            raise error from exc
        item = {"Key": key, "Size": head["ContentLength"], "LastModified": head["LastModified"]}
        return self._entry(bucket, item)

    def _entry(self, bucket: str, item: dict[str, Any]) -> SourceFile:
        key = item["Key"]
        uri = f"s3://{bucket}/{key}"
        mtime_ns = int(item["LastModified"].timestamp() * 1_000_000_000)
        return SourceFile(
            uri, posixpath.basename(key), uri.rsplit("/", 1)[0], item["Size"], mtime_ns
        )

    def read_bytes(self, uri: str) -> bytes:
        bucket, key = parse_s3_uri(uri)
        try:
            return bytes(self.client.get_object(Bucket=bucket, Key=key)["Body"].read())
        except (ClientError, BotoCoreError) as exc:
            error = translate(exc, action="s3:GetObject", resource=uri)
            name = posixpath.basename(key)
            if isinstance(error, NotFoundError):
                raise DecodeError(f"{name}: does not exist", hint="rescan the source") from exc
            raise error from exc

    def stat(self, uri: str) -> SourceFile | None:
        bucket, key = parse_s3_uri(uri)
        return self._head(bucket, key)
