"""Content Credentials on real files: test certificates made here, clips signed by the pipeline,
verification (trusted, valid, tampered, unsigned) through c2pa-python."""

from __future__ import annotations

import json
import shutil
import stat
from pathlib import Path

import pytest

pytest.importorskip("c2pa", reason="c2pa-python is not installed")

from reelrag.errors import ConfigError
from reelrag.media.video import probe
from reelrag.pipeline import generate
from reelrag.provenance import init_test_ca, local_ca_dir, verify_file
from reelrag.provenance.sign import sha256_file
from reelrag.settings import Settings, load_settings
from reelrag.testing.remote import register as register_simulated
from reelrag.types import GenerationRequest


def _photo(sample_photos: Path, name: str = "cat.jpg") -> Path:
    return next(sample_photos.rglob(name))


def _clip(settings: Settings, photo: Path, out: Path, backend: str = "camera") -> dict:
    request = GenerationRequest(
        prompt="camera zooms in slowly",
        image=str(photo),
        width=256,
        height=144,
        duration_s=1.0,
        fps=12,
        seed=3,
        backend=backend,
    )
    generate(request, settings, out=out)
    return json.loads(out.with_suffix(".json").read_text())


def _tamper(source: Path, target: Path) -> Path:
    data = bytearray(source.read_bytes())
    at = data.find(b"mdat") + 200
    data[at] ^= 0xFF
    target.write_bytes(bytes(data))
    return target


def test_test_ca_is_marked_untrusted_and_kept(tmp_path: Path) -> None:
    folder = init_test_ca(tmp_path / "prov")
    chain = (folder / "signer.pem").read_text()
    assert chain.count("BEGIN CERTIFICATE") == 2
    assert stat.S_IMODE((folder / "signer.key").stat().st_mode) == 0o600
    from cryptography import x509

    leaf = x509.load_pem_x509_certificate(chain.encode())
    assert "UNTRUSTED" in leaf.issuer.rfc4514_string()
    before = (folder / "signer.key").read_bytes()
    assert init_test_ca(folder) == folder and (folder / "signer.key").read_bytes() == before
    init_test_ca(folder, overwrite=True)
    assert (folder / "signer.key").read_bytes() != before


def test_camera_clip_is_signed_with_its_photo(
    settings: Settings, sample_photos: Path, tmp_path: Path
) -> None:
    photo = _photo(sample_photos)
    manifest = _clip(settings, photo, tmp_path / "clip.mp4")
    credentials = manifest["provenance"]
    assert credentials["signed"] and credentials["test_certificate"]
    assert credentials["ingredients"][0]["sha256"] == sha256_file(photo)
    assert credentials["signed_sha256"] == sha256_file(tmp_path / "clip.mp4")
    info = probe(tmp_path / "clip.mp4")
    assert info.faststart and info.frames == 12  # signing kept the file playable
    result = verify_file(tmp_path / "clip.mp4", settings)
    assert (result.state, result.valid, result.trusted) == ("Trusted", True, True)
    assert result.photos == (photo.name,) and result.ai_generated is False
    assert result.source_type.endswith("/composite")
    assert result.actions == ("c2pa.created", "c2pa.placed")
    assert result.chain[0].sha256 == sha256_file(photo)
    elsewhere = verify_file(tmp_path / "clip.mp4")  # no trust anchors: sound but unknown signer
    assert elsewhere.state == "Valid" and elsewhere.test_certificate


def test_generative_clip_is_disclosed_as_ai(
    settings: Settings, sample_photos: Path, tmp_path: Path
) -> None:
    register_simulated(latency_s=0.01)
    _clip(settings, _photo(sample_photos), tmp_path / "ai.mp4", backend="simulated")
    result = verify_file(tmp_path / "ai.mp4", settings)
    assert result.valid and result.ai_generated is True
    assert result.source_type.endswith("/trainedAlgorithmicMedia")
    assert result.chain[0].relationship == "inputTo"


def test_tampered_and_unsigned_files_fail(
    settings: Settings, sample_photos: Path, tmp_path: Path
) -> None:
    _clip(settings, _photo(sample_photos), tmp_path / "clip.mp4")
    bad = verify_file(_tamper(tmp_path / "clip.mp4", tmp_path / "bad.mp4"), settings)
    assert bad.state == "Invalid" and not bad.valid
    assert any("mismatch" in code for code in bad.failures)
    unsigned = Settings(**{**settings.__dict__, "sign_outputs": False})
    manifest = _clip(unsigned, _photo(sample_photos), tmp_path / "plain.mp4")
    assert manifest["provenance"] == {"signed": False, "reason": "--no-sign"}
    plain = verify_file(tmp_path / "plain.mp4", settings)
    assert plain.state == "Unsigned" and not plain.valid


def test_configured_certificate_and_trust_anchors(sample_photos: Path, tmp_path: Path) -> None:
    ca = init_test_ca(tmp_path / "company-ca")
    base = {
        "workspace": tmp_path / "ws",
        "sign_cert": str(ca / "signer.pem"),
        "sign_key": str(ca / "signer.key"),
    }
    settings = load_settings(base, environ={})
    manifest = _clip(settings, _photo(sample_photos), tmp_path / "c.mp4")
    assert manifest["provenance"]["test_certificate"] is False
    assert not local_ca_dir(settings).exists()  # configured credentials: no test CA made
    assert verify_file(tmp_path / "c.mp4", settings).state == "Valid"
    trusting = load_settings({**base, "trust_anchors": str(ca / "test-ca.pem")}, environ={})
    assert verify_file(tmp_path / "c.mp4", trusting).state == "Trusted"
    half = load_settings(
        {"workspace": tmp_path / "ws2", "sign_cert": base["sign_cert"]}, environ={}
    )
    with pytest.raises(ConfigError, match="both sign_cert and sign_key"):
        _clip(half, _photo(sample_photos), tmp_path / "d.mp4")
    assert not (tmp_path / "d.mp4").exists()


def test_foreign_files_verify_as_unsigned(sample_photos: Path, tmp_path: Path) -> None:
    photo = shutil.copy(_photo(sample_photos), tmp_path / "p.jpg")
    assert verify_file(photo).state == "Unsigned"


def test_edited_image_is_signed_with_its_parent(
    settings: Settings, sample_photos: Path, tmp_path: Path
) -> None:
    from reelrag.editing.base import EditRequest
    from reelrag.editing.masks import MaskSpec
    from reelrag.editing.run import inpaint

    photo = _photo(sample_photos)
    done = inpaint(
        photo, MaskSpec(boxes=("40,40,60,50",)), EditRequest(), settings, out=tmp_path / "edit"
    )
    variant = Path(done.variants[0])
    result = verify_file(variant, settings)
    assert result.valid and result.actions == ("c2pa.opened", "c2pa.edited")
    assert result.photos == (photo.name,) and result.chain[0].relationship == "parentOf"
    assert result.ai_generated is False  # OpenCV in-painting is no trained model
    manifest = json.loads(Path(done.manifest).read_text())
    assert manifest["provenance"][variant.name]["signed"] is True


def test_a_providers_credentials_are_kept_as_the_parent(
    settings: Settings, sample_photos: Path, tmp_path: Path
) -> None:
    from reelrag.provenance import sign_clip

    photo = _photo(sample_photos)
    _clip(settings, photo, tmp_path / "provider.mp4")  # stands in for a signed Nova Reel output
    record = sign_clip(
        tmp_path / "provider.mp4",
        settings,
        backend="bedrock",
        model="amazon.nova-reel-v1:1",
        photo=str(photo),
    )
    assert record["ingredients"][0]["role"] == "provider's signed output"
    result = verify_file(tmp_path / "provider.mp4", settings)
    assert result.valid and result.actions == ("c2pa.opened",) and result.ai_generated is True
    parent = result.chain[0]
    assert parent.relationship == "parentOf" and parent.credentials
    assert photo.name in result.photos  # the provider's own chain is still there
