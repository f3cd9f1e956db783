"""Reels end to end on real files: shot jobs with the camera renderer, composition, PyAV
encoding; durations, shot boundaries, reframing and sound measured from the outputs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
from reel_media import cut_frames, music_wav, red_share, subject_photo

from reelrag.errors import NoMatchError, OutputExistsError
from reelrag.jobs import open_job_store
from reelrag.media.video import probe, read_frames
from reelrag.reel import parse_storyboard, render_reel
from reelrag.reel.audio import RATE, decode_audio, loudness_lufs
from reelrag.settings import Settings


def _board(shots: list[dict[str, Any]], **reel: Any) -> Any:
    return parse_storyboard({"size": 144, "fps": 24, "shots": shots, **reel})


def _shot(image: Path, duration: float = 1.0, **extra: Any) -> dict[str, Any]:
    return {"image": str(image), "action": "camera zooms in slowly", "duration": duration, **extra}


def _audio_s(path: Path) -> float:
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        return float(stream.duration * stream.time_base)


def test_cuts_durations_and_formats_in_three_ratios(
    sample_photos: Path, settings: Settings, tmp_path: Path
) -> None:
    photos = [
        sample_photos / p for p in ("space/astronaut.jpg", "food/coffee.jpg", "space/rocket.jpg")
    ]
    photos = [p if p.is_file() else next(sample_photos.rglob(p.name)) for p in photos]
    board = _board(
        [_shot(photos[0], 1.0), _shot(photos[1], 1.5), _shot(photos[2], 1.0)],
        aspect_ratios="16:9,9:16,1:1",
    )
    result = render_reel(board, settings, out=tmp_path / "reel.mp4")
    assert [Path(v).name for v in result.videos] == [
        "reel.16x9.mp4",
        "reel.9x16.mp4",
        "reel.1x1.mp4",
    ]
    sizes = {(256, 144), (144, 256), (144, 144)}
    for video in map(Path, result.videos):
        info = probe(video)
        assert (info.codec, info.pix_fmt, info.faststart) == ("h264", "yuv420p", True)
        assert info.frames == 84 and info.duration_s == pytest.approx(3.5)
        assert abs(_audio_s(video) - 3.5) < 0.03
        assert (info.width, info.height) in sizes
        assert cut_frames(list(read_frames(video))) == [24, 60]
    manifest = json.loads(Path(result.manifests[1]).read_text())
    assert manifest["aspect_ratio"] == "9:16" and manifest["frames"] == 84
    assert [s["start_s"] for s in manifest["shots"]] == [0.0, 1.0, 2.5]
    assert manifest["provenance"]["signed"] is True


def test_crossfade_and_dip_to_black(
    sample_photos: Path, settings: Settings, tmp_path: Path
) -> None:
    a, b, c = sorted(sample_photos.rglob("*.jpg"))[:3]
    board = _board(
        [
            _shot(a, 1.0, transition={"type": "crossfade", "duration": 0.5}),
            _shot(b, 1.0, transition={"type": "dip", "duration": 0.5}),
            _shot(c, 1.0),
        ]
    )
    result = render_reel(board, settings, out=tmp_path / "fx.mp4")
    frames = list(read_frames(Path(result.videos[0])))
    assert len(frames) == 72 - 12  # the crossfade overlaps 12 frames
    assert cut_frames(frames) == []  # no hard cut anywhere
    first, second = frames[0].astype(float), frames[24].astype(float)
    mid = frames[17].astype(float)  # half-way through the crossfade
    assert np.abs(mid - first).mean() > 5 and np.abs(mid - second).mean() > 5
    dip = 12 + 24 - 1  # the outgoing shot's last frame
    assert frames[dip].mean() < 3 and frames[dip + 8].mean() > 20


def test_vertical_and_square_keep_an_off_centre_subject(settings: Settings, tmp_path: Path) -> None:
    photo = subject_photo(tmp_path / "subject.jpg", x_frac=0.82)
    board = _board([_shot(photo, 1.5)], aspect_ratios="16:9,9:16,1:1")
    result = render_reel(board, settings, out=tmp_path / "s.mp4")
    wide, tall, square = (list(read_frames(Path(v))) for v in result.videos)
    w = wide[0].shape[1]
    centre = wide[0][:, w // 2 - 40 : w // 2 + 40]  # what a blind centre 9:16 crop would show
    assert red_share(centre) < 0.01
    subject_px = red_share(wide[0]) * wide[0].shape[0] * wide[0].shape[1]
    for frames in (tall, square):
        h, w = frames[0].shape[:2]
        scale = h / wide[0].shape[0]  # the window spans the wide frame's height
        whole = subject_px * scale**2 / (h * w)  # the share the whole subject takes
        assert all(red_share(f) > 0.9 * whole for f in frames[::6])
    manifest = json.loads(Path(result.manifests[1]).read_text())
    assert manifest["reframing_kept_saliency"]["shot_1"] > 0.5


def test_music_bed_is_levelled_to_the_target(settings: Settings, tmp_path: Path) -> None:
    music = music_wav(tmp_path / "bed.wav", 1.3, level_dbfs=-32.0)  # looped to the reel
    board = _board([_shot(subject_photo(tmp_path / "p.jpg"), 3.0)], music=str(music))
    result = render_reel(board, settings, out=tmp_path / "m.mp4")
    audio = decode_audio(result.videos[0])
    assert abs(audio.shape[1] / RATE - 3.0) < 0.03
    assert loudness_lufs(audio) == pytest.approx(settings.reel_loudness_lufs, abs=1.0)
    assert result.loudness_lufs == pytest.approx(settings.reel_loudness_lufs, abs=0.5)
    assert np.abs(audio).max() <= 10 ** (-0.5 / 20)


def test_voiceover_file_is_subtitled_in_time(settings: Settings, tmp_path: Path) -> None:
    voice = music_wav(tmp_path / "voice.wav", 1.0, level_dbfs=-20.0, seed=7)
    music = music_wav(tmp_path / "bed.wav", 4.0, level_dbfs=-20.0)
    line = "Welcome to the sample reel."
    board = _board(
        [_shot(subject_photo(tmp_path / "p.jpg"), 3.0, voiceover_file=str(voice), voiceover=line)],
        music=str(music),
    )
    result = render_reel(board, settings, out=tmp_path / "v.mp4")
    vtt = Path(result.subtitles[0]).read_text()
    assert vtt.startswith("WEBVTT") and "00:00:00.300 --> 00:00:01.300" in vtt and line in vtt
    srt = Path(result.subtitles[1]).read_text()
    assert "00:00:00,300 --> 00:00:01,300" in srt
    frames = list(read_frames(Path(result.videos[0])))
    band = slice(100, 137)  # the subtitle band above the safe area's bottom edge
    white = [float((f[band].min(axis=2) > 235).mean()) for f in frames]
    assert white[19] > 0.002 and white[40] < 0.0005  # shown at 0.8 s, gone at 1.67 s
    manifest = json.loads(Path(result.manifests[0]).read_text())
    assert manifest["audio"]["voice_lines"] == 1 and manifest["subtitles"] == ["v.vtt", "v.srt"]


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")
def test_voiceover_text_is_spoken_offline(settings: Settings, tmp_path: Path) -> None:
    board = _board([_shot(subject_photo(tmp_path / "p.jpg"), 3.0, voiceover="Hello reel.")])
    result = render_reel(board, settings, out=tmp_path / "t.mp4")
    audio = decode_audio(result.videos[0])
    speech = np.abs(audio[0, int(0.3 * RATE) : int(1.2 * RATE)]).mean()
    assert speech > 10 * np.abs(audio[0, : int(0.2 * RATE)]).mean() + 1e-4
    assert result.loudness_lufs == pytest.approx(settings.reel_loudness_lufs, abs=1.0)
    assert "Hello reel." in Path(result.subtitles[0]).read_text()


def test_rerun_resumes_and_outputs_are_protected(settings: Settings, tmp_path: Path) -> None:
    board = _board([_shot(subject_photo(tmp_path / "p.jpg"), 1.0)])
    first = render_reel(board, settings, out=tmp_path / "r.mp4")
    again = render_reel(board, settings, out=tmp_path / "r.mp4")  # nothing redone
    assert again == first
    jobs = open_job_store(settings).list()
    assert sorted(j.kind for j in jobs) == ["compose", "generate"]
    assert all(j.attempts == 1 for j in jobs)
    (tmp_path / "other.mp4").write_bytes(b"mine")
    with pytest.raises(OutputExistsError):
        render_reel(board, settings, out=tmp_path / "other.mp4")


def test_missing_shots_fail_or_are_skipped(
    settings: Settings, sample_photos: Path, tmp_path: Path
) -> None:
    from reelrag.library import Library

    library = Library(settings)
    library.ingest([str(sample_photos)], recursive=True)
    shots = [
        {"object": "a ginger cat", "action": "camera zooms in", "duration": 1},
        {"object": "red running shoes", "action": "camera pans", "duration": 1},
    ]
    with pytest.raises(NoMatchError) as err:
        render_reel(_board(shots), settings, out=tmp_path / "a.mp4", library=library)
    assert "1 of 2 shots" in str(err.value) and "shot 2 (red running shoes)" in str(err.value)
    result = render_reel(
        _board(shots, skip_missing=True), settings, out=tmp_path / "b.mp4", library=library
    )
    assert result.shots == 1 and "red running shoes" in result.missing[0]
    assert probe(Path(result.videos[0])).frames == 24
    twice = [{"object": "the sky", "action": "camera zooms in", "duration": 1}] * 2
    done = render_reel(
        _board(twice, distinct=True), settings, out=tmp_path / "c.mp4", library=library
    )
    assets = [s["asset_id"] for s in json.loads(Path(done.manifests[0]).read_text())["shots"]]
    assert len(set(assets)) == 2
    library.close()


def test_budget_is_checked_before_any_work(settings: Settings, tmp_path: Path) -> None:
    from reelrag.errors import BudgetError

    board = _board([_shot(subject_photo(tmp_path / "p.jpg"), 5.0)], backend="simulated")
    with pytest.raises(BudgetError, match="over the budget"):
        render_reel(board, settings, out=tmp_path / "b.mp4", budget_usd=0.1)  # 5 s x $0.08
    assert open_job_store(settings).list() == []
