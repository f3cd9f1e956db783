"""The Python API as the README shows it: open_library -> search -> generate -> run_batch."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import reelrag
from reelrag import GenerationRequest, generate, open_library, run_batch
from reelrag.errors import NoMatchError
from reelrag.media.video import probe


@pytest.fixture
def library(tmp_path: Path, sample_photos: Path) -> reelrag.Library:
    photos = tmp_path / "photos"
    shutil.copytree(sample_photos, photos)
    lib = open_library(tmp_path / "ws", width=320, height=180, duration_s=1.0, fps=12)
    report = lib.ingest(photos, recursive=True)
    assert report.ok and report.added == len(list(photos.rglob("*.jpg")))
    return lib


def test_search_then_generate_from_python(library: reelrag.Library) -> None:
    hits = library.search("a ginger cat", limit=3)
    assert hits.best is not None and "cat" in hits.best.asset.caption.lower()
    request = GenerationRequest(prompt="camera zooms in slowly")
    result = generate(request, library.settings, library=library, object_query="a ginger cat")
    info = probe(Path(result.video))
    assert (info.width, info.height, info.frames) == (320, 180, 12)
    assert Path(result.manifest).is_file() and "<video" in result._repr_html_()


def test_no_good_match_is_an_error_not_a_random_image(library: reelrag.Library) -> None:
    with pytest.raises(NoMatchError, match="red running shoes"):
        generate(
            GenerationRequest(prompt="camera pans down"),
            library.settings,
            library=library,
            object_query="red running shoes",
        )


def test_run_batch_twice_does_the_work_once(library: reelrag.Library, tmp_path: Path) -> None:
    prompts = tmp_path / "prompts.txt"
    prompts.write_text("A shot of <object_prompt>. <action_prompt>.\n# a comment\n\n")
    first = run_batch(prompts, object="a rocket", action="Camera tilts up.", library=library)
    assert len(first.succeeded) == 1 and not first.failed
    video = Path(first.to_dict()["succeeded"][0]["video"])
    stamp = video.stat().st_mtime_ns
    again = run_batch(prompts, object="a rocket", action="Camera tilts up.", library=library)
    assert not again.failed
    assert video.stat().st_mtime_ns == stamp  # nothing rendered twice
