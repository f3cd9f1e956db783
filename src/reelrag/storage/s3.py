"""An S3 bucket prefix as an object store (``store = "s3://bucket/prefix"``, the ``aws`` extra).

S3 PUT is atomic -- a reader sees the old object or the new one, never a part -- so
:meth:`S3Store.put_bytes` is one ``PutObject``. Files go through boto3's transfer manager, which
switches to multipart upload above ``MULTIPART_THRESHOLD`` (a multipart object appears only when
the upload completes, so that is atomic too). Downloads to disk go to a temp file renamed into
place.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from boto3.s3.transfer import TransferConfig
from botocore.exceptions import BotoCoreError, ClientError

from reelrag.aws.clients import aws_errors, make_client, parse_s3_uri, translate
from reelrag.errors import NotFoundError
from reelrag.settings import Settings
from reelrag.storage.base import ObjectStore, check_key
from reelrag.storage.local import temp_beside

MULTIPART_THRESHOLD = 16 * 1024 * 1024
MULTIPART_CHUNK = 16 * 1024 * 1024


class S3Store(ObjectStore):
    """Objects under ``s3://bucket/prefix/``; keys are relative to the prefix."""

    def __init__(self, bucket: str, prefix: str = "", *, client: Any):
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.client = client
        self.uri = f"s3://{bucket}/{self.prefix}" if self.prefix else f"s3://{bucket}"
        self._transfer = TransferConfig(
            multipart_threshold=MULTIPART_THRESHOLD, multipart_chunksize=MULTIPART_CHUNK
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> S3Store:
        return cls.from_uri(settings.store_uri, settings)

    @classmethod
    def from_uri(cls, uri: str, settings: Settings, *, client: Any = None) -> S3Store:
        bucket, prefix = parse_s3_uri(uri)
        return cls(bucket, prefix, client=client or make_client("s3", settings))

    def _key(self, key: str) -> str:
        key = check_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    def _errors(self, action: str, key: str = "") -> Any:
        return aws_errors(action, resource=f"s3://{self.bucket}/{self._key(key) if key else ''}")

    def put_bytes(self, key: str, data: bytes, content_type: str | None = None) -> str:
        extra = {"ContentType": content_type} if content_type else {}
        with self._errors("s3:PutObject", key):
            self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=data, **extra)
        return self.uri_for(key)

    def put_file(self, key: str, path: Path, content_type: str | None = None) -> str:
        extra = {"ContentType": content_type} if content_type else None
        with self._errors("s3:PutObject", key):
            self.client.upload_file(
                str(path), self.bucket, self._key(key), ExtraArgs=extra, Config=self._transfer
            )
        return self.uri_for(key)

    def get_bytes(self, key: str) -> bytes:
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=self._key(key))
            return bytes(response["Body"].read())
        except (ClientError, BotoCoreError) as exc:
            raise self._missing_or(exc, "s3:GetObject", key) from exc

    def get_file(self, key: str, path: Path) -> Path:
        """Download ``key`` to ``path`` atomically (temp file + rename); large objects stream."""
        path = Path(path)
        tmp = str(temp_beside(path))
        try:
            self.client.download_file(self.bucket, self._key(key), tmp, Config=self._transfer)
            os.replace(tmp, path)
        except (ClientError, BotoCoreError) as exc:
            Path(tmp).unlink(missing_ok=True)
            raise self._missing_or(exc, "s3:GetObject", key) from exc
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return path

    def exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=self._key(key))
        except (ClientError, BotoCoreError) as exc:
            error = self._missing_or(exc, "s3:GetObject", key)
            if isinstance(error, NotFoundError):
                return False
            raise error from exc
        return True

    def delete(self, key: str) -> None:
        with self._errors("s3:DeleteObject", key):
            self.client.delete_object(Bucket=self.bucket, Key=self._key(key))

    def list(self, prefix: str = "") -> Iterator[str]:
        base = f"{self.prefix}/" if self.prefix else ""
        keys: list[str] = []
        with self._errors("s3:ListBucket"):
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=base + prefix
            )
            for page in pages:
                keys.extend(item["Key"][len(base) :] for item in page.get("Contents", []))
        return iter(sorted(keys))

    def uri_for(self, key: str) -> str:
        return f"s3://{self.bucket}/{self._key(key)}"

    def _missing_or(self, exc: Exception, action: str, key: str) -> Exception:
        error = translate(exc, action=action, resource=f"s3://{self.bucket}/{self._key(key)}")
        if isinstance(error, NotFoundError):
            return NotFoundError(f"no object {key!r} in {self.uri}")
        return error
