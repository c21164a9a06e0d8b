"""The data lake: one resource over a local folder, HDFS or S3, with atomic writes.

Atomicity per backend:
- local folder and HDFS: write to a hidden temporary file beside the target, then rename it over
  the target (a rename is atomic on POSIX file systems and in HDFS);
- S3: an object appears only when its upload completes (PUT, or a completed multipart upload);
  boto3 aborts a multipart upload that fails, so the previous object stays readable.
"""

from __future__ import annotations

import abc
import contextlib
import dataclasses
import functools
import posixpath
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlparse

import pyarrow.fs as pafs
from dagster import ConfigurableResource
from pydantic import Field

COPY_CHUNK_BYTES = 4 * 1024 * 1024


class LakeError(RuntimeError):
    """A lake operation failed; the message names the URI."""


@dataclasses.dataclass(frozen=True)
class TableVersion:
    """One table at one content version (see hashira_assets.lake.versions)."""

    name: str  # "<zone>/<table>": zone raw, silver, gold, features, or world (the raw folder)
    version: str  # SHA-256 hex of the content
    uri: str
    rows: int | None = None


class LakeBackend(abc.ABC):
    """Byte-level operations on keys relative to the lake root."""

    @abc.abstractmethod
    def write_stream(self, key: str, source: BinaryIO) -> None:
        """Write everything readable from source to key, atomically."""

    @abc.abstractmethod
    def read_bytes(self, key: str) -> bytes: ...

    @abc.abstractmethod
    def exists(self, key: str) -> bool: ...

    @abc.abstractmethod
    def list_keys(self, prefix: str) -> list[str]:
        """All keys under prefix (recursively), relative to the lake root, sorted."""

    @abc.abstractmethod
    def delete(self, key: str) -> None: ...

    @abc.abstractmethod
    def uri(self, key: str) -> str: ...

    @abc.abstractmethod
    def move(self, src: str, dst: str) -> None:
        """Move a file or a folder to dst (whose parent is created); dst must not exist."""

    @abc.abstractmethod
    def delete_tree(self, prefix: str) -> None:
        """Delete a folder and everything under it; nothing when it is missing."""

    @abc.abstractmethod
    def list_dirs(self, prefix: str) -> list[str]:
        """Names of the folders directly under prefix (hidden ones included), sorted."""


class ArrowFsBackend(LakeBackend):
    """Local folders and HDFS through pyarrow.fs: temporary file + rename."""

    def __init__(self, fs: pafs.FileSystem, base: str, scheme_prefix: str) -> None:
        self.fs = fs
        self.base = base.rstrip("/")
        self.scheme_prefix = scheme_prefix

    def _path(self, key: str) -> str:
        return posixpath.join(self.base, key) if key else self.base

    def write_stream(self, key: str, source: BinaryIO) -> None:
        target = self._path(key)
        parent, name = posixpath.split(target)
        self.fs.create_dir(parent, recursive=True)
        tmp = posixpath.join(parent, f".{name}.tmp-{uuid.uuid4().hex}")
        try:
            with self.fs.open_output_stream(tmp) as out:
                while chunk := source.read(COPY_CHUNK_BYTES):
                    out.write(chunk)
            self.fs.move(tmp, target)
        except BaseException:
            # A crash mid-write leaves only the temporary file, which we remove; the target is
            # untouched.
            _ignore_missing(self.fs.delete_file, tmp)
            raise

    def read_bytes(self, key: str) -> bytes:
        with self.fs.open_input_stream(self._path(key)) as stream:
            return stream.read()

    def exists(self, key: str) -> bool:
        return self.fs.get_file_info(self._path(key)).type == pafs.FileType.File

    def list_keys(self, prefix: str) -> list[str]:
        root = self._path(prefix)
        if self.fs.get_file_info(root).type != pafs.FileType.Directory:
            return []
        infos = self.fs.get_file_info(pafs.FileSelector(root, recursive=True))
        keys = [
            posixpath.relpath(info.path, self.base)
            for info in infos
            if info.type == pafs.FileType.File and not posixpath.basename(info.path).startswith(".")
        ]
        return sorted(keys)

    def delete(self, key: str) -> None:
        _ignore_missing(self.fs.delete_file, self._path(key))

    def uri(self, key: str) -> str:
        return f"{self.scheme_prefix}{self._path(key)}"

    def move(self, src: str, dst: str) -> None:
        # A rename: atomic for a file or a whole folder on POSIX file systems and in HDFS.
        self.fs.create_dir(posixpath.dirname(self._path(dst)), recursive=True)
        self.fs.move(self._path(src), self._path(dst))

    def delete_tree(self, prefix: str) -> None:
        if self.fs.get_file_info(self._path(prefix)).type == pafs.FileType.Directory:
            self.fs.delete_dir(self._path(prefix))

    def list_dirs(self, prefix: str) -> list[str]:
        root = self._path(prefix)
        if self.fs.get_file_info(root).type != pafs.FileType.Directory:
            return []
        infos = self.fs.get_file_info(pafs.FileSelector(root, recursive=False))
        return sorted(
            posixpath.basename(i.path) for i in infos if i.type == pafs.FileType.Directory
        )


class S3Backend(LakeBackend):
    """S3 or any S3-compatible store (MinIO, moto) through boto3."""

    def __init__(self, client, bucket: str, prefix: str) -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix.strip("/")

    def _key(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def write_stream(self, key: str, source: BinaryIO) -> None:
        # upload_fileobj completes a multipart upload only after the last part; on any error it
        # aborts the upload, so readers keep seeing the previous object.
        self.client.upload_fileobj(source, self.bucket, self._key(key))

    def read_bytes(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.bucket, Key=self._key(key))["Body"].read()

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True

    def _iter_keys(self, prefix: str) -> Iterator[str]:
        paginator = self.client.get_paginator("list_objects_v2")
        full = self._key(prefix).rstrip("/") + "/"
        for page in paginator.paginate(Bucket=self.bucket, Prefix=full):
            for item in page.get("Contents", []):
                key = item["Key"]
                yield key[len(self.prefix) + 1 :] if self.prefix else key

    def list_keys(self, prefix: str) -> list[str]:
        return sorted(
            k for k in self._iter_keys(prefix) if not posixpath.basename(k).startswith(".")
        )

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._key(key))

    def uri(self, key: str) -> str:
        return f"s3://{self.bucket}/{self._key(key)}"

    def move(self, src: str, dst: str) -> None:
        # S3 has no rename: each object is copied server-side, then deleted (not atomic as a
        # whole; every object is still complete at every moment).
        keys = [src] if self.exists(src) else list(self._iter_keys(src))
        for key in keys:
            target = dst if key == src else posixpath.join(dst, posixpath.relpath(key, src))
            source = {"Bucket": self.bucket, "Key": self._key(key)}
            self.client.copy_object(Bucket=self.bucket, Key=self._key(target), CopySource=source)
            self.delete(key)

    def delete_tree(self, prefix: str) -> None:
        for key in list(self._iter_keys(prefix)):
            self.delete(key)

    def list_dirs(self, prefix: str) -> list[str]:
        full = self._key(prefix).rstrip("/") + "/"
        paginator = self.client.get_paginator("list_objects_v2")
        names = set()
        for page in paginator.paginate(Bucket=self.bucket, Prefix=full, Delimiter="/"):
            for common in page.get("CommonPrefixes", []):
                names.add(common["Prefix"][len(full) :].rstrip("/"))
        return sorted(names)


def _ignore_missing(func, path: str) -> None:
    with contextlib.suppress(FileNotFoundError, OSError):
        func(path)


class LakeResource(ConfigurableResource):
    """The data lake rooted at a URI: a local path, `hdfs://host:port/path` or `s3://bucket/prefix`."""

    root: str = Field(description="Lake root: a local folder, hdfs://... or s3://bucket/prefix.")
    s3_endpoint_url: str | None = Field(
        default=None, description="Endpoint of an S3-compatible store (MinIO, moto); None for AWS."
    )
    s3_region: str = Field(default="us-east-1", description="Region for the S3 client.")

    @property
    def scheme(self) -> str:
        parsed = urlparse(self.root)
        return parsed.scheme if len(parsed.scheme) > 1 else "file"

    @functools.cached_property
    def backend(self) -> LakeBackend:
        parsed = urlparse(self.root)
        scheme = self.scheme
        if scheme == "file":
            local = Path(parsed.path if parsed.scheme == "file" else self.root).expanduser()
            local = local.resolve()
            local.mkdir(parents=True, exist_ok=True)
            return ArrowFsBackend(pafs.LocalFileSystem(), local.as_posix(), "")
        if scheme == "hdfs":
            fs = pafs.HadoopFileSystem(parsed.hostname or "default", parsed.port or 8020)
            return ArrowFsBackend(fs, parsed.path or "/", f"hdfs://{parsed.netloc}")
        if scheme in ("s3", "s3a"):
            from dagster_aws.s3 import S3Resource

            client = S3Resource(
                endpoint_url=self.s3_endpoint_url, region_name=self.s3_region
            ).get_client()
            return S3Backend(client, parsed.netloc, parsed.path)
        raise LakeError(f"unsupported lake root {self.root!r}: use a folder, hdfs:// or s3://")

    def write_file(self, key: str, local_path: str | Path) -> None:
        """Copy a local file to key, atomically."""
        try:
            with open(local_path, "rb") as source:
                self.backend.write_stream(key, source)
        except OSError as exc:
            raise LakeError(f"writing {self.uri(key)} failed: {exc}") from exc

    def write_bytes(self, key: str, data: bytes) -> None:
        """Write bytes to key, atomically."""
        import io

        self.backend.write_stream(key, io.BytesIO(data))

    def read_bytes(self, key: str) -> bytes:
        return self.backend.read_bytes(key)

    def exists(self, key: str) -> bool:
        return self.backend.exists(key)

    def list_keys(self, prefix: str) -> list[str]:
        return self.backend.list_keys(prefix)

    def delete(self, key: str) -> None:
        self.backend.delete(key)

    def uri(self, key: str = "") -> str:
        return self.backend.uri(key)

    def move(self, src: str, dst: str) -> None:
        """Move a file or folder (a rename on local folders and HDFS)."""
        self.backend.move(src, dst)

    def delete_tree(self, prefix: str) -> None:
        self.backend.delete_tree(prefix)

    def list_dirs(self, prefix: str) -> list[str]:
        return self.backend.list_dirs(prefix)

    def spark_uri(self, key: str = "") -> str:
        """The URI Spark reads and writes key at (s3:// becomes Hadoop's s3a://)."""
        uri = self.uri(key)
        return "s3a://" + uri[len("s3://") :] if uri.startswith("s3://") else uri
