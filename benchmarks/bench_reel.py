"""A 6-shot, 30 s reel in 16:9, 9:16 and 1:1 at 720p: composition time against the shots'
render time, and against the equivalent ffmpeg filter graph in the same run.

1. the six shots render as jobs (camera backend, 24 fps; 2276x1280, as tall as the 9:16 output,
   since the reel has one: docs/reel.md) -- their render time;
2. ReelRAG composes the three outputs from those clips in one pass (saliency-tracked reframing,
   crossfades, titles, music bed + two voice-over lines levelled to -16 LUFS and ducked,
   subtitles burned in, H.264 + AAC) -- without signing, to time the same work as ffmpeg;
3. ``ffmpeg`` (the CLI, benchmark only) on the same clips: ``xfade`` chain (the concat of the
   crossfaded shots), ``split`` into three branches with a *centre* crop (ffmpeg has no
   subject tracking) and ``scale``, ``drawtext`` titles, ``amix`` of the looped bed and the
   delayed voices then one-pass ``loudnorm``, x264 with the same preset and CRF, AAC, faststart.

Prints wall and CPU seconds (CPU of every thread; children's for ffmpeg), the ratios, and checks
both made 720 frames per output. The order of the two compositions rotates over ``--repeat``.

    .venv/bin/python benchmarks/bench_reel.py [--repeat 2] [--size 720]
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import wave
from pathlib import Path

import numpy as np

from reelrag.jobs import open_job_store
from reelrag.media.video import probe
from reelrag.reel import parse_storyboard, render_reel
from reelrag.reel.audio import RATE
from reelrag.reel.text import _font_path
from reelrag.samples import write_samples
from reelrag.settings import Settings, load_settings

PHOTOS = ("cat", "rocket", "coffee", "astronaut", "motorcycle", "coins")
ACTIONS = (
    "camera zooms in slowly",
    "camera tilts up",
    "camera pans left",
    "camera zooms out",
    "camera pans right",
    "camera zooms in",
)
SHOT_S, XFADE_S, FPS = 130 / 24, 0.5, 24  # 6 x 130 - 5 x 12 = 720 frames: 30 s
TITLES = {0: "ReelRAG benchmark", 5: "Thank you"}
VOICES = {1: 2.0, 3: 2.5}  # shot -> seconds of (synthetic) voice


def tone_wav(path: Path, seconds: float, freqs: tuple[float, ...], level_dbfs: float) -> Path:
    t = np.arange(int(seconds * RATE)) / RATE
    mono = sum(np.sin(2 * np.pi * f * t) for f in freqs) * (0.6 + 0.4 * np.sin(2 * np.pi * t / 4))
    mono = mono * 10 ** (level_dbfs / 20) / np.sqrt(np.mean(mono**2))
    pcm = (np.clip(np.stack([mono, mono], axis=1), -1, 1) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(pcm.tobytes())
    return path


def storyboard(folder: Path, size: int) -> dict:
    photos = {p.stem: p for p in write_samples(folder / "samples")}
    music = tone_wav(folder / "bed.wav", 12.0, (220.0, 277.2, 329.6), -26.0)
    shots = []
    for i, (name, action) in enumerate(zip(PHOTOS, ACTIONS, strict=True)):
        shot = {
            "image": str(photos[name]),
            "action": action,
            "duration": SHOT_S,
            "transition": {"type": "crossfade", "duration": XFADE_S},
            "seed": i,
        }
        if i in TITLES:
            shot["title"] = TITLES[i]
        if i in VOICES:
            voice = tone_wav(folder / f"voice{i}.wav", VOICES[i], (180.0, 360.0), -20.0)
            shot |= {"voiceover_file": str(voice), "voiceover": f"Line {i} of the voice-over."}
        shots.append(shot)
    return {
        "title": "bench",
        "aspect_ratios": ["16:9", "9:16", "1:1"],
        "size": size,
        "fps": FPS,
        "music": str(music),
        "shots": shots,
    }


def render_shots(board: dict, settings: Settings, out: Path) -> tuple[float, float, list[Path]]:
    """Render the reel once (shots + compose): the shots' wall and summed render time, clips."""
    started = time.perf_counter()
    render_reel(parse_storyboard(board), settings, out=out)
    wall = time.perf_counter() - started
    jobs = [j for j in open_job_store(settings).list() if j.kind == "generate"]
    render_s = sum(float((j.result or {}).get("elapsed_s", 0)) for j in jobs)
    clips = [Path((j.result or {})["video"]) for j in sorted(jobs, key=lambda j: j.id)]
    compose = next(j for j in open_job_store(settings).list() if j.kind == "compose")
    compose_s = sum((compose.result or {}).get("timings_s", {}).values())
    return wall - compose_s, render_s, clips


def ours(board: dict, settings: Settings, out: Path) -> tuple[float, float]:
    """Compose again from the finished shots (a fresh compose job), unsigned."""
    board = {**board, "title": f"bench {time.monotonic_ns()}"}  # a new compose job id
    cpu, wall = time.process_time(), time.perf_counter()
    render_reel(parse_storyboard(board), settings, out=out, overwrite=True)
    return time.perf_counter() - wall, time.process_time() - cpu


def ffmpeg_graph(clips: list[Path], board: dict, size: int, out: Path) -> list[str]:
    """The equivalent ffmpeg command (three outputs from one graph)."""
    long = round(size * 16 / 9 / 2) * 2
    font = _font_path() or ""
    inputs = [arg for clip in clips for arg in ("-i", str(clip))]
    inputs += ["-stream_loop", "-1", "-i", board["music"]]
    voiced = [i for i, s in enumerate(board["shots"]) if "voiceover_file" in s]
    inputs += [arg for i in voiced for arg in ("-i", board["shots"][i]["voiceover_file"])]
    step = SHOT_S - XFADE_S
    chain, last = [], "[0:v]"
    for k in range(1, len(clips)):
        label = f"[x{k}]"
        chain.append(
            f"{last}[{k}:v]xfade=transition=fade:duration={XFADE_S}:offset={k * step}{label}"
        )
        last = label
    total = len(clips) * SHOT_S - (len(clips) - 1) * XFADE_S
    chain.append(f"{last}split=3[w][t][s]")
    titles = ",".join(
        f"drawtext=fontfile={font}:text='{text}':fontcolor=white:borderw=3:fontsize={{fs}}:"
        f"x=(w-text_w)/2:y=h*0.13:enable='between(t,{i * step},{i * step + SHOT_S})'"
        for i, text in TITLES.items()
    )
    subtitles = ",".join(
        f"drawtext=fontfile={font}:text='{board['shots'][i]['voiceover']}':fontcolor=white:"
        f"borderw=2:box=1:boxcolor=black@0.55:fontsize={{ss}}:x=(w-text_w)/2:y=h*0.78:"
        f"enable='between(t,{i * step + 0.3},{i * step + 0.3 + VOICES[i]})'"
        for i in VOICES
    )
    titles = f"{titles},{subtitles}"
    sizes = {"w": (long, size), "t": (size, long), "s": (size, size)}
    for name, (w, h) in sizes.items():
        crop = f"crop=ih*{w}/{h}:ih," if name != "w" else ""
        fs = round(min(w, h) * 0.075)
        text = titles.format(fs=fs, ss=round(min(w, h) * 0.045))
        chain.append(f"[{name}]{crop}scale={w}:{h},{text}[v{name}]")
    music = len(clips)
    delays = [
        f"[{music + 1 + k}:a]adelay={int((i * step + 0.3) * 1000)}:all=1[d{k}]"
        for k, i in enumerate(voiced)
    ]
    chain += delays
    mix_in = f"[{music}:a]" + "".join(f"[d{k}]" for k in range(len(voiced)))
    chain.append(
        f"{mix_in}amix=inputs={1 + len(voiced)}:duration=first,atrim=0:{total},"
        f"loudnorm=I=-16:TP=-1,aresample=48000,asplit=3[aw][at][as]"
    )
    command = ["ffmpeg", "-y", "-loglevel", "error", *inputs, "-filter_complex", ";".join(chain)]
    for name in sizes:
        command += [
            "-map",
            f"[v{name}]",
            "-map",
            f"[a{name}]",
            "-c:v",
            "libx264",
            "-preset",
            "veryfast",
            "-crf",
            "20",
            "-x264-params",
            "bframes=0",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            "-b:a",
            "192k",
            "-t",
            str(total),
            "-movflags",
            "+faststart",
            str(out.with_name(f"{out.stem}.{name}.mp4")),
        ]
    return command


def theirs(command: list[str]) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = time.perf_counter()
    subprocess.run(command, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return time.perf_counter() - wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--size", type=int, default=720)
    args = parser.parse_args()
    if shutil.which("ffmpeg") is None:
        sys.exit("bench_reel: needs the ffmpeg program for the baseline (apt-get install ffmpeg)")
    folder = Path(tempfile.mkdtemp(prefix="bench-reel-"))
    settings = load_settings({"workspace": folder / "ws", "sign_outputs": False}, environ={})
    board = storyboard(folder, args.size)
    shots_wall, shots_render, clips = render_shots(board, settings, folder / "first.mp4")
    command = ffmpeg_graph(clips, board, args.size, folder / "ffmpeg.mp4")
    results: dict[str, list[tuple[float, float]]] = {"reelrag": [], "ffmpeg": []}
    for run in range(args.repeat):
        order = ("reelrag", "ffmpeg") if run % 2 == 0 else ("ffmpeg", "reelrag")
        for name in order:
            if name == "reelrag":
                results[name].append(ours(board, settings, folder / "ours.mp4"))
            else:
                results[name].append(theirs(command))
    frames = {p.name: probe(p).frames for p in sorted(folder.glob("*.mp4"))}
    median = {
        k: (statistics.median(w for w, _ in v), statistics.median(c for _, c in v))
        for k, v in results.items()
    }
    report = {
        "outputs": "3 x 30 s (16:9 1280x720, 9:16 720x1280, 1:1 720x720), 24 fps",
        "shots": {"wall_s": round(shots_wall, 2), "render_s_sum": round(shots_render, 2)},
        "compose_reelrag": {
            "wall_s": round(median["reelrag"][0], 2),
            "cpu_s": round(median["reelrag"][1], 2),
        },
        "compose_ffmpeg": {
            "wall_s": round(median["ffmpeg"][0], 2),
            "cpu_s": round(median["ffmpeg"][1], 2),
        },
        "ratio_compose_vs_shots_render": round(median["reelrag"][0] / shots_render, 2),
        "ratio_reelrag_vs_ffmpeg_wall": round(median["reelrag"][0] / median["ffmpeg"][0], 2),
        "ratio_reelrag_vs_ffmpeg_cpu": round(median["reelrag"][1] / median["ffmpeg"][1], 2),
        "runs": {k: [[round(w, 2), round(c, 2)] for w, c in v] for k, v in results.items()},
        "frames": frames,
    }
    print(json.dumps(report, indent=2))
    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
