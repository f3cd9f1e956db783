"""Output QA for any backend: is this clip one a client would accept?

Owns :func:`check_video`: from the file's container and a sample of decoded frames it checks
duration, fps, frame count, codec, pixel format and faststart; a frozen or all-black video;
visible padding (black bars, or a photo pasted on a blurred fill); the first frame against the
reference image (SSIM; for a remote backend, whether the model started from the submitted image);
and the camera motion measured from pixels (:mod:`reelrag.media.pixels`) against the move the
prompt asks for (read with the camera prompt parser). A manifest beside the video supplies what
was asked (prompt, options, duration, fps, fitted image, backend) unless given explicitly. The
result is a JSON-ready report with ``verdict`` "pass" or "fail", the failures and warnings, and a
one-line summary.
"""

from __future__ import annotations

import itertools
import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from reelrag.errors import InputError
from reelrag.media import pixels, video

__all__ = ["Expect", "check_video", "expect_from_manifest", "verdict_line"]

SAMPLES = 17  # frames decoded for the pixel checks
MIN_DURATION_S = 1.0  # shorter than this fails when no duration was asked
PADDED_SHARE = 0.02  # a frame is padded when a band covers this share of it
SSIM_FAIL, SSIM_WARN = 0.55, 0.8
FROZEN_DIFF = 0.6  # mean absolute grey difference between samples below this: frozen
# a component of the asked move counts when it is at least this big; the measure must agree in
# sign and reach MIN_SHARE of it (camera engine) or just move that way (generative backends)
SIGNIFICANT = {"x": 0.015, "y": 0.015, "log_zoom": 0.02, "roll_deg": 1.0}
MIN_SHARE, STILL_LIMIT = 0.3, {"x": 0.01, "y": 0.01, "log_zoom": 0.01, "roll_deg": 0.5}


@dataclass
class Expect:
    """What the clip should be; None means "not known, not checked"."""

    prompt: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    duration_s: float | None = None
    fps: float | None = None
    frames: int | None = None
    reference: Path | None = None
    backend: str | None = None


def expect_from_manifest(video_path: Path) -> Expect:
    """What the manifest beside ``video_path`` (clip.json) says was asked; empty if none."""
    manifest_path = video_path.with_suffix(".json")
    if not manifest_path.is_file():
        return Expect()
    try:
        data = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return Expect()
    request, resolved = data.get("request") or {}, data.get("resolved") or {}
    fitted = data.get("fitted_image")
    return Expect(
        prompt=request.get("prompt"),
        options={k: v for k, v in (request.get("options") or {}).items() if k != "edit"},
        duration_s=resolved.get("duration_s"),
        fps=resolved.get("fps"),
        frames=resolved.get("frames"),
        reference=video_path.parent / fitted if fitted else None,
        backend=data.get("backend"),
    )


def check_video(path: Path, expect: Expect | None = None) -> dict[str, Any]:
    """The QA report for the video at ``path`` (see the module docstring)."""
    started = time.perf_counter()
    path = Path(path)
    if not path.is_file():
        raise InputError(f"no video at {path}", hint="give the path of an .mp4")
    expect = expect or expect_from_manifest(path)
    info = video.probe(path)
    grey = _sample(path, info.frames)
    if not grey:
        raise InputError(f"{path} has no decodable frames")
    fails: list[str] = []
    warns: list[str] = []
    checks = {
        "container": _container(info, expect, fails, warns),
        "frames": _frames(grey, fails),
        "padding": _padding(grey, expect, fails, warns),
        "reference": _reference(grey[0], expect, fails, warns),
        "motion": _motion(grey, expect, info.duration_s, fails, warns),
    }
    report = {
        "video": str(path),
        "verdict": "fail" if fails else "pass",
        "failures": fails,
        "warnings": warns,
        "checks": checks,
        "elapsed_s": round(time.perf_counter() - started, 3),
    }
    report["summary"] = verdict_line(report)
    return report


def verdict_line(report: dict[str, Any]) -> str:
    """One line: PASS or FAIL, the reasons, and the key measures."""
    c = report["checks"]["container"]
    facts = f"{c['duration_s']:.2f}s {c['fps']:g}fps {c['frames']} frames {c['codec']}"
    motion = report["checks"]["motion"]
    moved = motion.get("measured_moves")
    facts += f"; camera {'+'.join(moved) if moved else 'still'}"
    if report["failures"]:
        return f"FAIL {Path(report['video']).name}: " + "; ".join(report["failures"])
    return f"PASS {Path(report['video']).name}: {facts}"


def _sample(path: Path, count: int) -> list[np.ndarray]:
    """Up to :data:`SAMPLES` grey frames, evenly spaced, first and last included."""
    wanted = {round(i * (count - 1) / (SAMPLES - 1)) for i in range(SAMPLES)} if count else set()
    return [f for i, f in enumerate(video.read_frames(path, "gray")) if i in wanted or not count]


def _container(
    info: video.VideoInfo, expect: Expect, fails: list[str], warns: list[str]
) -> dict[str, Any]:
    out = {
        "codec": info.codec,
        "pix_fmt": info.pix_fmt,
        "fps": round(info.fps, 3),
        "frames": info.frames,
        "duration_s": round(info.duration_s, 3),
        "size": [info.width, info.height],
        "faststart": info.faststart,
    }
    if info.codec != "h264" or info.pix_fmt != "yuv420p":
        fails.append(f"not H.264 yuv420p ({info.codec} {info.pix_fmt}): players may refuse it")
    if not info.faststart:
        warns.append("not faststart: a browser must load the whole file before playing")
    if expect.duration_s is not None and info.duration_s < 0.9 * expect.duration_s:
        fails.append(f"too short: {info.duration_s:.2f}s of {expect.duration_s:g}s asked")
    elif expect.duration_s is None and info.duration_s < MIN_DURATION_S:
        fails.append(f"too short: {info.duration_s:.2f}s (under {MIN_DURATION_S:g}s)")
    if expect.fps and abs(info.fps - expect.fps) > 0.5:
        fails.append(f"{info.fps:g} fps, {expect.fps:g} asked")
    if expect.frames and abs(info.frames - expect.frames) > 1:
        warns.append(f"{info.frames} frames, {expect.frames} expected")
    return out


def _frames(grey: list[np.ndarray], fails: list[str]) -> dict[str, Any]:
    black = sum(pixels.black_frame(g) for g in grey)
    diffs = [float(np.abs(a.astype(np.int16) - b).mean()) for a, b in itertools.pairwise(grey)]
    if black:
        fails.append(f"black frames: {black} of {len(grey)} sampled")
    return {
        "sampled": len(grey),
        "black": black,
        "mean_change": round(float(np.mean(diffs)) if diffs else 0.0, 3),
        "frozen": bool(diffs) and max(diffs) < FROZEN_DIFF,
    }


def _padding(
    grey: list[np.ndarray], expect: Expect, fails: list[str], warns: list[str]
) -> dict[str, Any]:
    bands = [pixels.padding_bands(g) for g in grey]
    padded = [b for b in bands if max(b.values()) >= PADDED_SHARE]
    worst = {side: round(max(b[side] for b in bands), 3) for side in bands[0]}
    share = len(padded) / len(bands)
    if padded:
        sides = ", ".join(f"{s} {v:.0%}" for s, v in worst.items() if v >= PADDED_SHARE)
        asked = str(expect.options.get("fit", "")) in ("pad", "blur")
        (warns if asked else fails).append(
            f"padding on {share:.0%} of frames ({sides})"
            + (f", as asked (fit {expect.options['fit']})" if asked else "")
        )
    return {"frames_with_padding": round(share, 3), "widest_band": worst}


def _reference(
    first: np.ndarray, expect: Expect, fails: list[str], warns: list[str]
) -> dict[str, Any] | None:
    if expect.reference is None:
        return None
    if not Path(expect.reference).is_file():
        warns.append(f"reference {expect.reference} not found")
        return None
    with Image.open(expect.reference) as image:
        ref = np.asarray(image.convert("L").resize(first.shape[::-1], Image.Resampling.LANCZOS))
    score = pixels.ssim(ref, first)
    if score < SSIM_FAIL:
        fails.append(f"first frame does not match the reference image (SSIM {score:.2f})")
    elif score < SSIM_WARN:
        warns.append(f"first frame only loosely matches the reference (SSIM {score:.2f})")
    return {"image": str(expect.reference), "ssim": round(score, 4)}


def _motion(
    grey: list[np.ndarray], expect: Expect, duration_s: float, fails: list[str], warns: list[str]
) -> dict[str, Any]:
    measured = pixels.camera_motion(grey)
    asked = _asked(expect, duration_s)
    out: dict[str, Any] = {"asked": asked, "measured": measured.to_dict() if measured else None}
    frozen = (
        len(grey) > 1
        and max(float(np.abs(a.astype(np.int16) - b).mean()) for a, b in itertools.pairwise(grey))
        < FROZEN_DIFF
    )
    wants_motion = bool(asked and asked["moves"] != ["static"])
    if frozen and (wants_motion or asked is None):
        fails.append(
            "frozen: the picture does not change" + (f" ({_names(asked)} asked)" if asked else "")
        )
    if measured is None:
        if wants_motion and not frozen:
            warns.append("camera motion could not be measured (too little texture)")
        return out
    values = _components(measured)
    out["measured_moves"] = _moves_of(values, SIGNIFICANT)
    if asked is None or frozen:
        return out
    strict = expect.backend in ("camera", None)
    for key, want in asked["components"].items():
        got = values[key]
        if abs(want) < SIGNIFICANT[key]:
            continue
        name = _move_name(key, want)
        if abs(got) < SIGNIFICANT[key] / 2:
            fails.append(f"no motion: asked {name}, measured none")
        elif got * want < 0:
            fails.append(f"wrong direction: asked {name}, measured {_move_name(key, got)}")
        elif strict and abs(got) < MIN_SHARE * abs(want):
            fails.append(f"too little motion: {name} {abs(got):.3g} of {abs(want):.3g} asked")
    if asked["moves"] == ["static"] and not asked["handheld"]:
        moved = _moves_of(values, STILL_LIMIT)
        if moved:
            fails.append(f"camera moves ({'+'.join(moved)}) though a still shot was asked")
    return out


def _asked(expect: Expect, duration_s: float) -> dict[str, Any] | None:
    if not expect.prompt:
        return None
    from reelrag.generation.camera.prompt import plan_motion  # lazy: only with a prompt

    options = {
        k: v for k, v in expect.options.items() if k in ("move", "speed", "easing", "amplitude")
    }
    try:
        plan = plan_motion(expect.prompt, expect.duration_s or duration_s, options)
    except InputError:
        plan = plan_motion(expect.prompt, expect.duration_s or duration_s)
    start, end = plan.start, plan.end
    return {
        "moves": [m.name for m in plan.moves],
        "default": plan.default,
        "handheld": plan.shake > 0,
        "components": {
            "x": end.x - start.x,
            "y": end.y - start.y,
            "log_zoom": math.log(end.zoom / start.zoom),
            "roll_deg": end.angle_deg - start.angle_deg,
        },
    }


def _components(m: pixels.Motion) -> dict[str, float]:
    return {"x": m.x, "y": m.y, "log_zoom": math.log(max(m.zoom, 1e-6)), "roll_deg": m.roll_deg}


def _move_name(key: str, value: float) -> str:
    names = {
        "x": ("left", "right"),
        "y": ("up", "down"),
        "log_zoom": ("zoom-out", "zoom-in"),
        "roll_deg": ("roll-ccw", "roll-cw"),
    }
    word = names[key][int(value > 0)]
    return {"x": f"move-{word}", "y": f"move-{word}"}.get(key, word)


def _moves_of(values: dict[str, float], limits: dict[str, float]) -> list[str]:
    return [_move_name(k, v) for k, v in values.items() if abs(v) >= limits[k]]


def _names(asked: dict[str, Any] | None) -> str:
    return "+".join(asked["moves"]) if asked else ""
