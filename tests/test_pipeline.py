"""The generate pipeline end to end: image path -> fitted -> video + manifest + poster."""

from __future__ import annotations

import errno
import hashlib
import json
import shutil
from pathlib import Path

import pytest
from PIL import Image
from skimage import data

from reelrag.errors import (
    CapabilityError,
    DecodeError,
    InputError,
    OutputExistsError,
    ReelragError,
)
from reelrag.media import fit as imaging
from reelrag.media.video import probe, read_frames
from reelrag.pipeline import generate, output_paths, prepare
from reelrag.settings import Settings, load_settings
from reelrag.types import GenerationRequest


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings({"workspace": tmp_path / "ws"}, environ={})


@pytest.fixture(scope="module")
def photo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("photos") / "cat.jpg"
    Image.fromarray(data.chelsea()).save(path, quality=92)
    return path


def request(
    photo: Path, prompt: str = "slow zoom in while panning left", **fields: object
) -> GenerationRequest:
    base = {"width": 192, "height": 108, "fps": 12, "duration_s": 1.0, "seed": 11}
    return GenerationRequest(prompt=prompt, image=str(photo), **{**base, **fields})  # type: ignore[arg-type]


def test_generate_writes_video_manifest_poster_and_fitted(photo, settings, tmp_path) -> None:
    out = tmp_path / "clip.mp4"
    prompt = "camera pushes in, snow falls, a dog runs in"
    result = generate(request(photo, prompt), settings, out=out)
    info = probe(out)
    assert (info.codec, info.pix_fmt, info.frames, info.width, info.height) == (
        "h264",
        "yuv420p",
        12,
        192,
        108,
    )
    assert info.faststart and result.frames == 12 and result.duration_s == 1.0
    assert result.not_rendered == ("a dog runs in",)
    manifest = json.loads(Path(result.manifest).read_text())
    assert manifest["source"]["sha256"] == hashlib.sha256(photo.read_bytes()).hexdigest()
    assert manifest["seed"] == 11 and manifest["backend"] == "camera"
    assert manifest["details"]["plan"]["moves"] == ["dolly-in"]
    assert manifest["details"]["plan"]["atmosphere"] == ["snow"]
    assert manifest["not_rendered"] == ["a dog runs in"]
    assert manifest["fit"]["method"] in ("crop", "pad", "scale")
    assert (tmp_path / "clip.fitted.png").is_file() and (tmp_path / "clip.poster.jpg").is_file()
    assert "<video" in result._repr_html_()


def test_default_output_location_and_random_seed(photo, settings) -> None:
    result = generate(request(photo, seed=None), settings)
    assert Path(result.video).parent == settings.outputs_dir
    assert isinstance(result.seed, int)


def test_same_request_and_seed_give_identical_frames(photo, settings, tmp_path) -> None:
    digests = []
    for name in ("a", "b"):
        result = generate(
            request(photo, "pan right with rain"), settings, out=tmp_path / f"{name}.mp4"
        )
        frames = b"".join(f.tobytes() for f in read_frames(Path(result.video)))
        digests.append(hashlib.sha256(frames).hexdigest())
    assert digests[0] == digests[1]


def test_refuses_to_overwrite_unless_asked(photo, settings, tmp_path) -> None:
    out = tmp_path / "clip.mp4"
    generate(request(photo), settings, out=out)
    before = out.read_bytes()
    with pytest.raises(OutputExistsError):
        generate(request(photo, "tilt up"), settings, out=out)
    assert out.read_bytes() == before
    generate(request(photo, "tilt up"), settings, out=out, overwrite=True)
    assert out.read_bytes() != before


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"prompt": "  "}, CapabilityError),
        ({"width": 190, "height": 101}, CapabilityError),
        ({"fps": 240}, CapabilityError),
        ({"duration_s": 3600.0}, CapabilityError),
    ],
)
def test_bad_requests_fail_before_writing(photo, settings, tmp_path, fields, error) -> None:
    with pytest.raises(error):
        generate(request(photo, **fields), settings, out=tmp_path / "clip.mp4")
    assert list(tmp_path.glob("clip*")) == []


def test_unreadable_and_missing_images(settings, tmp_path) -> None:
    junk = tmp_path / "junk.jpg"
    junk.write_bytes(b"this is not a jpeg")
    with pytest.raises(DecodeError):
        generate(request(junk), settings, out=tmp_path / "clip.mp4")
    with pytest.raises(InputError):
        generate(request(tmp_path / "missing.jpg"), settings, out=tmp_path / "clip.mp4")
    assert list(tmp_path.glob("clip*")) == [] and junk.read_bytes() == b"this is not a jpeg"


def test_the_photo_beside_the_video_is_never_overwritten(settings, tmp_path) -> None:
    photo = tmp_path / "beach.jpg"
    Image.fromarray(data.chelsea()).save(photo, quality=92)
    original = photo.read_bytes()
    generate(request(photo), settings, out=tmp_path / "beach.mp4")  # the poster once was beach.jpg
    assert photo.read_bytes() == original and (tmp_path / "beach.poster.jpg").is_file()
    shutil.copy(photo, tmp_path / "shot.poster.jpg")
    with pytest.raises(OutputExistsError, match="is the input image"):
        generate(
            request(tmp_path / "shot.poster.jpg"),
            settings,
            out=tmp_path / "shot.mp4",
            overwrite=True,
        )
    assert (tmp_path / "shot.poster.jpg").read_bytes() == original
    assert not (tmp_path / "shot.mp4").exists()


def test_any_existing_output_file_is_refused(photo, settings, tmp_path) -> None:
    for name in ("clip.poster.jpg", "clip.fitted.png"):
        taken = tmp_path / name
        taken.write_bytes(b"mine")
        with pytest.raises(OutputExistsError, match=name):
            generate(request(photo), settings, out=tmp_path / "clip.mp4")
        assert taken.read_bytes() == b"mine" and not (tmp_path / "clip.mp4").exists()
        taken.unlink()


def test_a_full_disk_while_finishing_leaves_no_output(
    photo, settings, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(*args: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / ".tmp-x"))

    monkeypatch.setattr(imaging, "save_png", full)  # the fitted image, after video and poster
    with pytest.raises(ReelragError, match="no space left") as caught:
        generate(request(photo), settings, out=tmp_path / "clip.mp4")
    assert "\n" not in str(caught.value) and caught.value.hint
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_output_paths_beside_out(settings, tmp_path) -> None:
    paths = output_paths(settings, tmp_path / "x" / "clip.mp4", "ignored")
    assert paths.manifest.name == "clip.json" and paths.poster.name == "clip.poster.jpg"
    assert paths.fitted.name == "clip.fitted.png"
    with pytest.raises(InputError):
        output_paths(settings, tmp_path / "clip.mov", "x")


def test_prepare_resolves_seed_and_fits_with_margins(photo, settings) -> None:
    prepared = prepare(request(photo, "pan left", seed=None), settings)
    assert prepared.resolved.seed == prepared.resolved.request.seed
    assert prepared.fitted is not None and prepared.image is not None
    margins = prepared.generator.framing_margins(prepared.resolved)
    assert prepared.image.size == (
        192 + margins.left_px + margins.right_px,
        108 + margins.top_px + margins.bottom_px,
    )
    assert margins.left_px > 0 and margins.right_px == 0


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from reelrag.library import open_library

    root = tmp_path_factory.mktemp("lib")
    (root / "photos").mkdir()
    Image.fromarray(data.chelsea()).save(root / "photos" / "red_shoes_on_a_wooden_floor.jpg")
    # a caption: since issue 17 a file name alone never decides a match
    (root / "photos" / "red_shoes_on_a_wooden_floor.txt").write_text("Red shoes on a wooden floor.")
    lib = open_library(root / "ws")
    lib.ingest(root / "photos")
    return lib


def test_object_query_retrieves_then_animates(library, tmp_path) -> None:
    req = GenerationRequest(
        prompt="camera rotates clockwise", width=128, height=72, duration_s=0.5, seed=2
    )
    result = generate(
        req, library.settings, library=library, object_query="red shoes", out=tmp_path / "o.mp4"
    )
    manifest = json.loads(Path(result.manifest).read_text())
    asset = library.assets()[0]
    assert manifest["source"]["asset_id"] == asset.id
    assert manifest["search_hit"]["asset"]["id"] == asset.id
    assert probe(Path(result.video)).frames == 12


def test_no_good_match_is_an_error_not_a_random_image(library, tmp_path) -> None:
    from reelrag.errors import NoMatchError

    req = GenerationRequest(prompt="pan left", width=128, height=72, duration_s=0.5, seed=2)
    with pytest.raises(NoMatchError, match="threshold"):
        generate(
            req,
            library.settings,
            library=library,
            object_query="an astronaut floating above the moon",
            out=tmp_path / "n.mp4",
        )
    assert not (tmp_path / "n.mp4").exists()


def test_asset_id_prefix_is_animated(library, tmp_path) -> None:
    asset = library.assets()[0]
    req = GenerationRequest(
        prompt="tilt up", asset_id=asset.id[:12], width=128, height=72, duration_s=0.5, seed=2
    )
    result = generate(req, library.settings, library=library, out=tmp_path / "a.mp4")
    assert json.loads(Path(result.manifest).read_text())["source"]["sha256"] == asset.id
