"""Signing credentials: the configured key and chain, or a local **untrusted** test CA.

``reelrag provenance init`` (and the first signature in a workspace without configured
credentials) writes ``<workspace>/provenance/``: ``test-ca.pem`` (a self-signed root),
``signer.pem`` (the signing certificate then the root: the chain) and ``signer.key`` (P-256,
mode 0600). Their subject names say "UNTRUSTED TEST"; validators outside this workspace report
them as untrusted. Production signing uses ``sign_cert`` / ``sign_key`` from a real CA.
"""

from __future__ import annotations

import datetime
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reelrag.errors import ConfigError
from reelrag.settings import Settings
from reelrag.storage import atomic_write_bytes

log = logging.getLogger(__name__)

__all__ = ["Credentials", "credentials", "init_test_ca", "local_ca_dir"]

ORG = "ReelRAG local test CA - UNTRUSTED TEST CERTIFICATE"
ALGS = ("es256", "es384", "es512", "ps256", "ps384", "ps512", "ed25519")


@dataclass(frozen=True)
class Credentials:
    """PEM bytes of the signing chain and key, the algorithm and whether it is the test CA."""

    chain: bytes
    key: bytes
    alg: str
    test_ca: bool
    source: str  # where they came from (paths), for manifests; never the key itself


def local_ca_dir(settings: Settings) -> Path:
    return Path(settings.workspace) / "provenance"


def init_test_ca(folder: Path, *, overwrite: bool = False, days: int = 825) -> Path:
    """Write a test root CA and a signing certificate under ``folder``; returns the folder.

    >>> # init_test_ca(Path("ws/provenance"))
    """
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    if (folder / "signer.key").exists() and not overwrite:
        return folder
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name("ReelRAG local test root")
    ca = _builder(ca_name, ca_name, ca_key.public_key(), now, days * 2)
    ca = ca.add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
    ca = ca.add_extension(_usage(cert_sign=True), critical=True)
    ca_cert = ca.sign(ca_key, hashes.SHA256())
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = _builder(_name("ReelRAG local signer"), ca_name, key.public_key(), now, days)
    leaf = leaf.add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
    leaf = leaf.add_extension(_usage(cert_sign=False), critical=True)
    eku = x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.EMAIL_PROTECTION])
    leaf = leaf.add_extension(eku, critical=False)
    aki = x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key())
    leaf_cert = leaf.add_extension(aki, critical=False).sign(ca_key, hashes.SHA256())
    # written beside, then renamed into place: two workers starting at once cannot end up
    # with one's chain and the other's key
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".tmp-provenance-", dir=folder.parent))
    _write(staging, ca_cert, leaf_cert, key)
    if overwrite:
        shutil.rmtree(folder, ignore_errors=True)
    try:
        os.rename(staging, folder)
    except OSError:  # another process made it first: use theirs
        shutil.rmtree(staging, ignore_errors=True)
        return folder
    log.warning("created an UNTRUSTED test signing certificate in %s", folder)
    return folder


def _name(common_name: str) -> Any:
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORG),
        ]
    )


def _builder(subject: Any, issuer: Any, public_key: Any, now: Any, days: int) -> Any:
    from cryptography import x509

    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )


def _usage(*, cert_sign: bool) -> Any:
    from cryptography import x509

    return x509.KeyUsage(
        digital_signature=not cert_sign,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


def _write(folder: Path, ca: Any, leaf: Any, key: Any) -> None:
    from cryptography.hazmat.primitives import serialization

    pem = serialization.Encoding.PEM
    atomic_write_bytes(folder / "test-ca.pem", ca.public_bytes(pem))
    atomic_write_bytes(folder / "signer.pem", leaf.public_bytes(pem) + ca.public_bytes(pem))
    key_bytes = key.private_bytes(
        pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    atomic_write_bytes(folder / "signer.key", key_bytes)
    os.chmod(folder / "signer.key", 0o600)


def credentials(settings: Settings) -> Credentials:
    """The configured chain and key, else the workspace's test CA (created when absent)."""
    alg = str(settings.sign_alg).lower()
    if alg not in ALGS:
        raise ConfigError(f"sign_alg {alg!r} is not supported", hint=f"use {', '.join(ALGS)}")
    if bool(settings.sign_cert) != bool(settings.sign_key):
        raise ConfigError("set both sign_cert and sign_key, or neither (the workspace test CA)")
    if settings.sign_cert:
        chain, key = _read(settings.sign_cert, "sign_cert"), _read(settings.sign_key, "sign_key")
        return Credentials(chain, key, alg, False, str(settings.sign_cert))
    folder = init_test_ca(local_ca_dir(settings))
    chain = (folder / "signer.pem").read_bytes()
    return Credentials(chain, (folder / "signer.key").read_bytes(), "es256", True, str(folder))


def _read(path: str, name: str) -> bytes:
    try:
        return Path(path).expanduser().read_bytes()
    except OSError as exc:
        raise ConfigError(
            f"cannot read {name} {path}: {exc.strerror}", hint="fix the path"
        ) from exc
